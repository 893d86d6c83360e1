//! Every S3 operation the sandbox routes is authorized by an action spelt as AWS spells
//! it, and every operation it names but does not emulate is one of S3's.

use crate::model::s3_actions::UNEMULATED;
use crate::services::{Call, Check, Handle as _, registry};
use crate::wire::HttpRequest;
use crate::wire::catalog::{self, Location};

/// S3's IAM actions as the Service Authorization Reference spells them ("Actions,
/// resources, and condition keys for Amazon S3"), those an S3 API operation needs.
const AWS_ACTIONS: &[&str] = &[
    "s3:AbortMultipartUpload",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucketWebsite",
    "s3:DeleteObject",
    "s3:DeleteObjectTagging",
    "s3:DeleteObjectVersion",
    "s3:DeleteObjectVersionTagging",
    "s3:GetAccelerateConfiguration",
    "s3:GetAnalyticsConfiguration",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketLocation",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketObjectLockConfiguration",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetBucketWebsite",
    "s3:GetEncryptionConfiguration",
    "s3:GetIntelligentTieringConfiguration",
    "s3:GetInventoryConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetMetricsConfiguration",
    "s3:GetObject",
    "s3:GetObjectAcl",
    "s3:GetObjectAttributes",
    "s3:GetObjectLegalHold",
    "s3:GetObjectRetention",
    "s3:GetObjectTagging",
    "s3:GetObjectTorrent",
    "s3:GetObjectVersion",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutAccelerateConfiguration",
    "s3:PutAnalyticsConfiguration",
    "s3:PutBucketAcl",
    "s3:PutBucketCORS",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketRequestPayment",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutBucketWebsite",
    "s3:PutEncryptionConfiguration",
    "s3:PutIntelligentTieringConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutMetricsConfiguration",
    "s3:PutObject",
    "s3:PutObjectAcl",
    "s3:PutObjectLegalHold",
    "s3:PutObjectRetention",
    "s3:PutObjectTagging",
    "s3:PutReplicationConfiguration",
    "s3:RestoreObject",
];

/// The operations of S3's service model (botocore's `s3/2006-03-01/service-2.json`).
const MODEL_OPERATIONS: &[&str] = &[
    "AbortMultipartUpload",
    "CompleteMultipartUpload",
    "CopyObject",
    "CreateBucket",
    "CreateBucketMetadataConfiguration",
    "CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload",
    "CreateSession",
    "DeleteBucket",
    "DeleteBucketAnalyticsConfiguration",
    "DeleteBucketCors",
    "DeleteBucketEncryption",
    "DeleteBucketIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration",
    "DeleteBucketLifecycle",
    "DeleteBucketMetadataConfiguration",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketReplication",
    "DeleteBucketTagging",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjects",
    "DeletePublicAccessBlock",
    "GetBucketAbac",
    "GetBucketAccelerateConfiguration",
    "GetBucketAcl",
    "GetBucketAnalyticsConfiguration",
    "GetBucketCors",
    "GetBucketEncryption",
    "GetBucketIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration",
    "GetBucketLifecycle",
    "GetBucketLifecycleConfiguration",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataConfiguration",
    "GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration",
    "GetBucketNotification",
    "GetBucketNotificationConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketReplication",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectLockConfiguration",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetPublicAccessBlock",
    "HeadBucket",
    "HeadObject",
    "ListBucketAnalyticsConfigurations",
    "ListBucketIntelligentTieringConfigurations",
    "ListBucketInventoryConfigurations",
    "ListBucketMetricsConfigurations",
    "ListBuckets",
    "ListDirectoryBuckets",
    "ListMultipartUploads",
    "ListObjectVersions",
    "ListObjects",
    "ListObjectsV2",
    "ListParts",
    "PutBucketAbac",
    "PutBucketAccelerateConfiguration",
    "PutBucketAcl",
    "PutBucketAnalyticsConfiguration",
    "PutBucketCors",
    "PutBucketEncryption",
    "PutBucketIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "PutBucketLogging",
    "PutBucketMetricsConfiguration",
    "PutBucketNotification",
    "PutBucketNotificationConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketReplication",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutPublicAccessBlock",
    "RenameObject",
    "RestoreObject",
    "SelectObjectContent",
    "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration",
    "UpdateObjectEncryption",
    "UploadPart",
    "UploadPartCopy",
    "WriteGetObjectResponse",
];

fn request(method: &str, path: &str, query: &str, body: &str) -> HttpRequest {
    HttpRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: vec![("host".to_owned(), "127.0.0.1:4566".to_owned())],
        body: body.as_bytes().to_vec(),
        source_ip: None,
        spooled: None,
    }
}

/// The operation `request` names (and whether S3's model has it) and the checks that
/// authorize it, as the dispatcher finds them: from S3's route table, then the
/// registry's entry or the unemulated answer.
pub(crate) fn checks_of(request: &HttpRequest) -> Result<(String, bool, Vec<Check>), String> {
    let decoded =
        crate::wire::s3::decode(request, &registry::Registry).map_err(|error| error.message)?;
    let world = crate::state::World::default();
    let caller = crate::auth::Caller::anonymous();
    let mut authorize = |_: &crate::state::World, _: &crate::auth::Caller, _: &[Check]| Ok(());
    let call = Call {
        input: &decoded.input,
        caller: &caller,
        region: "us-east-1",
        authorize: &mut authorize,
    };
    let registered = registry::service("s3").and_then(|s3| s3.rest_operation(&decoded.operation));
    let checks = match registered {
        Some(operation) => (operation.checks)(&world, &call),
        None => {
            super::Unemulated::new(decoded.operation.clone(), decoded.modeled).checks(&world, &call)
        }
    }
    .map_err(|error| error.message)?;
    Ok((decoded.operation, registered.is_some(), checks))
}

/// One request per operation the sandbox routes (emulated or not).
pub(crate) fn routed() -> Vec<HttpRequest> {
    let mut copy = request("PUT", "/b/k", "", "");
    copy.headers
        .push(("x-amz-copy-source".to_owned(), "/b/source".to_owned()));
    let mut part_copy = request("PUT", "/b/k", "partNumber=1&uploadId=u", "");
    part_copy
        .headers
        .push(("x-amz-copy-source".to_owned(), "/b/source".to_owned()));
    let mut all = vec![
        request("GET", "/", "", ""),
        request("PUT", "/b", "", ""),
        request("DELETE", "/b", "", ""),
        request("HEAD", "/b", "", ""),
        request("GET", "/b", "location", ""),
        request("GET", "/b", "", ""),
        request("GET", "/b", "list-type=2&encoding-type=url", ""),
        request("GET", "/b", "versions&key-marker=k", ""),
        request("PUT", "/b/k", "", "body"),
        request("GET", "/b/k", "", ""),
        request("HEAD", "/b/k", "", ""),
        request("DELETE", "/b/k", "", ""),
        request(
            "POST",
            "/b",
            "delete",
            "<Delete><Object><Key>k</Key></Object></Delete>",
        ),
        copy,
        request("PUT", "/b", "policy", "{}"),
        request("GET", "/b", "policy", ""),
        request("DELETE", "/b", "policy", ""),
        request("PUT", "/b", "tagging", "<Tagging><TagSet/></Tagging>"),
        request("GET", "/b", "tagging", ""),
        request("DELETE", "/b", "tagging", ""),
        request("GET", "/b", "versioning", ""),
        request("PUT", "/b", "versioning", "<VersioningConfiguration/>"),
        request("POST", "/b/k", "uploads", ""),
        request("PUT", "/b/k", "partNumber=1&uploadId=u", "part"),
        request("POST", "/b/k", "uploadId=u", "<CompleteMultipartUpload/>"),
        request("DELETE", "/b/k", "uploadId=u", ""),
        request("GET", "/b/k", "uploadId=u", ""),
        request("GET", "/b", "uploads", ""),
        part_copy,
    ];
    for (operation, _) in UNEMULATED {
        // As a client sends it: the template's method, path and query literals
        // (`?select&select-type=2`), and the parameters and headers S3's model
        // requires (`id`, `x-amz-object-attributes`, `x-amz-copy-source`).
        let modeled = catalog::service("s3")
            .and_then(|s3| s3.operation(operation))
            .expect(operation);
        let path = if modeled.uri.contains("{Key+}") {
            "/b/k"
        } else {
            "/b"
        };
        let mut query: Vec<String> = modeled
            .uri
            .split_once('?')
            .map(|(_, literals)| literals.split('&').map(str::to_owned).collect())
            .unwrap_or_default();
        let mut headers = Vec::new();
        for binding in modeled.bindings().filter(|binding| binding.required) {
            match binding.location {
                Location::Query => query.push(format!("{}=x", binding.name)),
                Location::Header => {
                    headers.push((binding.name.to_ascii_lowercase(), "/b/source".to_owned()));
                }
                Location::Payload => {}
            }
        }
        let mut routed = request(modeled.method, path, &query.join("&"), "");
        routed.headers.extend(headers);
        all.push(routed);
    }
    all
}

#[test]
fn every_routed_operation_is_authorized_by_an_action_spelt_as_aws_spells_it() {
    for routed in routed() {
        let described = format!("{} {}?{}", routed.method, routed.path, routed.query);
        let (operation, emulated, checks) = checks_of(&routed).expect(&described);
        assert!(!checks.is_empty(), "{described} is authorized by no action");
        for check in checks {
            assert!(
                AWS_ACTIONS.contains(&check.action.as_str()),
                "{described}: {} is not an S3 action as AWS spells it",
                check.action
            );
        }
        if !emulated {
            assert!(
                MODEL_OPERATIONS.contains(&operation.as_str()),
                "{described}: {operation} is not an operation of S3's model"
            );
        }
    }
}

#[test]
fn sub_resource_actions_keep_aws_capitals() {
    let (_, _, acl) = checks_of(&request("GET", "/b", "acl", "")).expect("routed");
    assert_eq!(acl[0].action, "s3:GetBucketAcl");
    let (_, _, cors) = checks_of(&request("DELETE", "/b", "cors", "")).expect("routed");
    assert_eq!(cors[0].action, "s3:PutBucketCORS");
    let (_, _, tags) = checks_of(&request("GET", "/b/k", "tagging", "")).expect("routed");
    assert_eq!(tags[0].action, "s3:GetObjectTagging");
    assert_eq!(tags[0].resource, "arn:aws:s3:::b/k");
}

#[test]
fn s3_route_table_names_each_operation_from_method_template_and_markers() {
    let mut copy = request("PUT", "/b/k", "", "");
    copy.headers
        .push(("x-amz-copy-source".to_owned(), "/b/source".to_owned()));
    let mut part_copy = request("PUT", "/b/k", "partNumber=1&uploadId=u", "");
    part_copy
        .headers
        .push(("x-amz-copy-source".to_owned(), "/b/source".to_owned()));
    let mut virtual_host = request("GET", "/a//b/", "", "");
    virtual_host.headers = vec![("host".to_owned(), "b.s3.us-east-1.amazonaws.com".to_owned())];
    let cases = [
        (request("GET", "/", "", ""), "ListBuckets"),
        (request("PUT", "/b", "", ""), "CreateBucket"),
        (request("GET", "/b", "", ""), "ListObjects"),
        (
            request("GET", "/b", "list-type=2&prefix=a", ""),
            "ListObjectsV2",
        ),
        (request("GET", "/b", "versions", ""), "ListObjectVersions"),
        (request("GET", "/b", "uploads", ""), "ListMultipartUploads"),
        (request("PUT", "/b/k", "", "x"), "PutObject"),
        (request("PUT", "/b/k", "x-id=PutObject", "x"), "PutObject"),
        (copy, "CopyObject"),
        (
            request("PUT", "/b/k", "partNumber=1&uploadId=u", "x"),
            "UploadPart",
        ),
        (part_copy, "UploadPartCopy"),
        (
            request("POST", "/b/k", "uploads", ""),
            "CreateMultipartUpload",
        ),
        (
            request("POST", "/b/k", "uploadId=u", ""),
            "CompleteMultipartUpload",
        ),
        (request("GET", "/b/k", "uploadId=u", ""), "ListParts"),
        (
            request("DELETE", "/b/k", "uploadId=u", ""),
            "AbortMultipartUpload",
        ),
        (request("DELETE", "/b/k", "", ""), "DeleteObject"),
        (request("HEAD", "/b/k", "", ""), "HeadObject"),
        (request("HEAD", "/b", "", ""), "HeadBucket"),
        (request("GET", "/b/a/b/c", "", ""), "GetObject"),
        // Virtual-hosted: the key is `a//b/`, however many slashes it holds.
        (virtual_host, "GetObject"),
        (
            request("GET", "/b", "analytics", ""),
            "ListBucketAnalyticsConfigurations",
        ),
        (
            request("GET", "/b", "analytics&id=x", ""),
            "GetBucketAnalyticsConfiguration",
        ),
        (
            request("GET", "/b", "lifecycle", ""),
            "GetBucketLifecycleConfiguration",
        ),
        // A parameter no operation of the template takes names none.
        (request("GET", "/b", "nosuch", ""), "GET /{Bucket}?nosuch"),
        (request("PUT", "/", "", ""), "PUT /"),
    ];
    for (routed, expected) in cases {
        let described = format!("{} {}?{}", routed.method, routed.path, routed.query);
        let (operation, _, _) = checks_of(&routed).expect(&described);
        assert_eq!(operation, expected, "{described}");
    }
    let (_, _, keyed) = checks_of(&request("GET", "/b/a%2Fb", "", "")).expect("routed");
    assert_eq!(keyed[0].resource, "arn:aws:s3:::b/a/b");
}
