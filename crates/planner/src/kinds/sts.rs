//! STS step kinds: each asks STS for temporary credentials, and so is an identity that
//! later steps can act as.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::values::{Document, Duration, IdentityName, Text};
use crate::yaml::Sp;

/// `sts.assume_role`: temporary credentials for a role.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsAssumeRole {
    /// Who assumes the role: `operator` (default) or a step that produced credentials.
    #[serde(rename = "as")]
    pub identity: Option<IdentityName>,
    pub role_arn: Text,
    /// 2..64 of letters, digits and `+=,.@_-`; shown in the assumed-role ARN.
    pub session_name: Text,
    /// 15m..12h and at most the role's maximum session duration; 1h at most when the
    /// caller's own credentials are temporary (role chaining). 1h by default.
    pub duration: Option<Sp<Duration>>,
    /// 2..1224 characters; required by trust policies that check `sts:ExternalId`.
    pub external_id: Option<Text>,
    /// A session policy: the session may do only what both it and the role allow.
    pub policy: Option<Document>,
    /// ARNs of managed policies used as session policies.
    #[serde(default)]
    pub policy_arns: Vec<Text>,
    /// An `iam.virtual_mfa_device` step of the calling user: awslab sends the device's
    /// serial number and its current code, so the session has
    /// `aws:MultiFactorAuthPresent`.
    pub mfa: Option<IdentityName>,
    /// Session tags (at most 50; keys 1..128, values 0..256 characters): the session's
    /// `aws:PrincipalTag/KEY`, over the role's own tags of the same key. The role's trust
    /// policy must allow `sts:TagSession`.
    #[serde(default)]
    pub tags: IndexMap<String, Text>,
    /// Keys of `tags` that pass on to sessions this one starts (role chaining).
    #[serde(default)]
    pub transitive_tag_keys: Vec<Text>,
    /// The source identity (2..64 of letters, digits and `+=,.@_-`, not starting with
    /// `aws:`): kept by every session chained from this one, `aws:SourceIdentity` in
    /// their requests. The role's trust policy must allow `sts:SetSourceIdentity`.
    pub source_identity: Option<Text>,
}

/// `sts.get_session_token`: temporary credentials for the calling IAM user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsGetSessionToken {
    /// An IAM user's long-term credentials: `operator` or an `iam.user`/`iam.access_key` step.
    #[serde(rename = "as")]
    pub identity: Option<IdentityName>,
    /// 15m..36h; 12h by default.
    pub duration: Option<Sp<Duration>>,
    /// An `iam.virtual_mfa_device` step of the same user: the session then has
    /// `aws:MultiFactorAuthPresent` (and may call IAM).
    pub mfa: Option<IdentityName>,
}

/// `sts.get_federation_token`: temporary credentials for a federated user, limited by
/// a session policy (without one they have no permissions).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsGetFederationToken {
    #[serde(rename = "as")]
    pub identity: Option<IdentityName>,
    /// The federated user's name: 2..32 of letters, digits and `+=,.@_-`.
    pub name: Text,
    /// 15m..36h; 12h by default.
    pub duration: Option<Sp<Duration>>,
    pub policy: Option<Document>,
    #[serde(default)]
    pub policy_arns: Vec<Text>,
}

/// `sts.assume_role_with_web_identity`: temporary credentials for a role, given a
/// token from an `OpenID` Connect provider. The call is not signed, so it has no `as`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsAssumeRoleWithWebIdentity {
    pub role_arn: Text,
    pub session_name: Text,
    /// The OIDC token, or `token_file`.
    pub token: Option<Text>,
    /// A file holding the token, relative to the plan.
    pub token_file: Option<Text>,
    /// Only on the sandbox: a token its own issuer (`https://oidc.awslab.localhost`)
    /// mints for this subject and audience, so a web identity lab runs unattended.
    pub sandbox_token: Option<SandboxToken>,
    /// For OAuth 2.0 providers such as `www.amazon.com` and `graph.facebook.com`.
    pub provider_id: Option<Text>,
    pub duration: Option<Sp<Duration>>,
    pub policy: Option<Document>,
}

/// A web identity token the sandbox's issuer mints when the step runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxToken {
    /// The token's `sub` claim (who signed in), 1..255 characters.
    pub subject: Text,
    /// The token's `aud` claim: a client id of the `iam.oidc_provider`.
    pub audience: Text,
}

/// `sts.assume_role_with_saml`: temporary credentials for a role, given a SAML response
/// signed by an identity provider that an `iam.saml_provider` registers. The call is not
/// signed, so it has no `as`; the session's name is the response's `RoleSessionName`
/// attribute.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StsAssumeRoleWithSaml {
    pub role_arn: Text,
    /// The IAM SAML provider's ARN (`PrincipalArn`), usually `${STEP.arn}` of an
    /// `iam.saml_provider` step.
    pub provider_arn: Text,
    /// The base64 SAML response, or `assertion_file`, or `sandbox_assertion`.
    pub assertion: Option<Text>,
    /// A file holding the base64 SAML response, relative to the plan.
    pub assertion_file: Option<Text>,
    /// Only on the sandbox: a response its own SAML identity provider
    /// (`https://saml.awslab.localhost`) signs when the step runs, offering this step's
    /// role and provider, so a SAML lab runs unattended.
    pub sandbox_assertion: Option<SandboxAssertion>,
    pub duration: Option<Sp<Duration>>,
    pub policy: Option<Document>,
}

/// A SAML response the sandbox's identity provider signs when the step runs.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxAssertion {
    /// Who signed in: the response's `NameID` (`saml:sub`).
    pub subject: Text,
    /// The `RoleSessionName` attribute (2..64 of letters, digits and `+=,.@_-`): the
    /// session's name in its ARN. The subject by default.
    pub session_name: Option<Text>,
}
