//! `s3.object`: `PutObject` of a text body or a file, as an identity; the `ETag` it
//! answers is journaled so teardown deletes the object only while it is unchanged.

use aws_sdk_s3::primitives::ByteStream;
use awslab_planner::kinds::S3Object;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { bucket: String, key: String, etag: String }
}

pub async fn run(spec: &S3Object, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let s3 = cx.accepted_clients_of(spec.identity.as_ref()).await?.s3();
    let bucket = cx.render(&spec.bucket.value)?;
    let key = cx.render(&spec.key.value)?;
    let body = match (&spec.body, &spec.file) {
        (Some(body), _) => ByteStream::from(cx.render(&body.value)?.into_bytes()),
        (None, Some(file)) => {
            // Streamed from disk, never read whole (the planner bounds its size).
            let path = cx.base_dir().join(cx.render(&file.value)?);
            ByteStream::from_path(&path)
                .await
                .map_err(|e| StepError::Local(format!("cannot read `{}`: {e}", path.display())))?
        }
        (None, None) => ByteStream::from_static(b""),
    };
    let pending = ResourceRef::S3Object(resources::S3Object {
        bucket: bucket.clone(),
        key: key.clone(),
        etag: None,
    });
    let request = s3
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(body)
        .set_content_type(cx.render_opt(spec.content_type.as_ref())?);
    let answer = cx.create(&pending, request.send()).await?;
    let etag = answer.e_tag().unwrap_or_default().to_owned();
    cx.created(&ResourceRef::S3Object(resources::S3Object {
        bucket: bucket.clone(),
        key: key.clone(),
        etag: (!etag.is_empty()).then(|| etag.clone()),
    }))
    .await?;
    Ok(Outputs { bucket, key, etag })
}
