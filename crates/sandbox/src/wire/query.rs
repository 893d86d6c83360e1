//! The AWS query protocol: inputs from a form body (POST) or the query string (GET),
//! answers as `<ActionResponse><ActionResult>...` XML, and errors as `ErrorResponse`
//! bodies carrying the request id.

use indexmap::IndexMap;
use std::fmt::Write as _;

use super::xml::{element, write_shape};
use super::{HttpRequest, HttpResponse};
use crate::services::{ApiError, Input, Shape};

/// The form fields of a query-protocol request (body and query string together).
pub fn form(request: &HttpRequest) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request
        .query_pairs()
        .into_iter()
        .filter(|(key, _)| !key.starts_with("X-Amz-"))
        .collect();
    let form_body = request
        .header("content-type")
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if form_body {
        pairs.extend(
            form_urlencoded::parse(&request.body)
                .map(|(key, value)| (key.into_owned(), value.into_owned())),
        );
    }
    pairs
}

/// The operation's input, without `Action` and `Version`.
pub fn input(form: &[(String, String)]) -> Input {
    let values: IndexMap<String, String> = form
        .iter()
        .filter(|(key, _)| key != "Action" && key != "Version")
        .cloned()
        .collect();
    Input::new(values)
}

/// The XML namespace of a query service's answers.
pub fn namespace(service: &str) -> String {
    match service {
        "iam" => "https://iam.amazonaws.com/doc/2010-05-08/".to_owned(),
        "sts" => "https://sts.amazonaws.com/doc/2011-06-15/".to_owned(),
        other => format!("https://{other}.amazonaws.com/doc/"),
    }
}

/// A successful answer.
pub fn success(service: &str, action: &str, result: &Shape, request_id: &str) -> HttpResponse {
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{}\">",
        namespace(service)
    );
    if result.fields.is_empty() {
        let _ = write!(body, "<{action}Result/>");
    } else {
        let _ = write!(body, "<{action}Result>");
        write_shape(&mut body, result);
        let _ = write!(body, "</{action}Result>");
    }
    body.push_str("<ResponseMetadata>");
    element(&mut body, "RequestId", request_id);
    let _ = write!(body, "</ResponseMetadata></{action}Response>");
    HttpResponse::new(200, "text/xml", body.into_bytes()).header("x-amzn-requestid", request_id)
}

/// An error answer.
pub fn error(service: &str, error: &ApiError, request_id: &str) -> HttpResponse {
    let kind = if error.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    let mut body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{}\"><Error>",
        namespace(service)
    );
    element(&mut body, "Type", kind);
    element(&mut body, "Code", &error.code);
    element(&mut body, "Message", &error.message);
    body.push_str("</Error>");
    element(&mut body, "RequestId", request_id);
    body.push_str("</ErrorResponse>");
    HttpResponse::new(error.status, "text/xml", body.into_bytes())
        .header("x-amzn-requestid", request_id)
}
