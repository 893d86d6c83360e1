//! AWS errors as a service returns them: [`ApiError`] (code, message, HTTP status, and
//! the extra elements S3 adds), and one enum of error codes per service so that a code
//! and its status are named once ([`IamError::NoSuchEntity`] is `404 NoSuchEntity`).
//! The same code may have a different status in another protocol (`ExpiredToken` is
//! 403 in the query protocol and 400 in S3's), hence an enum per service.

/// An error code and the HTTP status that goes with it.
pub trait ErrorCode: Copy {
    /// The code as AWS spells it (`NoSuchEntity`).
    fn code(self) -> &'static str;
    /// The HTTP status AWS answers it with.
    fn status(self) -> u16;
}

/// Defines an enum of error codes with their statuses.
macro_rules! error_codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $status:literal $(as $code:literal)?),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl ErrorCode for $name {
            fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => error_codes!(@code $variant $($code)?)),+
                }
            }

            fn status(self) -> u16 {
                match self {
                    $(Self::$variant => $status),+
                }
            }
        }
    };
    (@code $variant:ident $code:literal) => { $code };
    (@code $variant:ident) => { stringify!($variant) };
}

error_codes! {
    /// Codes every query or JSON service shares (and the sandbox's own refusals).
    CommonError {
        ValidationError = 400,
        AccessDenied = 403,
        InvalidAction = 400,
        MissingAction = 400,
        InternalFailure = 500,
        NotImplemented = 501,
        Throttling = 400,
        ThrottlingException = 400,
        MissingAuthenticationToken = 403,
        IncompleteSignature = 400,
        InvalidClientTokenId = 403,
        SignatureDoesNotMatch = 403,
        /// The payload hash of a query request does not match its body.
        PayloadSignatureDoesNotMatch = 400 as "SignatureDoesNotMatch",
        ExpiredToken = 403,
        InvalidParameterValue = 400,
    }
}

error_codes! {
    /// IAM's error codes (botocore `iam` model).
    IamError {
        NoSuchEntity = 404,
        EntityAlreadyExists = 409,
        DeleteConflict = 409,
        MalformedPolicyDocument = 400,
        LimitExceeded = 409,
        InvalidInput = 400,
        InvalidAuthenticationCode = 403,
        PasswordPolicyViolation = 400,
    }
}

error_codes! {
    /// STS's error codes (botocore `sts` model).
    StsError {
        InvalidIdentityToken = 400,
        ExpiredTokenException = 400,
        MalformedPolicyDocument = 400,
        InvalidAuthorizationMessageException = 400,
    }
}

error_codes! {
    /// S3's error codes (the S3 API reference's error code list).
    S3Error {
        NoSuchBucket = 404,
        NoSuchKey = 404,
        NoSuchUpload = 404,
        NoSuchTagSet = 404,
        NoSuchBucketPolicy = 404,
        BucketAlreadyExists = 409,
        BucketAlreadyOwnedByYou = 409,
        BucketNotEmpty = 409,
        PreconditionFailed = 412,
        ConditionalRequestConflict = 409,
        InvalidBucketName = 400,
        InvalidArgument = 400,
        InvalidRequest = 400,
        InvalidRange = 416,
        InvalidPart = 400,
        InvalidPartOrder = 400,
        InvalidURI = 400,
        EntityTooSmall = 400,
        EntityTooLarge = 400,
        KeyTooLongError = 400,
        MalformedXML = 400,
        MalformedPolicy = 400,
        NotImplemented = 501,
        InternalError = 500,
        SlowDown = 503,
        ServiceUnavailable = 503,
        RequestTimeout = 400,
        IncompleteBody = 400,
        InvalidAccessKeyId = 403,
        InvalidToken = 400,
        ExpiredToken = 400,
        RequestTimeTooSkewed = 403,
        AuthorizationHeaderMalformed = 400,
        AuthorizationQueryParametersError = 400,
        XAmzContentSHA256Mismatch = 400,
    }
}

error_codes! {
    /// `CloudFormation`'s error codes (botocore `cloudformation` model).
    CloudFormationError {
        AlreadyExistsException = 400,
        LimitExceededException = 400,
        InsufficientCapabilitiesException = 400,
        ChangeSetNotFound = 404,
        InvalidChangeSetStatus = 400,
    }
}

/// An AWS error as the service would return it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub status: u16,
    /// Extra elements S3 puts in its error body (`BucketName`, `Key`...).
    pub extra: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An error with a free-form code; prefer [`ApiError::of`] and a service's enum.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            status,
            extra: Vec::new(),
        }
    }

    /// The error `code` (its status is the code's own).
    pub fn of(code: impl ErrorCode, message: impl Into<String>) -> Self {
        Self::new(code.status(), code.code(), message)
    }

    /// Whether this error is `code`.
    pub fn is(&self, code: impl ErrorCode) -> bool {
        self.code == code.code()
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::of(CommonError::ValidationError, message)
    }

    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::of(IamError::NoSuchEntity, message)
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::of(IamError::EntityAlreadyExists, message)
    }

    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::of(IamError::DeleteConflict, message)
    }

    pub fn malformed_policy(message: impl Into<String>) -> Self {
        Self::of(IamError::MalformedPolicyDocument, message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::of(CommonError::AccessDenied, message)
    }

    #[must_use]
    pub fn with(mut self, name: &'static str, value: &str) -> Self {
        self.extra.push((name, value.to_owned()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiError, CommonError, ErrorCode, IamError, S3Error};

    #[test]
    fn a_code_names_its_status_once() {
        assert_eq!(IamError::NoSuchEntity.code(), "NoSuchEntity");
        assert_eq!(IamError::NoSuchEntity.status(), 404);
        assert_eq!(S3Error::ExpiredToken.status(), 400);
        assert_eq!(CommonError::ExpiredToken.status(), 403);
        assert_eq!(
            CommonError::PayloadSignatureDoesNotMatch.code(),
            "SignatureDoesNotMatch"
        );
        let error = ApiError::of(S3Error::NoSuchKey, "gone");
        assert_eq!((error.status, error.code.as_str()), (404, "NoSuchKey"));
        assert!(error.is(S3Error::NoSuchKey));
    }
}
