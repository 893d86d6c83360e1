//! STS step kinds: `AssumeRole`, `GetSessionToken`, `GetFederationToken` and
//! `AssumeRoleWithWebIdentity`. Each stores its temporary credentials in the run's
//! secrets store, outputs their non-secret parts, and waits until STS accepts them.

use aws_sdk_sts::types::{Credentials, PolicyDescriptorType};
use awslab_planner::StepId;
use awslab_planner::kinds::{
    StsAssumeRole, StsAssumeRoleWithWebIdentity, StsGetFederationToken, StsGetSessionToken,
};
use awslab_planner::values::{Duration, Text};
use awslab_planner::yaml::Sp;
use indexmap::IndexMap;

use super::describe;
use super::iam::wait_for_credentials;
use crate::classify::ErrorClass;
use crate::client::sts_client;
use crate::engine::{Engine, StepResult};
use crate::scheduler::StepContext;
use crate::secrets::{Secret, StepCredentials};

fn seconds(duration: Option<&Sp<Duration>>) -> Option<i32> {
    duration.map(|d| i32::try_from(d.value.seconds()).unwrap_or(i32::MAX))
}

fn policy_arns(engine: &Engine, arns: &[Text]) -> StepResult<Option<Vec<PolicyDescriptorType>>> {
    if arns.is_empty() {
        return Ok(None);
    }
    arns.iter()
        .map(|a| {
            Ok(PolicyDescriptorType::builder()
                .arn(engine.render(&a.value)?)
                .build())
        })
        .collect::<StepResult<Vec<_>>>()
        .map(Some)
}

/// Stores credentials, sets outputs (never the secret parts), notes the expiry and
/// waits until STS accepts them.
async fn keep(
    engine: &Engine,
    id: &StepId,
    credentials: Option<&Credentials>,
    mut out: IndexMap<String, String>,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let credentials = credentials.ok_or("STS answered without credentials")?;
    let expiration = credentials.expiration().to_string();
    engine.store_credentials(id, step_credentials(credentials))?;
    out.insert(
        "access_key_id".into(),
        credentials.access_key_id().to_owned(),
    );
    out.insert("expiration".into(), expiration.clone());
    engine.set_outputs(id, out);
    engine.note(id, |n| n.expires = Some(expiration));
    wait_for_credentials(engine, id, context).await
}

/// Calls `call` until it succeeds, retrying denials while IAM propagates a policy
/// that was just put (`AccessDenied`) and credentials that are new.
async fn settled<T, E, F, Fut>(
    engine: &Engine,
    id: &StepId,
    context: &StepContext<StepId>,
    what: &str,
    mut call: F,
) -> StepResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<
            Output = Result<
                T,
                aws_smithy_runtime_api::client::result::SdkError<
                    E,
                    aws_smithy_runtime_api::client::orchestrator::HttpResponse,
                >,
            >,
        >,
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    engine
        .settle(id, context, what, || {
            let future = call();
            async {
                match future.await {
                    Ok(value) => Ok(Ok(value)),
                    Err(error) => {
                        let (info, message) = describe(what, &error);
                        if worth_retrying(info.class()) {
                            Ok(Err(format!(
                                "answered {}",
                                info.code.clone().unwrap_or_default()
                            )))
                        } else {
                            Err(message)
                        }
                    }
                }
            }
        })
        .await
}

pub async fn assume_role(
    engine: &Engine,
    id: &StepId,
    spec: &StsAssumeRole,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let config = engine.identity(spec.identity.as_ref().map(|i| i.value.as_str()))?;
    let sts = sts_client(&config);
    let role_arn = engine.render(&spec.role_arn.value)?;
    let session = engine.render(&spec.session_name.value)?;
    let external_id = engine.render_opt(spec.external_id.as_ref())?;
    let policy = spec
        .policy
        .as_ref()
        .map(|p| engine.render_document(p))
        .transpose()?;
    let arns = policy_arns(engine, &spec.policy_arns)?;
    let answer = settled(engine, id, context, "AssumeRole", || {
        sts.assume_role()
            .role_arn(&role_arn)
            .role_session_name(&session)
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .set_external_id(external_id.clone())
            .set_policy(policy.clone())
            .set_policy_arns(arns.clone())
            .send()
    })
    .await?;
    let user = answer.assumed_role_user();
    let out = super::outputs([
        ("arn", user.map(|u| u.arn().to_owned()).unwrap_or_default()),
        (
            "assumed_role_id",
            user.map(|u| u.assumed_role_id().to_owned())
                .unwrap_or_default(),
        ),
    ]);
    keep(engine, id, answer.credentials(), out, context).await
}

pub async fn session_token(
    engine: &Engine,
    id: &StepId,
    spec: &StsGetSessionToken,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let config = engine.identity(spec.identity.as_ref().map(|i| i.value.as_str()))?;
    let sts = sts_client(&config);
    let answer = settled(engine, id, context, "GetSessionToken", || {
        sts.get_session_token()
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .send()
    })
    .await?;
    keep(engine, id, answer.credentials(), IndexMap::new(), context).await
}

pub async fn federation_token(
    engine: &Engine,
    id: &StepId,
    spec: &StsGetFederationToken,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let config = engine.identity(spec.identity.as_ref().map(|i| i.value.as_str()))?;
    let sts = sts_client(&config);
    let name = engine.render(&spec.name.value)?;
    let policy = spec
        .policy
        .as_ref()
        .map(|p| engine.render_document(p))
        .transpose()?;
    let arns = policy_arns(engine, &spec.policy_arns)?;
    let answer = settled(engine, id, context, "GetFederationToken", || {
        sts.get_federation_token()
            .name(&name)
            .set_duration_seconds(seconds(spec.duration.as_ref()))
            .set_policy(policy.clone())
            .set_policy_arns(arns.clone())
            .send()
    })
    .await?;
    let user = answer.federated_user();
    let out = super::outputs([
        ("arn", user.map(|u| u.arn().to_owned()).unwrap_or_default()),
        (
            "federated_user_id",
            user.map(|u| u.federated_user_id().to_owned())
                .unwrap_or_default(),
        ),
    ]);
    keep(engine, id, answer.credentials(), out, context).await
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
        aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
        aws_smithy_runtime_api::client::result::SdkError<
            aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
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

/// The step outputs of an `AssumeRoleWithWebIdentity` answer (no secrets).
pub fn web_identity_outputs(
    answer: &aws_sdk_sts::operation::assume_role_with_web_identity::AssumeRoleWithWebIdentityOutput,
) -> IndexMap<String, String> {
    let user = answer.assumed_role_user();
    super::outputs([
        ("arn", user.map(|u| u.arn().to_owned()).unwrap_or_default()),
        (
            "assumed_role_id",
            user.map(|u| u.assumed_role_id().to_owned())
                .unwrap_or_default(),
        ),
        (
            "subject",
            answer
                .subject_from_web_identity_token()
                .unwrap_or_default()
                .to_owned(),
        ),
    ])
}

pub async fn web_identity(
    engine: &Engine,
    id: &StepId,
    spec: &StsAssumeRoleWithWebIdentity,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let sts = sts_client(engine.operator());
    let token = match (&spec.token, &spec.token_file) {
        (Some(token), _) => engine.render(&token.value)?,
        (None, Some(file)) => {
            let path = engine.plan.base_dir().join(engine.render(&file.value)?);
            tokio::fs::read_to_string(&path)
                .await
                .map_err(|e| format!("cannot read token file `{}`: {e}", path.display()))?
                .trim()
                .to_owned()
        }
        (None, None) => return Err("no web identity token given".to_owned()),
    };
    let call = WebIdentityCall {
        role_arn: engine.render(&spec.role_arn.value)?,
        session: engine.render(&spec.session_name.value)?,
        token,
        provider: engine.render_opt(spec.provider_id.as_ref())?,
        duration: seconds(spec.duration.as_ref()),
        policy: spec
            .policy
            .as_ref()
            .map(|p| engine.render_document(p))
            .transpose()?,
    };
    let answer = settled(engine, id, context, "AssumeRoleWithWebIdentity", || {
        call.send(&sts)
    })
    .await?;
    keep(
        engine,
        id,
        answer.credentials(),
        web_identity_outputs(&answer),
        context,
    )
    .await
}

/// Whether an STS error is worth retrying while a new policy or credential
/// propagates; anything else fails the step at once.
pub fn worth_retrying(class: ErrorClass) -> bool {
    matches!(
        class,
        ErrorClass::Denied | ErrorClass::Propagating | ErrorClass::Retryable
    )
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

#[cfg(test)]
mod tests;
