//! Teardown: walks what the journal says exists, newest first (so AWS's
//! prerequisites go first: keys and policies before their user, policies before their
//! role, the run's objects before their bucket). Every resource's ownership is checked
//! first (immutable id or run tag, see [`crate::resources`]): what is not this run's is
//! left and reported, never deleted. Each delete is journaled before and after; "not
//! found" is reported as gone (never as a deletion awslab did not make); teardown goes
//! on past failures and ends with a receipt of anything left. With `forget_foreign`,
//! what was found replaced by someone else's is journaled as left on purpose (never
//! deleted), so later teardowns report it without failing. A damaged journal makes the
//! receipt unclean whatever was deleted: it cannot prove that nothing is left.
//!
//! A plan that spans several accounts journals each resource with its account; each
//! is checked and deleted by that account's operator ([`AccountConfigs`]), still
//! newest first across all of them. A resource of an account with no operator is
//! left and reported, never looked for elsewhere.

use std::path::Path;
use std::time::Duration;

use aws_config::SdkConfig;
use indexmap::IndexMap;

use crate::client::{cloudformation_client, iam_client, s3_client};
use crate::events::{Left, RunEvent};
use crate::journal::{Journal, JournalError, JournalState, Record, RunId, RunStatus};
use crate::resources::{Ownership, Removal, ResourceRef, TeardownCx};
use crate::secrets::SecretsStore;

/// What teardown did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// Labels of what was deleted.
    pub deleted: Vec<String>,
    /// Labels of what was already gone (or had nothing to undo), with the remark.
    pub gone: Vec<(String, String)>,
    /// What is left, each with the reason.
    pub left: Vec<(String, String)>,
    /// Someone else's resources left on purpose (`forget_foreign`), with the reason.
    pub left_on_purpose: Vec<(String, String)>,
    /// What is wrong with the journal, if anything.
    pub damaged_journal: Option<String>,
    /// Only part of the run was given (`down --learner`): the rest is still there.
    pub partial: bool,
}

impl Receipt {
    /// Nothing of the run is left, as a sound journal proves.
    pub fn is_clean(&self) -> bool {
        self.left.is_empty() && self.damaged_journal.is_none()
    }

    /// The `teardown` event that ends `down`.
    pub fn event(&self, run_id: &RunId) -> RunEvent {
        RunEvent::Teardown {
            run_id: run_id.to_string(),
            deleted: self.deleted.clone(),
            gone: self.gone.iter().map(|(label, _)| label.clone()).collect(),
            left: lefts(&self.left),
            left_on_purpose: lefts(&self.left_on_purpose),
            damaged_journal: self.damaged_journal.clone(),
            partial: self.partial,
        }
    }
}

fn lefts(pairs: &[(String, String)]) -> Vec<Left> {
    pairs
        .iter()
        .map(|(resource, reason)| Left {
            resource: resource.clone(),
            reason: reason.clone(),
        })
        .collect()
}

/// How teardown goes about it.
#[derive(Clone, Copy, Debug)]
pub struct TeardownOptions {
    /// How long to wait for a `CloudFormation` stack to be deleted.
    pub stack_deadline: Duration,
    /// Journal what is found replaced by someone else's as left on purpose.
    pub forget_foreign: bool,
    /// Only some of the run's resources are given (`down --learner`): the run is not
    /// finished, and its secrets stay for the rest.
    pub partial: bool,
}

/// The operators teardown works as: the first account's, and each other account's by
/// the name the plan gave it.
#[derive(Clone, Debug)]
pub struct AccountConfigs {
    pub default: SdkConfig,
    pub named: IndexMap<String, SdkConfig>,
}

impl AccountConfigs {
    /// One account: the operator's.
    pub fn single(operator: SdkConfig) -> Self {
        Self {
            default: operator,
            named: IndexMap::new(),
        }
    }

    /// The operator of `account` (`None`: the first).
    pub fn get(&self, account: Option<&str>) -> Option<&SdkConfig> {
        match account {
            None => Some(&self.default),
            Some(name) => self.named.get(name),
        }
    }
}

impl From<SdkConfig> for AccountConfigs {
    fn from(operator: SdkConfig) -> Self {
        Self::single(operator)
    }
}

/// Tears down the run `run_id` under `state_dir`, whose journal the caller has just
/// replayed into `state`, with each account's operator, reporting each resource
/// through `report` as it goes.
pub async fn teardown(
    state_dir: &Path,
    run_id: &RunId,
    state: &JournalState,
    operators: &AccountConfigs,
    options: TeardownOptions,
    mut report: impl FnMut(RunEvent) + Send,
) -> Result<Receipt, JournalError> {
    let journal = Journal::open(state_dir, run_id)?;
    let created = created_by_account(state);
    let contexts = contexts(&created, operators, run_id.as_str(), options.stack_deadline);
    let mut receipt = Receipt {
        damaged_journal: state.is_damaged().then(|| state.damage_text()),
        partial: options.partial,
        ..Receipt::default()
    };
    for (resource, reason) in &state.left_on_purpose {
        report(RunEvent::LeftOnPurpose {
            resource: resource.label(),
            reason: reason.clone(),
        });
        receipt
            .left_on_purpose
            .push((resource.label(), reason.clone()));
    }
    for live in state.resources.iter().rev() {
        let resource = &live.resource;
        let account = live.account.clone();
        let label = match &account {
            Some(name) => format!("{} in account `{name}`", resource.label()),
            None => resource.label(),
        };
        let Some(cx) = contexts.get(&account) else {
            let reason = format!(
                "left alone: no operator for account `{}` (give its profile with `--account-profile {0}=PROFILE`)",
                account.as_deref().unwrap_or_default()
            );
            report(RunEvent::Left {
                resource: label.clone(),
                reason: reason.clone(),
            });
            receipt.left.push((label, reason));
            continue;
        };
        let removal = match resource.ownership(cx).await {
            Ownership::Gone => Removal::AlreadyGone,
            Ownership::NotOurs(reason) => Removal::NotOurs(reason),
            Ownership::Unknown(reason) => {
                let reason = format!("left alone: {reason}");
                report(RunEvent::Left {
                    resource: label.clone(),
                    reason: reason.clone(),
                });
                receipt.left.push((label, reason));
                continue;
            }
            Ownership::Ours => {
                report(RunEvent::Deleting {
                    resource: label.clone(),
                });
                journal
                    .append_async(Record::DeleteIntent {
                        resource: resource.clone(),
                        account: account.clone(),
                    })
                    .await?;
                match resource.delete(cx).await {
                    Ok(removal) => removal,
                    Err(error) => {
                        journal
                            .append_async(Record::DeleteFailed {
                                resource: resource.clone(),
                                error: error.clone(),
                                account: account.clone(),
                            })
                            .await?;
                        report(RunEvent::Left {
                            resource: label.clone(),
                            reason: error.clone(),
                        });
                        receipt.left.push((label, error));
                        continue;
                    }
                }
            }
        };
        record(
            &journal,
            (resource, account, label),
            removal,
            options.forget_foreign,
            &mut report,
            &mut receipt,
        )
        .await?;
    }
    if !options.partial {
        finish(&journal, state_dir, run_id, &receipt).await?;
    }
    Ok(receipt)
}

/// The end of a whole run's teardown: journaled, and the run's secrets removed when
/// nothing is left.
async fn finish(
    journal: &Journal,
    state_dir: &Path,
    run_id: &RunId,
    receipt: &Receipt,
) -> Result<(), JournalError> {
    let status = if receipt.is_clean() {
        RunStatus::TornDown
    } else {
        RunStatus::TeardownIncomplete
    };
    journal.append_async(Record::RunFinished { status }).await?;
    if receipt.is_clean() {
        // Every key and session of the run is gone; so are their secrets.
        let secrets = Journal::run_dir(state_dir, run_id).join(SecretsStore::FILE_NAME);
        let _ = std::fs::remove_file(secrets);
    }
    Ok(())
}

/// What the run created, by account: a sub-resource's parent is looked for among its
/// own account's resources only (same-named users in two accounts are two).
fn created_by_account(state: &JournalState) -> IndexMap<Option<String>, Vec<ResourceRef>> {
    let mut created: IndexMap<Option<String>, Vec<ResourceRef>> = IndexMap::new();
    for live in &state.resources {
        created
            .entry(live.account.clone())
            .or_default()
            .push(live.resource.clone());
    }
    created
}

/// A teardown context for each account that has an operator.
fn contexts<'a>(
    created: &'a IndexMap<Option<String>, Vec<ResourceRef>>,
    operators: &AccountConfigs,
    run_id: &'a str,
    stack_deadline: Duration,
) -> IndexMap<Option<String>, TeardownCx<'a>> {
    let mut contexts = IndexMap::new();
    for (account, resources) in created {
        if let Some(operator) = operators.get(account.as_deref()) {
            let cx = TeardownCx {
                iam: iam_client(operator),
                s3: s3_client(operator),
                cloudformation: cloudformation_client(operator),
                run_id,
                stack_deadline,
                created: resources,
            };
            contexts.insert(account.clone(), cx);
        }
    }
    contexts
}

/// Journals and reports what became of `resource` (with its account and label).
async fn record(
    journal: &Journal,
    (resource, account, label): (&ResourceRef, Option<String>, String),
    removal: Removal,
    forget_foreign: bool,
    report: &mut (impl FnMut(RunEvent) + Send),
    receipt: &mut Receipt,
) -> Result<(), JournalError> {
    match removal {
        Removal::Deleted => {
            journal
                .append_async(Record::Deleted {
                    resource: resource.clone(),
                    already_gone: false,
                    account,
                })
                .await?;
            report(RunEvent::Deleted {
                resource: label.clone(),
            });
            receipt.deleted.push(label);
        }
        Removal::AlreadyGone | Removal::NothingToUndo(_) => {
            let remark = match removal {
                Removal::NothingToUndo(remark) => remark,
                _ => "already gone; nothing was deleted".to_owned(),
            };
            journal
                .append_async(Record::Deleted {
                    resource: resource.clone(),
                    already_gone: true,
                    account,
                })
                .await?;
            report(RunEvent::Gone {
                resource: label.clone(),
                remark: remark.clone(),
            });
            receipt.gone.push((label, remark));
        }
        Removal::NotOurs(reason) if forget_foreign => {
            journal
                .append_async(Record::LeftOnPurpose {
                    resource: resource.clone(),
                    reason: reason.clone(),
                    account,
                })
                .await?;
            report(RunEvent::LeftOnPurpose {
                resource: label.clone(),
                reason: reason.clone(),
            });
            receipt.left_on_purpose.push((label, reason));
        }
        Removal::NotOurs(reason) => {
            let reason = format!("not ours, left alone: {reason}");
            report(RunEvent::Left {
                resource: label.clone(),
                reason: reason.clone(),
            });
            receipt.left.push((label, reason));
        }
    }
    Ok(())
}
