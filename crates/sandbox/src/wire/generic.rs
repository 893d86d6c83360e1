//! Answers of the services the sandbox does not emulate, in each protocol's words.
//!
//! Success (an allowed read) is a well-formed empty result:
//! - JSON 1.0/1.1 and REST-JSON: an object holding the output's top-level lists empty
//!   (`{"Functions":[]}`, `{"item":[]}`);
//! - REST-XML: the output's root element (its shape's `locationName` or name) in the
//!   service's namespace, its wrapped lists empty (`<ListHostedZonesResponse
//!   xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones/>...`);
//! - query: `<XResponse xmlns=...><XResult>` (botocore's `resultWrapper`) with the
//!   lists empty, then `<ResponseMetadata><RequestId>`;
//! - EC2: `<XResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>`
//!   then the lists empty (`<reservationSet/>`).
//!
//! Errors:
//! - JSON 1.0/1.1: `{"__type": code, "message": ...}` (`application/x-amz-json-1.x`),
//!   with `x-amzn-ErrorType` too;
//! - REST-JSON: the same body (`application/json`) and `x-amzn-ErrorType`, which is
//!   what botocore reads first;
//! - REST-XML and query: `<ErrorResponse xmlns=...><Error><Type>Sender</Type><Code>
//!   <Message></Error><RequestId>`;
//! - EC2: `<Response><Errors><Error><Code><Message></Error></Errors><RequestID>`.

use std::fmt::Write as _;

use super::HttpResponse;
use super::catalog::{Operation, Protocol, Service};
use super::xml::{element, escape};
use crate::model::ApiError;

/// EC2's namespace when the model's has no trailing slash (EC2 answers with one).
fn namespace(service: &Service) -> String {
    let namespace = service.xml_namespace.map_or_else(
        || {
            format!(
                "https://{}.amazonaws.com/doc/{}/",
                service.endpoint_prefix, service.api_version
            )
        },
        str::to_owned,
    );
    if namespace.ends_with('/') {
        namespace
    } else {
        format!("{namespace}/")
    }
}

/// The content type of a JSON 1.x answer.
fn json_content_type(service: &Service) -> String {
    format!(
        "application/x-amz-json-{}",
        service.json_version.unwrap_or("1.0")
    )
}

/// The empty answer to an allowed read of `operation`.
pub fn empty(
    service: &Service,
    protocol: Protocol,
    operation: &Operation,
    request_id: &str,
) -> HttpResponse {
    match protocol {
        Protocol::Json | Protocol::RestJson | Protocol::Cbor => {
            let body: serde_json::Map<String, serde_json::Value> = operation
                .lists
                .iter()
                .map(|name| ((*name).to_owned(), serde_json::Value::Array(Vec::new())))
                .collect();
            let content_type = if protocol == Protocol::RestJson {
                "application/json".to_owned()
            } else {
                json_content_type(service)
            };
            HttpResponse::new(
                200,
                &content_type,
                serde_json::Value::Object(body).to_string().into_bytes(),
            )
            .header("x-amzn-requestid", request_id)
        }
        Protocol::RestXml => {
            let Some(root) = operation.root else {
                return HttpResponse::new(200, "text/xml", Vec::new())
                    .header("x-amzn-requestid", request_id);
            };
            let mut body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{}\">",
                escape(&namespace(service))
            );
            empty_lists(&mut body, operation);
            let _ = write!(body, "</{root}>");
            HttpResponse::new(200, "text/xml", body.into_bytes())
                .header("x-amzn-requestid", request_id)
        }
        Protocol::Query => {
            let name = operation.name;
            let mut body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{name}Response xmlns=\"{}\">",
                escape(&namespace(service))
            );
            if let Some(wrapper) = operation.root {
                let _ = write!(body, "<{wrapper}>");
                empty_lists(&mut body, operation);
                let _ = write!(body, "</{wrapper}>");
            }
            body.push_str("<ResponseMetadata>");
            element(&mut body, "RequestId", request_id);
            let _ = write!(body, "</ResponseMetadata></{name}Response>");
            HttpResponse::new(200, "text/xml", body.into_bytes())
                .header("x-amzn-requestid", request_id)
        }
        Protocol::Ec2 => {
            let name = operation.name;
            let mut body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{name}Response xmlns=\"{}\">",
                escape(&namespace(service))
            );
            element(&mut body, "requestId", request_id);
            empty_lists(&mut body, operation);
            let _ = write!(body, "</{name}Response>");
            HttpResponse::new(200, "text/xml;charset=UTF-8", body.into_bytes())
                .header("x-amzn-requestid", request_id)
        }
    }
}

fn empty_lists(body: &mut String, operation: &Operation) {
    for list in &operation.lists {
        let _ = write!(body, "<{list}/>");
    }
}

/// `error` in the protocol's words.
pub fn error(
    service: &Service,
    protocol: Protocol,
    error: &ApiError,
    request_id: &str,
) -> HttpResponse {
    match protocol {
        Protocol::Json | Protocol::RestJson | Protocol::Cbor => {
            let body = serde_json::json!({ "__type": error.code, "message": error.message });
            let content_type = if protocol == Protocol::RestJson {
                "application/json".to_owned()
            } else {
                json_content_type(service)
            };
            HttpResponse::new(error.status, &content_type, body.to_string().into_bytes())
                .header("x-amzn-requestid", request_id)
                .header("x-amzn-errortype", error.code.clone())
        }
        Protocol::RestXml | Protocol::Query => {
            let kind = if error.status >= 500 {
                "Receiver"
            } else {
                "Sender"
            };
            let mut body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"{}\"><Error>",
                escape(&namespace(service))
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
        Protocol::Ec2 => {
            let mut body =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>".to_owned();
            element(&mut body, "Code", &error.code);
            element(&mut body, "Message", &error.message);
            body.push_str("</Error></Errors>");
            element(&mut body, "RequestID", request_id);
            body.push_str("</Response>");
            HttpResponse::new(error.status, "text/xml;charset=UTF-8", body.into_bytes())
                .header("x-amzn-requestid", request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalog::service;
    use super::*;

    fn text(response: &HttpResponse) -> String {
        String::from_utf8_lossy(&response.body).into_owned()
    }

    fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
        response
            .headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn empty_answers_are_each_protocols_own() {
        let check = |name: &str, operation: &str, protocol: Protocol, expected: &str| {
            let service = service(name).expect("service");
            let operation = service.operation(operation).expect("operation");
            let answer = empty(service, protocol, operation, "rid");
            assert_eq!(answer.status, 200);
            assert_eq!(text(&answer), expected, "{name}");
        };
        check(
            "lambda",
            "ListFunctions",
            Protocol::RestJson,
            r#"{"Functions":[]}"#,
        );
        check(
            "apigateway",
            "GetRestApis",
            Protocol::RestJson,
            r#"{"item":[]}"#,
        );
        check(
            "dynamodb",
            "ListTables",
            Protocol::Json,
            r#"{"TableNames":[]}"#,
        );
        check(
            "route53",
            "ListHostedZones",
            Protocol::RestXml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListHostedZonesResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><HostedZones/></ListHostedZonesResponse>",
        );
        check(
            "sns",
            "ListTopics",
            Protocol::Query,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><ListTopicsResult><Topics/></ListTopicsResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ListTopicsResponse>",
        );
        check(
            "ec2",
            "DescribeInstances",
            Protocol::Ec2,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>rid</requestId><reservationSet/></DescribeInstancesResponse>",
        );
    }

    #[test]
    fn errors_are_each_protocols_own() {
        let denied = ApiError::new(403, "AccessDeniedException", "User: x is not <authorized>");
        let lambda = service("lambda").expect("lambda");
        let answer = error(lambda, Protocol::RestJson, &denied, "rid");
        assert_eq!(answer.status, 403);
        assert_eq!(
            header(&answer, "x-amzn-errortype"),
            Some("AccessDeniedException")
        );
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
        assert_eq!(body["__type"], "AccessDeniedException");
        assert_eq!(body["message"], "User: x is not <authorized>");
        let dynamodb = service("dynamodb").expect("dynamodb");
        let answer = error(dynamodb, Protocol::Json, &denied, "rid");
        assert_eq!(
            header(&answer, "content-type"),
            Some("application/x-amz-json-1.0")
        );
        let route53 = service("route53").expect("route53");
        let answer = error(route53, Protocol::RestXml, &denied, "rid");
        assert!(
            text(&answer).contains("<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>AccessDeniedException</Code><Message>User: x is not &lt;authorized&gt;</Message></Error><RequestId>rid</RequestId></ErrorResponse>"),
            "{}",
            text(&answer)
        );
        let ec2 = service("ec2").expect("ec2");
        let answer = error(ec2, Protocol::Ec2, &denied, "rid");
        assert!(
            text(&answer).ends_with("<Response><Errors><Error><Code>AccessDeniedException</Code><Message>User: x is not &lt;authorized&gt;</Message></Error></Errors><RequestID>rid</RequestID></Response>"),
            "{}",
            text(&answer)
        );
    }
}
