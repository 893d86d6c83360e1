//! How each protocol family names a credential problem: the query protocol's
//! `InvalidClientTokenId`, `SignatureDoesNotMatch`, `ExpiredToken`..., and S3's
//! `InvalidAccessKeyId`, `InvalidToken`, `RequestTimeTooSkewed`..., with AWS's messages.

use super::regions;
use crate::model::auth::{ALLOWED_SKEW_SECONDS, AuthError, Malformed, Placement, Problem};
use crate::model::{ApiError, timestamp};
use crate::model::{CommonError, S3Error};

/// The protocol family, for naming authentication errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Query,
    S3,
}

/// AWS's answer to a signature refused unread, per protocol family.
pub fn malformed(error: &Malformed, family: Family) -> ApiError {
    let s3 = family == Family::S3;
    match &error.problem {
        Problem::Region { region, placement } if s3 => {
            let (code, message) = match placement {
                Placement::Header => (
                    "AuthorizationHeaderMalformed",
                    format!(
                        "The authorization header is malformed; the region '{region}' is wrong; expecting '{}'",
                        regions::DEFAULT
                    ),
                ),
                Placement::Query => (
                    "AuthorizationQueryParametersError",
                    format!(
                        "Error parsing the X-Amz-Credential parameter; the region '{region}' is wrong; expecting '{}'",
                        regions::DEFAULT
                    ),
                ),
            };
            ApiError::new(400, code, message).with("Region", regions::DEFAULT)
        }
        Problem::Region { .. } => {
            ApiError::of(CommonError::SignatureDoesNotMatch, error.message.clone())
        }
        Problem::QueryParameters if s3 => ApiError::of(
            S3Error::AuthorizationQueryParametersError,
            error.message.clone(),
        ),
        Problem::Unsupported if s3 => ApiError::of(S3Error::InvalidRequest, error.message.clone()),
        Problem::Header | Problem::QueryParameters | Problem::Unsupported => {
            auth_error(&AuthError::Malformed(error.message.clone()), family)
        }
    }
}

/// AWS's answer to a credential problem, per protocol family.
pub fn auth_error(error: &AuthError, family: Family) -> ApiError {
    let s3 = family == Family::S3;
    match error {
        AuthError::Missing => ApiError::of(
            CommonError::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        ),
        AuthError::Malformed(message) if s3 => {
            ApiError::of(S3Error::AuthorizationHeaderMalformed, message.clone())
        }
        AuthError::Malformed(message) => {
            ApiError::of(CommonError::IncompleteSignature, message.clone())
        }
        AuthError::WrongToken if s3 => ApiError::of(
            S3Error::InvalidToken,
            "The provided token is malformed or otherwise invalid.",
        ),
        AuthError::UnknownKey | AuthError::MissingToken if s3 => ApiError::of(
            S3Error::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        AuthError::UnknownKey | AuthError::MissingToken | AuthError::WrongToken => ApiError::of(
            CommonError::InvalidClientTokenId,
            "The security token included in the request is invalid.",
        ),
        AuthError::Expired if s3 => {
            ApiError::of(S3Error::ExpiredToken, "The provided token has expired.")
        }
        AuthError::Expired => ApiError::of(
            CommonError::ExpiredToken,
            "The security token included in the request is expired",
        ),
        AuthError::RequestExpired => ApiError::of(CommonError::AccessDenied, "Request has expired"),
        AuthError::Skewed { signed, now } if s3 => ApiError::of(
            S3Error::RequestTimeTooSkewed,
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", &timestamp(*signed))
        .with("ServerTime", &timestamp(*now))
        .with("MaxAllowedSkewMilliseconds", "900000"),
        AuthError::Skewed { signed, now } => {
            let limit = if signed < now {
                now - ALLOWED_SKEW_SECONDS
            } else {
                now + ALLOWED_SKEW_SECONDS
            };
            let (relation, sign) = if signed < now {
                ("is now earlier than", '-')
            } else {
                ("is still later than", '+')
            };
            let compact = |at: i64| timestamp(at).replace(['-', ':'], "");
            ApiError::of(
                CommonError::SignatureDoesNotMatch,
                format!(
                    "Signature {}: {} {relation} {} ({} {sign} 15 min.)",
                    if signed < now {
                        "expired"
                    } else {
                        "not yet current"
                    },
                    compact(*signed),
                    compact(limit),
                    compact(*now)
                ),
            )
        }
        AuthError::Mismatch if s3 => ApiError::of(
            CommonError::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        AuthError::Mismatch => ApiError::of(
            CommonError::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ),
        AuthError::PayloadMismatch if s3 => ApiError::of(
            S3Error::XAmzContentSHA256Mismatch,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
        AuthError::PayloadMismatch => ApiError::of(
            CommonError::PayloadSignatureDoesNotMatch,
            "The payload hash does not match the payload.",
        ),
    }
}
