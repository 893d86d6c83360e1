//! `AWS::S3::BucketPolicy`: a bucket's policy, put again when its document changes; a
//! new bucket replaces it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::ApiError;
use crate::services::Input;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, invalid, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::state::World;

pub struct BucketPolicy;

impl ResourceType for BucketPolicy {
    fn name(&self) -> &'static str {
        "AWS::S3::BucketPolicy"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["Bucket", "PolicyDocument"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &[]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        None
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["Bucket"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let bucket = property("Bucket")
            .ok_or_else(|| (None, invalid("Property Bucket cannot be empty.")))?;
        let policy = property("PolicyDocument")
            .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
        actor
            .s3(world, "PutBucketPolicy", &put(&bucket, policy))
            .map_err(|error| (None, error))?;
        let mut attributes = BTreeMap::new();
        attributes.insert("Bucket".to_owned(), bucket);
        Ok(Made {
            physical: actor.generated_name(logical, 128, false),
            reference: None,
            attributes,
        })
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        let bucket = new.get("Bucket").and_then(text).unwrap_or_default();
        let policy = new.get("PolicyDocument").and_then(text).unwrap_or_default();
        actor.s3(world, "PutBucketPolicy", &put(&bucket, policy))?;
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
    ) -> Result<(), ApiError> {
        let bucket = made.attributes.get("Bucket").cloned().unwrap_or_default();
        actor.s3(
            world,
            "DeleteBucketPolicy",
            &Input::default().text("Bucket", bucket),
        )
    }
}

/// A `PutBucketPolicy` of `policy` on `bucket`.
fn put(bucket: &str, policy: String) -> Input {
    Input::default()
        .text("Bucket", bucket)
        .text("Policy", policy)
}
