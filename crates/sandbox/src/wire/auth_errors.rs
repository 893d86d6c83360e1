//! How each protocol family names a credential problem: the query protocol's
//! `InvalidClientTokenId`, `SignatureDoesNotMatch`, `ExpiredToken`..., and S3's
//! `InvalidAccessKeyId`, `InvalidToken`, `RequestTimeTooSkewed`..., with AWS's messages.

use super::regions;
use crate::auth::sigv4::{Malformed, Placement, Problem};
use crate::auth::{self, AuthError};
use crate::services::{self, ApiError};

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
            ApiError::new(403, "SignatureDoesNotMatch", error.message.clone())
        }
        Problem::QueryParameters if s3 => ApiError::new(
            400,
            "AuthorizationQueryParametersError",
            error.message.clone(),
        ),
        Problem::Unsupported if s3 => ApiError::new(400, "InvalidRequest", error.message.clone()),
        Problem::Header | Problem::QueryParameters | Problem::Unsupported => {
            auth_error(&AuthError::Malformed(error.message.clone()), family)
        }
    }
}

/// AWS's answer to a credential problem, per protocol family.
pub fn auth_error(error: &AuthError, family: Family) -> ApiError {
    let s3 = family == Family::S3;
    match error {
        AuthError::Missing => ApiError::new(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ),
        AuthError::Malformed(message) if s3 => {
            ApiError::new(400, "AuthorizationHeaderMalformed", message.clone())
        }
        AuthError::Malformed(message) => ApiError::new(400, "IncompleteSignature", message.clone()),
        AuthError::WrongToken if s3 => ApiError::new(
            400,
            "InvalidToken",
            "The provided token is malformed or otherwise invalid.",
        ),
        AuthError::UnknownKey | AuthError::MissingToken if s3 => ApiError::new(
            403,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        AuthError::UnknownKey | AuthError::MissingToken | AuthError::WrongToken => ApiError::new(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ),
        AuthError::Expired if s3 => {
            ApiError::new(400, "ExpiredToken", "The provided token has expired.")
        }
        AuthError::Expired => ApiError::new(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        ),
        AuthError::RequestExpired => ApiError::new(403, "AccessDenied", "Request has expired"),
        AuthError::Skewed { signed, now } if s3 => ApiError::new(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", &services::timestamp(*signed))
        .with("ServerTime", &services::timestamp(*now))
        .with("MaxAllowedSkewMilliseconds", "900000"),
        AuthError::Skewed { signed, now } => {
            let limit = if signed < now {
                now - auth::ALLOWED_SKEW_SECONDS
            } else {
                now + auth::ALLOWED_SKEW_SECONDS
            };
            let (relation, sign) = if signed < now {
                ("is now earlier than", '-')
            } else {
                ("is still later than", '+')
            };
            let compact = |at: i64| services::timestamp(at).replace(['-', ':'], "");
            ApiError::new(
                403,
                "SignatureDoesNotMatch",
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
        AuthError::Mismatch if s3 => ApiError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
        AuthError::Mismatch => ApiError::new(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ),
        AuthError::PayloadMismatch if s3 => ApiError::new(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
        AuthError::PayloadMismatch => ApiError::new(
            400,
            "SignatureDoesNotMatch",
            "The payload hash does not match the payload.",
        ),
    }
}
