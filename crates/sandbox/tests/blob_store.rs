//! Object bodies in the durable store: kept out of the entity rows (in `blob_chunks`,
//! committed with the rows that name them), and deleted with the last row that names
//! them, whatever the operation (overwrite, copy, delete, multipart complete and
//! abort, a bucket deleted with uploads in progress, reset), so the database never
//! keeps a body nothing names. A database of layout 2 (bodies base64 in their rows)
//! is migrated on open.

#![expect(clippy::expect_used, reason = "a test fails on a broken sandbox")]

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, s3};

const MIB: usize = 1024 * 1024;

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
    let big: Vec<u8> = (0..3 * MIB + 5).map(|index| (index % 253) as u8).collect();
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
    // big, copy, small, assembled's two parts.
    assert_eq!(named.len(), 5, "{named:?}");
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
    assert_eq!(format, 3);
    let (named, kept) = named_and_kept(&state);
    assert_eq!(named, kept);
    assert_eq!(named.len(), 1);
}
