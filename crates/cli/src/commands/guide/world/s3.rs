//! S3 buckets (exist, owned by the account, made during the run as far as S3 tells by
//! `CreationDate`) and objects (exist, with the lab's body).
//!
//! A bucket has no immutable id; `down` deletes a bucket only if it carries the run's
//! tag. The runbook's `create-bucket` does not tag it, so the guide adds the run's tag
//! (beside the bucket's own) to a bucket it adopts, made during the run by the account.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use awslab_executor::RUN_TAG;
use awslab_executor::resources::{self, ResourceRef};
use awslab_planner::kinds::{S3Bucket, S3Object};
use indexmap::IndexMap;

use super::{Adopted, WorldCx};

/// Objects larger than this are compared by size only.
const COMPARE_LIMIT: i64 = 1 << 20;

fn code<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    error: &aws_sdk_s3::error::SdkError<E>,
) -> String {
    error
        .as_service_error()
        .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
        .map_or_else(|| error.to_string(), str::to_owned)
}

pub(super) async fn bucket(cx: &WorldCx<'_>, spec: &S3Bucket) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let s3 = awslab_executor::s3_client(cx.operator);
    // ListBuckets lists the account's own buckets: one there is owned by the account.
    let listed = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| format!("cannot list the buckets: {}", code(&e)))?;
    let Some(found) = listed
        .buckets()
        .iter()
        .find(|b| b.name() == Some(name.as_str()))
    else {
        return Err(format!(
            "the bucket `{name}` does not exist yet (or is not this account's)"
        ));
    };
    cx.made_during_run(
        &format!("the bucket `{name}`"),
        found
            .creation_date()
            .map(aws_sdk_s3::primitives::DateTime::secs),
    )?;
    let mut tags: Vec<aws_sdk_s3::types::Tag> =
        match s3.get_bucket_tagging().bucket(&name).send().await {
            Ok(answer) => answer.tag_set().to_vec(),
            Err(error) if error.code() == Some("NoSuchTagSet") => Vec::new(),
            Err(error) => {
                return Err(format!(
                    "cannot read the tags of the bucket `{name}`: {}",
                    code(&error)
                ));
            }
        };
    let ours = tags
        .iter()
        .any(|t| t.key() == RUN_TAG && t.value() == cx.run_id);
    if !ours {
        if tags.iter().any(|t| t.key() == RUN_TAG) {
            return Err(format!(
                "the bucket `{name}` carries another run's `{RUN_TAG}` tag, so awslab does not adopt it"
            ));
        }
        tags.push(
            aws_sdk_s3::types::Tag::builder()
                .key(RUN_TAG)
                .value(cx.run_id)
                .build()
                .map_err(|e| e.to_string())?,
        );
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(tags))
            .build()
            .map_err(|e| e.to_string())?;
        s3.put_bucket_tagging()
            .bucket(&name)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| format!("cannot tag the bucket `{name}` as this run's: {}", code(&e)))?;
    }
    Ok(Adopted {
        resources: vec![ResourceRef::S3Bucket(resources::S3Bucket {
            name: name.clone(),
        })],
        outputs: IndexMap::from([
            ("name".to_owned(), name.clone()),
            ("arn".to_owned(), format!("arn:aws:s3:::{name}")),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!(
            "the bucket `{name}` exists (tagged {RUN_TAG}={})",
            cx.run_id
        ),
    })
}

pub(super) async fn object(cx: &WorldCx<'_>, spec: &S3Object) -> Result<Adopted, String> {
    let bucket = cx.render(&spec.bucket.value)?;
    let key = cx.render(&spec.key.value)?;
    let wanted: Option<Vec<u8>> = match (&spec.body, &spec.file) {
        (Some(body), _) => Some(cx.render(&body.value)?.into_bytes()),
        (None, Some(file)) => {
            let path = cx.sealed.base_dir().join(cx.render(&file.value)?);
            Some(
                std::fs::read(&path)
                    .map_err(|e| format!("cannot read the lab's file {}: {e}", path.display()))?,
            )
        }
        (None, None) => None,
    };
    let s3 = awslab_executor::s3_client(cx.operator);
    let head = match s3.head_object().bucket(&bucket).key(&key).send().await {
        Ok(head) => head,
        Err(error) if matches!(code(&error).as_str(), "NotFound" | "NoSuchKey" | "404") => {
            return Err(format!(
                "there is no object `{key}` in the bucket `{bucket}` yet"
            ));
        }
        Err(error) => {
            return Err(format!(
                "cannot read the object `{key}` of `{bucket}`: {}",
                code(&error)
            ));
        }
    };
    let size = head.content_length().unwrap_or_default();
    if let Some(wanted) = &wanted {
        let differs = || {
            format!(
                "the object `{key}` in `{bucket}` is not the lab's ({size} bytes, the lab's body is {} bytes)",
                wanted.len()
            )
        };
        if usize::try_from(size).ok() != Some(wanted.len()) {
            return Err(differs());
        }
        if size <= COMPARE_LIMIT {
            let body = s3
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| format!("cannot read the object `{key}`: {}", code(&e)))?
                .body
                .collect()
                .await
                .map_err(|e| format!("cannot read the object `{key}`: {e}"))?
                .into_bytes();
            if body.as_ref() != wanted.as_slice() {
                return Err(format!(
                    "the object `{key}` in `{bucket}` does not hold the lab's body"
                ));
            }
        }
    }
    let etag = head.e_tag().unwrap_or_default().to_owned();
    Ok(Adopted {
        resources: vec![ResourceRef::S3Object(resources::S3Object {
            bucket: bucket.clone(),
            key: key.clone(),
            etag: (!etag.is_empty()).then(|| etag.clone()),
        })],
        outputs: IndexMap::from([
            ("bucket".to_owned(), bucket.clone()),
            ("key".to_owned(), key.clone()),
            ("etag".to_owned(), etag),
        ]),
        credentials: None,
        mfa_seed: None,
        note: format!("the object `{key}` in `{bucket}` holds the lab's body ({size} bytes)"),
    })
}
