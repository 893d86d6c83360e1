//! The resources a run can create, as the journal names them: one [`ResourceRef`]
//! variant per kind of thing teardown must delete, each with a stable human label
//! (`iam user sts-lab-user`) for logs, reports and receipts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::profile_files::ProfileReceipt;

/// A resource a run created (or may have created), with what teardown needs to
/// delete it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResourceRef {
    IamUser {
        name: String,
    },
    /// `access_key_id` is empty in an intent: AWS assigns it.
    IamAccessKey {
        user: String,
        access_key_id: String,
    },
    IamUserPolicy {
        user: String,
        policy_name: String,
    },
    IamUserPolicyAttachment {
        user: String,
        policy_arn: String,
    },
    IamRole {
        name: String,
    },
    IamRolePolicy {
        role: String,
        policy_name: String,
    },
    IamRolePolicyAttachment {
        role: String,
        policy_arn: String,
    },
    /// `arn` is known before creation (account id, path and name).
    IamPolicy {
        arn: String,
    },
    /// A trust policy the run replaced; teardown puts `previous_document` back.
    IamRoleTrustPolicy {
        role: String,
        previous_document: String,
    },
    /// `stack_id` is `None` in an intent: `CloudFormation` assigns it.
    CfnStack {
        name: String,
        stack_id: Option<String>,
    },
    S3Bucket {
        name: String,
    },
    S3Object {
        bucket: String,
        key: String,
    },
    AwsProfile {
        receipt: ProfileReceipt,
    },
}

impl ResourceRef {
    /// Stable label for logs, reports and receipts, such as `iam user sts-lab-user`.
    pub fn label(&self) -> String {
        match self {
            Self::IamUser { name } => format!("iam user {name}"),
            Self::IamAccessKey {
                user,
                access_key_id,
            } if access_key_id.is_empty() => {
                format!("iam access key of user {user}")
            }
            Self::IamAccessKey {
                user,
                access_key_id,
            } => format!("iam access key {access_key_id} of user {user}"),
            Self::IamUserPolicy { user, policy_name } => {
                format!("iam user policy {policy_name} of user {user}")
            }
            Self::IamUserPolicyAttachment { user, policy_arn } => {
                format!("iam policy attachment {policy_arn} to user {user}")
            }
            Self::IamRole { name } => format!("iam role {name}"),
            Self::IamRolePolicy { role, policy_name } => {
                format!("iam role policy {policy_name} of role {role}")
            }
            Self::IamRolePolicyAttachment { role, policy_arn } => {
                format!("iam policy attachment {policy_arn} to role {role}")
            }
            Self::IamPolicy { arn } => format!("iam policy {arn}"),
            Self::IamRoleTrustPolicy { role, .. } => format!("iam trust policy of role {role}"),
            Self::CfnStack { name, .. } => format!("cloudformation stack {name}"),
            Self::S3Bucket { name } => format!("s3 bucket {name}"),
            Self::S3Object { bucket, key } => format!("s3 object s3://{bucket}/{key}"),
            Self::AwsProfile { receipt } => format!("aws profile {}", receipt.profile),
        }
    }

    /// Whether `self` (from a result or a delete record) is the resource an intent
    /// announced: equal, except for the identifiers AWS assigns during creation (an
    /// access key id, a stack id) and the byte-level details of a profile receipt.
    pub fn fulfils(&self, intent: &Self) -> bool {
        match (self, intent) {
            (
                Self::IamAccessKey {
                    user,
                    access_key_id,
                },
                Self::IamAccessKey {
                    user: intent_user,
                    access_key_id: intent_id,
                },
            ) => user == intent_user && (intent_id.is_empty() || access_key_id == intent_id),
            (
                Self::CfnStack { name, stack_id },
                Self::CfnStack {
                    name: intent_name,
                    stack_id: intent_id,
                },
            ) => name == intent_name && (intent_id.is_none() || stack_id == intent_id),
            (
                Self::AwsProfile { receipt },
                Self::AwsProfile {
                    receipt: intent_receipt,
                },
            ) => receipt.profile == intent_receipt.profile,
            _ => self == intent,
        }
    }
}

impl fmt::Display for ResourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}
