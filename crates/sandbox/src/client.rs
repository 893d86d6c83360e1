//! The in-process HTTP client: an SDK `HttpClient` whose connector hands each
//! request to [`Sandbox::handle`] with no socket, for any endpoint URL (such as
//! `http://sandbox.awslab.localhost`).

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use http_body_util::{BodyExt as _, LengthLimitError};

use crate::sandbox::Sandbox;
use crate::services::registry::Registry;
use crate::streaming::ChannelBody;
use crate::wire::spool::{self, SpoolError};
use crate::wire::{self, refusals};

/// The largest request body the sandbox reads (S3 objects above it need multipart).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The endpoint URL to give SDK clients that use [`Sandbox::http_client`].
pub const IN_PROCESS_ENDPOINT: &str = "http://sandbox.awslab.localhost";

#[derive(Debug, Clone)]
struct InProcess {
    sandbox: Sandbox,
}

impl Sandbox {
    /// An SDK HTTP client that answers every request in-process from this sandbox.
    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(InProcess {
            sandbox: self.clone(),
        })
    }
}

impl HttpClient for InProcess {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for InProcess {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let sandbox = self.sandbox.clone();
        HttpConnectorFuture::new(async move {
            let response = match into_wire(request).await? {
                Ok(request) => sandbox.handle(&request),
                Err(refused) => refused,
            };
            from_wire(response)
        })
    }
}

/// The request as the wire reads it, or the answer refusing a body over
/// [`MAX_BODY_BYTES`] (`EntityTooLarge`, as `serve` answers it).
async fn into_wire(
    request: HttpRequest,
) -> Result<Result<wire::HttpRequest, wire::HttpResponse>, ConnectorError> {
    let uri: http::Uri = request
        .uri()
        .parse()
        .map_err(|error| ConnectorError::user(Box::new(error)))?;
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    if !headers.iter().any(|(name, _)| name == "host")
        && let Some(authority) = uri.authority()
    {
        headers.push(("host".to_owned(), authority.to_string()));
    }
    let mut head = wire::HttpRequest {
        method: request.method().to_owned(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body: Vec::new(),
        source_ip: Some(std::net::IpAddr::from([127, 0, 0, 1])),
        spooled: None,
    };
    let body = request.into_body();
    let declared = head
        .header("content-length")
        .and_then(|length| length.parse::<u64>().ok());
    if body.bytes().is_none()
        && head.method == "PUT"
        && declared.is_none_or(|declared| declared > spool::SPOOL_ABOVE_BYTES)
    {
        // A streamed object (`ByteStream::from_path`): spooled as it comes, as `serve`
        // does.
        return match spool::spool_body(&head, body, MAX_BODY_BYTES as u64).await {
            Ok(spooled) => {
                head.spooled = Some(std::sync::Arc::new(spooled));
                Ok(Ok(head))
            }
            Err(SpoolError::TooLarge) => Ok(Err(refusals::too_large(
                &Registry,
                &head,
                None,
                MAX_BODY_BYTES,
            ))),
            Err(SpoolError::Malformed) => Ok(Err(refusals::incomplete(&Registry, &head))),
            Err(SpoolError::Io(error)) => Err(ConnectorError::io(Box::new(error))),
            Err(SpoolError::Broken) => Err(ConnectorError::io(
                "the request body failed while it was read".into(),
            )),
        };
    }
    head.body = if let Some(bytes) = body.bytes() {
        if bytes.len() > MAX_BODY_BYTES {
            let proposed = u64::try_from(bytes.len()).ok();
            return Ok(Err(refusals::too_large(
                &Registry,
                &head,
                proposed,
                MAX_BODY_BYTES,
            )));
        }
        bytes.to_vec()
    } else {
        let limited = http_body_util::Limited::new(body, MAX_BODY_BYTES);
        match limited.collect().await {
            Ok(collected) => collected.to_bytes().to_vec(),
            Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => {
                return Ok(Err(refusals::too_large(
                    &Registry,
                    &head,
                    None,
                    MAX_BODY_BYTES,
                )));
            }
            Err(error) => return Err(ConnectorError::io(error)),
        }
    };
    Ok(Ok(head))
}

fn from_wire(response: wire::HttpResponse) -> Result<HttpResponse, ConnectorError> {
    let status = StatusCode::try_from(response.status)
        .map_err(|error| ConnectorError::other(Box::new(error), None))?;
    let length = response.body_len();
    let body = match &response.stream {
        Some(streamed) => SdkBody::from_body_1_x(ChannelBody::spawn(streamed)),
        None => SdkBody::from(response.body),
    };
    let mut answer = HttpResponse::new(status, body);
    let explicit_length = response
        .headers
        .iter()
        .any(|(name, _)| name == "content-length");
    for (name, value) in response.headers {
        answer.headers_mut().append(name, value);
    }
    if !explicit_length {
        answer
            .headers_mut()
            .insert("content-length", length.to_string());
    }
    Ok(answer)
}
