//! The step kinds: one enum, [`StepKind`], whose variants each hold the fields of one
//! kind, with a stable [`StepKind::label`] (`iam.user`, `sts.assume_role`, ...) used in
//! plans, logs, graphs and errors, and what each kind outputs and whether it yields
//! credentials.

mod iam;
mod local;
mod resources;
mod sts;

pub use iam::IamVirtualMfaDevice;
pub use iam::{
    IamAccessKey, IamGroup, IamGroupMembership, IamGroupPolicy, IamOidcProvider, IamPolicy,
    IamRole, IamRolePolicy, IamRolePolicyAttachment, IamSamlProvider, IamTrustPolicy, IamUser,
    IamUserPolicy, IamUserPolicyAttachment,
};
pub use local::{AwsProfile, Verify};
pub use resources::{Capability, CfnStack, S3Bucket, S3Object};
pub use sts::{SandboxAssertion, StsAssumeRoleWithSaml};
pub use sts::{
    SandboxToken, StsAssumeRole, StsAssumeRoleWithWebIdentity, StsGetFederationToken,
    StsGetSessionToken,
};

use schemars::{JsonSchema, SchemaGenerator};

use crate::values::IdentityName;
use crate::yaml::{DeError, Node, from_node_keeping};

/// What kind of credentials a step produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// An IAM user's long-term access key.
    UserKey,
    /// Temporary credentials of an assumed role (`AssumeRole`, web identity).
    AssumedRole,
    /// Temporary credentials of the same user (`GetSessionToken`).
    Session,
    /// Temporary credentials of a federated user (`GetFederationToken`).
    Federated,
}

impl Credentials {
    pub fn is_temporary(self) -> bool {
        !matches!(self, Credentials::UserKey)
    }
}

macro_rules! step_kinds {
    ($( $variant:ident($ty:ty) = $label:literal, outputs: [$($out:literal),*]; )*) => {
        /// One step's kind and fields.
        #[derive(Debug, Clone)]
        pub enum StepKind {
            $( #[doc = concat!("`", $label, "`")] $variant($ty), )*
        }

        impl StepKind {
            /// Every kind's label, in documentation order.
            pub const LABELS: &'static [&'static str] = &[$($label),*];

            /// The kind's stable name, as written in plans.
            pub fn label(&self) -> &'static str {
                match self { $( StepKind::$variant(_) => $label, )* }
            }

            /// The output fields other steps may reference as `${STEP.FIELD}`.
            pub fn outputs(&self) -> &'static [&'static str] {
                match self { $( StepKind::$variant(_) => &[$($out),*], )* }
            }

            /// The output fields of the kind called `label`.
            pub fn outputs_of(label: &str) -> Option<&'static [&'static str]> {
                match label { $( $label => Some(&[$($out),*]), )* _ => None }
            }

            /// Reads the kind called `label` from `node`; `None` if no kind has that label.
            /// Errors come with the kind when they are only unknown keys (which were
            /// skipped), so the rest of the step is still checked.
            pub fn from_node(label: &str, node: &Node) -> Option<(Option<StepKind>, Vec<DeError>)> {
                match label {
                    $( $label => {
                        let (kind, errors) = from_node_keeping::<$ty>(node);
                        Some((kind.map(StepKind::$variant), errors))
                    } )*
                    _ => None,
                }
            }

            /// `(label, schema)` of every kind, for the plan's JSON Schema.
            pub fn schemas(generator: &mut SchemaGenerator) -> Vec<(&'static str, schemars::Schema)> {
                vec![$( ($label, <$ty as JsonSchema>::json_schema(generator)), )*]
            }
        }
    };
}

step_kinds! {
    IamUser(IamUser) = "iam.user", outputs: ["name", "arn", "user_id", "access_key_id"];
    IamAccessKey(IamAccessKey) = "iam.access_key", outputs: ["user", "access_key_id"];
    IamUserPolicy(IamUserPolicy) = "iam.user_policy", outputs: ["user", "name"];
    IamUserPolicyAttachment(IamUserPolicyAttachment) = "iam.user_policy_attachment", outputs: ["user", "policy_arn"];
    IamGroup(IamGroup) = "iam.group", outputs: ["name", "arn", "group_id"];
    IamGroupPolicy(IamGroupPolicy) = "iam.group_policy", outputs: ["group", "name"];
    IamGroupMembership(IamGroupMembership) = "iam.group_membership", outputs: ["group", "user"];
    IamRole(IamRole) = "iam.role", outputs: ["name", "arn", "role_id"];
    IamRolePolicy(IamRolePolicy) = "iam.role_policy", outputs: ["role", "name"];
    IamRolePolicyAttachment(IamRolePolicyAttachment) = "iam.role_policy_attachment", outputs: ["role", "policy_arn"];
    IamPolicy(IamPolicy) = "iam.policy", outputs: ["name", "arn"];
    IamTrustPolicy(IamTrustPolicy) = "iam.trust_policy", outputs: ["role"];
    IamOidcProvider(IamOidcProvider) = "iam.oidc_provider", outputs: ["arn", "url"];
    IamSamlProvider(IamSamlProvider) = "iam.saml_provider", outputs: ["name", "arn"];
    IamVirtualMfaDevice(IamVirtualMfaDevice) = "iam.virtual_mfa_device", outputs: ["serial_number", "user"];
    CfnStack(CfnStack) = "cfn.stack", outputs: ["name", "id", "outputs"];
    S3Bucket(S3Bucket) = "s3.bucket", outputs: ["name", "arn"];
    S3Object(S3Object) = "s3.object", outputs: ["bucket", "key", "etag"];
    StsAssumeRole(StsAssumeRole) = "sts.assume_role", outputs: ["arn", "assumed_role_id", "access_key_id", "expiration"];
    StsGetSessionToken(StsGetSessionToken) = "sts.get_session_token", outputs: ["access_key_id", "expiration"];
    StsGetFederationToken(StsGetFederationToken) = "sts.get_federation_token", outputs: ["arn", "federated_user_id", "access_key_id", "expiration"];
    StsAssumeRoleWithWebIdentity(StsAssumeRoleWithWebIdentity) = "sts.assume_role_with_web_identity", outputs: ["arn", "assumed_role_id", "access_key_id", "expiration", "subject"];
    StsAssumeRoleWithSaml(StsAssumeRoleWithSaml) = "sts.assume_role_with_saml", outputs: ["arn", "assumed_role_id", "access_key_id", "expiration", "subject"];
    AwsProfile(AwsProfile) = "aws.profile", outputs: ["name"];
    Verify(Verify) = "verify", outputs: [];
}

impl StepKind {
    /// The credentials this step produces, if it is an identity.
    pub fn credentials(&self) -> Option<Credentials> {
        match self {
            StepKind::IamUser(user) if user.access_key => Some(Credentials::UserKey),
            StepKind::IamAccessKey(_) => Some(Credentials::UserKey),
            StepKind::StsAssumeRole(_)
            | StepKind::StsAssumeRoleWithWebIdentity(_)
            | StepKind::StsAssumeRoleWithSaml(_) => Some(Credentials::AssumedRole),
            StepKind::StsGetSessionToken(_) => Some(Credentials::Session),
            StepKind::StsGetFederationToken(_) => Some(Credentials::Federated),
            _ => None,
        }
    }

    /// The identity the step acts as (`as:`), if the kind has one.
    pub fn caller(&self) -> Option<&IdentityName> {
        match self {
            StepKind::StsAssumeRole(s) => s.identity.as_ref(),
            StepKind::StsGetSessionToken(s) => s.identity.as_ref(),
            StepKind::StsGetFederationToken(s) => s.identity.as_ref(),
            StepKind::S3Object(s) => s.identity.as_ref(),
            StepKind::Verify(s) => s.identity.as_ref(),
            _ => None,
        }
    }

    /// Identities the step names besides its caller (`aws.profile`'s `credentials`).
    pub fn credentials_source(&self) -> Option<&IdentityName> {
        match self {
            StepKind::AwsProfile(p) => Some(&p.credentials),
            _ => None,
        }
    }

    /// The `iam.virtual_mfa_device` step whose current code the step sends (`mfa:`).
    pub fn mfa_device(&self) -> Option<&IdentityName> {
        match self {
            StepKind::StsAssumeRole(s) => s.mfa.as_ref(),
            StepKind::StsGetSessionToken(s) => s.mfa.as_ref(),
            _ => None,
        }
    }

    /// True for kinds whose output includes `outputs.NAME` for any name.
    pub fn has_open_outputs(&self) -> bool {
        matches!(self, StepKind::CfnStack(_))
    }

    /// True when the step creates or changes something that teardown must undo.
    pub fn mutates(&self) -> bool {
        !matches!(
            self,
            StepKind::Verify(_)
                | StepKind::StsAssumeRole(_)
                | StepKind::StsGetSessionToken(_)
                | StepKind::StsGetFederationToken(_)
                | StepKind::StsAssumeRoleWithWebIdentity(_)
                | StepKind::StsAssumeRoleWithSaml(_)
        )
    }
}
