//! The S3 operations the sandbox routes but does not emulate, and the IAM action that
//! authorizes each: a sub-resource request (`GET /bucket?acl`) is its operation in
//! S3's model (`GetBucketAcl`, routed by S3's route table), authorized by the action
//! the Service Authorization Reference gives ("Actions, resources, and condition keys
//! for Amazon S3"), which is often spelt otherwise (`GetBucketCors` is authorized by
//! `s3:GetBucketCORS`, `GetBucketEncryption` by `s3:GetEncryptionConfiguration`). Such
//! a request is authorized with that action, then answered `NotImplemented`.

/// The operations of S3's model that the sandbox routes but does not emulate, each
/// with the IAM action that authorizes it, spelt as AWS spells it.
pub const UNEMULATED: &[(&str, &str)] = &[
    ("GetBucketAcl", "s3:GetBucketAcl"),
    ("PutBucketAcl", "s3:PutBucketAcl"),
    ("GetBucketCors", "s3:GetBucketCORS"),
    ("PutBucketCors", "s3:PutBucketCORS"),
    ("DeleteBucketCors", "s3:PutBucketCORS"),
    (
        "GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    (
        "PutBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ),
    ("DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"),
    ("GetBucketEncryption", "s3:GetEncryptionConfiguration"),
    ("PutBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("DeleteBucketEncryption", "s3:PutEncryptionConfiguration"),
    ("GetBucketLogging", "s3:GetBucketLogging"),
    ("PutBucketLogging", "s3:PutBucketLogging"),
    (
        "GetBucketNotificationConfiguration",
        "s3:GetBucketNotification",
    ),
    (
        "PutBucketNotificationConfiguration",
        "s3:PutBucketNotification",
    ),
    ("GetBucketWebsite", "s3:GetBucketWebsite"),
    ("PutBucketWebsite", "s3:PutBucketWebsite"),
    ("DeleteBucketWebsite", "s3:DeleteBucketWebsite"),
    ("GetBucketReplication", "s3:GetReplicationConfiguration"),
    ("PutBucketReplication", "s3:PutReplicationConfiguration"),
    ("DeleteBucketReplication", "s3:PutReplicationConfiguration"),
    ("GetBucketRequestPayment", "s3:GetBucketRequestPayment"),
    ("PutBucketRequestPayment", "s3:PutBucketRequestPayment"),
    (
        "GetBucketAccelerateConfiguration",
        "s3:GetAccelerateConfiguration",
    ),
    (
        "PutBucketAccelerateConfiguration",
        "s3:PutAccelerateConfiguration",
    ),
    ("GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"),
    ("PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    ("DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"),
    (
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    (
        "PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    (
        "DeleteBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    ("GetBucketPolicyStatus", "s3:GetBucketPolicyStatus"),
    (
        "GetObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
    ),
    (
        "PutObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
    ),
    (
        "GetBucketAnalyticsConfiguration",
        "s3:GetAnalyticsConfiguration",
    ),
    (
        "ListBucketAnalyticsConfigurations",
        "s3:GetAnalyticsConfiguration",
    ),
    (
        "PutBucketAnalyticsConfiguration",
        "s3:PutAnalyticsConfiguration",
    ),
    (
        "DeleteBucketAnalyticsConfiguration",
        "s3:PutAnalyticsConfiguration",
    ),
    (
        "GetBucketMetricsConfiguration",
        "s3:GetMetricsConfiguration",
    ),
    (
        "ListBucketMetricsConfigurations",
        "s3:GetMetricsConfiguration",
    ),
    (
        "PutBucketMetricsConfiguration",
        "s3:PutMetricsConfiguration",
    ),
    (
        "DeleteBucketMetricsConfiguration",
        "s3:PutMetricsConfiguration",
    ),
    (
        "GetBucketInventoryConfiguration",
        "s3:GetInventoryConfiguration",
    ),
    (
        "ListBucketInventoryConfigurations",
        "s3:GetInventoryConfiguration",
    ),
    (
        "PutBucketInventoryConfiguration",
        "s3:PutInventoryConfiguration",
    ),
    (
        "DeleteBucketInventoryConfiguration",
        "s3:PutInventoryConfiguration",
    ),
    (
        "GetBucketIntelligentTieringConfiguration",
        "s3:GetIntelligentTieringConfiguration",
    ),
    (
        "ListBucketIntelligentTieringConfigurations",
        "s3:GetIntelligentTieringConfiguration",
    ),
    (
        "PutBucketIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
    (
        "DeleteBucketIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
    ("GetObjectAcl", "s3:GetObjectAcl"),
    ("PutObjectAcl", "s3:PutObjectAcl"),
    ("GetObjectTagging", "s3:GetObjectTagging"),
    ("PutObjectTagging", "s3:PutObjectTagging"),
    ("DeleteObjectTagging", "s3:DeleteObjectTagging"),
    ("GetObjectAttributes", "s3:GetObjectAttributes"),
    ("GetObjectRetention", "s3:GetObjectRetention"),
    ("PutObjectRetention", "s3:PutObjectRetention"),
    ("GetObjectLegalHold", "s3:GetObjectLegalHold"),
    ("PutObjectLegalHold", "s3:PutObjectLegalHold"),
    ("RestoreObject", "s3:RestoreObject"),
    ("GetObjectTorrent", "s3:GetObjectTorrent"),
    ("SelectObjectContent", "s3:GetObject"),
    // `PUT ?partNumber&uploadId` with `x-amz-copy-source`.
    ("UploadPartCopy", "s3:PutObject"),
];

/// The IAM action that authorizes S3's unemulated `operation`, as AWS spells it.
pub fn action_of(operation: &str) -> Option<&'static str> {
    UNEMULATED
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, action)| *action)
}
