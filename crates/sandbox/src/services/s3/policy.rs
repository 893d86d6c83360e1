//! Bucket policies as S3 checks them on `PutBucketPolicy`: the size limit of the one
//! table in `awslab_policy::Quota` (20 KB, whitespace not counted), before any parse,
//! then the grammar of a resource policy. [`precheck`] runs the check before the
//! world is locked, so that a large or malformed policy never delays other clients.

use awslab_policy::{PolicyDocument, PolicyKind, Quota};

use crate::services::S3Error;
use crate::services::{ApiError, Input};

/// The input of `operation`, with the verdict on a `PutBucketPolicy`'s policy reached
/// outside the lock (kept as the input's document verdict, as IAM keeps its own).
pub fn precheck(operation: &str, input: Input) -> Input {
    if operation != "PutBucketPolicy" {
        return input;
    }
    let verdict = check(input.get("Policy").unwrap_or_default()).map(|()| Vec::new());
    input.with_document_verdict(verdict)
}

/// Checks a bucket policy: its size, then its grammar.
pub(super) fn check(policy: &str) -> Result<(), ApiError> {
    if Quota::Bucket.size_of_text(policy) > Quota::Bucket.limit() {
        return Err(ApiError::of(
            S3Error::MalformedPolicy,
            "Policies must be less than 20 KB",
        ));
    }
    if let Err(errors) = PolicyDocument::parse_as(policy, PolicyKind::Resource) {
        let first = errors.first().map_or_else(String::new, ToString::to_string);
        return Err(ApiError::of(S3Error::MalformedPolicy, first));
    }
    Ok(())
}
