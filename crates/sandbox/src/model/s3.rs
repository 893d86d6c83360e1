//! S3 as its operations answer and the world keeps it: the answers ([`S3Output`],
//! [`MultipartOutput`]) the wire encodes, a listing request ([`Listing`]), a write's
//! precondition ([`WriteCondition`]), and a multipart [`Upload`] with its [`Part`]s.
//! The operations themselves are entries of the registry (`services::s3::OPERATIONS`),
//! each reading a protocol-neutral `Input`.

use serde::{Deserialize, Serialize};

use crate::model::body::{Body, Content};

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
