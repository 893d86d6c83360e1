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
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
        }
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

/// STS operations (the query protocol does not name the service otherwise).
const STS_ACTIONS: &[&str] = &[
    "AssumeRole",
    "AssumeRoleWithWebIdentity",
    "AssumeRoleWithSAML",
    "GetCallerIdentity",
    "GetSessionToken",
    "GetFederationToken",
    "GetAccessKeyInfo",
    "DecodeAuthorizationMessage",
];

/// Routes by the credential scope's service (`scoped`, from the request's signature),
/// then by the host, then by the shape.
pub fn route(request: &HttpRequest, form: &[(String, String)], scoped: Option<&str>) -> Route {
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
    match scoped {
        Some("s3") => return Route::S3,
        Some(service) => {
            return Route::Query {
                service: service.to_owned(),
            };
        }
        None => {}
    }
    let host = request.host();
    if host.starts_with("iam.") {
        return Route::Query {
            service: "iam".to_owned(),
        };
    }
    if host.starts_with("sts.") {
        return Route::Query {
            service: "sts".to_owned(),
        };
    }
    let action = form
        .iter()
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.as_str());
    match action {
        Some(action) if request.path == "/" => Route::Query {
            service: if STS_ACTIONS.contains(&action) {
                "sts"
            } else {
                "iam"
            }
            .to_owned(),
        },
        _ => Route::S3,
    }
}
