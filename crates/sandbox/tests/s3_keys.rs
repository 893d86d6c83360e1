//! Object keys of every class of character S3 takes (C0 controls, NUL, DEL, CR,
//! U+FFFE and U+FFFF, characters beyond the BMP) are stored, read back and listed:
//! with `encoding-type=url` every key, prefix and marker is percent-encoded (what the
//! `aws` CLI always asks for; `ListObjectVersions` and `ListMultipartUploads` too),
//! without it the characters XML 1.0 cannot carry are character references, never a
//! 500. A key that is not UTF-8 is `InvalidURI`, one over 1,024 bytes
//! `KeyTooLongError`, as on S3.

#![expect(clippy::expect_used, reason = "test")]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::EncodingType;
use awslab_sandbox::Sandbox;
use awslab_sandbox::wire::HttpRequest;
use common::{ACCOUNT, AwsCli, Keys, Served, s3};

/// One key per class of character.
const KEYS: &[&str] = &[
    "a\u{1}b",
    "\u{0}",
    "nul\u{0}inside",
    "esc\u{1b}]0;title\u{7}",
    "del\u{7f}",
    "cr\rlf\ntab\t",
    "nonchar\u{fffe}\u{ffff}",
    "astral\u{1f600}",
    "space and+plus/%41",
    "amp&lt;<tag>",
];

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .expect("the listing percent-encodes UTF-8")
        .into_owned()
}

async fn bucket_with_keys(sandbox: &Sandbox, bucket: &str) -> aws_sdk_s3::Client {
    let client = s3(sandbox, &Keys::operator(sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket");
    for key in KEYS {
        client
            .put_object()
            .bucket(bucket)
            .key(*key)
            .body(ByteStream::from(key.as_bytes().to_vec()))
            .send()
            .await
            .unwrap_or_else(|error| panic!("put {key:?}: {error:?}"));
    }
    client
}

fn expected() -> BTreeSet<String> {
    KEYS.iter().map(|key| (*key).to_owned()).collect()
}

#[tokio::test]
async fn keys_of_every_class_list_through_the_sdk_with_encoding_type_url() {
    let sandbox = Sandbox::in_memory();
    let client = bucket_with_keys(&sandbox, "odd-keys").await;
    for key in KEYS {
        let got = client
            .get_object()
            .bucket("odd-keys")
            .key(*key)
            .send()
            .await
            .unwrap_or_else(|error| panic!("get {key:?}: {error:?}"));
        let body = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(body.as_ref(), key.as_bytes(), "{key:?}");
    }
    let v2 = client
        .list_objects_v2()
        .bucket("odd-keys")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .expect("list v2");
    assert_eq!(v2.encoding_type(), Some(&EncodingType::Url));
    let listed: BTreeSet<String> = v2
        .contents()
        .iter()
        .map(|object| decode(object.key().unwrap_or_default()))
        .collect();
    assert_eq!(listed, expected());

    // v1 with a delimiter and a marker: prefixes and markers are encoded too.
    let v1 = client
        .list_objects()
        .bucket("odd-keys")
        .encoding_type(EncodingType::Url)
        .delimiter("/")
        .marker("a\u{1}b")
        .send()
        .await
        .expect("list v1");
    assert_eq!(v1.marker(), Some("a%01b"));
    assert_eq!(v1.delimiter(), Some("%2F"));
    let prefixes: Vec<String> = v1
        .common_prefixes()
        .iter()
        .map(|prefix| decode(prefix.prefix().unwrap_or_default()))
        .collect();
    assert_eq!(prefixes, ["space and+plus/"]);

    // So are versions: each object is its one version, `null`.
    let versions = client
        .list_object_versions()
        .bucket("odd-keys")
        .encoding_type(EncodingType::Url)
        .key_marker("\u{0}")
        .send()
        .await
        .expect("list versions");
    assert_eq!(versions.key_marker(), Some("%00"));
    let listed: BTreeSet<String> = versions
        .versions()
        .iter()
        .map(|version| {
            assert_eq!(version.version_id(), Some("null"));
            decode(version.key().unwrap_or_default())
        })
        .collect();
    let mut after_nul = expected();
    after_nul.remove("\u{0}");
    assert_eq!(listed, after_nul);

    // Pending uploads are listed the same way.
    client
        .create_multipart_upload()
        .bucket("odd-keys")
        .key("up\u{1}load")
        .send()
        .await
        .expect("create upload");
    let uploads = client
        .list_multipart_uploads()
        .bucket("odd-keys")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .expect("list uploads");
    let keys: Vec<&str> = uploads
        .uploads()
        .iter()
        .filter_map(|upload| upload.key())
        .collect();
    assert_eq!(keys, ["up%01load"]);
}

#[tokio::test]
async fn a_listing_without_encoding_type_writes_references_not_a_500() {
    let sandbox = Sandbox::in_memory();
    let client = bucket_with_keys(&sandbox, "raw-keys").await;
    client
        .put_bucket_policy()
        .bucket("raw-keys")
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::raw-keys"}]}"#)
        .send()
        .await
        .expect("public listing");
    for query in ["", "list-type=2"] {
        let answer = sandbox.handle(&HttpRequest {
            method: "GET".into(),
            path: "/raw-keys".into(),
            query: query.into(),
            headers: vec![("host".into(), "127.0.0.1".into())],
            ..HttpRequest::default()
        });
        let body = String::from_utf8(answer.body).expect("UTF-8");
        assert_eq!(answer.status, 200, "{body}");
        for reference in [
            "<Key>a&#x1;b</Key>",
            "<Key>&#x0;</Key>",
            "<Key>del\u{7f}</Key>",
            "<Key>cr&#xD;lf\ntab\t</Key>",
            "<Key>nonchar&#xFFFE;&#xFFFF;</Key>",
            "<Key>astral\u{1f600}</Key>",
        ] {
            assert!(body.contains(reference), "{reference:?} in {body}");
        }
        assert!(
            !body.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n')),
            "{body:?}"
        );
    }
    let refused = sandbox.handle(&HttpRequest {
        method: "GET".into(),
        path: "/raw-keys".into(),
        query: "encoding-type=base64".into(),
        headers: vec![("host".into(), "127.0.0.1".into())],
        ..HttpRequest::default()
    });
    assert_eq!(refused.status, 400);
    assert!(String::from_utf8_lossy(&refused.body).contains("Invalid Encoding Method"));
}

#[tokio::test]
async fn keys_s3_refuses_are_refused() {
    let sandbox = Sandbox::in_memory();
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("strict-keys")
        .send()
        .await
        .expect("bucket");
    for path in [
        "/strict-keys/a%FFb",
        "/strict-keys/%C0%80",
        "/strict-keys/half%E2%82",
    ] {
        let answer = sandbox.handle(&HttpRequest {
            method: "PUT".into(),
            path: path.into(),
            headers: vec![("host".into(), "127.0.0.1".into())],
            body: b"x".to_vec(),
            ..HttpRequest::default()
        });
        let body = String::from_utf8_lossy(&answer.body);
        assert_eq!(answer.status, 400, "{path}: {body}");
        assert!(body.contains("<Code>InvalidURI</Code>"), "{path}: {body}");
    }
    let longest = "k".repeat(1024);
    client
        .put_object()
        .bucket("strict-keys")
        .key(&longest)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect("a key of 1,024 bytes");
    let too_long = format!("{longest}\u{e9}");
    let error = client
        .put_object()
        .bucket("strict-keys")
        .key(&too_long)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("a key of 1,026 bytes");
    assert_eq!(error.code(), Some("KeyTooLongError"), "{error:?}");
}

/// `aws ARGS` against the served sandbox; fails the test unless it succeeds.
async fn aws(cli: &AwsCli, args: &[&str]) -> String {
    let output = cli.command(args).output().await.expect("the aws CLI runs");
    assert!(
        output.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_lists_keys_of_every_class() {
    if !awslab_testkit::aws_cli_installed("aws_cli_lists_keys_of_every_class") {
        return;
    }
    let sandbox = Arc::new(Sandbox::in_memory());
    bucket_with_keys(&sandbox, "cli-keys").await;
    let served = Served::start(&sandbox).await;
    let cli = AwsCli::new(&served, Keys::operator(&sandbox, ACCOUNT));
    aws(
        &cli,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "cli-keys",
            "--key",
            "from-cli\u{1}\u{1f}",
        ],
    )
    .await;
    let listed = aws(
        &cli,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            "cli-keys",
            "--output",
            "json",
        ],
    )
    .await;
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("JSON");
    let keys: BTreeSet<String> = listed["Contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|object| object["Key"].as_str().expect("key").to_owned())
        .collect();
    let mut want = expected();
    want.insert("from-cli\u{1}\u{1f}".to_owned());
    assert_eq!(keys, want);

    let versions = aws(
        &cli,
        &[
            "s3api",
            "list-object-versions",
            "--bucket",
            "cli-keys",
            "--output",
            "json",
        ],
    )
    .await;
    let versions: serde_json::Value = serde_json::from_str(&versions).expect("JSON");
    let keys: BTreeSet<String> = versions["Versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|version| version["Key"].as_str().expect("key").to_owned())
        .collect();
    assert_eq!(keys, want);

    let ls = aws(&cli, &["s3", "ls", "s3://cli-keys/"]).await;
    assert!(ls.contains("a\u{1}b"), "{ls:?}");
    assert!(ls.contains("astral\u{1f600}"), "{ls:?}");
    assert!(ls.contains("PRE space and+plus/"), "{ls:?}");
    served.stop().await;
}
