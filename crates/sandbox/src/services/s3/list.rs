//! Listing a bucket (`ListObjects` v1 and v2, and `ListObjectVersions`): prefix,
//! delimiter with common prefixes, and pagination by marker, key marker, start-after or
//! continuation token.

use super::{Listing, RestOperation, S3Output, bucket, bucket_name, count, on_bucket, url_encoded};
use crate::services::{ApiError, Call, Check};
use crate::state::World;

/// The listings: one handler, three operations of S3's model.
pub(super) static OPERATIONS: &[RestOperation] = &[
    RestOperation {
        name: "ListObjects",
        mutates: false,
        checks: |_, call| Ok(checks(&listing(call, Kind::V1)?)),
        run: |world, call| list(world, listing(call, Kind::V1)?),
    },
    RestOperation {
        name: "ListObjectsV2",
        mutates: false,
        checks: |_, call| Ok(checks(&listing(call, Kind::V2)?)),
        run: |world, call| list(world, listing(call, Kind::V2)?),
    },
    RestOperation {
        name: "ListObjectVersions",
        mutates: false,
        checks: |_, call| Ok(checks(&listing(call, Kind::Versions)?)),
        run: |world, call| list(world, listing(call, Kind::Versions)?),
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    V1,
    V2,
    Versions,
}

/// `s3:ListBucket` (`s3:ListBucketVersions`), with the condition keys a bucket policy
/// may scope a listing by.
fn checks(listing: &Listing) -> Vec<Check> {
    let action = if listing.versions {
        "s3:ListBucketVersions"
    } else {
        "s3:ListBucket"
    };
    let mut check = on_bucket(action, &listing.bucket)
        .key("s3:prefix", listing.prefix.as_str())
        .key("s3:max-keys", listing.max_keys.to_string());
    if let Some(delimiter) = &listing.delimiter {
        check = check.key("s3:delimiter", delimiter.as_str());
    }
    vec![check]
}

/// The listing a request asks for.
fn listing(call: &Call<'_, '_>, kind: Kind) -> Result<Listing, ApiError> {
    let input = call.input;
    let versions = kind == Kind::Versions;
    let v2 = kind == Kind::V2;
    let max_keys = count(input, "MaxKeys", "max-keys", 1000).map_err(|_| {
        ApiError::of(
            crate::services::S3Error::InvalidArgument,
            "Provided max-keys not an integer or within integer range",
        )
    })?;
    let url_encoded = url_encoded(input)?;
    let continuation_token = input.get("ContinuationToken").map(str::to_owned);
    let start_after = if v2 {
        input.get("StartAfter").map(str::to_owned)
    } else {
        None
    };
    let after = if versions {
        input
            .get("KeyMarker")
            .filter(|marker| !marker.is_empty())
            .map(str::to_owned)
    } else if v2 {
        continuation_token
            .as_deref()
            .map(decode_token)
            .or_else(|| start_after.clone())
    } else {
        input.get("Marker").map(str::to_owned)
    };
    Ok(Listing {
        bucket: bucket_name(call)?.to_owned(),
        v2,
        prefix: input.get("Prefix").unwrap_or_default().to_owned(),
        delimiter: input.get("Delimiter").map(str::to_owned),
        max_keys,
        after,
        continuation_token,
        start_after,
        url_encoded,
        versions,
    })
}

/// The key a v2 continuation token stands for (the sandbox's tokens are the base64
/// of the last key listed).
fn decode_token(token: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

fn list(world: &World, listing: Listing) -> Result<S3Output, ApiError> {
    let found = bucket(world, &listing.bucket)?;
    let mut objects = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut next = None;
    let after = listing.after.clone().unwrap_or_default();
    for (key, object) in found.objects.range(after.clone()..) {
        if *key == after || !key.starts_with(&listing.prefix) {
            continue;
        }
        let rolled = listing
            .delimiter
            .as_ref()
            .filter(|d| !d.is_empty())
            .and_then(|delimiter| {
                let rest = &key[listing.prefix.len()..];
                rest.find(delimiter.as_str())
                    .map(|index| format!("{}{}", listing.prefix, &rest[..index + delimiter.len()]))
            });
        if let Some(prefix) = &rolled
            && (prefixes.last() == Some(prefix) || prefix.as_str() <= after.as_str())
        {
            continue;
        }
        if objects.len() + prefixes.len() >= listing.max_keys {
            next = objects
                .last()
                .map(|(key, ..): &(String, usize, String, i64)| key.clone())
                .into_iter()
                .chain(prefixes.last().cloned())
                .max();
            break;
        }
        match rolled {
            Some(prefix) => prefixes.push(prefix),
            None => objects.push((
                key.clone(),
                usize::try_from(object.body.len()).unwrap_or(usize::MAX),
                object.etag.clone(),
                object.modified,
            )),
        }
    }
    Ok(S3Output::Listing {
        request: listing,
        objects,
        prefixes,
        next,
    })
}
