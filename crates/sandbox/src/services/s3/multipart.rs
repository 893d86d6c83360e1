//! Multipart uploads (`aws s3 cp` of a file over 8 MB): create, upload part, complete
//! (`ETag` `md5-of-part-md5s-N`), abort, list uploads and list parts, with S3's part
//! rules (numbers 1..=10,000; every part but the last at least 5 MiB, checked at
//! completion) and the sandbox's own bounds, so nothing grows without limit: an object
//! made by an upload is at most [`MAX_OBJECT_BYTES`], and pending uploads hold at most
//! [`MAX_PENDING_BYTES`] and number at most [`MAX_PENDING_UPLOADS`] across the sandbox.
//! Pending uploads live in their bucket and go with it: S3 deletes a general purpose
//! bucket that has uploads in progress (only objects make it `BucketNotEmpty`).

use std::ops::Bound;

use md5::Digest as _;

use super::{
    RestOperation, S3Output, bucket, bucket_check, bucket_mut, bucket_name, conditional,
    conditional_checks, count, key_name, object_check, url_encoded, write_condition,
};
use crate::ids;
use crate::model::body::Payload;
use crate::services::{ApiError, Call};
use crate::state::World;
use crate::state::blobs::{Body, Ledger};
use crate::state::world::{Bucket, Object};

/// The smallest part S3 accepts, except for the last (5 MiB).
pub const MIN_PART_BYTES: usize = 5 * 1024 * 1024;
/// The highest part number.
pub const MAX_PART_NUMBER: u32 = 10_000;
/// The largest object a multipart upload may make in the sandbox (S3's is 48.8 TiB):
/// bodies are kept on disk and streamed (`state::blobs`), so this bounds disk, not
/// memory.
pub const MAX_OBJECT_BYTES: usize = 5 * 1024 * 1024 * 1024;
/// The bytes all pending uploads of the sandbox may hold together.
pub const MAX_PENDING_BYTES: usize = 8 * 1024 * 1024 * 1024;
/// How many uploads may be pending in the sandbox at once.
pub const MAX_PENDING_UPLOADS: usize = 1000;

/// The parts of `upload_id` in `bucket` numbered `first` or more, by number.
fn parts_of<'b>(
    bucket: &'b Bucket,
    upload_id: &str,
    first: u32,
) -> impl Iterator<Item = (u32, &'b Part)> + use<'b> {
    let start = part_key(upload_id, first.min(MAX_PART_NUMBER + 1));
    // `0` follows `/`: every key of the upload is below it.
    let end = format!("{upload_id}0");
    let prefix = upload_id.len() + 1;
    bucket
        .parts
        .range::<str, _>((
            Bound::Included(start.as_str()),
            Bound::Excluded(end.as_str()),
        ))
        .filter_map(move |(key, part)| Some((key.get(prefix..)?.parse().ok()?, part)))
}

/// Forgets `upload_id` and its parts, releasing the bodies of the parts not `kept`
/// (by number: those a completed object now holds).
fn forget(bucket: &mut Bucket, blobs: &mut Ledger, upload_id: &str, kept: &[u32]) {
    bucket.uploads.remove(upload_id);
    let numbers: Vec<u32> = parts_of(bucket, upload_id, 1)
        .map(|(number, _)| number)
        .collect();
    for number in numbers {
        if let Some(part) = bucket.parts.remove(&part_key(upload_id, number))
            && !kept.contains(&number)
        {
            blobs.release(&part.body);
        }
    }
}

pub use crate::model::s3::{ListedUpload, MultipartOutput, Part, Upload, part_key};
use crate::services::S3Error;

/// The bucket `name` and the world's blob ledger, both to change.
fn bucket_and_blobs<'w>(
    world: &'w mut World,
    name: &str,
) -> Result<(&'w mut Bucket, &'w mut Ledger), ApiError> {
    let World { buckets, blobs, .. } = world;
    let found = buckets
        .get_mut(name)
        .ok_or_else(|| super::no_such_bucket(name))?;
    Ok((found, blobs))
}

fn size(body: &Body) -> usize {
    usize::try_from(body.len()).unwrap_or(usize::MAX)
}

/// The multipart operations.
pub(super) static OPERATIONS: &[RestOperation] = &[
    RestOperation {
        name: "CreateMultipartUpload",
        mutates: true,
        checks: |_, call| object_check("s3:PutObject", call),
        run: create,
    },
    RestOperation {
        name: "UploadPart",
        mutates: true,
        checks: |_, call| object_check("s3:PutObject", call),
        run: upload_part,
    },
    RestOperation {
        name: "CompleteMultipartUpload",
        mutates: true,
        checks: |_, call| conditional_checks(call),
        run: |world, call| {
            let (name, key, upload_id) = names(call)?;
            let condition = write_condition(call.input)?;
            let found = upload(world, name, key, upload_id)?;
            let current = bucket(world, name)?.objects.get(key);
            conditional::unchanged_since(condition.as_ref(), found.seen.as_ref(), current)?;
            conditional::admit(condition.as_ref(), current, key)?;
            let parts: Vec<(String, String)> = call
                .input
                .child("MultipartUpload")
                .map(|upload| {
                    upload
                        .structs_up_to("Parts", MAX_PART_NUMBER as usize + 1)
                        .into_iter()
                        .map(|part| {
                            (
                                part.get("PartNumber").unwrap_or_default().to_owned(),
                                part.get("ETag").unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let now = world.now();
            complete(world, name, key.to_owned(), upload_id, &parts, now).map(S3Output::Multipart)
        },
    },
    RestOperation {
        name: "AbortMultipartUpload",
        mutates: true,
        checks: |_, call| object_check("s3:AbortMultipartUpload", call),
        run: |world, call| {
            let (name, key, upload_id) = names(call)?;
            upload(world, name, key, upload_id)?;
            let (found, blobs) = bucket_and_blobs(world, name)?;
            forget(found, blobs, upload_id, &[]);
            Ok(S3Output::Multipart(MultipartOutput::Aborted))
        },
    },
    RestOperation {
        name: "ListParts",
        mutates: false,
        checks: |_, call| object_check("s3:ListMultipartUploadParts", call),
        run: list_parts,
    },
    RestOperation {
        name: "ListMultipartUploads",
        mutates: false,
        checks: |_, call| bucket_check("s3:ListBucketMultipartUploads", call),
        run: list_uploads,
    },
];

/// The bucket, key and upload id an upload's request names.
fn names<'c>(call: &'c Call<'_, '_>) -> Result<(&'c str, &'c str, &'c str), ApiError> {
    Ok((
        bucket_name(call)?,
        key_name(call)?,
        call.input.get("UploadId").unwrap_or_default(),
    ))
}

fn no_such_upload(upload_id: &str) -> ApiError {
    ApiError::of(
        S3Error::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with("UploadId", upload_id)
}

fn sandbox_limit(message: String) -> ApiError {
    ApiError::of(S3Error::InvalidRequest, message)
}

fn pending(world: &World) -> (usize, usize) {
    let mut uploads = 0;
    let mut bytes = 0;
    for found in world.buckets.values() {
        uploads += found.uploads.len();
        bytes += found
            .parts
            .values()
            .map(|part| size(&part.body))
            .sum::<usize>();
    }
    (uploads, bytes)
}

/// The upload `upload_id` for `key` in `bucket_name`.
fn upload<'w>(
    world: &'w World,
    bucket_name: &str,
    key: &str,
    upload_id: &str,
) -> Result<&'w Upload, ApiError> {
    bucket(world, bucket_name)?
        .uploads
        .get(upload_id)
        .filter(|upload| upload.key == key)
        .ok_or_else(|| no_such_upload(upload_id))
}

/// Whether a part of `incoming` bytes may replace one of `replaced` bytes in an upload
/// holding `upload_bytes`, while all pending uploads hold `pending_bytes`.
fn admit(
    upload_bytes: usize,
    replaced: usize,
    incoming: usize,
    pending_bytes: usize,
) -> Result<(), ApiError> {
    let proposed = upload_bytes - replaced + incoming;
    if proposed > MAX_OBJECT_BYTES {
        return Err(ApiError::of(
            S3Error::EntityTooLarge,
            format!("Your proposed upload exceeds the maximum allowed size (the sandbox allows objects of at most {MAX_OBJECT_BYTES} bytes)"),
        )
        .with("ProposedSize", &proposed.to_string())
        .with("MaxSizeAllowed", &MAX_OBJECT_BYTES.to_string()));
    }
    if pending_bytes - replaced + incoming > MAX_PENDING_BYTES {
        return Err(sandbox_limit(format!(
            "The sandbox keeps at most {MAX_PENDING_BYTES} bytes in multipart uploads in progress; complete or abort some first"
        )));
    }
    Ok(())
}

fn part_number(text: &str) -> Result<u32, ApiError> {
    text.parse::<u32>()
        .ok()
        .filter(|number| (1..=MAX_PART_NUMBER).contains(number))
        .ok_or_else(|| {
            ApiError::of(
                S3Error::InvalidArgument,
                "Part number must be an integer between 1 and 10000, inclusive",
            )
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", text)
        })
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

fn create(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key) = (bucket_name(call)?, key_name(call)?);
    bucket(world, name)?;
    if pending(world).0 >= MAX_PENDING_UPLOADS {
        return Err(sandbox_limit(format!(
            "The sandbox keeps at most {MAX_PENDING_UPLOADS} multipart uploads in progress; complete or abort some first"
        )));
    }
    let now = world.now();
    let upload_id = ids::upload_id();
    let found = bucket_mut(world, name)?;
    let seen = conditional::seen(found.objects.get(key));
    found.uploads.insert(
        upload_id.clone(),
        Upload {
            key: key.to_owned(),
            initiated: now,
            content_type: call.input.get("ContentType").map(str::to_owned),
            initiator: call.caller.principal.arn.clone(),
            owner: call.caller.account.clone(),
            seen,
        },
    );
    Ok(S3Output::Multipart(MultipartOutput::Created {
        bucket: name.to_owned(),
        key: key.to_owned(),
        upload_id,
    }))
}

fn upload_part(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key, upload_id) = names(call)?;
    let number = part_number(call.input.get("PartNumber").unwrap_or_default())?;
    let body = call
        .input
        .body()
        .cloned()
        .unwrap_or_else(|| Payload::from(Vec::new()));
    upload(world, name, key, upload_id)?;
    let found = bucket(world, name)?;
    let part = part_key(upload_id, number);
    let replaced = found.parts.get(&part).map_or(0, |part| size(&part.body));
    let upload_bytes: usize = parts_of(found, upload_id, 1)
        .map(|(_, part)| size(&part.body))
        .sum();
    let incoming = usize::try_from(body.len()).unwrap_or(usize::MAX);
    admit(upload_bytes, replaced, incoming, pending(world).1)?;
    let digest = body.md5();
    super::check_content_md5(call.input.get("ContentMD5"), &digest)?;
    let etag = hex::encode(digest);
    let now = world.now();
    // In a blob whatever its size: the completed object names its parts' blobs.
    let body = world.blobs.stage_in_blob(body);
    let (found, blobs) = bucket_and_blobs(world, name)?;
    let replaced = found.parts.insert(
        part,
        Part {
            body,
            etag: etag.clone(),
            modified: now,
        },
    );
    if let Some(replaced) = replaced {
        blobs.release(&replaced.body);
    }
    Ok(S3Output::Multipart(MultipartOutput::PartStored { etag }))
}

fn list_parts(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key, upload_id) = names(call)?;
    let max_parts = count(call.input, "MaxParts", "max-parts", 1000)?;
    let marker = match call.input.get("PartNumberMarker") {
        None => 0,
        Some(text) => text.parse::<u32>().map_err(|_| {
            ApiError::of(
                S3Error::InvalidArgument,
                "Provided part-number-marker not an integer or within integer range",
            )
        })?,
    };
    let found = upload(world, name, key, upload_id)?;
    let mut parts: Vec<(u32, String, usize, i64)> =
        parts_of(bucket(world, name)?, upload_id, marker.saturating_add(1))
            .take(max_parts.saturating_add(1))
            .map(|(number, part)| (number, part.etag.clone(), size(&part.body), part.modified))
            .collect();
    let next = if parts.len() > max_parts {
        parts.truncate(max_parts);
        parts.last().map(|(number, ..)| *number)
    } else {
        None
    };
    Ok(S3Output::Multipart(MultipartOutput::Parts {
        bucket: name.to_owned(),
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
        initiator: found.initiator.clone(),
        owner: found.owner.clone(),
        max_parts,
        marker,
        parts,
        next,
    }))
}

fn list_uploads(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    let input = call.input;
    let max_uploads = count(input, "MaxUploads", "max-uploads", 1000)?;
    let url_encoded = url_encoded(input)?;
    let prefix = input.get("Prefix").unwrap_or_default().to_owned();
    let key_marker = input
        .get("KeyMarker")
        .filter(|marker| !marker.is_empty())
        .map(str::to_owned);
    let upload_id_marker = input
        .get("UploadIdMarker")
        .filter(|marker| !marker.is_empty())
        .map(str::to_owned);
    let found = bucket(world, name)?;
    let mut uploads: Vec<ListedUpload> = found
        .uploads
        .iter()
        .filter(|(_, upload)| upload.key.starts_with(&prefix))
        .map(|(id, upload)| ListedUpload {
            key: upload.key.clone(),
            upload_id: id.clone(),
            initiated: upload.initiated,
            initiator: upload.initiator.clone(),
            owner: upload.owner.clone(),
        })
        .collect();
    uploads.sort_by(|a, b| {
        (&a.key, a.initiated, &a.upload_id).cmp(&(&b.key, b.initiated, &b.upload_id))
    });
    if let Some(marker) = &key_marker {
        uploads.retain(|upload| match &upload_id_marker {
            // After the marker's upload: same key with a later id, or a later key.
            Some(id) => upload.key > *marker || (upload.key == *marker && upload.upload_id > *id),
            None => upload.key > *marker,
        });
    }
    let next = if uploads.len() > max_uploads {
        uploads.truncate(max_uploads);
        uploads
            .last()
            .map(|last| (last.key.clone(), last.upload_id.clone()))
    } else {
        None
    };
    Ok(S3Output::Multipart(MultipartOutput::Uploads {
        bucket: name.to_owned(),
        prefix,
        max_uploads,
        key_marker,
        upload_id_marker,
        url_encoded,
        uploads,
        next,
    }))
}

fn complete(
    world: &mut World,
    name: &str,
    key: String,
    upload_id: &str,
    requested: &[(String, String)],
    now: i64,
) -> Result<MultipartOutput, ApiError> {
    let found = upload(world, name, &key, upload_id)?;
    let in_bucket = bucket(world, name)?;
    if requested.is_empty() {
        return Err(ApiError::of(
            S3Error::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let invalid_part = || {
        ApiError::of(
            S3Error::InvalidPart,
            "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        )
        .with("UploadId", upload_id)
    };
    let mut chosen: Vec<(u32, &Part)> = Vec::with_capacity(requested.len());
    for (number, etag) in requested {
        let number = part_number(number)?;
        if chosen.last().is_some_and(|(last, _)| *last >= number) {
            return Err(ApiError::of(
                S3Error::InvalidPartOrder,
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            )
            .with("UploadId", upload_id));
        }
        let part = in_bucket
            .parts
            .get(&part_key(upload_id, number))
            .filter(|part| part.etag == unquote(etag))
            .ok_or_else(invalid_part)?;
        chosen.push((number, part));
    }
    let last = chosen.len() - 1;
    for (index, (number, part)) in chosen.iter().enumerate() {
        if index < last && size(&part.body) < MIN_PART_BYTES {
            return Err(ApiError::of(
                S3Error::EntityTooSmall,
                "Your proposed upload is smaller than the minimum allowed size",
            )
            .with("ProposedSize", &part.body.len().to_string())
            .with("MinSizeAllowed", &MIN_PART_BYTES.to_string())
            .with("PartNumber", &number.to_string())
            .with("ETag", &part.etag));
        }
    }
    // The object keeps the parts' bodies as they are: nothing is copied.
    let body = Body::concat(chosen.iter().map(|(_, part)| &part.body));
    let kept: Vec<u32> = chosen.iter().map(|(number, _)| *number).collect();
    let mut digests = Vec::with_capacity(chosen.len() * 16);
    for (_, part) in &chosen {
        digests.extend_from_slice(&hex::decode(&part.etag).unwrap_or_default());
    }
    let etag = format!(
        "{}-{}",
        hex::encode(md5::Md5::digest(&digests)),
        chosen.len()
    );
    let content_type = found.content_type.clone();
    let (target, blobs) = bucket_and_blobs(world, name)?;
    forget(target, blobs, upload_id, &kept);
    let replaced = target.objects.insert(
        key.clone(),
        Object {
            body,
            etag: etag.clone(),
            modified: now,
            content_type,
        },
    );
    if let Some(replaced) = replaced {
        blobs.release(&replaced.body);
    }
    Ok(MultipartOutput::Completed {
        bucket: name.to_owned(),
        key,
        etag,
    })
}

#[cfg(test)]
mod tests {
    use super::{MAX_OBJECT_BYTES, MAX_PENDING_BYTES, admit};

    #[test]
    fn uploads_are_bounded_per_object_and_across_the_sandbox() {
        const MIB: usize = 1024 * 1024;
        const MAX: usize = MAX_OBJECT_BYTES;
        // (bytes in the upload, bytes replaced, bytes incoming, bytes pending) -> error.
        let cases = [
            ((0, 0, 64 * MIB, 0), None),
            ((MAX - 64 * MIB, 0, 64 * MIB, MAX - 64 * MIB), None),
            (
                (MAX - 56 * MIB, 0, 60 * MIB, MAX - 56 * MIB),
                Some("EntityTooLarge"),
            ),
            ((MAX - 16 * MIB, 60 * MIB, 60 * MIB, MAX - 16 * MIB), None),
            (
                (MAX_OBJECT_BYTES, 0, 1, MAX_OBJECT_BYTES),
                Some("EntityTooLarge"),
            ),
            ((0, 0, MIB, MAX_PENDING_BYTES), Some("InvalidRequest")),
            ((MIB, MIB, MIB, MAX_PENDING_BYTES), None),
        ];
        for ((upload, replaced, incoming, pending), expected) in cases {
            let found = admit(upload, replaced, incoming, pending).err();
            assert_eq!(
                found.as_ref().map(|error| error.code.as_str()),
                expected,
                "{upload} {replaced} {incoming} {pending}"
            );
        }
    }
}
