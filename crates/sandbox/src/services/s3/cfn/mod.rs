//! S3's `CloudFormation` resource types, one module each.

mod bucket;
mod bucket_policy;

pub use bucket::Bucket;
pub use bucket_policy::BucketPolicy;

/// The service S3 types name in a failed event's reason.
const SERVICE: &str = "S3";
