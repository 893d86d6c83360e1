//! Every service the sandbox does not emulate, in its own protocol (routed by
//! `wire::rest_routes` from botocore's models, answered by `wire::generic`): what each
//! request is authorized as, how its credential and authorization errors are worded,
//! and what an allowed call answers.
//!
//! **Authentication** is `SigV4` as for the emulated services; the error codes are the
//! family's (from botocore's models and AWS's "Common errors" pages):
//!
//! | problem          | query, REST-XML            | JSON 1.x / REST-JSON                   | EC2                          |
//! |------------------|----------------------------|----------------------------------------|------------------------------|
//! | unsigned         | `MissingAuthenticationToken` 403 | `MissingAuthenticationTokenException` 400 / 403 | `MissingAuthenticationToken` 401 |
//! | unknown key      | `InvalidClientTokenId` 403 | `UnrecognizedClientException` 400 / 403 | `AuthFailure` 401           |
//! | wrong signature  | `SignatureDoesNotMatch` 403 | `InvalidSignatureException` 400 / 403 | `AuthFailure` 401           |
//! | clock skew       | `SignatureDoesNotMatch` 403 | `InvalidSignatureException`           | `RequestExpired` 400         |
//! | expired token    | `ExpiredToken` 403         | `ExpiredTokenException`                | `RequestExpired` 400         |
//! | malformed        | `IncompleteSignature` 400  | `IncompleteSignatureException`         | `IncompleteSignature` 400    |
//!
//! (JSON 1.x services answer these with 400, REST-JSON ones with 403.)
//!
//! **Authorization** goes through crates/policy as for the emulated services, one
//! decision recorded for `explain`: action `prefix:Operation` on `*`, the prefix being
//! the signing name, except where the Service Authorization Reference names another:
//! `monitoring` signs `cloudwatch:` actions, `iotdata` signs `iot:`, `awsssoportal`
//! signs `sso:`; and API Gateway's management APIs (v1 and v2, signing name
//! `apigateway`) are authorized per HTTP verb on the path, `apigateway:GET` on
//! `arn:aws:apigateway:REGION::/restapis`. A denial is worded as the service's model
//! words it (`services.tsv`'s denied code: `AccessDeniedException` for JSON and
//! REST-JSON, `AccessDenied` for query and REST-XML, `AuthorizationError` for SNS,
//! `UnauthorizedOperation` for EC2, whose message ends with an encoded authorization
//! failure message; here the base64 of the request id that `awslab sandbox explain`
//! takes).
//!
//! **An allowed call**: a read (by AWS's naming: `Get`, `List`, `Describe`, `Head`,
//! `Search`, `BatchGet`, `Lookup`) answers a well-formed empty result; any other
//! answers the protocol's "not implemented" (`NotImplemented` 501; EC2:
//! `UnsupportedOperation`), never a fake success. A request no operation matches
//! answers `UnknownOperationException` (JSON, REST) or `InvalidAction` (query, EC2)
//! once authenticated.

use base64::Engine as _;

use crate::services::{ApiError, Check};
use crate::wire::catalog::{Operation, Protocol, Service};

/// The IAM action prefix of a signing name, where the Service Authorization
/// Reference names another.
fn action_prefix(signing_name: &str) -> &str {
    match signing_name {
        "monitoring" => "cloudwatch",
        "iotdata" => "iot",
        "awsssoportal" => "sso",
        other => other,
    }
}

/// What a call to `operation` of `service` is authorized as.
pub fn check(
    service: &Service,
    operation: &Operation,
    method: &str,
    path: &str,
    region: &str,
) -> Check {
    if service.signing_name == "apigateway" {
        let path = crate::wire::decode(path);
        return Check::new(
            &format!("apigateway:{method}"),
            format!("arn:aws:apigateway:{region}::{path}"),
        );
    }
    Check::new(
        &format!("{}:{}", action_prefix(service.signing_name), operation.name),
        "*",
    )
}

/// The answer once authorized: `Ok` for a read (answered empty), the protocol's
/// "not implemented" otherwise.
pub fn allowed(
    service: &Service,
    protocol: Protocol,
    operation: &Operation,
) -> Result<(), ApiError> {
    if operation.reads {
        return Ok(());
    }
    let message = format!(
        "The awslab sandbox does not emulate {}:{}; it answers only read-only calls (Get, List, Describe...) of services other than IAM, STS, S3 and CloudFormation",
        service.name, operation.name
    );
    Err(match protocol {
        Protocol::Ec2 => ApiError::new(400, "UnsupportedOperation", message),
        _ => ApiError::new(501, "NotImplemented", message),
    })
}

/// The answer to a request no operation of `service` matches.
pub fn unknown(
    service: &Service,
    protocol: Protocol,
    method: &str,
    path: &str,
    named: Option<&str>,
) -> ApiError {
    match protocol {
        Protocol::Query | Protocol::Ec2 => ApiError::new(
            400,
            "InvalidAction",
            format!(
                "The action {} is not valid for this web service ({}).",
                named.unwrap_or_default(),
                service.name
            ),
        ),
        Protocol::Json | Protocol::Cbor => ApiError::new(
            400,
            "UnknownOperationException",
            format!(
                "{} has no operation {}",
                service.name,
                named.unwrap_or_default()
            ),
        ),
        Protocol::RestJson | Protocol::RestXml => {
            // A path of any length is named by its first 256 characters.
            let shown: String = path.chars().take(256).collect();
            let cut = if shown.len() < path.len() { "..." } else { "" };
            ApiError::new(
                404,
                "UnknownOperationException",
                format!(
                    "{} has no operation for {method} {shown}{cut}",
                    service.name
                ),
            )
        }
    }
}

/// A credential problem, worded by the query family (`wire::auth_errors`), in the
/// words of `protocol` (the table in this module's documentation).
pub fn authentication(protocol: Protocol, error: ApiError) -> ApiError {
    let skew = error.message.starts_with("Signature expired")
        || error.message.starts_with("Signature not yet current");
    match protocol {
        Protocol::Json | Protocol::RestJson | Protocol::Cbor => {
            let status = if protocol == Protocol::RestJson {
                403
            } else {
                400
            };
            let (code, message) = match error.code.as_str() {
                "MissingAuthenticationToken" => (
                    "MissingAuthenticationTokenException",
                    "Missing Authentication Token".to_owned(),
                ),
                "InvalidClientTokenId" => ("UnrecognizedClientException", error.message),
                "SignatureDoesNotMatch" => ("InvalidSignatureException", error.message),
                "IncompleteSignature" => ("IncompleteSignatureException", error.message),
                "ExpiredToken" => ("ExpiredTokenException", error.message),
                _ => return error,
            };
            ApiError::new(status, code, message)
        }
        Protocol::Ec2 => match error.code.as_str() {
            "MissingAuthenticationToken" => ApiError::new(
                401,
                "MissingAuthenticationToken",
                "The request must contain either a valid (registered) AWS access key ID or X.509 certificate.",
            ),
            "SignatureDoesNotMatch" if skew => ApiError::new(
                400,
                "RequestExpired",
                format!("Request has expired. {}", error.message),
            ),
            "InvalidClientTokenId" | "SignatureDoesNotMatch" => ApiError::new(
                401,
                "AuthFailure",
                "AWS was not able to validate the provided access credentials",
            ),
            "ExpiredToken" => ApiError::new(400, "RequestExpired", "Request has expired."),
            _ => error,
        },
        Protocol::Query | Protocol::RestXml => error,
    }
}

/// A throttled request (the query family's `Throttling`) in the words of `protocol`.
pub fn throttled(protocol: Protocol, error: ApiError) -> ApiError {
    match protocol {
        Protocol::Json | Protocol::RestJson | Protocol::Cbor => {
            ApiError::new(400, "ThrottlingException", "Rate exceeded")
        }
        Protocol::Ec2 => ApiError::new(503, "RequestLimitExceeded", "Request limit exceeded."),
        Protocol::Query | Protocol::RestXml => error,
    }
}

/// A denial (`AccessDenied` from the authorization path) as `service` words it.
pub fn denied(
    service: &Service,
    protocol: Protocol,
    error: ApiError,
    request_id: &str,
) -> ApiError {
    let message = if protocol == Protocol::Ec2 {
        let encoded = base64::engine::general_purpose::STANDARD.encode(request_id);
        format!(
            "You are not authorized to perform this operation. {} Encoded authorization failure message: {encoded}",
            error.message
        )
    } else {
        error.message
    };
    ApiError::new(service.denied_status, service.denied_code, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::catalog::service;

    fn found(name: &str, operation: &str) -> (&'static Service, &'static Operation) {
        let service = service(name).expect("service");
        (service, service.operation(operation).expect("operation"))
    }

    #[test]
    fn actions_are_the_signing_name_and_operation_with_the_reference_exceptions() {
        let (lambda, list) = found("lambda", "ListFunctions");
        let check = check(lambda, list, "GET", "/2015-03-31/functions/", "us-east-1");
        assert_eq!(
            (check.action.as_str(), check.resource.as_str()),
            ("lambda:ListFunctions", "*")
        );
        let (cloudwatch, alarms) = found("cloudwatch", "DescribeAlarms");
        let check = super::check(cloudwatch, alarms, "POST", "/", "us-east-1");
        assert_eq!(check.action, "cloudwatch:DescribeAlarms");
        let (apigateway, apis) = found("apigateway", "GetRestApis");
        let check = super::check(apigateway, apis, "GET", "/restapis", "eu-west-1");
        assert_eq!(
            (check.action.as_str(), check.resource.as_str()),
            ("apigateway:GET", "arn:aws:apigateway:eu-west-1::/restapis")
        );
    }

    #[test]
    fn an_unknown_path_is_named_short() {
        let lambda = service("lambda").expect("lambda");
        let path = "/x".repeat(100_000);
        let error = unknown(lambda, Protocol::RestJson, "GET", &path, None);
        assert_eq!(
            (error.status, error.code.as_str()),
            (404, "UnknownOperationException")
        );
        assert!(error.message.len() < 400, "{}", error.message.len());
        assert!(error.message.ends_with("..."));
    }

    #[test]
    fn reads_are_allowed_and_writes_are_not_implemented() {
        let (lambda, list) = found("lambda", "ListFunctions");
        assert!(allowed(lambda, Protocol::RestJson, list).is_ok());
        let (_, create) = found("lambda", "CreateFunction");
        let refused =
            allowed(lambda, Protocol::RestJson, create).map_err(|error| (error.status, error.code));
        assert_eq!(refused, Err((501, "NotImplemented".to_owned())));
        let (ec2, run) = found("ec2", "RunInstances");
        let refused = allowed(ec2, Protocol::Ec2, run).map_err(|error| error.code);
        assert_eq!(refused, Err("UnsupportedOperation".to_owned()));
    }

    #[test]
    fn credential_errors_are_each_familys_own() {
        let query = |code: &str, message: &str| ApiError::new(403, code, message);
        let cases = [
            (
                Protocol::Json,
                "InvalidClientTokenId",
                400,
                "UnrecognizedClientException",
            ),
            (
                Protocol::Json,
                "SignatureDoesNotMatch",
                400,
                "InvalidSignatureException",
            ),
            (
                Protocol::Json,
                "MissingAuthenticationToken",
                400,
                "MissingAuthenticationTokenException",
            ),
            (
                Protocol::RestJson,
                "InvalidClientTokenId",
                403,
                "UnrecognizedClientException",
            ),
            (
                Protocol::RestJson,
                "SignatureDoesNotMatch",
                403,
                "InvalidSignatureException",
            ),
            (
                Protocol::RestJson,
                "MissingAuthenticationToken",
                403,
                "MissingAuthenticationTokenException",
            ),
            (
                Protocol::RestXml,
                "SignatureDoesNotMatch",
                403,
                "SignatureDoesNotMatch",
            ),
            (
                Protocol::RestXml,
                "InvalidClientTokenId",
                403,
                "InvalidClientTokenId",
            ),
            (
                Protocol::Query,
                "SignatureDoesNotMatch",
                403,
                "SignatureDoesNotMatch",
            ),
            (Protocol::Ec2, "SignatureDoesNotMatch", 401, "AuthFailure"),
            (Protocol::Ec2, "InvalidClientTokenId", 401, "AuthFailure"),
            (
                Protocol::Ec2,
                "MissingAuthenticationToken",
                401,
                "MissingAuthenticationToken",
            ),
        ];
        for (protocol, code, status, expected) in cases {
            let answer = authentication(
                protocol,
                query(code, "The request signature we calculated does not match"),
            );
            assert_eq!(
                (answer.status, answer.code.as_str()),
                (status, expected),
                "{protocol:?} {code}"
            );
        }
        let skewed = authentication(
            Protocol::Ec2,
            query(
                "SignatureDoesNotMatch",
                "Signature expired: 20260101T000000Z is now earlier than ...",
            ),
        );
        assert_eq!(skewed.code, "RequestExpired");
    }

    #[test]
    fn denials_are_worded_as_each_service_models_them() {
        let denied_as = |name: &str, protocol: Protocol| {
            let service = service(name).expect("service");
            let error = denied(
                service,
                protocol,
                ApiError::access_denied(
                    "User: u is not authorized to perform: x:Y because no identity-based policy allows the x:Y action",
                ),
                "rid-1",
            );
            (error.status, error.code, error.message)
        };
        assert_eq!(
            denied_as("lambda", Protocol::RestJson).1,
            "AccessDeniedException"
        );
        assert_eq!(
            denied_as("apigateway", Protocol::RestJson).1,
            "AccessDeniedException"
        );
        assert_eq!(denied_as("route53", Protocol::RestXml).1, "AccessDenied");
        assert_eq!(denied_as("sns", Protocol::Query).1, "AuthorizationError");
        assert_eq!(
            denied_as("dynamodb", Protocol::Json).1,
            "AccessDeniedException"
        );
        let (status, code, message) = denied_as("ec2", Protocol::Ec2);
        assert_eq!((status, code.as_str()), (403, "UnauthorizedOperation"));
        let encoded = base64::engine::general_purpose::STANDARD.encode("rid-1");
        assert!(
            message.starts_with("You are not authorized to perform this operation. User: u"),
            "{message}"
        );
        assert!(
            message.ends_with(&format!("Encoded authorization failure message: {encoded}")),
            "{message}"
        );
    }
}
