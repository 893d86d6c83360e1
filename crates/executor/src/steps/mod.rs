//! The step kinds, one module per kind: each `run(spec, &StepCx)` creates what the
//! step makes through the narrow [`StepCx`] (journaled before and after every
//! mutating call) and returns its typed outputs. What each kind creates is deleted by
//! its resource type in [`crate::resources`]. [`run`] dispatches with an exhaustive
//! match, so a kind the planner adds without a module here does not compile.
#![expect(
    clippy::large_futures,
    reason = "SDK call futures are large; the engine boxes each step's future once"
)]

mod aws_profile;
mod cfn_stack;
mod iam_access_key;
mod iam_group;
mod iam_group_membership;
mod iam_group_policy;
mod iam_oidc_provider;
mod iam_policy;
mod iam_role;
mod iam_role_policy;
mod iam_role_policy_attachment;
mod iam_saml_provider;
mod iam_trust_policy;
mod iam_user;
mod iam_user_policy;
mod iam_user_policy_attachment;
mod iam_virtual_mfa_device;
mod s3_bucket;
mod s3_object;
mod sts_assume_role;
mod sts_assume_role_with_saml;
mod sts_assume_role_with_web_identity;
mod sts_credentials;
mod sts_get_federation_token;
mod sts_get_session_token;
mod verify;

use aws_sdk_iam::types::Tag;
use awslab_planner::{Step, StepKind};
use indexmap::IndexMap;

pub use iam_trust_policy::decode_policy;
pub use sts_assume_role_with_web_identity::WebIdentityCall;
pub use sts_credentials::{step_credentials, worth_retrying};
pub use verify::Verdict;

use crate::context::StepCx;
use crate::error::StepError;
use crate::outputs::StepOutputs;

/// Runs one step and returns its outputs as the map `${STEP.FIELD}` reads.
pub async fn run(step: &Step, cx: &StepCx<'_>) -> Result<IndexMap<String, String>, StepError> {
    Ok(match &step.kind {
        StepKind::IamUser(spec) => iam_user::run(spec, cx).await?.into_map(),
        StepKind::IamAccessKey(spec) => iam_access_key::run(spec, cx).await?.into_map(),
        StepKind::IamUserPolicy(spec) => iam_user_policy::run(spec, cx).await?.into_map(),
        StepKind::IamUserPolicyAttachment(spec) => {
            iam_user_policy_attachment::run(spec, cx).await?.into_map()
        }
        StepKind::IamGroup(spec) => iam_group::run(spec, cx).await?.into_map(),
        StepKind::IamGroupPolicy(spec) => iam_group_policy::run(spec, cx).await?.into_map(),
        StepKind::IamGroupMembership(spec) => iam_group_membership::run(spec, cx).await?.into_map(),
        StepKind::IamRole(spec) => iam_role::run(spec, cx).await?.into_map(),
        StepKind::IamRolePolicy(spec) => iam_role_policy::run(spec, cx).await?.into_map(),
        StepKind::IamRolePolicyAttachment(spec) => {
            iam_role_policy_attachment::run(spec, cx).await?.into_map()
        }
        StepKind::IamPolicy(spec) => iam_policy::run(spec, cx).await?.into_map(),
        StepKind::IamTrustPolicy(spec) => iam_trust_policy::run(spec, cx).await?.into_map(),
        StepKind::IamOidcProvider(spec) => iam_oidc_provider::run(spec, cx).await?.into_map(),
        StepKind::IamSamlProvider(spec) => iam_saml_provider::run(spec, cx).await?.into_map(),
        StepKind::CfnStack(spec) => cfn_stack::run(spec, cx).await?.into_map(),
        StepKind::S3Bucket(spec) => s3_bucket::run(spec, cx).await?.into_map(),
        StepKind::S3Object(spec) => s3_object::run(spec, cx).await?.into_map(),
        StepKind::StsAssumeRole(spec) => sts_assume_role::run(spec, cx).await?.into_map(),
        StepKind::StsGetSessionToken(spec) => {
            sts_get_session_token::run(spec, cx).await?.into_map()
        }
        StepKind::StsGetFederationToken(spec) => {
            sts_get_federation_token::run(spec, cx).await?.into_map()
        }
        StepKind::StsAssumeRoleWithWebIdentity(spec) => {
            sts_assume_role_with_web_identity::run(spec, cx)
                .await?
                .into_map()
        }
        StepKind::StsAssumeRoleWithSaml(spec) => {
            sts_assume_role_with_saml::run(spec, cx).await?.into_map()
        }
        StepKind::AwsProfile(spec) => aws_profile::run(spec, cx).await?.into_map(),
        StepKind::Verify(spec) => verify::run(spec, cx).await?.into_map(),
        StepKind::IamVirtualMfaDevice(spec) => {
            iam_virtual_mfa_device::run(spec, cx).await?.into_map()
        }
    })
}

/// The output fields of the kind labelled `label`, from its typed outputs.
pub fn output_fields(label: &str) -> Option<&'static [&'static str]> {
    Some(match label {
        "iam.user" => iam_user::Outputs::FIELDS,
        "iam.access_key" => iam_access_key::Outputs::FIELDS,
        "iam.user_policy" => iam_user_policy::Outputs::FIELDS,
        "iam.user_policy_attachment" => iam_user_policy_attachment::Outputs::FIELDS,
        "iam.group" => iam_group::Outputs::FIELDS,
        "iam.group_policy" => iam_group_policy::Outputs::FIELDS,
        "iam.group_membership" => iam_group_membership::Outputs::FIELDS,
        "iam.role" => iam_role::Outputs::FIELDS,
        "iam.role_policy" => iam_role_policy::Outputs::FIELDS,
        "iam.role_policy_attachment" => iam_role_policy_attachment::Outputs::FIELDS,
        "iam.policy" => iam_policy::Outputs::FIELDS,
        "iam.trust_policy" => iam_trust_policy::Outputs::FIELDS,
        "iam.oidc_provider" => iam_oidc_provider::Outputs::FIELDS,
        "iam.saml_provider" => iam_saml_provider::Outputs::FIELDS,
        "cfn.stack" => cfn_stack::Outputs::FIELDS,
        "s3.bucket" => s3_bucket::Outputs::FIELDS,
        "s3.object" => s3_object::Outputs::FIELDS,
        "sts.assume_role" => sts_assume_role::Outputs::FIELDS,
        "sts.get_session_token" => sts_get_session_token::Outputs::FIELDS,
        "sts.get_federation_token" => sts_get_federation_token::Outputs::FIELDS,
        "sts.assume_role_with_web_identity" => sts_assume_role_with_web_identity::Outputs::FIELDS,
        "sts.assume_role_with_saml" => sts_assume_role_with_saml::Outputs::FIELDS,
        "aws.profile" => aws_profile::Outputs::FIELDS,
        "verify" => crate::outputs::NoOutputs::FIELDS,
        "iam.virtual_mfa_device" => iam_virtual_mfa_device::Outputs::FIELDS,
        _ => return None,
    })
}

/// awslab's tags, the plan's and the step's own tags, rendered, for IAM.
fn iam_tags(
    cx: &StepCx<'_>,
    extra: &IndexMap<String, awslab_planner::values::Text>,
) -> Result<Vec<Tag>, StepError> {
    let mut own = Vec::with_capacity(extra.len());
    for (key, value) in extra {
        own.push((key.clone(), cx.render(&value.value)?));
    }
    crate::tags::with_step_tags(cx.run_tags()?, own)
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| StepError::Local(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use awslab_planner::StepKind;

    /// `${STEP.FIELD}` means the same in `validate`, a fresh run and a resumed run:
    /// the planner's declared outputs are exactly the typed outputs' fields.
    #[test]
    fn typed_outputs_match_the_planner_for_every_kind() {
        for label in StepKind::LABELS {
            let declared = StepKind::outputs_of(label).unwrap_or_default();
            let typed = super::output_fields(label)
                .unwrap_or_else(|| panic!("no typed outputs for `{label}`"));
            assert_eq!(declared, typed, "outputs of `{label}`");
        }
    }
}
