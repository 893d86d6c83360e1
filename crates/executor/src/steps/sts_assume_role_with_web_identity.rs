//! `sts.assume_role_with_web_identity`: `AssumeRoleWithWebIdentity` with an OIDC token
//! (inline, from a file, or minted by the sandbox's own issuer); the call is unsigned,
//! the token is the credential.

use aws_sdk_sts::operation::assume_role_with_web_identity::{
    AssumeRoleWithWebIdentityError, AssumeRoleWithWebIdentityOutput,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use awslab_planner::kinds::{SandboxToken, StsAssumeRoleWithWebIdentity};

use super::sts_credentials::{keep, seconds, settled};
use crate::context::StepCx;
use crate::error::StepError;

crate::step_outputs! {
    Outputs {
        arn: String,
        assumed_role_id: String,
        access_key_id: String,
        expiration: String,
        subject: String,
    }
}

/// The parameters of an `AssumeRoleWithWebIdentity` call, rendered.
#[derive(Debug, Clone, Default)]
pub struct WebIdentityCall {
    pub role_arn: String,
    pub session: String,
    pub token: String,
    pub provider: Option<String>,
    pub duration: Option<i32>,
    pub policy: Option<String>,
}

impl WebIdentityCall {
    /// Sends the call (unsigned: the token is the credential).
    pub async fn send(
        &self,
        sts: &aws_sdk_sts::Client,
    ) -> Result<
        AssumeRoleWithWebIdentityOutput,
        SdkError<AssumeRoleWithWebIdentityError, HttpResponse>,
    > {
        sts.assume_role_with_web_identity()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session)
            .web_identity_token(&self.token)
            .set_provider_id(self.provider.clone())
            .set_duration_seconds(self.duration)
            .set_policy(self.policy.clone())
            .send()
            .await
    }
}

/// The outputs of an answer that are known before its credentials are kept.
fn answer_outputs(answer: &AssumeRoleWithWebIdentityOutput) -> Outputs {
    let user = answer.assumed_role_user();
    Outputs {
        arn: user.map(|u| u.arn().to_owned()).unwrap_or_default(),
        assumed_role_id: user
            .map(|u| u.assumed_role_id().to_owned())
            .unwrap_or_default(),
        subject: answer
            .subject_from_web_identity_token()
            .unwrap_or_default()
            .to_owned(),
        ..Outputs::default()
    }
}

/// A token from the target's own issuer (the sandbox's), for `sandbox_token:`.
fn sandbox_token(cx: &StepCx<'_>, minted: &SandboxToken) -> Result<String, StepError> {
    let subject = cx.render(&minted.subject.value)?;
    let audience = cx.render(&minted.audience.value)?;
    let issuer = cx.target().token_issuer().ok_or_else(|| {
        StepError::Local(
            "`sandbox_token` needs the embedded sandbox (`--target sandbox`), whose issuer mints it; on another target give the provider's token as `token:` or `token_file:`".to_owned(),
        )
    })?;
    let token = issuer
        .mint(&subject, &audience, 3600)
        .map_err(|e| StepError::Local(format!("the sandbox cannot mint a token: {e}")))?;
    crate::redaction::remember(&token);
    Ok(token)
}

pub async fn run(
    spec: &StsAssumeRoleWithWebIdentity,
    cx: &StepCx<'_>,
) -> Result<Outputs, StepError> {
    let sts = cx.operator_clients().sts();
    let token = match (&spec.token, &spec.token_file) {
        (Some(token), _) => cx.render(&token.value)?,
        (None, Some(file)) => {
            let path = cx.base_dir().join(cx.render(&file.value)?);
            tokio::fs::read_to_string(&path)
                .await
                .map_err(|e| {
                    StepError::Local(format!("cannot read token file `{}`: {e}", path.display()))
                })?
                .trim()
                .to_owned()
        }
        (None, None) => match &spec.sandbox_token {
            Some(minted) => sandbox_token(cx, minted)?,
            None => return Err("no web identity token given".into()),
        },
    };
    let call = WebIdentityCall {
        role_arn: cx.render(&spec.role_arn.value)?,
        session: cx.render(&spec.session_name.value)?,
        token,
        provider: cx.render_opt(spec.provider_id.as_ref())?,
        duration: seconds(spec.duration.as_ref()),
        policy: spec
            .policy
            .as_ref()
            .map(|p| cx.render_document(p))
            .transpose()?,
    };
    let answer = settled(cx, "AssumeRoleWithWebIdentity", || call.send(&sts)).await?;
    let mut outputs = answer_outputs(&answer);
    (outputs.access_key_id, outputs.expiration) = keep(cx, answer.credentials()).await?;
    Ok(outputs)
}

#[cfg(test)]
mod tests;
