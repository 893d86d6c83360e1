//! What authentication can conclude, in words the wire turns into each protocol's
//! error: why credentials were refused ([`AuthError`]) and why a signature was refused
//! unread ([`Malformed`]).

/// How far a request's signing time may be from the clock (AWS: 15 minutes).
pub const ALLOWED_SKEW_SECONDS: i64 = 15 * 60;

/// Why a request's credentials were refused; the wire layer names it per service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No signature on an operation that needs one.
    Missing,
    /// The signature could not be read.
    Malformed(String),
    /// The access key does not exist or is inactive.
    UnknownKey,
    /// A temporary key without its session token.
    MissingToken,
    /// A temporary key with a different session token.
    WrongToken,
    /// Temporary credentials past their expiry.
    Expired,
    /// A presigned URL past its expiry.
    RequestExpired,
    /// Signed more than 15 minutes away from the clock.
    Skewed { signed: i64, now: i64 },
    /// The signature is not the one the secret gives.
    Mismatch,
    /// The declared payload hash is not the body's.
    PayloadMismatch,
}

/// Where the signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Header,
    Query,
}

/// A request whose signature could not even be read, or is refused before it is
/// checked; the wire names it per protocol (`wire::auth_errors::malformed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub problem: Problem,
    pub message: String,
}

/// What is wrong with a signature that is refused unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The `Authorization` header cannot be read.
    Header,
    /// A presigned URL's `X-Amz-*` parameters cannot be read or are out of bounds.
    QueryParameters,
    /// The credential scope names a region that does not exist.
    Region {
        region: String,
        placement: Placement,
    },
    /// Another signing mechanism: `SigV2` (`Authorization: AWS ...`, or
    /// `AWSAccessKeyId` and `Signature` in the query).
    Unsupported,
}
