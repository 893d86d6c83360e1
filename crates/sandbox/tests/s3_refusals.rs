//! What AWS refuses, the sandbox refuses with AWS's error: `DeleteObjects` of more
//! than 1,000 keys and an XML body with a DOCTYPE (`MalformedXML`), presigned URLs
//! valid for more than a week (`AuthorizationQueryParametersError`), a signature for a
//! region that does not exist (S3's `AuthorizationHeaderMalformed`, IAM's and STS's
//! `SignatureDoesNotMatch`), a body over the sandbox's cap (`EntityTooLarge`), and
//! `SigV2` (`InvalidRequest`, as in regions launched after 2014). Denials name actions
//! as AWS spells them.

#![expect(clippy::expect_used, reason = "test")]

mod common;

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use awslab_sandbox::wire::HttpRequest;
use awslab_sandbox::{IN_PROCESS_ENDPOINT, MAX_BODY_BYTES, Sandbox};
use common::{ACCOUNT, Keys, s3, user_with_key};

fn anonymous(method: &str, path: &str, query: &str, body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: vec![("host".into(), "127.0.0.1".into())],
        body: body.to_vec(),
        ..HttpRequest::default()
    }
}

async fn bucket(sandbox: &Sandbox, name: &str) -> aws_sdk_s3::Client {
    let client = s3(sandbox, &Keys::operator(sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .expect("bucket");
    client
        .put_object()
        .bucket(name)
        .key("k")
        .body(ByteStream::from_static(b"text"))
        .send()
        .await
        .expect("put");
    client
}

fn identifiers(count: usize) -> Delete {
    Delete::builder()
        .set_objects(Some(
            (0..count)
                .map(|index| {
                    ObjectIdentifier::builder()
                        .key(format!("key-{index}"))
                        .build()
                        .expect("identifier")
                })
                .collect(),
        ))
        .build()
        .expect("delete")
}

#[tokio::test]
async fn delete_objects_of_more_than_1000_keys_is_malformed_xml() {
    let sandbox = Sandbox::in_memory();
    let client = bucket(&sandbox, "many-keys").await;
    client
        .delete_objects()
        .bucket("many-keys")
        .delete(identifiers(1000))
        .send()
        .await
        .expect("1,000 keys are taken");
    let error = client
        .delete_objects()
        .bucket("many-keys")
        .delete(identifiers(1001))
        .send()
        .await
        .expect_err("1,001 keys are refused");
    assert_eq!(error.code(), Some("MalformedXML"), "{error:?}");
}

#[tokio::test]
async fn an_xml_body_with_a_doctype_is_malformed_xml_before_it_is_read() {
    let sandbox = Sandbox::in_memory();
    let client = bucket(&sandbox, "doctype").await;
    let bomb = br#"<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Tagging><TagSet><Tag><Key>k</Key><Value>&b;</Value></Tag></TagSet></Tagging>"#;
    for (method, path, query) in [
        ("PUT", "/doctype", "tagging"),
        ("POST", "/doctype", "delete"),
        ("PUT", "/doctype", "versioning"),
        ("POST", "/doctype/k", "uploadId=anything"),
    ] {
        let answer = sandbox.handle(&anonymous(method, path, query, bomb));
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, 400, "{method} {path}?{query}: {body}");
        assert!(
            body.contains("<Code>MalformedXML</Code>"),
            "{method} {path}?{query}: {body}"
        );
    }
    // An object's bytes are not XML to S3: an HTML page with a DOCTYPE is stored.
    client
        .put_object()
        .bucket("doctype")
        .key("index.html")
        .body(ByteStream::from_static(b"<!DOCTYPE html><html></html>"))
        .send()
        .await
        .expect("an object may hold a DOCTYPE");
}

fn from_uri(uri: &str) -> HttpRequest {
    let uri: http::Uri = uri.parse().expect("uri");
    HttpRequest {
        method: "GET".into(),
        path: uri.path().into(),
        query: uri.query().unwrap_or_default().into(),
        headers: vec![(
            "host".into(),
            uri.authority().map(ToString::to_string).unwrap_or_default(),
        )],
        ..HttpRequest::default()
    }
}

#[tokio::test]
async fn presigned_urls_valid_for_more_than_a_week_are_refused() {
    let sandbox = Sandbox::in_memory();
    let client = bucket(&sandbox, "week").await;
    let config = aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_hours(1))
        .expect("config");
    let presigned = client
        .get_object()
        .bucket("week")
        .key("k")
        .presigned(config)
        .await
        .expect("presign");
    let request = from_uri(presigned.uri());
    assert_eq!(sandbox.handle(&request).status, 200);
    for (expires, message) in [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("soon", "X-Amz-Expires should be a number"),
    ] {
        let mut longer = request.clone();
        longer.query = longer
            .query
            .replace("X-Amz-Expires=3600", &format!("X-Amz-Expires={expires}"));
        let answer = sandbox.handle(&longer);
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            body.contains("<Code>AuthorizationQueryParametersError</Code>")
                && body.contains(message),
            "{expires}: {body}"
        );
    }
}

fn credentials(keys: &Keys) -> Credentials {
    Credentials::new(&keys.id, &keys.secret, None, None, "test")
}

#[tokio::test]
async fn a_signature_for_a_region_that_does_not_exist_is_refused_as_aws_refuses_it() {
    let sandbox = Sandbox::in_memory();
    let keys = Keys::operator(&sandbox, ACCOUNT);
    bucket(&sandbox, "regions").await;
    let fake = Region::new("xx-fake-1");
    let s3_fake = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(fake.clone())
            .credentials_provider(credentials(&keys))
            .endpoint_url(IN_PROCESS_ENDPOINT)
            .force_path_style(true)
            .http_client(sandbox.http_client())
            .build(),
    );
    let error = s3_fake
        .list_objects_v2()
        .bucket("regions")
        .send()
        .await
        .expect_err("xx-fake-1 does not exist");
    assert_eq!(error.code(), Some("AuthorizationHeaderMalformed"));
    assert_eq!(
        error.message(),
        Some(
            "The authorization header is malformed; the region 'xx-fake-1' is wrong; expecting 'us-east-1'"
        )
    );
    let presigned = s3_fake
        .get_object()
        .bucket("regions")
        .key("k")
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_mins(5))
                .expect("config"),
        )
        .await
        .expect("presign");
    let answer = sandbox.handle(&from_uri(presigned.uri()));
    let body = String::from_utf8_lossy(&answer.body);
    assert!(
        answer.status == 400
            && body.contains("<Code>AuthorizationQueryParametersError</Code>")
            && body.contains(
                "the region &apos;xx-fake-1&apos; is wrong; expecting &apos;us-east-1&apos;"
            )
            && body.contains("<Region>us-east-1</Region>"),
        "{body}"
    );

    let iam = aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("xx-fake-1"))
            .credentials_provider(credentials(&keys))
            .endpoint_url(IN_PROCESS_ENDPOINT)
            .http_client(sandbox.http_client())
            .build(),
    );
    let error = iam.list_users().send().await.expect_err("IAM refuses it");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(
        error.message(),
        Some("Credential should be scoped to a valid region, not 'xx-fake-1'. ")
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("xx-fake-1"))
            .credentials_provider(credentials(&keys))
            .endpoint_url(IN_PROCESS_ENDPOINT)
            .http_client(sandbox.http_client())
            .build(),
    );
    let error = sts
        .get_caller_identity()
        .send()
        .await
        .expect_err("STS refuses it");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));

    // A region that exists is served, whichever it is.
    let eu = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("eu-central-2"))
            .credentials_provider(credentials(&keys))
            .endpoint_url(IN_PROCESS_ENDPOINT)
            .http_client(sandbox.http_client())
            .build(),
    );
    eu.get_caller_identity().send().await.expect("eu-central-2");
}

#[tokio::test]
async fn a_body_over_the_cap_is_entity_too_large_in_s3_xml() {
    let sandbox = Sandbox::in_memory();
    let client = bucket(&sandbox, "large").await;
    let error = client
        .put_object()
        .bucket("large")
        .key("big")
        .body(ByteStream::from(vec![0_u8; MAX_BODY_BYTES + 1]))
        .send()
        .await
        .expect_err("over the cap");
    assert_eq!(error.code(), Some("EntityTooLarge"), "{error:?}");
    let raw = error.raw_response().expect("an answer");
    let body = String::from_utf8_lossy(raw.body().bytes().expect("bytes"));
    assert!(
        body.contains(&format!(
            "<ProposedSize>{}</ProposedSize>",
            MAX_BODY_BYTES + 1
        )) && body.contains(&format!(
            "<MaxSizeAllowed>{MAX_BODY_BYTES}</MaxSizeAllowed>"
        )),
        "{body}"
    );
}

#[tokio::test]
async fn sigv2_is_refused_as_in_regions_that_lack_it() {
    let sandbox = Sandbox::in_memory();
    bucket(&sandbox, "sigv2").await;
    let operator = sandbox.operator(ACCOUNT).expect("operator");
    let query = format!(
        "AWSAccessKeyId={}&Expires=4102444800&Signature=abc%3D",
        operator.access_key_id
    );
    let mut header = anonymous("GET", "/sigv2/k", "", b"");
    header.headers.push((
        "authorization".into(),
        format!("AWS {}:abc=", operator.access_key_id),
    ));
    for request in [anonymous("GET", "/sigv2/k", &query, b""), header] {
        let answer = sandbox.handle(&request);
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, 400, "{body}");
        assert!(
            body.contains("<Code>InvalidRequest</Code>")
                && body.contains("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."),
            "{body}"
        );
        assert!(!body.contains("getObject"), "{body}");
    }
}

#[tokio::test]
async fn denials_name_sub_resource_actions_as_aws_spells_them() {
    let sandbox = Sandbox::in_memory();
    bucket(&sandbox, "spelling").await;
    let user = user_with_key(&sandbox, "speller").await;
    let client = s3(&sandbox, &user, true);
    let error = client
        .get_bucket_acl()
        .bucket("spelling")
        .send()
        .await
        .expect_err("no permission");
    assert_eq!(error.code(), Some("AccessDenied"));
    let message = error.message().unwrap_or_default();
    assert!(message.contains("s3:GetBucketAcl"), "{message}");
    let explained = sandbox
        .explain_latest_denial()
        .expect("explain")
        .expect("a denial");
    assert!(explained.contains("action: s3:GetBucketAcl"), "{explained}");
    let error = client
        .get_bucket_cors()
        .bucket("spelling")
        .send()
        .await
        .expect_err("no permission");
    assert!(
        error
            .message()
            .unwrap_or_default()
            .contains("s3:GetBucketCORS"),
        "{error:?}"
    );
}
