//! Object bodies in the durable store: kept out of the entity rows (in `blob_chunks`,
//! committed with the rows that name them) but for objects of at most
//! `IN_ROW_BYTES`, which stay in their rows, and deleted with the last row that names
//! them, whatever the operation (overwrite, copy, delete, multipart complete and
//! abort, a bucket deleted with uploads in progress, reset), so the database never
//! keeps a body nothing names. Databases of layout 2 (bodies base64 in their rows) and
//! 3 (every body in blobs) are migrated on open.

#![expect(clippy::expect_used, reason = "a test fails on a broken sandbox")]
#![expect(clippy::too_many_lines, reason = "each test is a story told in order")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use awslab_sandbox::Sandbox;
use awslab_sandbox::state::blobs::IN_ROW_BYTES;
use common::{ACCOUNT, Keys, s3};
use md5::Digest as _;

const MIB: usize = 1024 * 1024;

/// Byte `index` of a body that repeats every `period` (at most 256) bytes.
fn pattern(index: usize, period: usize) -> u8 {
    u8::try_from(index % period).expect("a byte")
}

fn database(state: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(state.join("sandbox.db")).expect("database")
}

/// The blobs the rows name, and the blobs the database keeps.
fn named_and_kept(state: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let connection = database(state);
    let strings = |sql: &str| -> BTreeSet<String> {
        connection
            .prepare(sql)
            .expect("prepare")
            .query_map([], |row| row.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    (
        strings(
            "SELECT json_extract(segment.value, '$.blob') FROM entities, json_each(entities.data, '$.body.segments') AS segment WHERE kind IN ('object', 'part') AND data IS NOT NULL",
        ),
        strings("SELECT DISTINCT blob FROM blob_chunks"),
    )
}

/// The longest entity row, in bytes.
fn longest_row(state: &Path) -> i64 {
    database(state)
        .query_row(
            "SELECT coalesce(max(length(data)), 0) FROM entities",
            [],
            |row| row.get(0),
        )
        .expect("longest row")
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("put");
}

async fn get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .to_vec()
}

async fn part(
    client: &aws_sdk_s3::Client,
    key: &str,
    upload: &str,
    number: i32,
    body: Vec<u8>,
) -> CompletedPart {
    let stored = client
        .upload_part()
        .bucket("lab")
        .key(key)
        .upload_id(upload)
        .part_number(number)
        .body(ByteStream::from(body))
        .send()
        .await
        .expect("part");
    CompletedPart::builder()
        .part_number(number)
        .e_tag(stored.e_tag().expect("etag"))
        .build()
}

async fn start(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    client
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("create upload")
        .upload_id()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn every_body_is_out_of_the_rows_and_goes_with_the_last_row_naming_it() {
    let folder = tempfile::tempdir().expect("folder");
    let state = folder.path().join("state");
    let sandbox = Sandbox::open(&state).expect("sandbox");
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    for bucket in ["lab", "doomed"] {
        client
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("bucket");
    }
    // Large enough to take several chunks.
    let big: Vec<u8> = (0..3 * MIB + 5).map(|index| pattern(index, 253)).collect();
    put(&client, "lab", "big", big.clone()).await;
    put(&client, "lab", "small", b"first".to_vec()).await;
    put(&client, "lab", "small", b"second".to_vec()).await;
    put(&client, "lab", "empty", Vec::new()).await;
    client
        .copy_object()
        .bucket("lab")
        .key("copy")
        .copy_source("lab/big")
        .send()
        .await
        .expect("copy");
    client
        .copy_object()
        .bucket("lab")
        .key("small")
        .copy_source("lab/small")
        .send()
        .await
        .expect("copy onto itself");
    put(&client, "lab", "gone", b"bye".to_vec()).await;
    client
        .delete_object()
        .bucket("lab")
        .key("gone")
        .send()
        .await
        .expect("delete");

    // Multipart: part 2 is sent twice, part 3 is left out of the completion.
    let upload = start(&client, "lab", "assembled").await;
    let first = part(&client, "assembled", &upload, 1, vec![1; 5 * MIB]).await;
    part(&client, "assembled", &upload, 2, vec![9; 10]).await;
    let second = part(&client, "assembled", &upload, 2, vec![2; 10]).await;
    part(&client, "assembled", &upload, 3, vec![3; 10]).await;
    client
        .complete_multipart_upload()
        .bucket("lab")
        .key("assembled")
        .upload_id(&upload)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(first)
                .parts(second)
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let aborted = start(&client, "lab", "aborted").await;
    part(&client, "aborted", &aborted, 1, vec![4; 100]).await;
    client
        .abort_multipart_upload()
        .bucket("lab")
        .key("aborted")
        .upload_id(&aborted)
        .send()
        .await
        .expect("abort");
    let pending = start(&client, "doomed", "pending").await;
    client
        .upload_part()
        .bucket("doomed")
        .key("pending")
        .upload_id(&pending)
        .part_number(1)
        .body(ByteStream::from(vec![5; 100]))
        .send()
        .await
        .expect("pending part");
    client
        .delete_bucket()
        .bucket("doomed")
        .send()
        .await
        .expect("delete bucket with an upload in progress");

    assert_eq!(get(&client, "lab", "big").await, big);
    assert_eq!(get(&client, "lab", "copy").await, big);
    assert_eq!(get(&client, "lab", "small").await, b"second");
    assert_eq!(get(&client, "lab", "empty").await, b"");
    let assembled = get(&client, "lab", "assembled").await;
    assert_eq!(assembled.len(), 5 * MIB + 10);
    assert_eq!(&assembled[5 * MIB..], &[2; 10]);

    let (named, kept) = named_and_kept(&state);
    assert_eq!(named, kept, "the blobs kept are exactly those named");
    // big, copy, assembled's two parts (`small`, 6 bytes, is in its row).
    assert_eq!(named.len(), 4, "{named:?}");
    assert!(longest_row(&state) < 2_000, "no row holds a body");

    // Another process (a fresh opener) reads the same bytes.
    let other = Sandbox::open(&state).expect("second opener");
    let other_client = s3(&other, &Keys::operator(&other, ACCOUNT), true);
    assert_eq!(get(&other_client, "lab", "big").await, big);

    sandbox.reset().expect("reset");
    let (named, kept) = named_and_kept(&state);
    assert!(named.is_empty() && kept.is_empty(), "{named:?} {kept:?}");
}

#[tokio::test]
async fn a_database_of_layout_2_is_migrated_with_its_bodies() {
    use base64::Engine as _;
    let folder = tempfile::tempdir().expect("folder");
    let state = folder.path().join("state");
    {
        let sandbox = Sandbox::open(&state).expect("sandbox");
        let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
        client
            .create_bucket()
            .bucket("old")
            .send()
            .await
            .expect("bucket");
    }
    // Write the object as layout 2 did: its bytes base64 in its row.
    let connection = database(&state);
    let body = base64::engine::general_purpose::STANDARD.encode(b"kept inline");
    connection
        .execute(
            "INSERT INTO entities (kind, scope, key, version, data) SELECT 'object', 'old', 'key', version, ?1 FROM meta",
            [serde_json::json!({
                "body": body,
                "etag": "3a4ab4b9c2b76dc1b3bc6d3c3e0b6a3e",
                "modified": 0,
                "content_type": null,
            })
            .to_string()],
        )
        .expect("old row");
    connection
        .execute_batch("UPDATE meta SET format = 2; DROP TABLE blob_chunks;")
        .expect("layout 2");
    drop(connection);

    let sandbox = Sandbox::open(&state).expect("migrated");
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    assert_eq!(get(&client, "old", "key").await, b"kept inline");
    let format: i64 = database(&state)
        .query_row("SELECT format FROM meta", [], |row| row.get(0))
        .expect("format");
    assert_eq!(format, 4);
    let (named, kept) = named_and_kept(&state);
    assert_eq!(named, kept);
    assert_eq!(named.len(), 1);
}

/// How the object `key` of bucket `bucket` keeps its body: `Some(blobs)` when in
/// blobs, `None` when its row holds the bytes.
fn blobs_of(state: &Path, bucket: &str, key: &str) -> Option<i64> {
    database(state)
        .query_row(
            "SELECT CASE json_type(data, '$.body') WHEN 'text' THEN NULL ELSE json_array_length(data, '$.body.segments') END FROM entities WHERE kind = 'object' AND scope = ?1 AND key = ?2 AND data IS NOT NULL",
            [bucket, key],
            |row| row.get(0),
        )
        .expect("the object's row")
}

#[tokio::test]
async fn small_objects_stay_in_their_rows_and_read_as_any_other() {
    let folder = tempfile::tempdir().expect("folder");
    let state = folder.path().join("state");
    let sandbox = Sandbox::open(&state).expect("sandbox");
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    client
        .create_bucket()
        .bucket("lab")
        .send()
        .await
        .expect("bucket");
    let edge = usize::try_from(IN_ROW_BYTES).expect("a size");
    let at_edge: Vec<u8> = (0..edge).map(|index| pattern(index, 251)).collect();
    let over: Vec<u8> = (0..=edge).map(|index| pattern(index, 247)).collect();
    put(&client, "lab", "edge", at_edge.clone()).await;
    put(&client, "lab", "over", over.clone()).await;
    assert_eq!(
        blobs_of(&state, "lab", "edge"),
        None,
        "at the size: in its row"
    );
    assert_eq!(blobs_of(&state, "lab", "over"), Some(1), "over it: a blob");
    assert_eq!(get(&client, "lab", "edge").await, at_edge);
    assert_eq!(get(&client, "lab", "over").await, over);

    // Its ETag is its MD5, a range is its bytes, a copy is in its own row.
    let head = client
        .head_object()
        .bucket("lab")
        .key("edge")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.content_length(),
        Some(i64::try_from(edge).expect("len"))
    );
    assert_eq!(
        head.e_tag(),
        Some(format!("\"{}\"", hex::encode(md5::Md5::digest(&at_edge))).as_str())
    );
    let range = client
        .get_object()
        .bucket("lab")
        .key("edge")
        .range("bytes=100-1099")
        .send()
        .await
        .expect("range")
        .body
        .collect()
        .await
        .expect("body")
        .to_vec();
    assert_eq!(range, at_edge[100..1100]);
    client
        .copy_object()
        .bucket("lab")
        .key("copy")
        .copy_source("lab/edge")
        .send()
        .await
        .expect("copy");
    assert_eq!(blobs_of(&state, "lab", "copy"), None);
    assert_eq!(get(&client, "lab", "copy").await, at_edge);

    // Overwrites either way: a blob goes with the row that stops naming it.
    put(&client, "lab", "over", b"small now".to_vec()).await;
    put(&client, "lab", "edge", over.clone()).await;
    assert_eq!(blobs_of(&state, "lab", "over"), None);
    assert_eq!(blobs_of(&state, "lab", "edge"), Some(1));
    client
        .delete_object()
        .bucket("lab")
        .key("copy")
        .send()
        .await
        .expect("delete");
    let (named, kept) = named_and_kept(&state);
    assert_eq!(named, kept, "the blobs kept are exactly those named");
    assert_eq!(named.len(), 1, "{named:?}");
    assert!(
        longest_row(&state) < 4 * i64::try_from(edge).expect("len"),
        "a row holds at most one small body"
    );

    // Another process reads both, and lists their sizes.
    let other = Sandbox::open(&state).expect("second opener");
    let other_client = s3(&other, &Keys::operator(&other, ACCOUNT), true);
    assert_eq!(get(&other_client, "lab", "over").await, b"small now");
    assert_eq!(get(&other_client, "lab", "edge").await, over);
    let listed = other_client
        .list_objects_v2()
        .bucket("lab")
        .send()
        .await
        .expect("list");
    let sizes: Vec<(String, i64)> = listed
        .contents()
        .iter()
        .map(|object| {
            (
                object.key().expect("key").to_owned(),
                object.size().expect("size"),
            )
        })
        .collect();
    assert_eq!(
        sizes,
        [
            ("edge".to_owned(), i64::try_from(edge + 1).expect("len")),
            ("over".to_owned(), 9)
        ]
    );
}

#[tokio::test]
async fn a_database_of_layout_3_is_migrated_and_keeps_its_bodies_in_blobs() {
    let folder = tempfile::tempdir().expect("folder");
    let state = folder.path().join("state");
    {
        let sandbox = Sandbox::open(&state).expect("sandbox");
        let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
        client
            .create_bucket()
            .bucket("old")
            .send()
            .await
            .expect("bucket");
    }
    // Write the object as layout 3 did: a small body in a blob of its own.
    let connection = database(&state);
    connection
        .execute_batch(
            "INSERT INTO blob_chunks (blob, offset, data) VALUES ('0123456789abcdef0123456789abcdef', 0, CAST('kept in a blob' AS BLOB));",
        )
        .expect("old chunk");
    connection
        .execute(
            "INSERT INTO entities (kind, scope, key, version, data) SELECT 'object', 'old', 'key', version, ?1 FROM meta",
            [serde_json::json!({
                "body": {"size": 14, "segments": [{"blob": "0123456789abcdef0123456789abcdef", "size": 14}]},
                "etag": "5f5a1b1c1d1e1f2021222324252627",
                "modified": 0,
                "content_type": null,
            })
            .to_string()],
        )
        .expect("old row");
    connection
        .execute_batch("UPDATE meta SET format = 3;")
        .expect("layout 3");
    drop(connection);

    let sandbox = Sandbox::open(&state).expect("migrated");
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    let format: i64 = database(&state)
        .query_row("SELECT format FROM meta", [], |row| row.get(0))
        .expect("format");
    assert_eq!(format, 4);
    assert_eq!(get(&client, "old", "key").await, b"kept in a blob");
    assert_eq!(blobs_of(&state, "old", "key"), Some(1), "left where it was");
    // Written again, it goes in its row and its blob goes.
    put(&client, "old", "key", b"in its row".to_vec()).await;
    assert_eq!(blobs_of(&state, "old", "key"), None);
    assert_eq!(get(&client, "old", "key").await, b"in its row");
    let (named, kept) = named_and_kept(&state);
    assert!(named.is_empty() && kept.is_empty(), "{named:?} {kept:?}");
}

/// An S3 client of `serve` on `port`, over a real socket.
fn served_client(keys: &Keys, port: u16) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            &keys.id,
            &keys.secret,
            None,
            None,
            "test",
        ))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .force_path_style(true)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_spools_large_puts_streams_large_gets_and_checks_content_md5() {
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    use base64::Engine as _;
    let folder = tempfile::tempdir().expect("folder");
    let sandbox = Sandbox::open(&folder.path().join("state")).expect("sandbox");
    let keys = Keys::operator(&sandbox, ACCOUNT);
    let listener = awslab_sandbox::bind(0).await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = sandbox.clone();
    let task = tokio::spawn(async move {
        serving
            .serve(listener, async {
                let _ = stopped.await;
            })
            .await;
    });
    let client = served_client(&keys, port);
    client
        .create_bucket()
        .bucket("served")
        .send()
        .await
        .expect("bucket");
    let big: Vec<u8> = (0..5 * MIB + 3).map(|index| pattern(index, 241)).collect();
    // From a file: the SDK streams it (aws-chunked, a trailing checksum).
    let file = folder.path().join("big");
    std::fs::write(&file, &big).expect("file");
    client
        .put_object()
        .bucket("served")
        .key("from-file")
        .body(ByteStream::from_path(&file).await.expect("stream"))
        .send()
        .await
        .expect("put from a file");
    // From memory, with its Content-MD5.
    let digest = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&big));
    client
        .put_object()
        .bucket("served")
        .key("from-memory")
        .content_md5(&digest)
        .body(ByteStream::from(big.clone()))
        .send()
        .await
        .expect("put with its Content-MD5");
    for key in ["from-file", "from-memory"] {
        assert_eq!(get(&client, "served", key).await, big, "{key}");
    }
    let ranged = client
        .get_object()
        .bucket("served")
        .key("from-file")
        .range(format!("bytes={}-", 2 * MIB - 1))
        .send()
        .await
        .expect("range");
    assert_eq!(ranged.content_length(), i64::try_from(3 * MIB + 4).ok());
    let bytes = ranged.body.collect().await.expect("body").to_vec();
    assert_eq!(bytes, big[2 * MIB - 1..]);
    let wrong = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"other"));
    let error = client
        .put_object()
        .bucket("served")
        .key("bad")
        .content_md5(wrong)
        .body(ByteStream::from(big.clone()))
        .send()
        .await
        .expect_err("a wrong Content-MD5");
    assert_eq!(error.code(), Some("BadDigest"), "{error:?}");
    let error = client
        .put_object()
        .bucket("served")
        .key("bad")
        .content_md5("not base64!")
        .body(ByteStream::from(b"x".to_vec()))
        .send()
        .await
        .expect_err("a malformed Content-MD5");
    assert_eq!(error.code(), Some("InvalidDigest"), "{error:?}");
    let _ = stop.send(());
    task.await.expect("serve stops");
}
