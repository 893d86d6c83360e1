//! `sts.assume_role_with_saml`: `AssumeRoleWithSAML` with a base64 SAML response
//! (inline, from a file, or signed by the sandbox's own identity provider for a named
//! subject); the call is unsigned, the response is the credential, and like the
//! credentials it is remembered as a secret so no log or report shows it.

use awslab_planner::kinds::{SandboxAssertion, StsAssumeRoleWithSaml};

use super::sts_credentials::{keep, seconds, settled};
use crate::client::SamlAssertionRequest;
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

/// How long a response the sandbox signs for a step is valid (an identity provider's usual five minutes).
const MINTED_SECONDS: i64 = 300;

/// A response from the target's own SAML identity provider, for `sandbox_assertion:`.
fn sandbox_assertion(
    cx: &StepCx<'_>,
    minted: &SandboxAssertion,
    role_arn: &str,
    provider_arn: &str,
) -> Result<String, StepError> {
    let issuer = cx.target().saml_issuer().ok_or_else(|| {
        StepError::Local(
            "`sandbox_assertion` needs the embedded sandbox (`--target sandbox`), whose SAML identity provider signs it; on another target give your identity provider's response as `assertion:` or `assertion_file:`".to_owned(),
        )
    })?;
    let request = SamlAssertionRequest {
        subject: cx.render(&minted.subject.value)?,
        session_name: cx.render_opt(minted.session_name.as_ref())?,
        role_arn: role_arn.to_owned(),
        provider_arn: provider_arn.to_owned(),
        lifetime_seconds: MINTED_SECONDS,
    };
    let response = issuer
        .mint(&request)
        .map_err(|e| StepError::Local(format!("the sandbox cannot sign a SAML response: {e}")))?;
    crate::redaction::remember(&response);
    Ok(response)
}

pub async fn run(spec: &StsAssumeRoleWithSaml, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let sts = cx.operator_clients().sts();
    let role_arn = cx.render(&spec.role_arn.value)?;
    let provider_arn = cx.render(&spec.provider_arn.value)?;
    let assertion = match (&spec.assertion, &spec.assertion_file) {
        (Some(text), _) => cx.render(&text.value)?,
        (None, Some(file)) => {
            let path = cx.base_dir().join(cx.render(&file.value)?);
            tokio::fs::read_to_string(&path)
                .await
                .map_err(|e| {
                    StepError::Local(format!(
                        "cannot read SAML assertion file `{}`: {e}",
                        path.display()
                    ))
                })?
                .trim()
                .to_owned()
        }
        (None, None) => match &spec.sandbox_assertion {
            Some(minted) => sandbox_assertion(cx, minted, &role_arn, &provider_arn)?,
            None => return Err("no SAML assertion given".into()),
        },
    };
    crate::redaction::remember(&assertion);
    let policy = spec
        .policy
        .as_ref()
        .map(|p| cx.render_document(p))
        .transpose()?;
    let duration = seconds(spec.duration.as_ref());
    let answer = settled(cx, "AssumeRoleWithSAML", || {
        sts.assume_role_with_saml()
            .role_arn(&role_arn)
            .principal_arn(&provider_arn)
            .saml_assertion(&assertion)
            .set_duration_seconds(duration)
            .set_policy(policy.clone())
            .send()
    })
    .await?;
    let user = answer.assumed_role_user();
    let mut outputs = Outputs {
        arn: user.map(|u| u.arn().to_owned()).unwrap_or_default(),
        assumed_role_id: user
            .map(|u| u.assumed_role_id().to_owned())
            .unwrap_or_default(),
        subject: answer.subject().unwrap_or_default().to_owned(),
        ..Outputs::default()
    };
    (outputs.access_key_id, outputs.expiration) = keep(cx, answer.credentials()).await?;
    Ok(outputs)
}
