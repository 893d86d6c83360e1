//! STS requests and answers with aws-smithy-mocks: moto cannot serve
//! `AssumeRoleWithWebIdentity` (it answers 500) and its session and federation tokens
//! do not work, so these kinds' request building, answer mapping and error handling
//! are tested against scripted SDK responses (errors carry the metadata the SDK
//! parses from a real answer).

use aws_sdk_sts::operation::assume_role_with_web_identity::{
    AssumeRoleWithWebIdentityError, AssumeRoleWithWebIdentityOutput,
};
use aws_sdk_sts::types::{AssumedRoleUser, Credentials};
use aws_smithy_mocks::{mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;

use super::super::sts_credentials::{step_credentials, worth_retrying};
use super::{WebIdentityCall, answer_outputs};
use crate::classify::{ErrorClass, ErrorInfo};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLETOKEN";

fn credentials() -> Credentials {
    Credentials::builder()
        .access_key_id("ASIAEXAMPLEWEBID")
        .secret_access_key(SECRET)
        .session_token(TOKEN)
        .expiration(DateTime::from_secs(1_800_000_000))
        .build()
        .unwrap()
}

fn call() -> WebIdentityCall {
    WebIdentityCall {
        role_arn: "arn:aws:iam::123456789012:role/web".into(),
        session: "app1".into(),
        token: "eyJhbGciOi.payload.sig".into(),
        provider: None,
        duration: Some(900),
        policy: None,
    }
}

#[tokio::test]
async fn web_identity_sends_role_session_token_and_duration_and_maps_the_answer() {
    let rule = mock!(aws_sdk_sts::Client::assume_role_with_web_identity)
        .match_requests(|r| {
            r.role_arn() == Some("arn:aws:iam::123456789012:role/web")
                && r.role_session_name() == Some("app1")
                && r.web_identity_token() == Some("eyJhbGciOi.payload.sig")
                && r.duration_seconds() == Some(900)
                && r.provider_id().is_none()
        })
        .then_output(|| {
            AssumeRoleWithWebIdentityOutput::builder()
                .credentials(credentials())
                .assumed_role_user(
                    AssumedRoleUser::builder()
                        .arn("arn:aws:sts::123456789012:assumed-role/web/app1")
                        .assumed_role_id("AROAEXAMPLE:app1")
                        .build()
                        .unwrap(),
                )
                .subject_from_web_identity_token("user-42")
                .build()
        });
    let sts = mock_client!(aws_sdk_sts, [&rule]);
    let answer = call().send(&sts).await.unwrap();
    assert_eq!(rule.num_calls(), 1);
    let outputs = answer_outputs(&answer);
    assert_eq!(
        outputs.arn,
        "arn:aws:sts::123456789012:assumed-role/web/app1"
    );
    assert_eq!(outputs.assumed_role_id, "AROAEXAMPLE:app1");
    assert_eq!(outputs.subject, "user-42");
    let text = format!("{outputs:?}");
    assert!(
        !text.contains(SECRET) && !text.contains(TOKEN),
        "outputs hold a secret: {text}"
    );
    let stored = step_credentials(answer.credentials().unwrap());
    assert_eq!(stored.access_key_id, "ASIAEXAMPLEWEBID");
    assert_eq!(stored.secret_access_key.expose(), SECRET);
    assert_eq!(stored.session_token.as_ref().unwrap().expose(), TOKEN);
    assert!(
        !format!("{stored:?}").contains(SECRET),
        "Debug of stored credentials shows the secret"
    );
}

#[tokio::test]
async fn web_identity_with_a_bad_token_fails_at_once() {
    let rule = mock!(aws_sdk_sts::Client::assume_role_with_web_identity).then_error(|| {
        AssumeRoleWithWebIdentityError::InvalidIdentityTokenException(
            aws_sdk_sts::types::error::InvalidIdentityTokenException::builder()
                .message("Token is not valid")
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidIdentityToken")
                        .build(),
                )
                .build(),
        )
    });
    let sts = mock_client!(aws_sdk_sts, [&rule]);
    let error = call().send(&sts).await.unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.code.as_deref(), Some("InvalidIdentityToken"));
    assert!(
        !worth_retrying(info.class()),
        "a bad token must not be retried: {:?}",
        info.class()
    );
}

#[tokio::test]
async fn web_identity_retries_when_the_provider_cannot_be_reached() {
    let rule = mock!(aws_sdk_sts::Client::assume_role_with_web_identity).then_error(|| {
        AssumeRoleWithWebIdentityError::IdpCommunicationErrorException(
            aws_sdk_sts::types::error::IdpCommunicationErrorException::builder()
                .message("try again")
                .meta(
                    ErrorMetadata::builder()
                        .code("IDPCommunicationError")
                        .build(),
                )
                .build(),
        )
    });
    let sts = mock_client!(aws_sdk_sts, [&rule]);
    let error = call().send(&sts).await.unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.code.as_deref(), Some("IDPCommunicationError"));
    assert_eq!(info.class(), ErrorClass::Retryable);
}

#[tokio::test]
async fn federation_token_answer_keeps_the_federated_arn() {
    use aws_sdk_sts::operation::get_federation_token::GetFederationTokenOutput;
    use aws_sdk_sts::types::FederatedUser;
    let rule = mock!(aws_sdk_sts::Client::get_federation_token)
        .match_requests(|r| {
            r.name() == Some("guest") && r.policy().is_some_and(|p| p.contains("s3:ListBucket"))
        })
        .then_output(|| {
            GetFederationTokenOutput::builder()
                .credentials(credentials())
                .federated_user(
                    FederatedUser::builder()
                        .arn("arn:aws:sts::123456789012:federated-user/guest")
                        .federated_user_id("123456789012:guest")
                        .build()
                        .unwrap(),
                )
                .build()
        });
    let sts = mock_client!(aws_sdk_sts, [&rule]);
    let answer = sts
        .get_federation_token()
        .name("guest")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.federated_user().unwrap().arn(),
        "arn:aws:sts::123456789012:federated-user/guest"
    );
    assert_eq!(
        step_credentials(answer.credentials().unwrap())
            .expiration
            .as_deref(),
        Some("2027-01-15T08:00:00Z")
    );
}
