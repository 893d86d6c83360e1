//! S3 step kinds: buckets (tagged with the run, with an optional bucket policy) and
//! objects put into them.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};
use awslab_planner::StepId;
use awslab_planner::kinds::{S3Bucket, S3Object};

use super::{create, describe, outputs};
use crate::client::s3_client;
use crate::engine::{Engine, RUN_TAG, StepResult};
use crate::journal::ResourceRef;

pub async fn bucket(engine: &Engine, id: &StepId, spec: &S3Bucket) -> StepResult<()> {
    let s3 = s3_client(engine.operator());
    let name = engine.render(&spec.name.value)?;
    let region = engine.options.target.region.clone();
    let mut request = s3.create_bucket().bucket(&name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    let resource = ResourceRef::S3Bucket { name: name.clone() };
    create(engine, id, &resource, request.send()).await?;
    let out = outputs([
        ("name", name.clone()),
        ("arn", format!("arn:aws:s3:::{name}")),
    ]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    let tag = Tag::builder()
        .key(RUN_TAG)
        .value(engine.options.run_id.to_string())
        .build()
        .map_err(|e| e.to_string())?;
    let tagging = Tagging::builder()
        .tag_set(tag)
        .build()
        .map_err(|e| e.to_string())?;
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| describe("PutBucketTagging", &e).1)?;
    if let Some(policy) = &spec.policy {
        let document = engine.render_document(policy)?;
        s3.put_bucket_policy()
            .bucket(&name)
            .policy(document)
            .send()
            .await
            .map_err(|e| describe("PutBucketPolicy", &e).1)?;
    }
    Ok(())
}

pub async fn object(engine: &Engine, id: &StepId, spec: &S3Object) -> StepResult<()> {
    let config = engine.identity(spec.identity.as_ref().map(|i| i.value.as_str()))?;
    let s3 = s3_client(&config);
    let bucket = engine.render(&spec.bucket.value)?;
    let key = engine.render(&spec.key.value)?;
    let body = match (&spec.body, &spec.file) {
        (Some(body), _) => ByteStream::from(engine.render(&body.value)?.into_bytes()),
        (None, Some(file)) => {
            // Streamed from disk, never read whole (the planner bounds its size).
            let path = engine.plan.base_dir().join(engine.render(&file.value)?);
            ByteStream::from_path(&path)
                .await
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        }
        (None, None) => ByteStream::from_static(b""),
    };
    let resource = ResourceRef::S3Object {
        bucket: bucket.clone(),
        key: key.clone(),
    };
    let request = s3
        .put_object()
        .bucket(&bucket)
        .key(&key)
        .body(body)
        .set_content_type(engine.render_opt(spec.content_type.as_ref())?);
    let answer = create(engine, id, &resource, request.send()).await?;
    let out = outputs([
        ("bucket", bucket),
        ("key", key),
        ("etag", answer.e_tag().unwrap_or_default().to_owned()),
    ]);
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    Ok(())
}
