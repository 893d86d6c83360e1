//! Teardown: walks what the journal says exists, newest first (so AWS's
//! prerequisites go first: keys and policies before their user, policies before their
//! role, the run's objects before their bucket), journals each delete before and
//! after, treats "not found" as done, goes on past failures, and ends with a receipt
//! of anything left. A resource whose creation was never confirmed is deleted only if
//! it carries this run's tag: awslab never deletes what it did not create.

mod delete;

use std::path::Path;
use std::time::Duration;

use aws_config::SdkConfig;

use crate::classify::ErrorClass;
use crate::client::{cloudformation_client, iam_client, s3_client};
use crate::engine::RUN_TAG;
use crate::journal::{
    Journal, JournalError, JournalState, Record, ResourceRef, ResourceState, RunId, RunStatus,
};
use crate::secrets::SecretsStore;
use crate::steps::describe;

/// What teardown did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// Labels of what was deleted (or found already gone).
    pub deleted: Vec<String>,
    /// What is left, each with the reason.
    pub left: Vec<(String, String)>,
}

impl Receipt {
    pub fn is_clean(&self) -> bool {
        self.left.is_empty()
    }
}

/// What teardown is doing, reported as it happens (for live output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeardownEvent<'a> {
    /// About to delete this resource.
    Deleting(&'a str),
    /// Deleted (or found gone); the text may carry a remark.
    Deleted(&'a str),
    /// Left in place, with the reason.
    Left(&'a str, &'a str),
}

/// Tears down the run `run_id` under `state_dir`, whose journal the caller has just
/// replayed into `state`, with the operator's config, reporting each resource through
/// `report` as it goes.
pub async fn teardown(
    state_dir: &Path,
    run_id: &RunId,
    state: &JournalState,
    operator: &SdkConfig,
    stack_deadline: Duration,
    mut report: impl FnMut(TeardownEvent<'_>) + Send,
) -> Result<Receipt, JournalError> {
    let journal = Journal::open(state_dir, run_id)?;
    let created_roles: Vec<String> = state
        .resources
        .iter()
        .filter_map(|r| match &r.resource {
            ResourceRef::IamRole { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut receipt = Receipt::default();
    for live in state.resources.iter().rev() {
        let label = live.resource.label();
        if live.state == ResourceState::MayExist {
            match owned(operator, &live.resource, run_id).await {
                Ownership::Gone => {
                    journal
                        .append_async(Record::Deleted {
                            resource: live.resource.clone(),
                        })
                        .await?;
                    let text = format!("{label} (never created)");
                    report(TeardownEvent::Deleted(&text));
                    receipt.deleted.push(text);
                    continue;
                }
                Ownership::NotOurs(reason) => {
                    let reason = format!("left alone: {reason}");
                    report(TeardownEvent::Left(&label, &reason));
                    receipt.left.push((label, reason));
                    continue;
                }
                Ownership::Ours => {}
            }
        }
        report(TeardownEvent::Deleting(&label));
        journal
            .append_async(Record::DeleteIntent {
                resource: live.resource.clone(),
            })
            .await?;
        match delete::delete(operator, live, &created_roles, stack_deadline).await {
            Ok(()) => {
                journal
                    .append_async(Record::Deleted {
                        resource: live.resource.clone(),
                    })
                    .await?;
                report(TeardownEvent::Deleted(&label));
                receipt.deleted.push(label);
            }
            Err(error) => {
                journal
                    .append_async(Record::DeleteFailed {
                        resource: live.resource.clone(),
                        error: error.clone(),
                    })
                    .await?;
                report(TeardownEvent::Left(&label, &error));
                receipt.left.push((label, error));
            }
        }
    }
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
    Ok(receipt)
}

enum Ownership {
    Ours,
    Gone,
    NotOurs(String),
}

/// For a resource whose creation was not confirmed: does it exist, and is it ours?
async fn owned(operator: &SdkConfig, resource: &ResourceRef, run_id: &RunId) -> Ownership {
    let iam = iam_client(operator);
    let tags = match resource {
        ResourceRef::IamUser { name } => iam_tags(
            iam.list_user_tags()
                .user_name(name)
                .send()
                .await
                .map(|a| a.tags),
            "ListUserTags",
        ),
        ResourceRef::IamRole { name } => iam_tags(
            iam.list_role_tags()
                .role_name(name)
                .send()
                .await
                .map(|a| a.tags),
            "ListRoleTags",
        ),
        ResourceRef::IamPolicy { arn } => iam_tags(
            iam.list_policy_tags()
                .policy_arn(arn)
                .send()
                .await
                .map(|a| a.tags),
            "ListPolicyTags",
        ),
        ResourceRef::S3Bucket { name } => match s3_client(operator)
            .get_bucket_tagging()
            .bucket(name)
            .send()
            .await
        {
            Ok(a) => Ok(a
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()),
            Err(e) => {
                let (info, message) = describe("GetBucketTagging", &e);
                if info.code.as_deref() == Some("NoSuchTagSet") {
                    Ok(Vec::new())
                } else {
                    Err((info.class(), message))
                }
            }
        },
        ResourceRef::CfnStack { name, stack_id } => {
            match cloudformation_client(operator)
                .describe_stacks()
                .stack_name(stack_id.as_deref().unwrap_or(name))
                .send()
                .await
            {
                Ok(a) => match a.stacks().first() {
                    Some(stack) => Ok(stack
                        .tags()
                        .iter()
                        .map(|t| {
                            (
                                t.key().unwrap_or_default().to_owned(),
                                t.value().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()),
                    None => return Ownership::Gone,
                },
                Err(e) => {
                    let (info, message) = describe("DescribeStacks", &e);
                    Err((info.class(), message))
                }
            }
        }
        // Sub-resources of a user, role or bucket of this run, and local files: the
        // parent's ownership already decides; deleting them is safe.
        _ => return Ownership::Ours,
    };
    match tags {
        Ok(tags)
            if tags
                .iter()
                .any(|(k, v)| k == RUN_TAG && v == run_id.as_str()) =>
        {
            Ownership::Ours
        }
        Ok(_) => Ownership::NotOurs("it exists but does not carry this run's tag".to_owned()),
        Err((ErrorClass::NotFound, _)) => Ownership::Gone,
        Err((_, message)) => Ownership::NotOurs(format!("cannot check its tags: {message}")),
    }
}

type Tags = Result<Vec<(String, String)>, (ErrorClass, String)>;

/// The tags of an IAM entity, or the error's class and message.
fn iam_tags<E>(
    result: Result<
        Vec<aws_sdk_iam::types::Tag>,
        aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    >,
    what: &str,
) -> Tags
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    result
        .map(|tags| {
            tags.iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .map_err(|e| {
            let (info, message) = describe(what, &e);
            (info.class(), message)
        })
}
