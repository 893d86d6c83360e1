//! S3's object operations as registry entries: put (conditional, with `Content-MD5`),
//! get and head (with ranges, streamed), delete one or many, and copy.

use super::{
    RestOperation, S3Output, bucket, bucket_name, check_content_md5, conditional,
    conditional_checks, key_name, no_such_bucket, object_check, on_object, range, unreadable,
    write_condition,
};
use crate::model::body::Payload;
use crate::services::{ApiError, Call, S3Error};
use crate::state::World;
use crate::state::blobs::Content;
use crate::state::world::Object;

/// The object operations.
pub(super) static OPERATIONS: &[RestOperation] = &[
    RestOperation {
        name: "PutObject",
        mutates: true,
        checks: |_, call| conditional_checks(call),
        run: put_object,
    },
    RestOperation {
        name: "GetObject",
        mutates: false,
        checks: |_, call| object_check("s3:GetObject", call),
        run: |world, call| {
            unsupported(call, &["VersionId", "PartNumber"])?;
            get_object(world, call, false)
        },
    },
    RestOperation {
        name: "HeadObject",
        mutates: false,
        // AWS authorizes a HEAD with `s3:GetObject`.
        checks: |_, call| object_check("s3:GetObject", call),
        run: |world, call| {
            unsupported(call, &["VersionId", "PartNumber"])?;
            get_object(world, call, true)
        },
    },
    RestOperation {
        name: "DeleteObject",
        mutates: true,
        checks: |_, call| object_check("s3:DeleteObject", call),
        run: |world, call| {
            unsupported(call, &["VersionId"])?;
            delete_object(world, call)
        },
    },
    RestOperation {
        name: "DeleteObjects",
        mutates: true,
        // One `s3:DeleteObject` per key, as AWS authorizes each key of the request.
        checks: |_, call| {
            let name = bucket_name(call)?;
            Ok(keys_to_delete(call)
                .iter()
                .map(|key| on_object("s3:DeleteObject", name, key))
                .collect())
        },
        run: delete_objects,
    },
    RestOperation {
        name: "CopyObject",
        mutates: true,
        checks: |_, call| {
            let (source_bucket, source_key) = copy_source(call)?;
            Ok(vec![
                on_object("s3:GetObject", &source_bucket, &source_key),
                on_object("s3:PutObject", bucket_name(call)?, key_name(call)?),
            ])
        },
        run: copy_object,
    },
];

/// S3's `NotImplemented` for a member the sandbox does not keep (object versions,
/// parts of a multipart object), never an answer that ignores it. A `VersionId` of
/// `null` is the one version the sandbox keeps of each object.
fn unsupported(call: &Call<'_, '_>, members: &[&str]) -> Result<(), ApiError> {
    let Some(member) = members.iter().find(|member| {
        call.input
            .get(member)
            .is_some_and(|value| !(**member == "VersionId" && value == "null"))
    }) else {
        return Ok(());
    };
    Err(ApiError::of(
        S3Error::NotImplemented,
        format!("The sandbox does not emulate S3 {member} on objects"),
    ))
}

fn no_such_key(key: &str) -> ApiError {
    ApiError::of(S3Error::NoSuchKey, "The specified key does not exist.").with("Key", key)
}

fn put_object(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key) = (bucket_name(call)?, key_name(call)?);
    let condition = write_condition(call.input)?;
    conditional::admit(
        condition.as_ref(),
        bucket(world, name)?.objects.get(key),
        key,
    )?;
    let body = call
        .input
        .body()
        .cloned()
        .unwrap_or_else(|| Payload::from(Vec::new()));
    let digest = body.md5();
    check_content_md5(call.input.get("ContentMD5"), &digest)?;
    let etag = hex::encode(digest);
    let now = world.now();
    let body = world.blobs.stage(body);
    let World { buckets, blobs, .. } = world;
    let replaced = buckets
        .get_mut(name)
        .ok_or_else(|| no_such_bucket(name))?
        .objects
        .insert(
            key.to_owned(),
            Object {
                body,
                etag: etag.clone(),
                modified: now,
                content_type: call.input.get("ContentType").map(str::to_owned),
            },
        );
    if let Some(replaced) = replaced {
        blobs.release(&replaced.body);
    }
    Ok(S3Output::Put { etag })
}

fn get_object(world: &mut World, call: &Call<'_, '_>, head: bool) -> Result<S3Output, ApiError> {
    let (name, key) = (bucket_name(call)?, key_name(call)?);
    let object = bucket(world, name)?
        .objects
        .get(key)
        .ok_or_else(|| no_such_key(key))?;
    let size = object.body.len();
    let range = call
        .input
        .get("Range")
        .map(|header| range::satisfiable(header, size))
        .transpose()?
        .flatten();
    let body = match (head, range) {
        (true, _) => Ok(Content::default()),
        (false, Some((first, last))) => world.blobs.read(&object.body, first, last - first + 1),
        (false, None) => world.blobs.read(&object.body, 0, size),
    }
    .map_err(|error| unreadable(&error))?;
    Ok(S3Output::Object {
        body,
        etag: object.etag.clone(),
        modified: object.modified,
        content_type: object.content_type.clone(),
        head,
        size,
        range,
    })
}

fn delete_object(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key) = (bucket_name(call)?, key_name(call)?);
    bucket(world, name)?;
    let World { buckets, blobs, .. } = world;
    if let Some(removed) = buckets
        .get_mut(name)
        .and_then(|found| found.objects.remove(key))
    {
        blobs.release(&removed.body);
    }
    Ok(S3Output::Empty(204))
}

/// The keys a `DeleteObjects` names (its `Delete.Objects`; the wire refuses more
/// than S3's 1,000).
fn keys_to_delete(call: &Call<'_, '_>) -> Vec<String> {
    call.input
        .child("Delete")
        .map(|delete| {
            delete
                .structs("Objects")
                .into_iter()
                .map(|object| object.get("Key").unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn delete_objects(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let name = bucket_name(call)?;
    let keys = keys_to_delete(call);
    bucket(world, name)?;
    let World { buckets, blobs, .. } = world;
    if let Some(found) = buckets.get_mut(name) {
        for key in &keys {
            if let Some(removed) = found.objects.remove(key) {
                blobs.release(&removed.body);
            }
        }
    }
    Ok(S3Output::Deleted(keys))
}

/// The bucket and key of `x-amz-copy-source` (`/bucket/key`, percent-encoded, with an
/// optional `?versionId=`).
fn copy_source(call: &Call<'_, '_>) -> Result<(String, String), ApiError> {
    let source = call.input.required("CopySource")?;
    let source = percent_encoding::percent_decode_str(source.trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let (bucket, key) = source.split_once('/').unwrap_or((&source, ""));
    Ok((
        bucket.to_owned(),
        key.split('?').next().unwrap_or_default().to_owned(),
    ))
}

fn copy_object(world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
    let (name, key) = (bucket_name(call)?, key_name(call)?);
    let (source_bucket, source_key) = copy_source(call)?;
    let now = world.now();
    let mut object = bucket(world, &source_bucket)?
        .objects
        .get(&source_key)
        .cloned()
        .ok_or_else(|| no_such_key(&source_key))?;
    object.modified = now;
    bucket(world, name)?;
    object.body = world.blobs.copy(&object.body);
    let output = S3Output::Copied {
        etag: object.etag.clone(),
        modified: now,
    };
    let World { buckets, blobs, .. } = world;
    if let Some(replaced) = buckets
        .get_mut(name)
        .and_then(|target| target.objects.insert(key.to_owned(), object))
    {
        blobs.release(&replaced.body);
    }
    Ok(output)
}
