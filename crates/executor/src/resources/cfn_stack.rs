//! `cloudformation stack`: its stack id is unique, so a stack is ours by id; a stack
//! whose `CreateStack` never confirmed an id is ours while it carries this run's tag.
//! Deleting waits until `DELETE_COMPLETE` (or reports `DELETE_FAILED`).

use aws_sdk_cloudformation::types::StackStatus;
use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, by_tag, unknown};
use tokio_util::sync::CancellationToken;

use crate::classify::{ErrorClass, ErrorInfo, ErrorSource, describe};
use crate::settle::{Probe, SettleError, SettlePolicy, settle};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CfnStack {
    pub name: String,
    /// `None` in an intent: `CloudFormation` assigns it.
    pub stack_id: Option<String>,
}

/// Errors of `CreateStack` that are about the request itself, so no stack was made.
const REQUEST_ERRORS: &[&str] = &[
    "ValidationError",
    "InsufficientCapabilitiesException",
    "InsufficientCapabilities",
    "LimitExceededException",
    "TokenAlreadyExistsException",
];

impl CfnStack {
    pub fn label(&self) -> String {
        format!("cloudformation stack {}", self.name)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.name == intent.name && (intent.stack_id.is_none() || self.stack_id == intent.stack_id)
    }

    /// Whether a failed `CreateStack` certainly made no stack: a denial, a stack of that
    /// name existing already, or an invalid request. Anything else (an error a
    /// resource raised, a timeout) may have left a stack behind.
    pub fn created_nothing(error: &ErrorInfo) -> bool {
        error.source == ErrorSource::Service
            && (error.class() == ErrorClass::Denied
                || error.code.as_deref() == Some("AlreadyExistsException")
                || error
                    .code
                    .as_deref()
                    .is_some_and(|code| REQUEST_ERRORS.contains(&code)))
    }

    fn target(&self) -> &str {
        self.stack_id.as_deref().unwrap_or(&self.name)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx
            .cloudformation
            .describe_stacks()
            .stack_name(self.target())
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(error) => return unknown("DescribeStacks", &error),
        };
        let Some(stack) = answer.stacks().first() else {
            return Ownership::Gone;
        };
        if stack.stack_status() == Some(&StackStatus::DeleteComplete) {
            return Ownership::Gone;
        }
        if self.stack_id.is_some() {
            return Ownership::Ours;
        }
        by_tag(
            cx,
            &stack
                .tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_owned(),
                        t.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect::<Vec<_>>(),
        )
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let cfn = &cx.cloudformation;
        let target = self.target();
        if let Err(error) = cfn.delete_stack().stack_name(target).send().await {
            let (info, message) = describe("DeleteStack", &error);
            if info.class() == ErrorClass::NotFound {
                return Ok(Removal::AlreadyGone);
            }
            return Err(message);
        }
        // Waits through `settle` (backoff with jitter, a deadline), not a loop of its own.
        let policy = SettlePolicy::for_stack(cx.stack_deadline);
        let result = settle(
            &policy,
            &CancellationToken::new(),
            || async {
                match cfn.describe_stacks().stack_name(target).send().await {
                    Ok(answer) => match answer.stacks().first() {
                        None => Probe::Done,
                        Some(stack) => match stack.stack_status() {
                            Some(StackStatus::DeleteComplete) | None => Probe::Done,
                            Some(StackStatus::DeleteFailed) => Probe::Fail(format!(
                                "stack `{}` ended DELETE_FAILED: {}",
                                self.name,
                                stack.stack_status_reason().unwrap_or("no reason given")
                            )),
                            Some(status) => Probe::Retry(status.as_str().to_owned()),
                        },
                    },
                    Err(error) => {
                        let (info, message) = describe("DescribeStacks", &error);
                        if info.class() == ErrorClass::NotFound {
                            Probe::Done
                        } else {
                            Probe::Fail(message)
                        }
                    }
                }
            },
            |_, _, _| {},
        )
        .await;
        match result {
            Ok(_) => Ok(Removal::Deleted),
            Err(SettleError::Failed { reason, .. }) => Err(reason),
            Err(SettleError::TimedOut { .. }) => Err(format!(
                "stack `{}` is still being deleted after {:?}; raise --stack-timeout",
                self.name, cx.stack_deadline
            )),
            Err(error) => Err(format!("stack `{}`: {error}", self.name)),
        }
    }
}
