//! Table tests of error classification and of reading SDK errors.

use super::*;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;

#[test]
fn classifies_error_codes_and_statuses() {
    let table: &[(&str, Option<&str>, Option<u16>, ErrorClass)] = &[
        ("Throttling", None, Some(400), ErrorClass::Retryable),
        (
            "ThrottlingException",
            None,
            Some(400),
            ErrorClass::Retryable,
        ),
        (
            "RequestLimitExceeded",
            None,
            Some(503),
            ErrorClass::Retryable,
        ),
        ("ServiceUnavailable", None, Some(503), ErrorClass::Retryable),
        ("InternalError", None, Some(500), ErrorClass::Retryable),
        (
            "ConcurrentModification",
            None,
            Some(409),
            ErrorClass::Retryable,
        ),
        ("SomethingNew", None, Some(502), ErrorClass::Retryable),
        ("LimitExceeded", None, Some(409), ErrorClass::Fatal),
        (
            "InvalidClientTokenId",
            None,
            Some(403),
            ErrorClass::Propagating,
        ),
        (
            "InvalidAccessKeyId",
            None,
            Some(403),
            ErrorClass::Propagating,
        ),
        (
            "SignatureDoesNotMatch",
            None,
            Some(403),
            ErrorClass::Propagating,
        ),
        ("AuthFailure", None, Some(401), ErrorClass::Propagating),
        (
            "EntityAlreadyExists",
            None,
            Some(409),
            ErrorClass::AlreadyExists,
        ),
        (
            "BucketAlreadyOwnedByYou",
            None,
            Some(409),
            ErrorClass::AlreadyExists,
        ),
        (
            "BucketAlreadyExists",
            None,
            Some(409),
            ErrorClass::AlreadyExists,
        ),
        (
            "AlreadyExistsException",
            None,
            Some(400),
            ErrorClass::AlreadyExists,
        ),
        ("NoSuchEntity", None, Some(404), ErrorClass::NotFound),
        ("NoSuchBucket", None, Some(404), ErrorClass::NotFound),
        ("NoSuchKey", None, Some(404), ErrorClass::NotFound),
        (
            "ValidationError",
            Some("Stack with id sts-lab does not exist"),
            Some(400),
            ErrorClass::NotFound,
        ),
        (
            "ValidationError",
            Some("Template format error"),
            Some(400),
            ErrorClass::Fatal,
        ),
        ("AccessDenied", None, Some(403), ErrorClass::Denied),
        ("AccessDeniedException", None, Some(400), ErrorClass::Denied),
        ("UnauthorizedOperation", None, Some(403), ErrorClass::Denied),
        ("AllAccessDisabled", None, Some(403), ErrorClass::Denied),
        ("DeleteConflict", None, Some(409), ErrorClass::Fatal),
        ("ExpiredToken", None, Some(403), ErrorClass::Fatal),
        ("MalformedPolicyDocument", None, None, ErrorClass::Fatal),
    ];
    for (code, message, status, expected) in table {
        let info = ErrorInfo::service(code, *message, *status);
        assert_eq!(info.class(), *expected, "{code} {message:?} {status:?}");
    }
}

#[test]
fn classifies_errors_without_a_code_by_status() {
    let bare = |status| ErrorInfo {
        source: ErrorSource::Service,
        code: None,
        message: None,
        status: Some(status),
    };
    assert_eq!(bare(404).class(), ErrorClass::NotFound);
    assert_eq!(bare(403).class(), ErrorClass::Denied);
    assert_eq!(bare(503).class(), ErrorClass::Retryable);
    assert_eq!(bare(429).class(), ErrorClass::Retryable);
    assert_eq!(bare(400).class(), ErrorClass::Fatal);
}

#[test]
fn classifies_transport_failures_as_retryable_and_construction_as_fatal() {
    let transport = |source| ErrorInfo {
        source,
        code: None,
        message: None,
        status: None,
    };
    assert_eq!(
        transport(ErrorSource::Timeout).class(),
        ErrorClass::Retryable
    );
    assert_eq!(
        transport(ErrorSource::Dispatch).class(),
        ErrorClass::Retryable
    );
    assert_eq!(
        transport(ErrorSource::Construction).class(),
        ErrorClass::Fatal
    );
}

#[test]
fn reads_code_message_and_status_from_an_sdk_error() {
    let meta = ErrorMetadata::builder()
        .code("InvalidClientTokenId")
        .message("The security token is not valid")
        .build();
    let error = GetCallerIdentityError::generic(meta);
    let response = HttpResponse::new(403.try_into().unwrap(), SdkBody::empty());
    let sdk_error = SdkError::service_error(error, response);
    let info = ErrorInfo::from_sdk(&sdk_error);
    assert_eq!(info.code.as_deref(), Some("InvalidClientTokenId"));
    assert_eq!(
        info.message.as_deref(),
        Some("The security token is not valid")
    );
    assert_eq!(info.status, Some(403));
    assert_eq!(info.class(), ErrorClass::Propagating);
}

#[test]
fn reads_the_code_from_an_error_body_nested_under_errors() {
    let body = "<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>\
                <Message>bad signature</Message></Error></Errors></ErrorResponse>";
    let error = GetCallerIdentityError::generic(ErrorMetadata::builder().build());
    let response = HttpResponse::new(403.try_into().unwrap(), SdkBody::from(body));
    let info = ErrorInfo::from_sdk(&SdkError::service_error(error, response));
    assert_eq!(info.code.as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(info.message.as_deref(), Some("bad signature"));
    assert_eq!(info.class(), ErrorClass::Propagating);
}
