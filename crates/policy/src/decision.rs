//! The result of an evaluation and its explanation, in AWS's vocabulary: the verdict
//! (`allowed`, `explicitDeny`, `implicitDeny`), the statements that matched, and the
//! reason, from which the AWS-style `AccessDenied` message is written.

use serde::{Deserialize, Serialize};

use crate::document::Effect;
use crate::principal::PrincipalMatch;
use crate::request::Request;
use crate::service_rules::ServiceRule;

/// The final decision, named as `iam simulate-custom-policy` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Verdict {
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::ExplicitDeny => "explicitDeny",
            Self::ImplicitDeny => "implicitDeny",
        }
    }
}

/// The type of policy a statement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyType {
    Identity,
    Resource,
    Boundary,
    Session,
}

impl PolicyType {
    /// AWS's name: `identity-based policy`, `resource-based policy`, `permissions
    /// boundary`, `session policy`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Identity => "identity-based policy",
            Self::Resource => "resource-based policy",
            Self::Boundary => "permissions boundary",
            Self::Session => "session policy",
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            Self::Identity => "an identity-based policy",
            Self::Resource => "a resource-based policy",
            Self::Boundary => "a permissions boundary",
            Self::Session => "a session policy",
        }
    }
}

/// A statement that applied to the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchedStatement {
    /// The label the caller gave the policy (a file name, a policy ARN...).
    pub policy: String,
    pub policy_type: PolicyType,
    /// The statement's index in the document, from 0.
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    /// For resource-based and trust policies, how `Principal` matched the caller.
    pub principal_match: Option<PrincipalMatch>,
}

/// What granted the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Grant {
    /// Identity-based policies (within any boundary and session policies).
    Identity,
    /// A resource-based policy naming the caller, on its own.
    Resource,
    /// Both: a cross-account request, or a trust policy with identity permissions.
    IdentityAndResource,
    /// The account root user in its own account.
    Root,
}

/// Why the decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reason {
    Allowed(Grant),
    /// A `Deny` statement of this type of policy matched.
    ExplicitDeny(PolicyType),
    /// No statement of this type of policy allowed the action.
    NoAllow(PolicyType),
    /// A rule of the service decided, whatever the policies say (see
    /// [`ServiceRule::allows`]).
    ServiceRule(ServiceRule),
}

/// An evaluation's verdict with the statements that applied; cheap to build and
/// serializable. The full per-statement explanation is built on demand by
/// `explain` (the module above this one), from the same inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub verdict: Verdict,
    pub reason: Reason,
    /// Every statement that applied, in evaluation order.
    pub matched: Vec<MatchedStatement>,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }

    /// The reason as a clause, e.g. `because no identity-based policy allows the
    /// s3:ListBucket action` or `with an explicit deny in a resource-based policy`.
    pub fn reason_clause(&self, action: &str) -> String {
        match self.reason {
            Reason::ExplicitDeny(policy_type) => {
                format!("with an explicit deny in {}", policy_type.with_article())
            }
            Reason::NoAllow(policy_type) => format!(
                "because no {} allows the {action} action",
                policy_type.label()
            ),
            Reason::Allowed(Grant::Identity) => "allowed by an identity-based policy".to_owned(),
            Reason::Allowed(Grant::Resource) => "allowed by a resource-based policy".to_owned(),
            Reason::Allowed(Grant::IdentityAndResource) => {
                "allowed by both an identity-based and a resource-based policy".to_owned()
            }
            Reason::Allowed(Grant::Root) => {
                "allowed: the root user has full access to its account".to_owned()
            }
            Reason::ServiceRule(rule) if rule.allows() => {
                format!("allowed by a service rule: {}", rule.describe())
            }
            Reason::ServiceRule(rule) => format!("because {}", rule.describe()),
        }
    }

    /// AWS's `AccessDenied` message for a denied request, `None` when allowed:
    /// `User: arn:aws:iam::123456789012:user/bob is not authorized to perform:
    /// s3:ListBucket on resource: arn:aws:s3:::bucket because no identity-based
    /// policy allows the s3:ListBucket action`.
    pub fn access_denied_message(&self, request: &Request) -> Option<String> {
        if self.is_allowed() {
            return None;
        }
        // Actions without resource-level permissions name no resource; S3 authorizes
        // `s3:ListAllMyBuckets` against every bucket, `arn:aws:s3:::*`.
        let resource = if matches!(request.resource.as_str(), "" | "*" | "arn:aws:s3:::*") {
            String::new()
        } else {
            format!(" on resource: {}", request.resource)
        };
        Some(format!(
            "User: {} is not authorized to perform: {}{resource} {}",
            request.principal.arn,
            request.action,
            self.reason_clause(&request.action)
        ))
    }
}
