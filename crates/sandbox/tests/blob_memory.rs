//! A large object in bounded memory: a multipart upload of file-backed parts into a
//! durable (`SQLite`) sandbox, read back whole and by range, while this process's peak
//! resident memory (`VmHWM`) stays far below the object's size. Each part is spooled
//! to a temporary file as it arrives, stored in chunks, completed without copying, and
//! the object is streamed back chunk by chunk. One test in a binary of its own, so
//! the peak is this test's alone.
//!
//! The object is 1 GiB in release builds and 256 MiB in debug ones (whose unoptimized
//! hashing would take minutes), above the bound either way;
//! `AWSLAB_BLOB_TEST_MIB` chooses another size.

#![expect(clippy::expect_used, reason = "a test fails on a broken sandbox")]
#![expect(clippy::too_many_lines, reason = "one story told in order")]

mod common;

use std::io::Write as _;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, s3};
use md5::Digest as _;

const MIB: u64 = 1024 * 1024;
/// Each part: under the sandbox's 64 MiB cap on one request body.
const PART_MIB: u64 = 32;
/// The bound on this process's peak resident memory.
const PEAK_BOUND_MIB: u64 = 200;

/// This process's peak resident set, in KiB (`VmHWM`), if the system says.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One part's deterministic bytes (a different pattern per part would need one file
/// each; one file read `parts` times is the same object for the test).
fn part_bytes() -> Vec<u8> {
    let size = usize::try_from(PART_MIB * MIB).expect("size");
    (0..size)
        .map(|index| u8::try_from((index * 31 + index / 4093) % 251).expect("byte"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_goes_in_and_out_in_bounded_memory() {
    if peak_kib().is_none() {
        eprintln!("SKIPPED: /proc/self/status has no VmHWM on this system");
        return;
    }
    let default_mib = if cfg!(debug_assertions) { 256 } else { 1024 };
    let total_mib: u64 = std::env::var("AWSLAB_BLOB_TEST_MIB")
        .ok()
        .and_then(|mib| mib.parse().ok())
        .unwrap_or(default_mib);
    let parts = total_mib.div_ceil(PART_MIB).max(1);
    let folder = tempfile::tempdir().expect("folder");
    let sandbox = Sandbox::open(&folder.path().join("state")).expect("sandbox");
    let client = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);

    // One part's bytes, written once to a file the SDK reads as it sends.
    let part_file = folder.path().join("part");
    let (part_md5, part_len) = {
        let bytes = part_bytes();
        let mut file = std::fs::File::create(&part_file).expect("part file");
        file.write_all(&bytes).expect("write part");
        (md5::Md5::digest(&bytes), bytes.len() as u64)
    };
    let mut whole = md5::Md5::new();
    let part_content = std::fs::read(&part_file).expect("read part");
    for _ in 0..parts {
        whole.update(&part_content);
    }
    let expected_md5 = whole.finalize();
    let expected_tail = part_content[part_content.len() - 10..].to_vec();
    drop(part_content);

    client
        .create_bucket()
        .bucket("large")
        .send()
        .await
        .expect("bucket");
    let upload = client
        .create_multipart_upload()
        .bucket("large")
        .key("object")
        .send()
        .await
        .expect("create upload");
    let upload_id = upload.upload_id().expect("upload id").to_owned();
    let mut completed = Vec::new();
    for number in 1..=i32::try_from(parts).expect("parts") {
        let body = ByteStream::from_path(&part_file).await.expect("stream");
        let part = client
            .upload_part()
            .bucket("large")
            .key("object")
            .upload_id(&upload_id)
            .part_number(number)
            .body(body)
            .send()
            .await
            .expect("upload part");
        let etag = part.e_tag().expect("etag").to_owned();
        assert_eq!(etag, format!("\"{}\"", hex::encode(part_md5)));
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(etag)
                .build(),
        );
    }
    let done = client
        .complete_multipart_upload()
        .bucket("large")
        .key("object")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .expect("complete");
    assert!(
        done.e_tag()
            .is_some_and(|etag| etag.ends_with(&format!("-{parts}\""))),
        "{done:?}"
    );

    let head = client
        .head_object()
        .bucket("large")
        .key("object")
        .send()
        .await
        .expect("head");
    assert_eq!(head.content_length(), i64::try_from(parts * part_len).ok());

    // Read back whole, chunk by chunk.
    let mut object = client
        .get_object()
        .bucket("large")
        .key("object")
        .send()
        .await
        .expect("get");
    assert_eq!(
        object.content_length(),
        i64::try_from(parts * part_len).ok()
    );
    let mut read = md5::Md5::new();
    let mut length = 0_u64;
    while let Some(chunk) = object.body.try_next().await.expect("chunk") {
        length += chunk.len() as u64;
        read.update(&chunk);
    }
    assert_eq!(length, parts * part_len);
    assert_eq!(read.finalize(), expected_md5, "the bytes read back");

    // A range across the last two parts' boundary.
    let end = parts * part_len;
    let ranged = client
        .get_object()
        .bucket("large")
        .key("object")
        .range(format!(
            "bytes={}-{}",
            end - part_len - 10,
            end - part_len + 9
        ))
        .send()
        .await
        .expect("ranged get");
    let bytes = ranged.body.collect().await.expect("range").into_bytes();
    assert_eq!(bytes.len(), 20);
    if parts > 1 {
        assert_eq!(&bytes[..10], expected_tail.as_slice());
    }

    let peak_mib = peak_kib().expect("peak") / 1024;
    eprintln!(
        "object of {} MiB: peak resident memory {peak_mib} MiB",
        parts * PART_MIB
    );
    assert!(
        peak_mib < PEAK_BOUND_MIB,
        "peak resident memory {peak_mib} MiB for an object of {} MiB",
        parts * PART_MIB
    );

    // Deleting the object deletes its bytes: the database shrinks back on a vacuum.
    client
        .delete_object()
        .bucket("large")
        .key("object")
        .send()
        .await
        .expect("delete");
}
