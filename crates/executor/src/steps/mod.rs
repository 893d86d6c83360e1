//! The step kinds against the real AWS APIs, one module per family: each creates its
//! resources (journaled before and after every mutating call), sets the step's
//! outputs, and knows how to delete what it made (see [`crate::teardown`]).
#![expect(
    clippy::large_futures,
    reason = "SDK call futures are large; the engine boxes each step's future once"
)]

mod cfn_stack;
mod iam;
mod profile;
mod s3;
mod sts;
mod verify;

pub use cfn_stack::delete_stack;
pub use verify::Verdict;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use awslab_planner::{Step, StepId, StepKind};

use crate::classify::{ErrorClass, ErrorInfo, ErrorSource};
use crate::engine::{Engine, StepResult};
use crate::journal::ResourceRef;
use crate::scheduler::StepContext;

/// Runs one step.
pub async fn run(engine: &Engine, step: &Step, context: &StepContext<StepId>) -> StepResult<()> {
    match &step.kind {
        StepKind::IamUser(spec) => iam::user(engine, &step.id, spec, context).await,
        StepKind::IamAccessKey(spec) => {
            iam::access_key(engine, &step.id, &spec.user.value, context)
                .await
                .map(|_| ())
        }
        StepKind::IamUserPolicy(spec) => iam::user_policy(engine, &step.id, spec).await,
        StepKind::IamUserPolicyAttachment(spec) => {
            iam::user_policy_attachment(engine, &step.id, spec).await
        }
        StepKind::IamRole(spec) => iam::role(engine, &step.id, spec).await,
        StepKind::IamRolePolicy(spec) => {
            iam::role_policy(
                engine,
                &step.id,
                &spec.role.value,
                &spec.name.value,
                &spec.document,
            )
            .await
        }
        StepKind::IamRolePolicyAttachment(spec) => {
            iam::role_policy_attachment(engine, &step.id, &spec.role.value, &spec.policy_arn.value)
                .await
        }
        StepKind::IamPolicy(spec) => iam::managed_policy(engine, &step.id, spec).await,
        StepKind::IamTrustPolicy(spec) => iam::trust_policy(engine, &step.id, spec).await,
        StepKind::CfnStack(spec) => cfn_stack::create(engine, &step.id, spec, context).await,
        StepKind::S3Bucket(spec) => s3::bucket(engine, &step.id, spec).await,
        StepKind::S3Object(spec) => s3::object(engine, &step.id, spec).await,
        StepKind::StsAssumeRole(spec) => sts::assume_role(engine, &step.id, spec, context).await,
        StepKind::StsGetSessionToken(spec) => {
            sts::session_token(engine, &step.id, spec, context).await
        }
        StepKind::StsGetFederationToken(spec) => {
            sts::federation_token(engine, &step.id, spec, context).await
        }
        StepKind::StsAssumeRoleWithWebIdentity(spec) => {
            sts::web_identity(engine, &step.id, spec, context).await
        }
        StepKind::AwsProfile(spec) => profile::write(engine, &step.id, spec).await,
        StepKind::Verify(spec) => verify::run(engine, &step.id, spec, context).await,
    }
}

/// An SDK error's facts and a message for people.
pub fn describe<E>(what: &str, error: &SdkError<E, HttpResponse>) -> (ErrorInfo, String)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let info = ErrorInfo::from_sdk(error);
    let message = format!("{what}: {info}");
    (info, message)
}

/// Journals the intent, makes the create call, and on failure journals whether it
/// certainly created nothing. A name that exists already is an error, never adopted.
pub async fn create<T, E, Fut>(
    engine: &Engine,
    step: &StepId,
    resource: &ResourceRef,
    call: Fut,
) -> StepResult<T>
where
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    engine.intent(step, resource).await?;
    match call.await {
        Ok(value) => Ok(value),
        Err(error) => {
            let (info, message) = describe(&format!("cannot create {}", resource.label()), &error);
            if info.source == ErrorSource::Service {
                engine.create_failed(step, resource, &message).await?;
            }
            if info.class() == ErrorClass::AlreadyExists && engine.may_have_created(resource) {
                return Err(format!(
                    "{} already exists: this run may have created it before it was interrupted. Run `awslab down {}` (it deletes it only if it carries this run's tag), then `awslab up` again",
                    resource.label(),
                    engine.options.run_id
                ));
            }
            if info.class() == ErrorClass::AlreadyExists {
                return Err(format!(
                    "{} already exists and this run did not create it; awslab never adopts or deletes it. Choose another name (`${{run.id}}` keeps names unique)",
                    resource.label()
                ));
            }
            Err(message)
        }
    }
}

/// Done, unless the call failed with anything but "not found" (teardown counts a
/// resource that is already gone as deleted).
pub fn unless_not_found<E>(
    what: &str,
    result: Result<impl Sized, SdkError<E, HttpResponse>>,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(error) => {
            let (info, message) = describe(what, &error);
            if info.class() == ErrorClass::NotFound {
                Ok(())
            } else {
                Err(message)
            }
        }
    }
}

fn outputs<const N: usize>(pairs: [(&str, String); N]) -> indexmap::IndexMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
