//! S3 listings, bucket policies, presigned URLs and the shared bucket namespace;
//! cross-account trust; a signing time off by more than 15 minutes.

mod common;

use std::time::{Duration, SystemTime};

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use awslab_sandbox::Sandbox;
use awslab_sandbox::wire::HttpRequest;
use common::{ACCOUNT, Keys, OTHER_ACCOUNT, from_sts, iam, s3, sts, user_with_key};

#[tokio::test]
async fn listings_paginate_and_roll_up_common_prefixes() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("listing")
        .send()
        .await
        .expect("bucket");
    for key in ["a/1", "a/2", "b/1", "c", "d"] {
        client
            .put_object()
            .bucket("listing")
            .key(key)
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("put");
    }
    let top = client
        .list_objects_v2()
        .bucket("listing")
        .delimiter("/")
        .send()
        .await
        .expect("list");
    let prefixes: Vec<&str> = top
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    let keys: Vec<&str> = top.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!((prefixes, keys), (vec!["a/", "b/"], vec!["c", "d"]));

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_objects_v2()
            .bucket("listing")
            .max_keys(2)
            .set_continuation_token(token)
            .send()
            .await
            .expect("page");
        seen.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["a/1", "a/2", "b/1", "c", "d"]);
    let v1 = client
        .list_objects()
        .bucket("listing")
        .prefix("a/")
        .send()
        .await
        .expect("v1");
    assert_eq!(v1.contents().len(), 2);
}

#[tokio::test]
async fn bucket_policies_grant_and_deny_and_names_are_global() {
    let sandbox = Sandbox::in_memory();
    let owner = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    let other = s3(&sandbox, &Keys::operator(&sandbox, OTHER_ACCOUNT), true);
    owner
        .create_bucket()
        .bucket("shared-name")
        .send()
        .await
        .expect("bucket");
    let taken = other
        .create_bucket()
        .bucket("shared-name")
        .send()
        .await
        .expect_err("global namespace");
    assert_eq!(taken.code(), Some("BucketAlreadyExists"));
    let mine = owner
        .create_bucket()
        .bucket("shared-name")
        .send()
        .await
        .expect_err("already mine");
    assert_eq!(mine.code(), Some("BucketAlreadyOwnedByYou"));
    let invalid = owner
        .create_bucket()
        .bucket("Bad_Name")
        .send()
        .await
        .expect_err("invalid name");
    assert_eq!(invalid.code(), Some("InvalidBucketName"));

    // Cross-account: the other account's admin needs the bucket policy too.
    let denied = other
        .list_objects_v2()
        .bucket("shared-name")
        .send()
        .await
        .expect_err("no bucket policy");
    assert_eq!(denied.code(), Some("AccessDenied"));
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared-name","Condition":{{"StringEquals":{{"s3:prefix":"public/"}}}}}}]}}"#
    );
    owner
        .put_bucket_policy()
        .bucket("shared-name")
        .policy(policy)
        .send()
        .await
        .expect("policy");
    other
        .list_objects_v2()
        .bucket("shared-name")
        .prefix("public/")
        .send()
        .await
        .expect("allowed by the bucket policy");
    let wrong_prefix = other
        .list_objects_v2()
        .bucket("shared-name")
        .prefix("private/")
        .send()
        .await
        .expect_err("condition");
    assert_eq!(wrong_prefix.code(), Some("AccessDenied"));

    // An explicit deny in the bucket policy stops even the owner's admin.
    owner
        .put_bucket_policy()
        .bucket("shared-name")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-name/*"}]}"#)
        .send()
        .await
        .expect("deny policy");
    owner
        .put_object()
        .bucket("shared-name")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .expect("put");
    let explicit = owner
        .get_object()
        .bucket("shared-name")
        .key("k")
        .send()
        .await
        .expect_err("explicit deny");
    assert!(
        explicit
            .message()
            .is_some_and(|m| m.contains("explicit deny in a resource-based policy")),
        "{explicit:?}"
    );
}

#[tokio::test]
async fn presigned_urls_work_until_they_expire() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("presign")
        .send()
        .await
        .expect("bucket");
    client
        .put_object()
        .bucket("presign")
        .key("k")
        .body(ByteStream::from_static(b"secret text"))
        .send()
        .await
        .expect("put");
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_mins(1))
        .expect("config");
    let presigned = client
        .get_object()
        .bucket("presign")
        .key("k")
        .presigned(config)
        .await
        .expect("presign");
    let uri: http::Uri = presigned.uri().parse().expect("uri");
    let request = HttpRequest {
        method: "GET".into(),
        path: uri.path().into(),
        query: uri.query().unwrap_or_default().into(),
        headers: vec![(
            "host".into(),
            uri.authority().map(ToString::to_string).unwrap_or_default(),
        )],
        ..HttpRequest::default()
    };
    let answer = sandbox.handle(&request);
    assert_eq!(
        (answer.status, answer.body.as_slice()),
        (200, &b"secret text"[..])
    );
    let stale_config = aws_sdk_s3::presigning::PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_hours(2))
        .expires_in(Duration::from_mins(1))
        .build()
        .expect("config");
    let stale = client
        .get_object()
        .bucket("presign")
        .key("k")
        .presigned(stale_config)
        .await
        .expect("presign");
    let stale_uri: http::Uri = stale.uri().parse().expect("uri");
    let mut expired = request.clone();
    expired.query = stale_uri.query().unwrap_or_default().into();
    let answer = sandbox.handle(&expired);
    assert_eq!(answer.status, 403);
    assert!(String::from_utf8_lossy(&answer.body).contains("Request has expired"));
    let mut tampered = request.clone();
    tampered.path = "/presign/other".into();
    assert_eq!(sandbox.handle(&tampered).status, 403);
}

#[tokio::test]
async fn cross_account_roles_need_trust_and_identity_policies() {
    let sandbox = Sandbox::in_memory();
    let user = user_with_key(&sandbox, "traveller").await;
    let home = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    home.put_user_policy().user_name("traveller").policy_name("assume").policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#).send().await.expect("policy");
    let away = iam(&sandbox, &Keys::operator(&sandbox, OTHER_ACCOUNT));
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/traveller"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    away.create_role()
        .role_name("visitor")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("cross-account trust");
    let unknown = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/nobody"},"Action":"sts:AssumeRole"}]}"#;
    let refused = away
        .create_role()
        .role_name("ghost")
        .assume_role_policy_document(unknown)
        .send()
        .await
        .expect_err("principal must exist");
    assert_eq!(refused.code(), Some("MalformedPolicyDocument"));

    let arn = format!("arn:aws:iam::{OTHER_ACCOUNT}:role/visitor");
    let assumed = sts(&sandbox, &user)
        .assume_role()
        .role_arn(&arn)
        .role_session_name("trip")
        .send()
        .await
        .expect("assume across accounts");
    let who = sts(
        &sandbox,
        &from_sts(assumed.credentials().expect("credentials")),
    )
    .get_caller_identity()
    .send()
    .await
    .expect("who");
    assert_eq!(who.account(), Some(OTHER_ACCOUNT));
}

#[tokio::test]
async fn signatures_more_than_15_minutes_off_are_refused() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let skewed =
        aws_smithy_async::time::StaticTimeSource::new(SystemTime::now() - Duration::from_mins(20));
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            &operator.id,
            &operator.secret,
            None,
            None,
            "test",
        ))
        .endpoint_url(awslab_sandbox::IN_PROCESS_ENDPOINT)
        .http_client(sandbox.http_client())
        .time_source(skewed)
        .build();
    let error = aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .expect_err("skewed");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert!(
        error
            .message()
            .is_some_and(|m| m.starts_with("Signature expired")),
        "{error:?}"
    );
}

#[tokio::test]
async fn s3_answers_request_time_too_skewed() {
    let sandbox = Sandbox::in_memory();
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let skewed =
        aws_smithy_async::time::StaticTimeSource::new(SystemTime::now() + Duration::from_mins(20));
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            &operator.id,
            &operator.secret,
            None,
            None,
            "test",
        ))
        .endpoint_url(awslab_sandbox::IN_PROCESS_ENDPOINT)
        .force_path_style(true)
        .http_client(sandbox.http_client())
        .time_source(skewed)
        .build();
    let error = aws_sdk_s3::Client::from_conf(config)
        .list_buckets()
        .send()
        .await
        .expect_err("skewed");
    assert_eq!(error.code(), Some("RequestTimeTooSkewed"));
}

/// `s3:ListAllMyBuckets` has no resource-level permissions: `"Resource": "*"` and
/// `"Resource": "arn:aws:s3:::*"` grant it (seed 002's role lists buckets with the
/// latter), one bucket's ARN does not, and the denial names no resource, as on AWS.
#[tokio::test]
async fn list_buckets_is_granted_by_every_bucket_not_by_one() {
    let sandbox = Sandbox::in_memory();
    let keys = user_with_key(&sandbox, "lister").await;
    let operator = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let client = s3(&sandbox, &keys, true);
    for (resource, allowed) in [
        ("arn:aws:s3:::one-bucket", false),
        ("arn:aws:s3:::*", true),
        ("*", true),
    ] {
        operator
            .put_user_policy()
            .user_name("lister")
            .policy_name("list")
            .policy_document(format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"{resource}"}}]}}"#
            ))
            .send()
            .await
            .expect("policy");
        let answer = client.list_buckets().send().await;
        if allowed {
            answer.expect(resource);
        } else {
            let denied = answer.expect_err(resource);
            assert_eq!(denied.code(), Some("AccessDenied"));
            assert_eq!(
                denied.message(),
                Some(format!("User: arn:aws:iam::{ACCOUNT}:user/lister is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action").as_str())
            );
        }
    }
}
