//! AWS errors classified once, from their error code and HTTP status, into the
//! [`ErrorClass`] that drives retries, idempotent re-runs and teardown. [`ErrorInfo`]
//! pulls the code, message and status out of any SDK error, so step kinds never match
//! on service-specific error enums.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What an AWS error means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Throttling, a server fault, a concurrent modification, a timeout or a failed
    /// connection: try again after a backoff.
    Retryable,
    /// The credentials are not (yet) recognized: a new access key or session that IAM
    /// has not propagated answers with these. Retry while settling a credential that
    /// was just made; anywhere else it is fatal. A signature error is included because
    /// a fresh key can briefly produce one; a wrong secret then fails at the deadline.
    Propagating,
    /// The resource exists already (never adopted: awslab does not own it).
    AlreadyExists,
    /// The resource does not exist (teardown counts it as done).
    NotFound,
    /// A genuine authorization denial. Right after a policy change this can also be
    /// propagation; whether to wait is the caller's decision.
    Denied,
    /// Anything else: a validation error, a quota (`LimitExceeded`), a conflict.
    Fatal,
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Retryable => "retryable",
            Self::Propagating => "propagating",
            Self::AlreadyExists => "already exists",
            Self::NotFound => "not found",
            Self::Denied => "denied",
            Self::Fatal => "fatal",
        })
    }
}

const RETRYABLE: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalError",
    "InternalFailure",
    "InternalServiceError",
    "ServiceFailure",
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
    "ConcurrentModification",
    "ConcurrentModificationException",
];

const PROPAGATING: &[&str] = &[
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "UnrecognizedClientException",
    "AuthFailure",
    "SignatureDoesNotMatch",
    "InvalidToken",
];

const ALREADY_EXISTS: &[&str] = &[
    "EntityAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "BucketAlreadyExists",
    "AlreadyExistsException",
];

const NOT_FOUND: &[&str] = &[
    "NoSuchEntity",
    "NoSuchBucket",
    "NoSuchKey",
    "NotFound",
    "NoSuchEntityException",
];

const DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AllAccessDisabled",
];

/// Where an SDK error came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorSource {
    /// The service answered with an error.
    Service,
    /// No answer in time: the call may or may not have happened.
    Timeout,
    /// The request could not be sent (connection, DNS, TLS).
    Dispatch,
    /// The answer could not be read.
    Response,
    /// The request could not be built; it was never sent.
    Construction,
}

/// The facts of an AWS error that classification needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorInfo {
    pub source: ErrorSource,
    pub code: Option<String>,
    pub message: Option<String>,
    pub status: Option<u16>,
}

impl ErrorInfo {
    /// A service error with `code`, for tests and hand-built errors.
    pub fn service(code: &str, message: Option<&str>, status: Option<u16>) -> Self {
        Self {
            source: ErrorSource::Service,
            code: Some(code.to_owned()),
            message: message.map(str::to_owned),
            status,
        }
    }

    /// Pulls code, message and HTTP status from an SDK error of any operation.
    pub fn from_sdk<E>(error: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let source = match error {
            SdkError::ServiceError(_) => ErrorSource::Service,
            SdkError::TimeoutError(_) => ErrorSource::Timeout,
            SdkError::DispatchFailure(_) => ErrorSource::Dispatch,
            SdkError::ResponseError(_) => ErrorSource::Response,
            _ => ErrorSource::Construction,
        };
        let message = error.message().map(str::to_owned).or_else(|| match source {
            ErrorSource::Service => None,
            _ => Some(display_chain(error)),
        });
        Self {
            source,
            code: error.code().map(str::to_owned),
            message,
            status: error
                .raw_response()
                .map(|response| response.status().as_u16()),
        }
    }

    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        classify(self)
    }
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (Some(code), None) => f.write_str(code),
            (None, Some(message)) => f.write_str(message),
            (None, None) => match self.status {
                Some(status) => write!(f, "HTTP status {status}"),
                None => f.write_str("unknown error"),
            },
        }
    }
}

fn display_chain(error: &dyn StdError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Classifies an error by its code first, then by its HTTP status.
pub fn classify(error: &ErrorInfo) -> ErrorClass {
    match error.source {
        ErrorSource::Timeout | ErrorSource::Dispatch => return ErrorClass::Retryable,
        ErrorSource::Construction => return ErrorClass::Fatal,
        ErrorSource::Service | ErrorSource::Response => {}
    }
    if let Some(code) = error.code.as_deref() {
        let is = |table: &[&str]| table.contains(&code);
        if is(RETRYABLE) {
            return ErrorClass::Retryable;
        }
        if is(PROPAGATING) {
            return ErrorClass::Propagating;
        }
        if is(ALREADY_EXISTS) {
            return ErrorClass::AlreadyExists;
        }
        if is(NOT_FOUND) {
            return ErrorClass::NotFound;
        }
        if is(DENIED) {
            return ErrorClass::Denied;
        }
        // CloudFormation reports a missing stack as a validation error.
        if code == "ValidationError"
            && error
                .message
                .as_deref()
                .is_some_and(|message| message.contains("does not exist"))
        {
            return ErrorClass::NotFound;
        }
        if error.status.is_none_or(|status| status < 500) {
            return ErrorClass::Fatal;
        }
    }
    match error.status {
        Some(429 | 500..=599) => ErrorClass::Retryable,
        Some(404) => ErrorClass::NotFound,
        Some(403) => ErrorClass::Denied,
        _ => ErrorClass::Fatal,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

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
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

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
}
