//! Any operation of a service in `awslab-apimodel`'s call table, made as an identity:
//! the params are encoded in the service's protocol ([`encode`]), signed with `SigV4`
//! with the identity's credentials ([`Sign`]), sent through the target's HTTP client
//! (the in-process sandbox, an endpoint such as moto or `awslab sandbox serve`, or
//! AWS), and the answer is decoded into a value tree along the output shape
//! ([`decode`]). One dispatcher for every call a `verify` makes; request ids are
//! recorded like the SDK clients' (see [`crate::request_ids`]).

mod decode;
mod encode;
mod sign;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials as _;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::timeout::TimeoutConfig;
use awslab_apimodel::{Call, Protocol};
use serde_json::Value;

use crate::classify::{ErrorInfo, ErrorSource};
use crate::client::Target;
pub use decode::ServiceError;
use sign::Sign;

/// The largest answer body read; a larger one (a big object) is not read at all.
pub const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// How long one call may take.
const CALL_TIMEOUT: Duration = Duration::from_mins(1);

/// An answer as it came back, before it is decoded.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// The deserializer never fails: decoding happens after, with the call's shapes.
#[derive(Debug, thiserror::Error)]
#[error("unreachable")]
struct Never;

/// The endpoint `call` goes to on `target`, and the region its signature names.
fn endpoint(target: &Target, call: &Call) -> (String, String) {
    let region = target.region.clone();
    if let Some(url) = target.endpoint_url() {
        return (url.trim_end_matches('/').to_owned(), region);
    }
    match call.service_name {
        "iam" => (
            format!(
                "https://{}",
                call.service
                    .global_endpoint
                    .as_deref()
                    .unwrap_or("iam.amazonaws.com")
            ),
            "us-east-1".to_owned(),
        ),
        prefix => (
            format!(
                "https://{}.{region}.amazonaws.com",
                call.service.endpoint_prefix.as_str().max(prefix)
            ),
            region,
        ),
    }
}

/// Makes `call` with `params` as the identity of `config`. `Ok(Ok(answer))` is a
/// success, `Ok(Err(info))` an error the service (or the network) answered; `Err` is
/// a request that could not be built (a param of the wrong type after rendering).
pub async fn call(
    target: &Target,
    config: &SdkConfig,
    call: &Call,
    params: &Value,
) -> Result<Result<Value, ErrorInfo>, String> {
    let request = encode::request(call, params).map_err(|e| format!("`{}` {e}", call.name()))?;
    let credentials = match config.credentials_provider() {
        Some(provider) => match provider.provide_credentials().await {
            Ok(credentials) => credentials,
            Err(error) => {
                return Ok(Err(ErrorInfo {
                    source: ErrorSource::Construction,
                    code: None,
                    message: Some(format!("no credentials to sign with: {error}")),
                    status: None,
                }));
            }
        },
        None => return Err("no credentials to sign with".into()),
    };
    let (url, region) = endpoint(target, call);
    let head = request.method == "HEAD";
    let operation = Operation::builder()
        .service_name(call.service_name)
        .operation_name(call.operation_name)
        .http_client(target.http_client())
        .endpoint_url(&url)
        .no_auth()
        .no_retry()
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(CALL_TIMEOUT)
                .connect_timeout(Duration::from_secs(10))
                .build(),
        )
        .interceptor(Sign::new(
            credentials,
            region,
            call.service.signing_name.clone(),
            call.service.protocol == Protocol::RestXml,
        ))
        .interceptor(crate::request_ids::RecordRequestIds)
        .serializer(|request: encode::Request| {
            let mut http = HttpRequest::new(SdkBody::from(request.body));
            http.set_method(&request.method)?;
            http.set_uri(request.path_and_query.as_str())?;
            for (name, value) in request.headers {
                http.headers_mut().insert(name, value);
            }
            Ok(http)
        })
        .deserializer::<RawAnswer, Never>(|response: &HttpResponse| {
            Ok(RawAnswer {
                status: response.status().as_u16(),
                headers: response
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                body: response
                    .body()
                    .bytes()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default(),
            })
        })
        .build();
    let raw = match operation.invoke(request).await {
        Ok(raw) => raw,
        Err(error) => return Ok(Err(transport_error(&error))),
    };
    Ok(finish(call, &raw, head))
}

/// The answer of a call that came back: its value tree or its error.
fn finish(call: &Call, raw: &RawAnswer, head: bool) -> Result<Value, ErrorInfo> {
    let view = decode::Raw {
        status: raw.status,
        headers: raw.headers.clone(),
        body: &raw.body,
        head,
    };
    if let Some(id) = view.body_request_id() {
        crate::request_ids::record(&id);
    }
    if (200..300).contains(&raw.status) {
        if view.headers.iter().any(|(k, _)| k == sign::TOO_LARGE) {
            return Err(ErrorInfo {
                source: ErrorSource::Response,
                code: None,
                message: Some(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes; awslab does not read it"
                )),
                status: Some(raw.status),
            });
        }
        return decode::answer(call, &view).map_err(|message| ErrorInfo {
            source: ErrorSource::Response,
            code: None,
            message: Some(format!("cannot read the answer: {message}")),
            status: Some(raw.status),
        });
    }
    let error = decode::error(&view);
    Err(ErrorInfo {
        source: ErrorSource::Service,
        code: Some(error.code),
        message: error.message,
        status: Some(raw.status),
    })
}

fn transport_error(error: &SdkError<Never, HttpResponse>) -> ErrorInfo {
    let source = match error {
        SdkError::TimeoutError(_) => ErrorSource::Timeout,
        SdkError::DispatchFailure(_) => ErrorSource::Dispatch,
        SdkError::ResponseError(_) => ErrorSource::Response,
        _ => ErrorSource::Construction,
    };
    let mut message = error.to_string();
    let mut source_error = std::error::Error::source(error);
    while let Some(inner) = source_error {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source_error = inner.source();
    }
    ErrorInfo {
        source,
        code: None,
        message: Some(message),
        status: None,
    }
}
