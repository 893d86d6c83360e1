//! IAM step kinds: users, access keys, policies (inline and managed) for users and
//! roles, roles with trust policies, trust-policy updates, and identity providers
//! (OIDC and SAML).

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::values::{Document, Duration, Text};
use crate::yaml::Sp;

/// `iam.user`: an IAM user, with no permissions unless policies are given elsewhere.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamUser {
    /// The user name (1..64 of letters, digits and `+=,.@_-`).
    pub name: Text,
    /// Also create an access key, making this step an identity (`as: STEP`).
    #[serde(default)]
    pub access_key: bool,
    /// The IAM path, `/` by default.
    pub path: Option<Text>,
    /// The ARN of a managed policy that caps the user's permissions (its permissions
    /// boundary), such as `${STEP.arn}` of an `iam.policy` step.
    pub permissions_boundary: Option<Text>,
    /// Tags to add besides awslab's own run tag.
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
}

/// `iam.access_key`: an access key for a user; the step is an identity.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamAccessKey {
    /// The user name, usually `${STEP.name}`.
    pub user: Text,
}

/// `iam.user_policy`: an inline policy on a user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamUserPolicy {
    pub user: Text,
    /// The policy name (1..128 of letters, digits and `+=,.@_-`).
    pub name: Text,
    pub document: Document,
}

/// `iam.user_policy_attachment`: a managed policy attached to a user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamUserPolicyAttachment {
    pub user: Text,
    /// The managed policy's ARN, e.g. `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`.
    pub policy_arn: Text,
}

/// `iam.role`: a role with its trust policy, and optionally its permissions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamRole {
    /// The role name (1..64 of letters, digits and `+=,.@_-`).
    pub name: Text,
    /// Who may assume the role (the assume-role policy document).
    pub trust_policy: Document,
    /// How long sessions may last: 1h..12h, 1h by default.
    pub max_session_duration: Option<Sp<Duration>>,
    pub description: Option<Text>,
    pub path: Option<Text>,
    /// Inline policies, by name.
    #[serde(default)]
    pub policies: IndexMap<String, Document>,
    /// ARNs of managed policies to attach.
    #[serde(default)]
    pub managed_policies: Vec<Text>,
    /// The ARN of a managed policy that caps the role's permissions (its permissions
    /// boundary), such as `${STEP.arn}` of an `iam.policy` step.
    pub permissions_boundary: Option<Text>,
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
}

/// `iam.role_policy`: an inline policy on a role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamRolePolicy {
    pub role: Text,
    pub name: Text,
    pub document: Document,
}

/// `iam.role_policy_attachment`: a managed policy attached to a role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamRolePolicyAttachment {
    pub role: Text,
    pub policy_arn: Text,
}

/// `iam.policy`: a customer managed policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamPolicy {
    pub name: Text,
    pub document: Document,
    pub description: Option<Text>,
    pub path: Option<Text>,
}

/// `iam.trust_policy`: replaces a role's trust policy (`update-assume-role-policy`).
/// Teardown puts the previous document back unless the run also created the role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamTrustPolicy {
    /// The role name, usually `${STEP.name}`.
    pub role: Text,
    pub document: Document,
}

/// `iam.group`: a group; users join it with `iam.group_membership` and inherit its
/// policies (`iam.group_policy`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGroup {
    /// The group name (1..128 of letters, digits and `+=,.@_-`).
    pub name: Text,
    /// The IAM path, `/` by default.
    pub path: Option<Text>,
}

/// `iam.group_policy`: an inline policy on a group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGroupPolicy {
    /// The group name, usually `${STEP.name}`.
    pub group: Text,
    /// The policy name (1..128 of letters, digits and `+=,.@_-`).
    pub name: Text,
    pub document: Document,
}

/// `iam.group_membership`: a user added to a group.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamGroupMembership {
    /// The group name, usually `${STEP.name}`.
    pub group: Text,
    /// The user name, usually `${STEP.name}`.
    pub user: Text,
}

/// `iam.oidc_provider`: an `OpenID` Connect identity provider that roles can trust for
/// `sts:AssumeRoleWithWebIdentity`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamOidcProvider {
    /// The issuer URL, `https://` and a host (and optionally a path), at most 255
    /// characters.
    pub url: Text,
    /// The audiences (client ids, the tokens' `aud`) tokens may be issued for: 1..100,
    /// each 1..255 characters.
    pub client_id_list: Vec<Text>,
    /// SHA-1 thumbprints of the issuer's certificate (40 hex digits each, at most 5).
    /// AWS no longer needs them for most issuers.
    #[serde(default)]
    pub thumbprints: Vec<Text>,
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
}

/// `iam.saml_provider`: a SAML 2.0 identity provider that roles can trust for
/// `sts:AssumeRoleWithSAML`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamSamlProvider {
    /// The provider name (1..128 of letters, digits and `._-`).
    pub name: Text,
    /// The identity provider's SAML metadata document (XML with an
    /// `EntityDescriptor`, 1,000 to 10,000,000 characters), or `metadata_file`.
    pub metadata: Option<Text>,
    /// A file holding the metadata document, relative to the plan.
    pub metadata_file: Option<Text>,
    /// Only on the sandbox: `true` registers the sandbox's own SAML identity provider
    /// (`https://saml.awslab.localhost`), whose metadata the sandbox gives, so that
    /// `sts.assume_role_with_saml`'s `sandbox_assertion` is trusted.
    #[serde(default)]
    pub sandbox_metadata: bool,
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
}

/// `iam.virtual_mfa_device`: a virtual MFA device, enabled for a user. awslab keeps its
/// TOTP seed as a secret (the run's secrets file only) and computes its codes (RFC 6238)
/// for `mfa:` on `sts.get_session_token` and `sts.assume_role`. Teardown deactivates
/// and deletes it by serial number.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IamVirtualMfaDevice {
    /// The device name (1..226 of letters, digits and `+=,.@_-`), unique in the account.
    pub name: Text,
    /// The user it is enabled for, usually `${STEP.name}`.
    pub user: Text,
    /// The IAM path, `/` by default.
    pub path: Option<Text>,
    /// Tags to add besides awslab's own run tag.
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
}
