//! The S3 operations the sandbox routes but does not emulate, named as AWS names them:
//! each sub-resource request (`GET /bucket?acl`) maps to its operation in S3's model
//! (`GetBucketAcl`) and the IAM action that authorizes it in the Service Authorization
//! Reference ("Actions, resources, and condition keys for Amazon S3"), which is often
//! spelt otherwise (`GetBucketCors` is authorized by `s3:GetBucketCORS`,
//! `GetBucketEncryption` by `s3:GetEncryptionConfiguration`). Such a request is
//! authorized with that action, then answered `NotImplemented`.

/// One sub-resource request S3 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubResource {
    pub method: &'static str,
    /// On an object (`/bucket/key?acl`) rather than a bucket.
    pub object: bool,
    /// The query parameter that names it.
    pub parameter: &'static str,
    /// `Some(true)`: only with an `id` parameter; `Some(false)`: only without one.
    pub with_id: Option<bool>,
    /// The operation in S3's service model.
    pub operation: &'static str,
    /// The IAM action, spelt as AWS spells it.
    pub action: &'static str,
}

const fn bucket(
    method: &'static str,
    parameter: &'static str,
    operation: &'static str,
    action: &'static str,
) -> SubResource {
    SubResource {
        method,
        object: false,
        parameter,
        with_id: None,
        operation,
        action,
    }
}

const fn object(
    method: &'static str,
    parameter: &'static str,
    operation: &'static str,
    action: &'static str,
) -> SubResource {
    SubResource {
        object: true,
        ..bucket(method, parameter, operation, action)
    }
}

const fn listed(
    with_id: bool,
    parameter: &'static str,
    operation: &'static str,
    action: &'static str,
) -> SubResource {
    SubResource {
        with_id: Some(with_id),
        ..bucket("GET", parameter, operation, action)
    }
}

/// The sub-resources S3 knows that the sandbox does not emulate.
pub const UNEMULATED: &[SubResource] = &[
    bucket("GET", "acl", "GetBucketAcl", "s3:GetBucketAcl"),
    bucket("PUT", "acl", "PutBucketAcl", "s3:PutBucketAcl"),
    bucket("GET", "cors", "GetBucketCors", "s3:GetBucketCORS"),
    bucket("PUT", "cors", "PutBucketCors", "s3:PutBucketCORS"),
    bucket("DELETE", "cors", "DeleteBucketCors", "s3:PutBucketCORS"),
    bucket(
        "GET",
        "lifecycle",
        "GetBucketLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    bucket(
        "PUT",
        "lifecycle",
        "PutBucketLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
    ),
    bucket(
        "DELETE",
        "lifecycle",
        "DeleteBucketLifecycle",
        "s3:PutLifecycleConfiguration",
    ),
    bucket(
        "GET",
        "encryption",
        "GetBucketEncryption",
        "s3:GetEncryptionConfiguration",
    ),
    bucket(
        "PUT",
        "encryption",
        "PutBucketEncryption",
        "s3:PutEncryptionConfiguration",
    ),
    bucket(
        "DELETE",
        "encryption",
        "DeleteBucketEncryption",
        "s3:PutEncryptionConfiguration",
    ),
    bucket("GET", "logging", "GetBucketLogging", "s3:GetBucketLogging"),
    bucket("PUT", "logging", "PutBucketLogging", "s3:PutBucketLogging"),
    bucket(
        "GET",
        "notification",
        "GetBucketNotificationConfiguration",
        "s3:GetBucketNotification",
    ),
    bucket(
        "PUT",
        "notification",
        "PutBucketNotificationConfiguration",
        "s3:PutBucketNotification",
    ),
    bucket("GET", "website", "GetBucketWebsite", "s3:GetBucketWebsite"),
    bucket("PUT", "website", "PutBucketWebsite", "s3:PutBucketWebsite"),
    bucket(
        "DELETE",
        "website",
        "DeleteBucketWebsite",
        "s3:DeleteBucketWebsite",
    ),
    bucket(
        "GET",
        "replication",
        "GetBucketReplication",
        "s3:GetReplicationConfiguration",
    ),
    bucket(
        "PUT",
        "replication",
        "PutBucketReplication",
        "s3:PutReplicationConfiguration",
    ),
    bucket(
        "DELETE",
        "replication",
        "DeleteBucketReplication",
        "s3:PutReplicationConfiguration",
    ),
    bucket(
        "GET",
        "requestPayment",
        "GetBucketRequestPayment",
        "s3:GetBucketRequestPayment",
    ),
    bucket(
        "PUT",
        "requestPayment",
        "PutBucketRequestPayment",
        "s3:PutBucketRequestPayment",
    ),
    bucket(
        "GET",
        "accelerate",
        "GetBucketAccelerateConfiguration",
        "s3:GetAccelerateConfiguration",
    ),
    bucket(
        "PUT",
        "accelerate",
        "PutBucketAccelerateConfiguration",
        "s3:PutAccelerateConfiguration",
    ),
    bucket(
        "GET",
        "publicAccessBlock",
        "GetPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    bucket(
        "PUT",
        "publicAccessBlock",
        "PutPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    bucket(
        "DELETE",
        "publicAccessBlock",
        "DeletePublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    bucket(
        "GET",
        "ownershipControls",
        "GetBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    bucket(
        "PUT",
        "ownershipControls",
        "PutBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    bucket(
        "DELETE",
        "ownershipControls",
        "DeleteBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    bucket(
        "GET",
        "policyStatus",
        "GetBucketPolicyStatus",
        "s3:GetBucketPolicyStatus",
    ),
    bucket(
        "GET",
        "object-lock",
        "GetObjectLockConfiguration",
        "s3:GetBucketObjectLockConfiguration",
    ),
    bucket(
        "PUT",
        "object-lock",
        "PutObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
    ),
    listed(
        true,
        "analytics",
        "GetBucketAnalyticsConfiguration",
        "s3:GetAnalyticsConfiguration",
    ),
    listed(
        false,
        "analytics",
        "ListBucketAnalyticsConfigurations",
        "s3:GetAnalyticsConfiguration",
    ),
    bucket(
        "PUT",
        "analytics",
        "PutBucketAnalyticsConfiguration",
        "s3:PutAnalyticsConfiguration",
    ),
    bucket(
        "DELETE",
        "analytics",
        "DeleteBucketAnalyticsConfiguration",
        "s3:PutAnalyticsConfiguration",
    ),
    listed(
        true,
        "metrics",
        "GetBucketMetricsConfiguration",
        "s3:GetMetricsConfiguration",
    ),
    listed(
        false,
        "metrics",
        "ListBucketMetricsConfigurations",
        "s3:GetMetricsConfiguration",
    ),
    bucket(
        "PUT",
        "metrics",
        "PutBucketMetricsConfiguration",
        "s3:PutMetricsConfiguration",
    ),
    bucket(
        "DELETE",
        "metrics",
        "DeleteBucketMetricsConfiguration",
        "s3:PutMetricsConfiguration",
    ),
    listed(
        true,
        "inventory",
        "GetBucketInventoryConfiguration",
        "s3:GetInventoryConfiguration",
    ),
    listed(
        false,
        "inventory",
        "ListBucketInventoryConfigurations",
        "s3:GetInventoryConfiguration",
    ),
    bucket(
        "PUT",
        "inventory",
        "PutBucketInventoryConfiguration",
        "s3:PutInventoryConfiguration",
    ),
    bucket(
        "DELETE",
        "inventory",
        "DeleteBucketInventoryConfiguration",
        "s3:PutInventoryConfiguration",
    ),
    listed(
        true,
        "intelligent-tiering",
        "GetBucketIntelligentTieringConfiguration",
        "s3:GetIntelligentTieringConfiguration",
    ),
    listed(
        false,
        "intelligent-tiering",
        "ListBucketIntelligentTieringConfigurations",
        "s3:GetIntelligentTieringConfiguration",
    ),
    bucket(
        "PUT",
        "intelligent-tiering",
        "PutBucketIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
    bucket(
        "DELETE",
        "intelligent-tiering",
        "DeleteBucketIntelligentTieringConfiguration",
        "s3:PutIntelligentTieringConfiguration",
    ),
    object("GET", "acl", "GetObjectAcl", "s3:GetObjectAcl"),
    object("PUT", "acl", "PutObjectAcl", "s3:PutObjectAcl"),
    object("GET", "tagging", "GetObjectTagging", "s3:GetObjectTagging"),
    object("PUT", "tagging", "PutObjectTagging", "s3:PutObjectTagging"),
    object(
        "DELETE",
        "tagging",
        "DeleteObjectTagging",
        "s3:DeleteObjectTagging",
    ),
    object(
        "GET",
        "attributes",
        "GetObjectAttributes",
        "s3:GetObjectAttributes",
    ),
    object(
        "GET",
        "retention",
        "GetObjectRetention",
        "s3:GetObjectRetention",
    ),
    object(
        "PUT",
        "retention",
        "PutObjectRetention",
        "s3:PutObjectRetention",
    ),
    object(
        "GET",
        "legal-hold",
        "GetObjectLegalHold",
        "s3:GetObjectLegalHold",
    ),
    object(
        "PUT",
        "legal-hold",
        "PutObjectLegalHold",
        "s3:PutObjectLegalHold",
    ),
    object("POST", "restore", "RestoreObject", "s3:RestoreObject"),
    object("GET", "torrent", "GetObjectTorrent", "s3:GetObjectTorrent"),
    object("POST", "select", "SelectObjectContent", "s3:GetObject"),
];

/// The unemulated sub-resource `method` names on a bucket (or an `object`), given the
/// query parameters present (`has`).
pub fn find(method: &str, object: bool, has: &dyn Fn(&str) -> bool) -> Option<SubResource> {
    UNEMULATED.iter().copied().find(|entry| {
        entry.method == method
            && entry.object == object
            && has(entry.parameter)
            && entry.with_id.is_none_or(|with_id| with_id == has("id"))
    })
}
