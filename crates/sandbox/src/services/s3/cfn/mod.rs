//! S3's `CloudFormation` resource types, one module each.

mod bucket;
mod bucket_policy;

pub use bucket::Bucket;
pub use bucket_policy::BucketPolicy;

use crate::services::cloudformation::types::ResourceType;

/// S3's `CloudFormation` types, as the registry lists them.
pub const TYPES: &[&dyn ResourceType] = &[&Bucket, &BucketPolicy];

/// The service S3 types name in a failed event's reason.
const SERVICE: &str = "S3";
