//! Listing a bucket (`ListObjects` v1 and v2, and `ListObjectVersions`): prefix,
//! delimiter with common prefixes, and pagination by marker, key marker, start-after or
//! continuation token.

use super::{Listing, S3Output, bucket};
use crate::services::ApiError;
use crate::state::World;

pub(super) fn list(world: &World, listing: Listing) -> Result<S3Output, ApiError> {
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
