//! S3 on the one operation model: each request is named from S3's route table and run
//! as the registry's entry, and what the sandbox does not keep is `NotImplemented`,
//! never an answer that ignores it: object versions other than `null`, a part of an
//! object, an operation of S3's model it does not emulate (after its action is
//! authorized), and a request S3's model has no operation for.

#![expect(clippy::expect_used, reason = "test")]

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketCannedAcl, Tag, Tagging};
use awslab_sandbox::Sandbox;
use awslab_sandbox::wire::HttpRequest;
use common::{ACCOUNT, Keys, s3, user_with_key};

async fn bucket_with_object(sandbox: &Sandbox) -> aws_sdk_s3::Client {
    let client = s3(sandbox, &Keys::operator(sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("ops")
        .send()
        .await
        .expect("bucket");
    client
        .put_object()
        .bucket("ops")
        .key("a/b")
        .body(ByteStream::from_static(b"text"))
        .send()
        .await
        .expect("put");
    client
}

#[tokio::test]
async fn versions_and_parts_the_sandbox_does_not_keep_are_not_implemented() {
    let sandbox = Sandbox::in_memory();
    let client = bucket_with_object(&sandbox).await;
    let null = client
        .get_object()
        .bucket("ops")
        .key("a/b")
        .version_id("null")
        .send()
        .await
        .expect("the one version the sandbox keeps");
    let body = null.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], b"text");
    let version = client
        .get_object()
        .bucket("ops")
        .key("a/b")
        .version_id("3HL4kqtJlcpXroDTDmJ")
        .send()
        .await
        .expect_err("no versions");
    assert_eq!(version.code(), Some("NotImplemented"), "{version:?}");
    let part = client
        .head_object()
        .bucket("ops")
        .key("a/b")
        .part_number(1)
        .send()
        .await
        .expect_err("no parts of a single-part object");
    assert_eq!(
        part.raw_response()
            .map(|response| response.status().as_u16()),
        Some(501)
    );
    let delete = client
        .delete_object()
        .bucket("ops")
        .key("a/b")
        .version_id("3HL4kqtJlcpXroDTDmJ")
        .send()
        .await
        .expect_err("no versions");
    assert_eq!(delete.code(), Some("NotImplemented"));
    // Nothing was deleted.
    client
        .head_object()
        .bucket("ops")
        .key("a/b")
        .send()
        .await
        .expect("still there");
}

#[tokio::test]
async fn an_unemulated_operation_is_authorized_by_its_action_then_not_implemented() {
    let sandbox = Sandbox::in_memory();
    let operator = bucket_with_object(&sandbox).await;
    let acl = operator
        .put_bucket_acl()
        .bucket("ops")
        .acl(BucketCannedAcl::Private)
        .send()
        .await
        .expect_err("not emulated");
    assert_eq!(acl.code(), Some("NotImplemented"), "{acl:?}");
    assert!(
        acl.message()
            .is_some_and(|message| message.contains("PutBucketAcl")),
        "{acl:?}"
    );
    let keys = user_with_key(&sandbox, "nobody").await;
    let user = s3(&sandbox, &keys, true);
    let denied = user
        .put_object_tagging()
        .bucket("ops")
        .key("a/b")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("k").value("v").build().expect("tag"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect_err("denied before anything");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert!(
        denied
            .message()
            .is_some_and(|message| message.contains("s3:PutObjectTagging")
                && message.contains("arn:aws:s3:::ops/a/b")),
        "{denied:?}"
    );
}

#[test]
fn a_request_s3_has_no_operation_for_is_not_implemented() {
    let sandbox = Sandbox::in_memory();
    for (method, path, query) in [
        ("GET", "/ops", "nosuch"),
        ("PUT", "/", ""),
        ("POST", "/ops/a", ""),
    ] {
        let answer = sandbox.handle(&HttpRequest {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: vec![("host".into(), "127.0.0.1".into())],
            ..HttpRequest::default()
        });
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, 501, "{method} {path}?{query}: {body}");
        assert!(body.contains("<Code>NotImplemented</Code>"), "{body}");
    }
}
