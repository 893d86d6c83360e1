//! What the four STS kinds share: calling STS while a new policy or key propagates,
//! and keeping the temporary credentials an answer carries (secrets store only; the
//! outputs carry the key id and expiry, never the secret parts).

use std::future::Future;

use aws_sdk_sts::types::{Credentials, PolicyDescriptorType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use awslab_planner::values::{Duration, Text};
use awslab_planner::yaml::Sp;

use crate::classify::ErrorClass;
use crate::context::StepCx;
use crate::error::StepError;
use crate::secrets::{Secret, StepCredentials};

pub(super) fn seconds(duration: Option<&Sp<Duration>>) -> Option<i32> {
    duration.map(|d| i32::try_from(d.value.seconds()).unwrap_or(i32::MAX))
}

pub(super) fn policy_arns(
    cx: &StepCx<'_>,
    arns: &[Text],
) -> Result<Option<Vec<PolicyDescriptorType>>, StepError> {
    if arns.is_empty() {
        return Ok(None);
    }
    arns.iter()
        .map(|a| {
            Ok(PolicyDescriptorType::builder()
                .arn(cx.render(&a.value)?)
                .build())
        })
        .collect::<Result<Vec<_>, StepError>>()
        .map(Some)
}

/// The codes of a step's `mfa:` device, one per attempt: the first waits for a code
/// not sent yet (on a real account, see [`crate::totp`]); a retry (while a policy
/// propagates) sends the code of its own moment, so that a long wait never resends a
/// code that has expired.
pub(super) struct MfaCodes {
    seed: Option<crate::secrets::MfaSeed>,
    first: Option<String>,
}

impl MfaCodes {
    pub(super) async fn of(
        cx: &StepCx<'_>,
        device: Option<&awslab_planner::values::IdentityName>,
    ) -> Result<Self, StepError> {
        let Some(device) = device else {
            return Ok(Self {
                seed: None,
                first: None,
            });
        };
        let seed = cx.mfa_seed(&device.value).ok_or_else(|| {
            StepError::Local(format!(
                "step `{}` keeps no MFA seed (did it run?)",
                device.value
            ))
        })?;
        let first =
            crate::totp::fresh_code(cx, &seed.serial_number, seed.base32_seed.expose()).await?;
        Ok(Self {
            seed: Some(seed),
            first: Some(first),
        })
    }

    /// `(serial number, code)` for the next attempt, if the step names a device.
    pub(super) fn next(&mut self) -> Option<(String, String)> {
        let seed = self.seed.as_ref()?;
        let code = match self.first.take() {
            Some(code) => code,
            None => {
                crate::totp::current_code(&seed.serial_number, seed.base32_seed.expose()).ok()?
            }
        };
        Some((seed.serial_number.clone(), code))
    }
}

/// Whether an STS error is worth retrying while a new policy or credential
/// propagates; anything else fails the step at once.
pub fn worth_retrying(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::Denied | ErrorClass::Propagating | ErrorClass::Retryable
    )
}

/// Calls `call` until it succeeds, retrying denials while IAM propagates a policy
/// that was just put (`AccessDenied`) and credentials that are new.
pub(super) async fn settled<T, E, F, Fut>(
    cx: &StepCx<'_>,
    what: &str,
    mut call: F,
) -> Result<T, StepError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    cx.settle(what, || {
        let future = call();
        async {
            match future.await {
                Ok(value) => Ok(Ok(value)),
                Err(error) => {
                    let error = StepError::aws(what, &error);
                    match error.class() {
                        Some(class) if worth_retrying(class) && cx.may_still_change(class) => {
                            Ok(Err(format!("answered {error}")))
                        }
                        _ => Err(error),
                    }
                }
            }
        }
    })
    .await
}

/// The credentials of an STS answer, for the secrets store.
pub fn step_credentials(credentials: &Credentials) -> StepCredentials {
    StepCredentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: Secret::new(credentials.secret_access_key()),
        session_token: Some(Secret::new(credentials.session_token())),
        expiration: Some(credentials.expiration().to_string()),
    }
}

/// Stores the answer's credentials, notes their expiry and waits until STS accepts
/// them; returns `(access_key_id, expiration)` for the outputs.
pub(super) async fn keep(
    cx: &StepCx<'_>,
    credentials: Option<&Credentials>,
) -> Result<(String, String), StepError> {
    let credentials = credentials.ok_or("STS answered without credentials")?;
    let expiration = credentials.expiration().to_string();
    cx.store_credentials(step_credentials(credentials))?;
    cx.note(|n| n.expires = Some(expiration.clone()));
    cx.await_credentials().await?;
    Ok((credentials.access_key_id().to_owned(), expiration))
}
