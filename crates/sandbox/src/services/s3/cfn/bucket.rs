//! `AWS::S3::Bucket`: a bucket in the stack's region, tagged with the stack's and its
//! own tags (`aws:cloudformation:*` kept); its tags change in place, a new name
//! replaces it. Properties the sandbox does not act on (encryption, versioning...)
//! are accepted and kept, not applied.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::Input;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::{ApiError, Check};
use crate::state::World;

pub struct Bucket;

impl ResourceType for Bucket {
    fn name(&self) -> &'static str {
        "AWS::S3::Bucket"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &[]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[
            "AbacStatus",
            "AccelerateConfiguration",
            "AccessControl",
            "AnalyticsConfigurations",
            "BucketEncryption",
            "BucketName",
            "CorsConfiguration",
            "IntelligentTieringConfigurations",
            "InventoryConfigurations",
            "LifecycleConfiguration",
            "LoggingConfiguration",
            "MetadataConfiguration",
            "MetadataTableConfiguration",
            "MetricsConfigurations",
            "NotificationConfiguration",
            "ObjectLockConfiguration",
            "ObjectLockEnabled",
            "OwnershipControls",
            "PublicAccessBlockConfiguration",
            "ReplicationConfiguration",
            "Tags",
            "VersioningConfiguration",
            "WebsiteConfiguration",
        ]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &[
            "Arn",
            "DomainName",
            "DualStackDomainName",
            "RegionalDomainName",
            "WebsiteURL",
        ]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        None
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["BucketName"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let name = properties
            .get("BucketName")
            .and_then(text)
            .unwrap_or_else(|| actor.generated_name(logical, 63, true));
        let region = actor.region.to_owned();
        actor
            .s3(
                world,
                "CreateBucket",
                &Input::default().text("Bucket", name.clone()),
            )
            .map_err(|error| (None, error))?;
        let made = made(&name, &region);
        let tags = actor.tag_pairs(properties.get("Tags"));
        if !tags.is_empty() {
            actor
                .authorize(world, &[tagging(&name)])
                .map_err(|error| (Some(made.clone()), error))?;
        }
        if let Some(bucket) = world.buckets.get_mut(&name) {
            let mut all = tags;
            all.push((
                "aws:cloudformation:logical-id".to_owned(),
                logical.to_owned(),
            ));
            all.push((
                "aws:cloudformation:stack-id".to_owned(),
                actor.stack_id.to_owned(),
            ));
            all.push((
                "aws:cloudformation:stack-name".to_owned(),
                actor.stack_name.to_owned(),
            ));
            bucket.tags = all;
        }
        Ok(made)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        let name = made.physical.as_str();
        actor.authorize(world, &[tagging(name)])?;
        let tags = actor.tag_pairs(new.get("Tags"));
        if let Some(bucket) = world.buckets.get_mut(name) {
            bucket
                .tags
                .retain(|(key, _)| key.starts_with("aws:cloudformation:"));
            bucket.tags.extend(tags);
        }
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
    ) -> Result<(), ApiError> {
        actor.s3(
            world,
            "DeleteBucket",
            &Input::default().text("Bucket", made.physical.clone()),
        )
    }
}

fn tagging(bucket: &str) -> Check {
    Check::new("s3:PutBucketTagging", format!("arn:aws:s3:::{bucket}"))
}

fn made(name: &str, region: &str) -> Made {
    let mut attributes = BTreeMap::new();
    attributes.insert("Arn".to_owned(), format!("arn:aws:s3:::{name}"));
    attributes.insert("DomainName".to_owned(), format!("{name}.s3.amazonaws.com"));
    attributes.insert(
        "DualStackDomainName".to_owned(),
        format!("{name}.s3.dualstack.{region}.amazonaws.com"),
    );
    attributes.insert(
        "RegionalDomainName".to_owned(),
        format!("{name}.s3.{region}.amazonaws.com"),
    );
    attributes.insert(
        "WebsiteURL".to_owned(),
        format!("http://{name}.s3-website-{region}.amazonaws.com"),
    );
    Made {
        physical: name.to_owned(),
        reference: None,
        attributes,
    }
}
