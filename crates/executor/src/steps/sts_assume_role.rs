//! `sts.assume_role`: `AssumeRole` as an identity (retried while the trust or the
//! caller's policy propagates), with session tags, a source identity and the current
//! code of an `mfa:` device when the step gives them; the session is the step's
//! credentials.

use awslab_planner::kinds::StsAssumeRole;

use aws_sdk_sts::types::Tag;

use super::sts_credentials::{MfaCodes, keep, policy_arns, seconds, settled};
use crate::context::StepCx;
use crate::error::StepError;

crate::step_outputs! {
    Outputs { arn: String, assumed_role_id: String, access_key_id: String, expiration: String }
}

pub async fn run(spec: &StsAssumeRole, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let sts = cx.accepted_clients_of(spec.identity.as_ref()).await?.sts();
    let role_arn = cx.render(&spec.role_arn.value)?;
    let session = cx.render(&spec.session_name.value)?;
    let external_id = cx.render_opt(spec.external_id.as_ref())?;
    let policy = spec
        .policy
        .as_ref()
        .map(|p| cx.render_document(p))
        .transpose()?;
    let arns = policy_arns(cx, &spec.policy_arns)?;
    let source_identity = cx.render_opt(spec.source_identity.as_ref())?;
    let tags = session_tags(cx, spec)?;
    let transitive: Option<Vec<String>> = (!spec.transitive_tag_keys.is_empty()).then(|| {
        spec.transitive_tag_keys
            .iter()
            .map(|key| key.value.clone())
            .collect()
    });
    let mut mfa = MfaCodes::of(cx, spec.mfa.as_ref()).await?;
    let answer = settled(cx, "AssumeRole", || {
        let (serial, code) = mfa.next().unzip();
        sts.assume_role()
            .role_arn(&role_arn)
            .role_session_name(&session)
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .set_external_id(external_id.clone())
            .set_policy(policy.clone())
            .set_policy_arns(arns.clone())
            .set_source_identity(source_identity.clone())
            .set_tags(tags.clone())
            .set_transitive_tag_keys(transitive.clone())
            .set_serial_number(serial)
            .set_token_code(code)
            .send()
    })
    .await?;
    let user = answer.assumed_role_user();
    let (access_key_id, expiration) = keep(cx, answer.credentials()).await?;
    Ok(Outputs {
        arn: user.map(|u| u.arn().to_owned()).unwrap_or_default(),
        assumed_role_id: user
            .map(|u| u.assumed_role_id().to_owned())
            .unwrap_or_default(),
        access_key_id,
        expiration,
    })
}

/// The step's session tags, rendered, for `Tags`.
fn session_tags(cx: &StepCx<'_>, spec: &StsAssumeRole) -> Result<Option<Vec<Tag>>, StepError> {
    if spec.tags.is_empty() {
        return Ok(None);
    }
    spec.tags
        .iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(cx.render(&value.value)?)
                .build()
                .map_err(|e| StepError::Local(e.to_string()))
        })
        .collect::<Result<Vec<_>, StepError>>()
        .map(Some)
}
