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
    // STS could not reach a web identity provider; AWS says to retry.
    "IDPCommunicationError",
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
        let raw = error.raw_response();
        let body = raw
            .and_then(|response| response.body().bytes())
            .and_then(|body| std::str::from_utf8(body).ok());
        let code = error
            .code()
            .map(str::to_owned)
            .or_else(|| body.and_then(|body| xml_element(body, "Code")));
        let message = message.or_else(|| body.and_then(|body| xml_element(body, "Message")));
        let status = raw.map(|response| response.status().as_u16());
        Self {
            source,
            code,
            message,
            status,
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

/// The text of the first `<name>` element of an XML error body. The SDK parses the
/// error shape of its protocol; this reads servers that nest it differently (moto
/// answers query-protocol errors as `<ErrorResponse><Errors><Error>`).
fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{name}>"))?;
    Some(body[start..end].trim().to_owned()).filter(|text| !text.is_empty())
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

/// An SDK error's facts and a message for people: `what: Code: message`.
pub fn describe<E>(what: &str, error: &SdkError<E, HttpResponse>) -> (ErrorInfo, String)
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    let info = ErrorInfo::from_sdk(error);
    let message = format!("{what}: {info}");
    (info, message)
}

#[cfg(test)]
mod tests;
