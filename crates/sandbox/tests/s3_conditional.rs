//! S3 conditional writes as AWS answers them, through real clients: `If-None-Match: *`
//! creates only a new key and `If-Match: ETAG` replaces only the object that was read
//! (`412 PreconditionFailed` naming the condition otherwise, `404 NoSuchKey` for
//! `If-Match` on a missing key), on `PutObject` and `CompleteMultipartUpload`; a
//! conditional completion whose key was written while the upload was in progress is
//! `409 ConditionalRequestConflict`. The same sequence runs against moto (which
//! implements the `PutObject` conditions) so the two answer alike.

#![expect(clippy::expect_used, reason = "test")]

mod common;

use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, AwsCli, Keys, Served, s3};

/// The error code and HTTP status of a failed call, or `None` for a success.
fn outcome<T, E>(
    result: &Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> Option<(String, u16)>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    let error = result.as_ref().err()?;
    let status = error
        .raw_response()
        .map_or(0, |response| response.status().as_u16());
    Some((error.code().unwrap_or("<no code>").to_owned(), status))
}

fn failed(code: &str, status: u16) -> (String, u16) {
    (code.to_owned(), status)
}

/// Puts under each condition and checks each answer; the same on any endpoint.
async fn put_conditions_answer_as_s3_does(client: &aws_sdk_s3::Client, bucket: &str) {
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket");
    let put = |body: &'static str| {
        client
            .put_object()
            .bucket(bucket)
            .key("lock")
            .body(ByteStream::from_static(body.as_bytes()))
    };
    let first = put("one").if_none_match("*").send().await.expect("create");
    let etag = first.e_tag().expect("an ETag").to_owned();
    let again = put("two").if_none_match("*").send().await;
    assert_eq!(outcome(&again), Some(failed("PreconditionFailed", 412)));

    let stale = put("two")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await;
    assert_eq!(outcome(&stale), Some(failed("PreconditionFailed", 412)));
    let replaced = put("two").if_match(&etag).send().await.expect("replace");
    assert_ne!(replaced.e_tag(), Some(etag.as_str()));
    // The first ETag is stale now: a second writer that read it loses.
    let lost = put("three").if_match(&etag).send().await;
    assert_eq!(outcome(&lost), Some(failed("PreconditionFailed", 412)));

    let missing = client
        .put_object()
        .bucket(bucket)
        .key("never-written")
        .body(ByteStream::from_static(b"x"))
        .if_match(&etag)
        .send()
        .await;
    assert_eq!(outcome(&missing), Some(failed("NoSuchKey", 404)));

    let kept = client
        .get_object()
        .bucket(bucket)
        .key("lock")
        .send()
        .await
        .expect("get");
    let body = kept.body.collect().await.expect("body").into_bytes();
    assert_eq!(
        body.as_ref(),
        b"two",
        "a failed conditional write changes nothing"
    );
}

#[tokio::test]
async fn put_object_honours_if_none_match_and_if_match() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    put_conditions_answer_as_s3_does(&client, "conditional").await;
}

#[tokio::test]
async fn moto_answers_conditional_puts_alike() {
    let Some(moto) = awslab_testkit::MotoServer::start("moto_answers_conditional_puts_alike").await
    else {
        return;
    };
    let admin = moto.admin();
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            &admin.access_key_id,
            &admin.secret_access_key,
            None,
            None,
            "moto",
        ))
        .endpoint_url(moto.endpoint_url())
        .force_path_style(true)
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                    aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .build();
    let client = aws_sdk_s3::Client::from_conf(config);
    put_conditions_answer_as_s3_does(&client, "conditional").await;
}

async fn start_upload(
    client: &aws_sdk_s3::Client,
    key: &str,
) -> (String, CompletedMultipartUpload) {
    let upload = client
        .create_multipart_upload()
        .bucket("multi")
        .key(key)
        .send()
        .await
        .expect("create upload");
    let upload_id = upload.upload_id().expect("an upload id").to_owned();
    let part = client
        .upload_part()
        .bucket("multi")
        .key(key)
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from_static(b"the only part"))
        .send()
        .await
        .expect("part");
    let parts = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().expect("a part ETag"))
                .build(),
        )
        .build();
    (upload_id, parts)
}

#[tokio::test]
async fn complete_multipart_upload_honours_conditions_and_reports_a_conflict() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("multi")
        .send()
        .await
        .expect("bucket");
    let complete = |key: &'static str, upload_id: String, parts: CompletedMultipartUpload| {
        client
            .complete_multipart_upload()
            .bucket("multi")
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(parts)
    };

    // A new key: created.
    let (upload_id, parts) = start_upload(&client, "made").await;
    let made = complete("made", upload_id, parts)
        .if_none_match("*")
        .send()
        .await
        .expect("complete");
    let etag = made.e_tag().expect("an ETag").to_owned();

    // The key exists (before the upload started): 412.
    let (upload_id, parts) = start_upload(&client, "made").await;
    let exists = complete("made", upload_id.clone(), parts.clone())
        .if_none_match("*")
        .send()
        .await;
    assert_eq!(outcome(&exists), Some(failed("PreconditionFailed", 412)));
    // If-Match with the object's ETag replaces it; the upload is then gone.
    complete("made", upload_id, parts)
        .if_match(&etag)
        .send()
        .await
        .expect("replace");

    // Another writer puts the key while the upload is in progress: 409.
    let (upload_id, parts) = start_upload(&client, "raced").await;
    client
        .put_object()
        .bucket("multi")
        .key("raced")
        .body(ByteStream::from_static(b"the other writer"))
        .send()
        .await
        .expect("the other writer");
    let raced = complete("raced", upload_id.clone(), parts.clone())
        .if_none_match("*")
        .send()
        .await;
    assert_eq!(
        outcome(&raced),
        Some(failed("ConditionalRequestConflict", 409))
    );
    // Without a condition, the same completion goes on (last writer wins).
    complete("raced", upload_id, parts)
        .send()
        .await
        .expect("an unconditional completion");

    // If-Match on a key with no object: 404.
    let (upload_id, parts) = start_upload(&client, "absent").await;
    let absent = complete("absent", upload_id, parts)
        .if_match(&etag)
        .send()
        .await;
    assert_eq!(outcome(&absent), Some(failed("NoSuchKey", 404)));
}

#[tokio::test]
async fn an_if_none_match_other_than_a_star_is_not_implemented() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("conditional")
        .send()
        .await
        .expect("bucket");
    let refused = client
        .put_object()
        .bucket("conditional")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .if_none_match("\"abc\"")
        .send()
        .await;
    assert_eq!(outcome(&refused), Some(failed("NotImplemented", 501)));
}

async fn aws(cli: &AwsCli, args: &[&str]) -> (bool, String, String) {
    let output = cli.command(args).output().await.expect("the aws CLI runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_conditional_puts_get_412_as_on_s3() {
    if !awslab_testkit::aws_cli_installed("aws_cli_conditional_puts_get_412_as_on_s3") {
        return;
    }
    let sandbox = Arc::new(Sandbox::in_memory());
    let served = Served::start(&sandbox).await;
    let cli = AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT));
    let body = cli.dir.path().join("body");
    std::fs::write(&body, b"lock record").expect("body file");
    let body = body.to_str().expect("a UTF-8 path");
    let (ok, _, stderr) = aws(&cli, &["s3api", "create-bucket", "--bucket", "cli-cond"]).await;
    assert!(ok, "{stderr}");
    let put = [
        "s3api",
        "put-object",
        "--bucket",
        "cli-cond",
        "--key",
        "lock",
        "--body",
        body,
    ];
    let (ok, stdout, stderr) = aws(&cli, &[&put[..], &["--if-none-match", "*"]].concat()).await;
    assert!(ok, "{stderr}");
    let etag: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let etag = etag["ETag"].as_str().expect("an ETag").to_owned();

    let (ok, _, stderr) = aws(&cli, &[&put[..], &["--if-none-match", "*"]].concat()).await;
    assert!(!ok);
    assert!(
        stderr.contains("(PreconditionFailed)")
            && stderr.contains("At least one of the pre-conditions you specified did not hold"),
        "{stderr}"
    );
    let (ok, _, stderr) = aws(&cli, &[&put[..], &["--if-match", &etag]].concat()).await;
    assert!(ok, "{stderr}");
    let (ok, _, stderr) = aws(&cli, &[&put[..], &["--if-match", "\"stale\""]].concat()).await;
    assert!(!ok);
    assert!(stderr.contains("(PreconditionFailed)"), "{stderr}");
    served.stop().await;
}
