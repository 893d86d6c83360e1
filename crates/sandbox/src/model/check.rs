//! What an operation asks of authorization: one [`Check`] per action (the action, the
//! resource ARN, its account, the resource-based policy that applies, and the
//! operation's own condition keys). `auth` decides each; nothing else decides access.

use awslab_policy::ContextValue;

/// One authorization an operation needs before it runs.
#[derive(Debug, Clone, Default)]
pub struct Check {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The account owning the resource, when not the caller's.
    pub resource_account: Option<String>,
    /// The resource-based policy that applies.
    pub resource_policy: ResourcePolicy,
    /// Operation-specific condition keys (`s3:prefix`, `sts:ExternalId`...).
    pub context: Vec<(String, ContextValue)>,
    /// The principal to authorize instead of the signer (a web identity presenting
    /// its token to `AssumeRoleWithWebIdentity`).
    pub acting_as: Option<awslab_policy::Principal>,
}

impl Check {
    pub fn new(action: &str, resource: impl Into<String>) -> Self {
        Self {
            action: action.to_owned(),
            resource: resource.into(),
            ..Self::default()
        }
    }

    #[must_use]
    pub fn key(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.context.push((key.to_owned(), value.into()));
        self
    }
}

/// Which resource-based policy a check is evaluated with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ResourcePolicy {
    #[default]
    None,
    /// The bucket's policy.
    Bucket(String),
    /// A role's trust policy (account, lowercased role name).
    Trust { account: String, role: String },
}
