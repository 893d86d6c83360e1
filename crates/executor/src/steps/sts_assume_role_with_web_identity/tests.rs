//! STS requests and answers against a replaying HTTP client: moto cannot serve
//! `AssumeRoleWithWebIdentity` (it answers 500) and its session and federation tokens
//! do not work, so these kinds' request building, answer mapping and error handling
//! are tested against STS's real wire format (the form the SDK sends, the XML it
//! parses). The replay is a plain `HttpClient`, so no `test-util` feature is needed and
//! `cargo test` reuses the crates `cargo build` compiled.

use std::sync::{Arc, Mutex};

use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::{Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::super::sts_credentials::{step_credentials, worth_retrying};
use super::{WebIdentityCall, answer_outputs};
use crate::classify::{ErrorClass, ErrorInfo};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLETOKEN";

/// A form body's pairs, in order.
type Form = Vec<(String, String)>;

/// Answers every request with one status and body, and keeps each request's form.
#[derive(Clone, Debug)]
struct Replay {
    status: u16,
    body: String,
    requests: Arc<Mutex<Vec<Form>>>,
}

impl Replay {
    fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            requests: Arc::default(),
        }
    }

    fn client(&self) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(crate::client::behavior_version())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                "AKIDEXAMPLE",
                "secret",
                None,
                None,
                "test",
            ))
            .retry_config(RetryConfig::disabled())
            .http_client(self.clone())
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    fn requests(&self) -> Vec<Form> {
        self.requests.lock().unwrap().clone()
    }
}

impl HttpConnector for Replay {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = request.body().bytes().unwrap_or_default();
        self.requests
            .lock()
            .unwrap()
            .push(form(&String::from_utf8_lossy(body)));
        let response = HttpResponse::new(
            StatusCode::try_from(self.status).unwrap(),
            SdkBody::from(self.body.clone()),
        );
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl HttpClient for Replay {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

/// A form body's pairs, percent-decoded.
fn form(body: &str) -> Form {
    let decode = |text: &str| {
        let bytes = text.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%'
                && let Some(hex) = bytes.get(i + 1..i + 3)
                && let Ok(byte) = u8::from_str_radix(&String::from_utf8_lossy(hex), 16)
            {
                out.push(byte);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

const CREDENTIALS_XML: &str = "<Credentials><AccessKeyId>ASIAEXAMPLEWEBID</AccessKeyId>\
<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\
<SessionToken>FwoGZXIvYXdzEXAMPLETOKEN</SessionToken>\
<Expiration>2027-01-15T08:00:00Z</Expiration></Credentials>";

fn error_xml(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
    )
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
    let replay = Replay::new(
        200,
        &format!(
            "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleWithWebIdentityResult>{CREDENTIALS_XML}\
             <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/web/app1</Arn>\
             <AssumedRoleId>AROAEXAMPLE:app1</AssumedRoleId></AssumedRoleUser>\
             <SubjectFromWebIdentityToken>user-42</SubjectFromWebIdentityToken>\
             </AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r-1</RequestId>\
             </ResponseMetadata></AssumeRoleWithWebIdentityResponse>"
        ),
    );
    let answer = call().send(&replay.client()).await.unwrap();
    let requests = replay.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(field(sent, "Action"), Some("AssumeRoleWithWebIdentity"));
    assert_eq!(
        field(sent, "RoleArn"),
        Some("arn:aws:iam::123456789012:role/web")
    );
    assert_eq!(field(sent, "RoleSessionName"), Some("app1"));
    assert_eq!(
        field(sent, "WebIdentityToken"),
        Some("eyJhbGciOi.payload.sig")
    );
    assert_eq!(field(sent, "DurationSeconds"), Some("900"));
    assert_eq!(field(sent, "ProviderId"), None);

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
    let replay = Replay::new(
        400,
        &error_xml("InvalidIdentityToken", "Token is not valid"),
    );
    let error = call().send(&replay.client()).await.unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.code.as_deref(), Some("InvalidIdentityToken"));
    assert_eq!(info.message.as_deref(), Some("Token is not valid"));
    assert!(
        !worth_retrying(info.class()),
        "a bad token must not be retried: {:?}",
        info.class()
    );
}

#[tokio::test]
async fn web_identity_retries_when_the_provider_cannot_be_reached() {
    let replay = Replay::new(400, &error_xml("IDPCommunicationError", "try again"));
    let error = call().send(&replay.client()).await.unwrap_err();
    let info = ErrorInfo::from_sdk(&error);
    assert_eq!(info.code.as_deref(), Some("IDPCommunicationError"));
    assert_eq!(info.class(), ErrorClass::Retryable);
}

#[tokio::test]
async fn federation_token_answer_keeps_the_federated_arn() {
    let replay = Replay::new(
        200,
        &format!(
            "<GetFederationTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <GetFederationTokenResult>{CREDENTIALS_XML}\
             <FederatedUser><Arn>arn:aws:sts::123456789012:federated-user/guest</Arn>\
             <FederatedUserId>123456789012:guest</FederatedUserId></FederatedUser>\
             </GetFederationTokenResult></GetFederationTokenResponse>"
        ),
    );
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#;
    let answer = replay
        .client()
        .get_federation_token()
        .name("guest")
        .policy(policy)
        .send()
        .await
        .unwrap();
    let requests = replay.requests();
    assert_eq!(field(&requests[0], "Name"), Some("guest"));
    assert_eq!(field(&requests[0], "Policy"), Some(policy));
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

#[test]
fn form_bodies_are_decoded() {
    assert_eq!(
        form("Action=A&Policy=%7B%22a%22%3A1%7D&Name=x+y"),
        [
            ("Action".to_owned(), "A".to_owned()),
            ("Policy".to_owned(), "{\"a\":1}".to_owned()),
            ("Name".to_owned(), "x y".to_owned()),
        ]
    );
}
