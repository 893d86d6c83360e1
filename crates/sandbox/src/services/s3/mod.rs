//! S3: buckets in one namespace shared by every account, objects, listings (v1 and
//! v2 with prefix, delimiter and pagination), multipart uploads, tagging, versioning
//! status and bucket policies. Each operation is one registry entry
//! ([`OPERATIONS`]: name, whether it mutates, its checks on the resource AWS
//! authorizes it on, its handler), reading the protocol-neutral `Input` the wire
//! decoded from S3's route table; bucket policies are the resource-based policy of
//! every bucket and object check. An operation of S3's model that is not listed is
//! authorized by its action, then answered `NotImplemented` ([`Unemulated`]).

#[cfg(test)]
pub(crate) mod actions_tests;
mod buckets;
pub mod cfn;
mod conditional;
mod handle;
mod list;
pub mod multipart;
mod objects;
mod policy;
mod range;

use base64::Engine as _;

pub use crate::model::s3::{Listing, S3Output, WriteCondition};
pub use handle::Unemulated;
pub use policy::precheck;

use crate::services::S3Error;
use crate::services::{ApiError, Call, CallOperation, Check, Input, ResourcePolicy};
use crate::state::World;
use crate::state::world::Bucket;

/// An S3 operation as the registry lists it: answering S3's typed output, which the
/// wire encodes as REST-XML.
pub type RestOperation = CallOperation<S3Output>;

/// Every operation the sandbox emulates, by the name S3's model gives it.
pub static OPERATIONS: &[&[RestOperation]] = &[
    buckets::OPERATIONS,
    objects::OPERATIONS,
    list::OPERATIONS,
    multipart::OPERATIONS,
];

/// The resource `s3:ListAllMyBuckets` is authorized against.
const ALL_BUCKETS: &str = "arn:aws:s3:::*";

fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

fn on_bucket(action: &str, bucket: &str) -> Check {
    let mut check = Check::new(action, bucket_arn(bucket));
    check.resource_policy = ResourcePolicy::Bucket(bucket.to_owned());
    check
}

fn on_object(action: &str, bucket: &str, key: &str) -> Check {
    let mut check = Check::new(action, format!("arn:aws:s3:::{bucket}/{key}"));
    check.resource_policy = ResourcePolicy::Bucket(bucket.to_owned());
    check
}

/// The request's bucket (its `Bucket` member, from the host or the path).
fn bucket_name<'c>(call: &'c Call<'_, '_>) -> Result<&'c str, ApiError> {
    call.input.required("Bucket")
}

/// The request's key (its `Key` member).
fn key_name<'c>(call: &'c Call<'_, '_>) -> Result<&'c str, ApiError> {
    call.input.required("Key")
}

/// A check of `action` on the request's bucket.
fn bucket_check(action: &str, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
    Ok(vec![on_bucket(action, bucket_name(call)?)])
}

/// A check of `action` on the request's object.
fn object_check(action: &str, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
    Ok(vec![on_object(action, bucket_name(call)?, key_name(call)?)])
}

/// The precondition of a conditional write: `If-None-Match: *` or `If-Match: ETAG`
/// (either quoted or bare). S3 takes no other `If-None-Match` on a write and answers
/// `NotImplemented` naming the header.
fn write_condition(input: &Input) -> Result<Option<WriteCondition>, ApiError> {
    if let Some(value) = input.get("IfNoneMatch") {
        if value.trim() != "*" {
            return Err(ApiError::of(
                S3Error::NotImplemented,
                "A header you provided implies functionality that is not implemented",
            )
            .with("Header", "If-None-Match"));
        }
        return Ok(Some(WriteCondition::IfNoneMatch));
    }
    Ok(input
        .get("IfMatch")
        .map(|etag| WriteCondition::IfMatch(etag.trim().trim_matches('"').to_owned())))
}

/// A write's checks: `s3:PutObject`, with the condition keys `s3:if-none-match` and
/// `s3:if-match` that bucket policies use to require conditional writes, and
/// `s3:GetObject` as well under `If-Match` (S3 user guide, conditional writes).
fn conditional_checks(call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
    let (bucket, key) = (bucket_name(call)?, key_name(call)?);
    let put = on_object("s3:PutObject", bucket, key);
    Ok(match write_condition(call.input)? {
        None => vec![put],
        Some(WriteCondition::IfNoneMatch) => vec![put.key("s3:if-none-match", "*")],
        Some(WriteCondition::IfMatch(etag)) => vec![
            put.key("s3:if-match", etag),
            on_object("s3:GetObject", bucket, key),
        ],
    })
}

/// A count parameter (`max-keys`, `max-uploads`, `max-parts`: member `member`), at
/// most `default`, or S3's `InvalidArgument` naming `parameter`.
fn count(input: &Input, member: &str, parameter: &str, default: usize) -> Result<usize, ApiError> {
    match input.get(member) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map(|n| n.min(default)).map_err(|_| {
            ApiError::of(
                S3Error::InvalidArgument,
                format!("Provided {parameter} not an integer or within integer range"),
            )
            .with("ArgumentName", parameter)
            .with("ArgumentValue", text)
        }),
    }
}

/// Reads `EncodingType`: `Ok(true)` for `url`, S3's `InvalidArgument` for any other.
fn url_encoded(input: &Input) -> Result<bool, ApiError> {
    match input.get("EncodingType") {
        None => Ok(false),
        Some(kind) if kind.eq_ignore_ascii_case("url") => Ok(true),
        Some(kind) => Err(ApiError::of(
            S3Error::InvalidArgument,
            "Invalid Encoding Method specified in Request",
        )
        .with("ArgumentName", "encoding-type")
        .with("ArgumentValue", kind)),
    }
}

/// A body the store could not read: the state is damaged or unreadable.
fn unreadable(error: &std::io::Error) -> ApiError {
    ApiError::new(
        500,
        "InternalError",
        format!("The sandbox could not read the object's body: {error}"),
    )
}

/// Checks a `Content-MD5` header against the body's MD5, as S3 does.
fn check_content_md5(header: Option<&str>, digest: &[u8; 16]) -> Result<(), ApiError> {
    let Some(header) = header else {
        return Ok(());
    };
    let sent = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .ok()
        .filter(|sent| sent.len() == 16)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.",
            )
            .with("Content-MD5", header)
        })?;
    if sent != digest {
        return Err(ApiError::new(
            400,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        )
        .with("ExpectedDigest", header)
        .with(
            "CalculatedDigest",
            &base64::engine::general_purpose::STANDARD.encode(digest),
        ));
    }
    Ok(())
}

fn no_such_bucket(bucket: &str) -> ApiError {
    ApiError::of(S3Error::NoSuchBucket, "The specified bucket does not exist")
        .with("BucketName", bucket)
}

fn bucket<'w>(world: &'w World, name: &str) -> Result<&'w Bucket, ApiError> {
    world.buckets.get(name).ok_or_else(|| no_such_bucket(name))
}

fn bucket_mut<'w>(world: &'w mut World, name: &str) -> Result<&'w mut Bucket, ApiError> {
    world
        .buckets
        .get_mut(name)
        .ok_or_else(|| no_such_bucket(name))
}

/// Checks a bucket name as S3 does for new buckets.
pub fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edges =
        |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&name.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && edges(bytes.first())
        && edges(bytes.last())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}
