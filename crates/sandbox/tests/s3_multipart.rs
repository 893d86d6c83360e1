//! S3 multipart uploads, ranged reads and bucket versioning through the Rust SDK
//! in-process: part rules, the `md5-of-md5s-N` `ETag`, listings, who may do what, and
//! pending uploads going with their bucket.

#![expect(clippy::too_many_lines, reason = "each test is a story told in order")]
#![allow(clippy::type_complexity, reason = "case tables")]

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3, user_with_key};
use md5::Digest as _;

const MIB: usize = 1024 * 1024;

/// Deterministic bytes that differ from part to part.
fn bytes(length: usize, seed: u8) -> Vec<u8> {
    (0..length)
        .map(|index| u8::try_from((index * 31 + usize::from(seed) * 7) % 251).unwrap_or(0))
        .collect()
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(number, etag)| {
                    CompletedPart::builder()
                        .part_number(*number)
                        .e_tag(*etag)
                        .build()
                })
                .collect(),
        ))
        .build()
}

async fn upload_part(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload: &str,
    number: i32,
    body: Vec<u8>,
) -> Result<String, String> {
    client
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload)
        .part_number(number)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|part| part.e_tag().unwrap_or_default().to_owned())
        .map_err(|error| error.code().unwrap_or("no code").to_owned())
}

#[tokio::test]
async fn multipart_upload_makes_one_object_with_the_etag_of_its_parts() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client.create_bucket().bucket("big").send().await.unwrap();
    let created = client
        .create_multipart_upload()
        .bucket("big")
        .key("nine.bin")
        .content_type("application/x-test")
        .send()
        .await
        .unwrap();
    let upload = created.upload_id().unwrap().to_owned();
    assert_eq!(created.key(), Some("nine.bin"));

    let first = bytes(5 * MIB, 1);
    let second = bytes(4 * MIB, 2);
    let etag1 = upload_part(&client, "big", "nine.bin", &upload, 1, first.clone())
        .await
        .unwrap();
    let etag2 = upload_part(&client, "big", "nine.bin", &upload, 2, second.clone())
        .await
        .unwrap();
    assert_eq!(
        etag1,
        format!("\"{}\"", hex::encode(md5::Md5::digest(&first)))
    );

    // Pending: listed with its parts, not an object yet.
    let uploads = client
        .list_multipart_uploads()
        .bucket("big")
        .send()
        .await
        .unwrap();
    let listed: Vec<(&str, &str)> = uploads
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or_default(),
                u.upload_id().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(listed, vec![("nine.bin", upload.as_str())]);
    let parts = client
        .list_parts()
        .bucket("big")
        .key("nine.bin")
        .upload_id(&upload)
        .send()
        .await
        .unwrap();
    let sizes: Vec<(Option<i32>, Option<i64>)> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number(), p.size()))
        .collect();
    assert_eq!(
        sizes,
        vec![
            (Some(1), Some(5 * 1024 * 1024)),
            (Some(2), Some(4 * 1024 * 1024))
        ]
    );
    let absent = client
        .head_object()
        .bucket("big")
        .key("nine.bin")
        .send()
        .await
        .expect_err("not an object before completion");
    assert_eq!(
        absent.raw_response().map(|r| r.status().as_u16()),
        Some(404)
    );

    let done = client
        .complete_multipart_upload()
        .bucket("big")
        .key("nine.bin")
        .upload_id(&upload)
        .multipart_upload(completed(&[(1, &etag1), (2, &etag2)]))
        .send()
        .await
        .unwrap();
    let mut digests = md5::Md5::digest(&first).to_vec();
    digests.extend_from_slice(&md5::Md5::digest(&second));
    let expected = format!("\"{}-2\"", hex::encode(md5::Md5::digest(&digests)));
    assert_eq!(done.e_tag(), Some(expected.as_str()));

    let object = client
        .get_object()
        .bucket("big")
        .key("nine.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(object.e_tag(), Some(expected.as_str()));
    assert_eq!(object.content_type(), Some("application/x-test"));
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(body.len(), 9 * MIB);
    assert!(body[..5 * MIB] == first[..] && body[5 * MIB..] == second[..]);
    let after = client
        .list_multipart_uploads()
        .bucket("big")
        .send()
        .await
        .unwrap();
    assert!(after.uploads().is_empty());
    let gone = client
        .list_parts()
        .bucket("big")
        .key("nine.bin")
        .upload_id(&upload)
        .send()
        .await
        .expect_err("completed uploads are gone");
    assert_eq!(gone.code(), Some("NoSuchUpload"));
}

#[tokio::test]
async fn multipart_upload_refuses_what_s3_refuses() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client.create_bucket().bucket("rules").send().await.unwrap();
    let upload = client
        .create_multipart_upload()
        .bucket("rules")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let small1 = upload_part(&client, "rules", "k", &upload, 1, bytes(1024, 1))
        .await
        .unwrap();
    let small2 = upload_part(&client, "rules", "k", &upload, 2, bytes(1024, 2))
        .await
        .unwrap();
    for number in [0, 10_001] {
        assert_eq!(
            upload_part(&client, "rules", "k", &upload, number, bytes(8, 3)).await,
            Err("InvalidArgument".to_owned()),
            "part {number}"
        );
    }
    assert_eq!(
        upload_part(&client, "rules", "k", "no-such-upload", 1, bytes(8, 3)).await,
        Err("NoSuchUpload".to_owned())
    );
    assert_eq!(
        upload_part(&client, "rules", "other-key", &upload, 1, bytes(8, 3)).await,
        Err("NoSuchUpload".to_owned()),
        "an upload id belongs to its key"
    );

    let cases: [(&[(i32, &str)], &str); 4] = [
        (&[(1, &small1), (2, &small2)], "EntityTooSmall"),
        (&[(2, &small2), (1, &small1)], "InvalidPartOrder"),
        (
            &[(1, "\"0123456789abcdef0123456789abcdef\"")],
            "InvalidPart",
        ),
        (&[(3, &small1)], "InvalidPart"),
    ];
    for (parts, code) in cases {
        let error = client
            .complete_multipart_upload()
            .bucket("rules")
            .key("k")
            .upload_id(&upload)
            .multipart_upload(completed(parts))
            .send()
            .await
            .expect_err(code);
        assert_eq!(error.code(), Some(code), "{parts:?}");
    }
    // The last part alone may be small.
    client
        .complete_multipart_upload()
        .bucket("rules")
        .key("k")
        .upload_id(&upload)
        .multipart_upload(completed(&[(1, &small1)]))
        .send()
        .await
        .expect("one small part is the last part");

    let aborted = client
        .create_multipart_upload()
        .bucket("rules")
        .key("abandoned")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    client
        .abort_multipart_upload()
        .bucket("rules")
        .key("abandoned")
        .upload_id(&aborted)
        .send()
        .await
        .expect("abort");
    let again = client
        .abort_multipart_upload()
        .bucket("rules")
        .key("abandoned")
        .upload_id(&aborted)
        .send()
        .await
        .expect_err("already aborted");
    assert_eq!(again.code(), Some("NoSuchUpload"));
}

#[tokio::test]
async fn pending_uploads_go_with_their_bucket() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("pending")
        .send()
        .await
        .unwrap();
    let upload = client
        .create_multipart_upload()
        .bucket("pending")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    upload_part(&client, "pending", "k", &upload, 1, bytes(1024, 1))
        .await
        .unwrap();
    // As on S3, a general purpose bucket with uploads in progress (and no objects) can
    // be deleted; its uploads are discarded with it.
    client
        .delete_bucket()
        .bucket("pending")
        .send()
        .await
        .expect("uploads do not keep a bucket");
    client
        .create_bucket()
        .bucket("pending")
        .send()
        .await
        .unwrap();
    let uploads = client
        .list_multipart_uploads()
        .bucket("pending")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());

    // The sandbox's bounds on upload sizes are a unit test of `services::s3::multipart`
    // (they take hundreds of MiB to reach through the SDK).
}

#[tokio::test]
async fn multipart_operations_are_authorized_with_their_own_actions() {
    let sandbox = Sandbox::in_memory();
    let operator = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    operator
        .create_bucket()
        .bucket("guarded")
        .send()
        .await
        .unwrap();
    let pending = operator
        .create_multipart_upload()
        .bucket("guarded")
        .key("k")
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_owned();
    let keys = user_with_key(&sandbox, "uploader").await;
    iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT))
        .put_user_policy()
        .user_name("uploader")
        .policy_name("put-only")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::guarded/*"}]}"#)
        .send()
        .await
        .unwrap();
    let user = s3(&sandbox, &keys, true);

    // s3:PutObject covers create, upload part and complete; the others need their own.
    let own = user
        .create_multipart_upload()
        .bucket("guarded")
        .key("mine")
        .send()
        .await
        .expect("s3:PutObject allows CreateMultipartUpload")
        .upload_id()
        .unwrap()
        .to_owned();
    let etag = upload_part(&user, "guarded", "mine", &own, 1, bytes(10, 1))
        .await
        .expect("s3:PutObject allows UploadPart");
    user.complete_multipart_upload()
        .bucket("guarded")
        .key("mine")
        .upload_id(&own)
        .multipart_upload(completed(&[(1, &etag)]))
        .send()
        .await
        .expect("s3:PutObject allows CompleteMultipartUpload");
    let denied = [
        (
            "s3:ListMultipartUploadParts",
            user.list_parts()
                .bucket("guarded")
                .key("k")
                .upload_id(&pending)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
        ),
        (
            "s3:ListBucketMultipartUploads",
            user.list_multipart_uploads()
                .bucket("guarded")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
        ),
        (
            "s3:AbortMultipartUpload",
            user.abort_multipart_upload()
                .bucket("guarded")
                .key("k")
                .upload_id(&pending)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
        ),
    ];
    for (action, answer) in denied {
        let (code, message) = answer.expect_err(action);
        assert_eq!(code.as_deref(), Some("AccessDenied"), "{action}");
        assert!(
            message.as_deref().is_some_and(|m| m.contains(action)),
            "{action}: {message:?}"
        );
    }
}

#[tokio::test]
async fn ranged_reads_answer_partial_content() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("ranges")
        .send()
        .await
        .unwrap();
    client
        .put_object()
        .bucket("ranges")
        .key("digits")
        .body(ByteStream::from_static(b"0123456789"))
        .send()
        .await
        .unwrap();
    let cases: [(&str, Result<(&str, &str), &str>); 6] = [
        ("bytes=0-3", Ok(("0123", "bytes 0-3/10"))),
        ("bytes=7-", Ok(("789", "bytes 7-9/10"))),
        ("bytes=-2", Ok(("89", "bytes 8-9/10"))),
        ("bytes=5-100", Ok(("56789", "bytes 5-9/10"))),
        ("bytes=10-", Err("InvalidRange")),
        ("bytes=3-1", Ok(("0123456789", ""))),
    ];
    for (range, expected) in cases {
        let answer = client
            .get_object()
            .bucket("ranges")
            .key("digits")
            .range(range)
            .send()
            .await;
        match (answer, expected) {
            (Ok(object), Ok((body, content_range))) => {
                assert_eq!(object.content_range().unwrap_or_default(), content_range);
                let length = object.content_length();
                let bytes = object.body.collect().await.unwrap().into_bytes();
                assert_eq!(&bytes[..], body.as_bytes(), "{range}");
                assert_eq!(length, i64::try_from(body.len()).ok(), "{range}");
            }
            (Err(error), Err(code)) => assert_eq!(error.code(), Some(code), "{range}"),
            (answer, expected) => panic!("{range}: {answer:?} instead of {expected:?}"),
        }
    }
    let head = client
        .head_object()
        .bucket("ranges")
        .key("digits")
        .range("bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(4));
}

#[tokio::test]
async fn bucket_versioning_is_never_enabled_in_the_sandbox() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("versions")
        .send()
        .await
        .unwrap();
    let fresh = client
        .get_bucket_versioning()
        .bucket("versions")
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), None, "never set: no Status, as on S3");
    let enable = client
        .put_bucket_versioning()
        .bucket("versions")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect_err("the sandbox keeps no versions");
    assert_eq!(enable.code(), Some("NotImplemented"));
    client
        .put_bucket_versioning()
        .bucket("versions")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend");
    let suspended = client
        .get_bucket_versioning()
        .bucket("versions")
        .send()
        .await
        .unwrap();
    assert_eq!(
        suspended.status(),
        Some(&aws_sdk_s3::types::BucketVersioningStatus::Suspended)
    );
}
