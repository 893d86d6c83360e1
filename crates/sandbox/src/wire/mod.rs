//! The wire: requests and responses as bytes and headers, routing by the `SigV4`
//! credential scope, host and path, and the codecs of the AWS query protocol
//! ([`query`]), S3's REST-XML ([`s3`]) and aws-chunked bodies ([`chunked`]), and the
//! answers given before a request reaches a service ([`refusals`]). No state.

pub mod auth_errors;
pub mod catalog;
pub mod chunked;
pub mod generic;
pub mod query;
pub mod refusals;
pub mod regions;
pub mod rest_routes;
pub mod s3;
mod s3_list;
mod s3_multipart;
mod s3_route;
pub mod spool;
pub mod xml;

use std::net::IpAddr;

/// A request as received (the path and query still percent-encoded).
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Header names in lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub source_ip: Option<IpAddr>,
    /// A large body, spooled to a temporary file as it arrived ([`spool`]); `body` is
    /// then empty.
    pub spooled: Option<std::sync::Arc<spool::Spooled>>,
}

impl HttpRequest {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    /// The decoded query parameters, in order (`+` is a literal plus, as AWS reads it).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(key), decode(value))
            })
            .collect()
    }

    /// The host without its port.
    pub fn host(&self) -> &str {
        let host = self.header("host").unwrap_or_default();
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|byte| byte.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    }
}

/// Percent-decodes `text` (invalid UTF-8 is replaced).
pub fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// A response to send.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A large body read from the store as it is sent; `body` is then empty.
    pub stream: Option<crate::model::body::Streamed>,
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
            stream: None,
        }
    }

    /// The length of the body to send.
    pub fn body_len(&self) -> u64 {
        self.stream
            .as_ref()
            .map_or(self.body.len() as u64, crate::model::body::Streamed::len)
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Which codec answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The AWS query protocol of `iam`, `sts` or another query service.
    Query { service: String },
    /// S3's REST-XML.
    S3,
    /// Another service's JSON protocol (`X-Amz-Target`).
    Json { service: String, target: String },
}

/// The protocol a service speaks (botocore's `metadata.protocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The AWS query protocol (`Action=...&Version=...`, XML answers).
    Query,
    /// REST with XML bodies (S3).
    RestXml,
    /// JSON bodies named by `X-Amz-Target`.
    Json,
}

/// What routing asks of the services the sandbox knows; the services' registry
/// (`services::registry`) answers, so the wire keeps no list of services or actions.
pub trait Catalog {
    /// The protocol of the service that signs as `signing_name`, if registered.
    fn protocol(&self, signing_name: &str) -> Option<Protocol>;
    /// The registered service whose endpoint prefix is `prefix` (`iam` for
    /// `iam.amazonaws.com`), with its protocol.
    fn by_endpoint(&self, prefix: &str) -> Option<(&'static str, Protocol)>;
    /// The registered query service that defines operation `action`.
    fn by_action(&self, action: &str) -> Option<&'static str>;
    /// The API version (botocore's `metadata.apiVersion`) of the registered service
    /// that signs as `signing_name`.
    fn api_version(&self, signing_name: &str) -> Option<&'static str>;
    /// Whether the sandbox emulates the service that signs as `signing_name` (then
    /// the generic catalog never answers for it).
    fn emulates(&self, signing_name: &str) -> bool {
        self.protocol(signing_name).is_some()
    }
    /// Whether the registered REST service `signing_name` answers `operation` (S3's
    /// router prefers it when two operations share a route, as `ListBuckets` and
    /// `ListDirectoryBuckets` do).
    fn answers(&self, signing_name: &str, operation: &str) -> bool {
        let _ = (signing_name, operation);
        false
    }
}

/// Routes by the credential scope's service (`scoped`, from the request's signature),
/// then by the host, then by the shape.
pub fn route(
    request: &HttpRequest,
    form: &[(String, String)],
    scoped: Option<&str>,
    catalog: &dyn Catalog,
) -> Route {
    if let Some(target) = request.header("x-amz-target") {
        let service = scoped.map_or_else(
            || {
                target
                    .split('_')
                    .next()
                    .unwrap_or(target)
                    .to_ascii_lowercase()
            },
            str::to_owned,
        );
        return Route::Json {
            service,
            target: target.to_owned(),
        };
    }
    if let Some(service) = scoped {
        return match catalog.protocol(service) {
            Some(Protocol::RestXml) => Route::S3,
            Some(Protocol::Query | Protocol::Json) | None => Route::Query {
                service: service.to_owned(),
            },
        };
    }
    let host = request.host();
    if let Some((prefix, _)) = host.split_once('.')
        && let Some((service, Protocol::Query)) = catalog.by_endpoint(prefix)
    {
        return Route::Query {
            service: service.to_owned(),
        };
    }
    let action = form
        .iter()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.as_str());
    match action {
        Some(action) if request.path == "/" => Route::Query {
            service: catalog.by_action(action).unwrap_or("iam").to_owned(),
        },
        _ => Route::S3,
    }
}
