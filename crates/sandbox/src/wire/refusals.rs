//! Answers the wire gives before a request reaches a service: a body over the
//! sandbox's cap (`EntityTooLarge`), a body that does not arrive in time
//! (`RequestTimeout`) or is cut off (`IncompleteBody`), and a connection over the
//! server's cap (503: S3's `SlowDown`, the query and JSON protocols'
//! `ServiceUnavailable`). Each is written in the shape of the protocol the request
//! speaks, read from its head alone (the body is never read for these).

use super::{Catalog, HttpRequest, HttpResponse, Route, query, route, s3};
use crate::model::ApiError;
use crate::model::S3Error;

/// A request whose body is larger than `max` bytes (`proposed`, when it was declared).
pub fn too_large(
    catalog: &dyn Catalog,
    request: &HttpRequest,
    proposed: Option<u64>,
    max: usize,
) -> HttpResponse {
    let mut error = ApiError::of(
        S3Error::EntityTooLarge,
        format!(
            "Your proposed upload exceeds the maximum allowed size: the sandbox reads request bodies of at most {max} bytes; send a larger object in parts (multipart upload, as `aws s3 cp` does)"
        ),
    );
    if let Some(proposed) = proposed {
        error = error.with("ProposedSize", &proposed.to_string());
    }
    answer(
        catalog,
        request,
        &error.with("MaxSizeAllowed", &max.to_string()),
    )
}

/// A request whose body did not arrive within `seconds`.
pub fn timed_out(catalog: &dyn Catalog, request: &HttpRequest, seconds: u64) -> HttpResponse {
    answer(
        catalog,
        request,
        &ApiError::of(
            S3Error::RequestTimeout,
            format!(
                "Your socket connection to the server was not read from or written to within the timeout period ({seconds} s for the whole body). Idle connections will be closed."
            ),
        ),
    )
}

/// A request whose body ended before its declared length.
pub fn incomplete(catalog: &dyn Catalog, request: &HttpRequest) -> HttpResponse {
    answer(
        catalog,
        request,
        &ApiError::of(
            S3Error::IncompleteBody,
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        ),
    )
}

/// A request on a connection over the cap of `max_connections` open at once.
pub fn unavailable(
    catalog: &dyn Catalog,
    request: &HttpRequest,
    max_connections: usize,
) -> HttpResponse {
    let detail = format!(
        "the sandbox serves at most {max_connections} connections at once; try again when one closes"
    );
    let error = if matches!(shape(catalog, request), Route::S3) {
        ApiError::of(
            S3Error::SlowDown,
            format!("Please reduce your request rate: {detail}"),
        )
    } else {
        ApiError::of(
            S3Error::ServiceUnavailable,
            format!("Service is unavailable: {detail}"),
        )
    };
    answer(catalog, request, &error)
}

/// The protocol `request` speaks, from its head: the signature's service, the host,
/// the query string.
fn shape(catalog: &dyn Catalog, request: &HttpRequest) -> Route {
    let form = query::form(request);
    let scoped = credential_service(request);
    route(request, &form, scoped.as_deref(), catalog)
}

/// The service of the credential scope (`KEY/DATE/REGION/SERVICE/aws4_request`), from
/// the `Authorization` header or a presigned URL's `X-Amz-Credential`, unchecked: only
/// to choose the protocol an early refusal is written in.
fn credential_service(request: &HttpRequest) -> Option<String> {
    let credential = match request.header("authorization") {
        Some(header) => header
            .split([' ', ','])
            .find_map(|part| part.trim().strip_prefix("Credential="))
            .map(str::to_owned),
        None => request
            .query_pairs()
            .into_iter()
            .find(|(key, _)| key == "X-Amz-Credential")
            .map(|(_, value)| value),
    }?;
    let mut parts = credential.split('/');
    let service = parts.nth(3)?;
    (parts.next() == Some("aws4_request")).then(|| service.to_owned())
}

fn answer(catalog: &dyn Catalog, request: &HttpRequest, error: &ApiError) -> HttpResponse {
    let request_id = crate::ids::request_id();
    match shape(catalog, request) {
        Route::S3 => s3::error(error, &request_id, request.method == "HEAD"),
        Route::Query { service } => query::error(&service, catalog, error, &request_id),
        Route::Json { .. } => HttpResponse::new(
            error.status,
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": error.code, "message": error.message })
                .to_string()
                .into_bytes(),
        )
        .header("x-amzn-requestid", &request_id),
    }
}
