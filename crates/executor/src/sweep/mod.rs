//! Sweep: what awslab made in an account, found by its tags rather than a journal
//! (`awslab sweep`, and `awslab reap` for a run whose journal is gone). [`discover`]
//! lists IAM users, roles, managed policies, OIDC and SAML providers, virtual MFA
//! devices, S3 buckets and `CloudFormation` stacks carrying `awslab:run`; [`Filter`]
//! narrows them; [`plan`] orders them by AWS's prerequisites; [`remove`] deletes them.
//!
//! Safety: an item is only ever one whose `awslab:run` tag names the run swept (the
//! tag is read again just before the delete, or the immutable id read with it is
//! compared); untagged resources are never listed. A resource that a stack created
//! (`aws:cloudformation:stack-id`) goes with its stack, whole. Untaggable things go with
//! their tagged parent: a user's access keys, inline and attached policies, group
//! memberships, login profile; a role's policies and instance profiles; a bucket's
//! objects (the bucket is the run's, so is what is in it).

mod discover;

use std::time::Duration;

use aws_config::SdkConfig;
use serde::Serialize;

use crate::client::{cloudformation_client, iam_client, s3_client};
use crate::resources::{Ownership, Removal, ResourceRef, TeardownCx};

pub use discover::{Discovery, MAX_FOUND, Unlisted, discover};

/// One resource awslab's tags claim, as the removal plan shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    /// Its place in the removal order (1 first), set by [`plan`].
    pub order: usize,
    /// `iam_user`, `iam_role`, `iam_policy`, `iam_oidc_provider`, `iam_saml_provider`,
    /// `iam_virtual_mfa_device`, `s3_bucket`, `cfn_stack`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The name (an ARN for policies and providers, a serial number for MFA devices).
    pub name: String,
    /// Its `awslab:run` tag.
    pub run: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// What deleting it removes first (untaggable things found through it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removes_first: Vec<&'static str>,
    /// Whether a journal in the state folder knows it (set by the caller).
    pub in_journal: bool,
    /// The journal form, for the delete.
    #[serde(skip)]
    pub resource: ResourceRef,
}

impl Found {
    fn rank(&self) -> u8 {
        match self.kind {
            // A device is deactivated for its user before the user can go.
            "iam_virtual_mfa_device" => 0,
            "iam_user" => 1,
            "iam_role" => 2,
            // Detached from every user, group and role first; after users and roles,
            // whose own deletes detach it.
            "iam_policy" => 3,
            "iam_oidc_provider" => 4,
            "iam_saml_provider" => 5,
            "s3_bucket" => 6,
            // Whole, last: a stack's resources may be attached to the users and roles
            // above (a managed policy of the stack on a run's user).
            _ => 7,
        }
    }
}

/// Which of the found resources to sweep.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this run's (`--run`).
    pub run: Option<String>,
    /// Only this plan's (`--plan`).
    pub plan: Option<String>,
    /// Only what was created at or before this instant, Unix seconds (`--older-than`).
    pub created_before: Option<i64>,
    /// Only what expired at or before this instant, Unix seconds (`--expired`).
    pub expired_at: Option<i64>,
}

impl Filter {
    pub fn admits(&self, found: &Found) -> bool {
        self.run.as_ref().is_none_or(|run| *run == found.run)
            && self
                .plan
                .as_ref()
                .is_none_or(|plan| found.plan.as_ref() == Some(plan))
            && self.created_before.is_none_or(|before| {
                found
                    .created_at
                    .as_deref()
                    .and_then(crate::tags::parse_instant)
                    .is_some_and(|at| at <= before)
            })
            && self
                .expired_at
                .is_none_or(|now| crate::tags::expired(found.expires_at.as_deref(), now))
    }
}

/// Orders found resources by AWS's prerequisites (devices, users, roles, policies,
/// providers, buckets, stacks), then by run and name, and numbers them.
pub fn plan(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by(|a, b| (a.rank(), &a.run, &a.name).cmp(&(b.rank(), &b.run, &b.name)));
    for (index, item) in found.iter_mut().enumerate() {
        item.order = index + 1;
    }
    found
}

/// What happened to one resource of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Deleted,
    /// Gone before the delete (someone else removed it): not a deletion of ours.
    AlreadyGone,
    /// Left: its tag or id no longer says it is the run's, or the delete failed.
    Left(String),
}

/// How many deletes of one rank (independent of each other) run at once.
const CONCURRENCY: usize = 8;

/// Deletes the planned resources in order with the operator's `config`, each only
/// while it is still the run's; a bucket's objects go before the bucket. Resources of
/// one rank (all users, then all roles, ...) do not depend on each other and are
/// deleted a few at a time; a rank starts when the one before has ended. `each` sees
/// every outcome, in plan order.
pub async fn remove(
    config: &SdkConfig,
    planned: &[Found],
    stack_deadline: Duration,
    mut each: impl FnMut(&Found, &Outcome),
) -> Vec<Outcome> {
    use futures::stream::{self, StreamExt as _};

    let iam = iam_client(config);
    let s3 = s3_client(config);
    let cloudformation = cloudformation_client(config);
    let mut outcomes = Vec::with_capacity(planned.len());
    for group in planned.chunk_by(|a, b| a.rank() == b.rank()) {
        let results: Vec<Outcome> = stream::iter(group)
            .map(|item| {
                let cx = TeardownCx {
                    iam: iam.clone(),
                    s3: s3.clone(),
                    cloudformation: cloudformation.clone(),
                    run_id: &item.run,
                    stack_deadline,
                    created: &[],
                };
                async move { remove_one(&cx, item).await }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        for (item, outcome) in group.iter().zip(results) {
            each(item, &outcome);
            outcomes.push(outcome);
        }
    }
    outcomes
}

async fn remove_one(cx: &TeardownCx<'_>, item: &Found) -> Outcome {
    match item.resource.ownership(cx).await {
        Ownership::Ours => {}
        Ownership::Gone => return Outcome::AlreadyGone,
        Ownership::NotOurs(reason) | Ownership::Unknown(reason) => {
            return Outcome::Left(reason);
        }
    }
    if let ResourceRef::S3Bucket(bucket) = &item.resource
        && let Err(error) = discover::empty_bucket(&cx.s3, &bucket.name).await
    {
        return Outcome::Left(error);
    }
    match item.resource.delete(cx).await {
        Ok(Removal::Deleted) => Outcome::Deleted,
        Ok(Removal::AlreadyGone) => Outcome::AlreadyGone,
        Ok(Removal::NothingToUndo(reason) | Removal::NotOurs(reason)) | Err(reason) => {
            Outcome::Left(reason)
        }
    }
}
