//! `s3.bucket`: `CreateBucket` in the run's region, tagged with the run (teardown
//! deletes only a bucket carrying the tag), with an optional bucket policy.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tag, Tagging};
use awslab_planner::kinds::S3Bucket;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String }
}

pub async fn run(spec: &S3Bucket, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let s3 = cx.operator_clients().s3();
    let name = cx.render(&spec.name.value)?;
    let region = cx.target().region.clone();
    let mut request = s3.create_bucket().bucket(&name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build(),
        );
    }
    let resource = ResourceRef::S3Bucket(resources::S3Bucket { name: name.clone() });
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    let tags = cx
        .run_tags()?
        .into_iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .build()
                .map_err(|e| StepError::Local(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tags))
        .build()
        .map_err(|e| StepError::Local(e.to_string()))?;
    s3.put_bucket_tagging()
        .bucket(&name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| StepError::aws("PutBucketTagging", &e))?;
    if let Some(policy) = &spec.policy {
        let document = cx.render_document(policy)?;
        s3.put_bucket_policy()
            .bucket(&name)
            .policy(document)
            .send()
            .await
            .map_err(|e| StepError::aws("PutBucketPolicy", &e))?;
    }
    Ok(Outputs {
        arn: format!("arn:aws:s3:::{name}"),
        name,
    })
}
