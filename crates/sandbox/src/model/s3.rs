//! S3 as the wire decodes it and the world keeps it: the typed operations
//! ([`S3Operation`], [`MultipartOperation`]) and their answers ([`S3Output`],
//! [`MultipartOutput`]), and a multipart [`Upload`] with its [`Part`]s. What each
//! operation does is `services::s3`'s.

use serde::{Deserialize, Serialize};

use crate::model::body::{Body, Content, Payload};

/// An S3 operation, decoded from REST by the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Operation {
    ListBuckets,
    CreateBucket {
        bucket: String,
        region: Option<String>,
    },
    DeleteBucket {
        bucket: String,
    },
    HeadBucket {
        bucket: String,
    },
    GetBucketLocation {
        bucket: String,
    },
    ListObjects(Listing),
    PutObject {
        bucket: String,
        key: String,
        body: Payload,
        content_type: Option<String>,
        /// The `Content-MD5` header, if sent (base64 of the body's MD5).
        content_md5: Option<String>,
        /// `If-None-Match` / `If-Match`, if sent: a conditional write.
        condition: Option<WriteCondition>,
    },
    GetObject {
        bucket: String,
        key: String,
        head: bool,
        /// The `Range` header, if any (`bytes=0-99`).
        range: Option<String>,
    },
    DeleteObject {
        bucket: String,
        key: String,
    },
    DeleteObjects {
        bucket: String,
        keys: Vec<String>,
    },
    CopyObject {
        bucket: String,
        key: String,
        source_bucket: String,
        source_key: String,
    },
    PutBucketPolicy {
        bucket: String,
        policy: String,
    },
    GetBucketPolicy {
        bucket: String,
    },
    DeleteBucketPolicy {
        bucket: String,
    },
    PutBucketTagging {
        bucket: String,
        tags: Vec<(String, String)>,
    },
    GetBucketTagging {
        bucket: String,
    },
    DeleteBucketTagging {
        bucket: String,
    },
    GetBucketVersioning {
        bucket: String,
    },
    /// `Enabled` or `Suspended` (anything else is refused).
    PutBucketVersioning {
        bucket: String,
        status: Option<String>,
    },
    Multipart(MultipartOperation),
    /// An operation the sandbox does not emulate: authorized with its IAM action when
    /// S3 has one ([`super::s3_actions`]), then answered `NotImplemented` naming it.
    Unsupported {
        bucket: Option<String>,
        key: Option<String>,
        /// S3's name for it (`GetBucketAcl`), or the request's shape when S3 has none.
        operation: String,
        /// The IAM action that authorizes it, as AWS spells it (`s3:GetBucketAcl`).
        action: Option<&'static str>,
    },
}

/// What an S3 operation answers, encoded by the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum S3Output {
    Empty(u16),
    Buckets {
        owner: String,
        buckets: Vec<(String, i64, String)>,
    },
    Location(String),
    Listing {
        request: Listing,
        objects: Vec<(String, usize, String, i64)>,
        prefixes: Vec<String>,
        next: Option<String>,
    },
    Put {
        etag: String,
    },
    Object {
        /// The whole body, or the requested range of it: in memory when small,
        /// streamed from the store otherwise.
        body: Content,
        etag: String,
        modified: i64,
        content_type: Option<String>,
        head: bool,
        /// The object's size (a HEAD answer has no body but says it).
        size: u64,
        /// For a range request: `(first, last)`, answered 206.
        range: Option<(u64, u64)>,
    },
    Deleted(Vec<String>),
    Copied {
        etag: String,
        modified: i64,
    },
    Policy(String),
    Tags(Vec<(String, String)>),
    /// A bucket's versioning status (`None` if it was never set).
    Versioning(Option<String>),
    Multipart(MultipartOutput),
}

/// A `ListObjects` (v1) or `ListObjectsV2` request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub bucket: String,
    pub v2: bool,
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    /// v1 `marker`, v2 `start-after` or the decoded continuation token.
    pub after: Option<String>,
    pub continuation_token: Option<String>,
    /// v2 `start-after` as sent (echoed in the answer).
    pub start_after: Option<String>,
    /// `encoding-type=url`: keys, prefixes, delimiter and markers are answered
    /// percent-encoded.
    pub url_encoded: bool,
    /// `ListObjectVersions` (`?versions`): the sandbox keeps no versions, so each
    /// object is its one version, `null`, as in a bucket never versioned.
    pub versions: bool,
}

/// A multipart upload in progress. Its parts are kept beside it, in the bucket's
/// `Bucket::parts` (see `services::s3::multipart::part_key`), so that storing a part writes that part alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Upload {
    pub key: String,
    pub initiated: i64,
    pub content_type: Option<String>,
    /// The ARN of the principal that started it.
    pub initiator: String,
    /// The account that started it.
    pub owner: String,
    /// The key's object when the upload started (`ETag`, modified), `None` if there
    /// was none: a conditional completion whose key changed since is a conflict.
    #[serde(default)]
    pub seen: Option<(String, i64)>,
}

/// The precondition of a conditional write (`PutObject`, `CompleteMultipartUpload`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    /// `If-None-Match: *`: only if no object has the key.
    IfNoneMatch,
    /// `If-Match: ETAG`: only if the key's object has this `ETag` (quotes removed).
    IfMatch(String),
}

/// Where part `number` of `upload_id` is kept in `Bucket::parts`: the upload id (which
/// has no `/`), a slash and the number in five digits, so an upload's parts sort
/// together and by number.
pub fn part_key(upload_id: &str, number: u32) -> String {
    format!("{upload_id}/{number:05}")
}

/// One uploaded part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Part {
    /// Where the bytes are kept (`state::blobs`).
    pub body: Body,
    /// Hex MD5 of the part.
    pub etag: String,
    pub modified: i64,
}

/// A multipart operation, decoded by the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartOperation {
    Create {
        bucket: String,
        key: String,
        content_type: Option<String>,
    },
    UploadPart {
        bucket: String,
        key: String,
        upload_id: String,
        /// As sent; checked by the operation.
        part_number: String,
        body: Payload,
        /// The `Content-MD5` header, if sent.
        content_md5: Option<String>,
    },
    Complete {
        bucket: String,
        key: String,
        upload_id: String,
        /// `(PartNumber, ETag)` as sent, in order.
        parts: Vec<(String, String)>,
        /// `If-None-Match` / `If-Match`, if sent: a conditional write.
        condition: Option<WriteCondition>,
    },
    Abort {
        bucket: String,
        key: String,
        upload_id: String,
    },
    ListParts {
        bucket: String,
        key: String,
        upload_id: String,
        max_parts: usize,
        marker: u32,
    },
    ListUploads {
        bucket: String,
        prefix: String,
        max_uploads: usize,
        key_marker: Option<String>,
        upload_id_marker: Option<String>,
        /// `encoding-type=url`: keys, prefix and markers answered percent-encoded.
        url_encoded: bool,
    },
}

/// One pending upload as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: i64,
    pub initiator: String,
    pub owner: String,
}

/// What a multipart operation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultipartOutput {
    Created {
        bucket: String,
        key: String,
        upload_id: String,
    },
    PartStored {
        etag: String,
    },
    Completed {
        bucket: String,
        key: String,
        etag: String,
    },
    Aborted,
    Parts {
        bucket: String,
        key: String,
        upload_id: String,
        initiator: String,
        owner: String,
        max_parts: usize,
        marker: u32,
        /// `(number, etag, size, modified)`.
        parts: Vec<(u32, String, usize, i64)>,
        next: Option<u32>,
    },
    Uploads {
        bucket: String,
        prefix: String,
        max_uploads: usize,
        key_marker: Option<String>,
        upload_id_marker: Option<String>,
        url_encoded: bool,
        uploads: Vec<ListedUpload>,
        /// `(key, upload id)` to continue from when truncated.
        next: Option<(String, String)>,
    },
}
