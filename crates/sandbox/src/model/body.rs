//! Bodies that may be large: a request's object bytes ([`Payload`]: in memory, or
//! spooled to a private temporary file as they arrived) and a response's
//! ([`Streamed`]: read from the store chunk by chunk as it is sent). This module
//! imports nothing else of the sandbox, so the wire, the services and the state can
//! all name these types.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use bytes::Bytes;
use md5::Digest as _;
use serde::{Deserialize, Deserializer, Serialize};

/// The size of the pieces bodies are read, written and stored in.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// An object's bytes as a request brought them.
#[derive(Clone)]
pub enum Payload {
    /// Small bodies, and every body of the in-memory paths of tests.
    Bytes(Bytes),
    /// A body spooled to an unnamed 0600 temporary file as it arrived, with its MD5.
    Spooled(Arc<SpoolFile>),
}

/// A spooled body: an unnamed temporary file (gone with its last handle), its length
/// and the MD5 of its bytes, computed as they were written.
pub struct SpoolFile {
    file: File,
    len: u64,
    md5: [u8; 16],
}

impl SpoolFile {
    /// A file whose `len` bytes were written by the caller, with their `md5`.
    pub fn new(file: File, len: u64, md5: [u8; 16]) -> Self {
        Self { file, len, md5 }
    }

    /// Reads up to `buffer.len()` bytes at `offset`.
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_at(&self.file, buffer, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek as _, SeekFrom};
            let mut file = &self.file;
            file.seek(SeekFrom::Start(offset))?;
            file.read(buffer)
        }
    }
}

impl Payload {
    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::Spooled(spool) => spool.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The MD5 of the body (S3's `ETag` of a single-part object).
    pub fn md5(&self) -> [u8; 16] {
        match self {
            Self::Bytes(bytes) => md5::Md5::digest(bytes).into(),
            Self::Spooled(spool) => spool.md5,
        }
    }

    /// Reads the body from its start, in pieces.
    pub fn reader(&self) -> Box<dyn Read + Send> {
        match self {
            Self::Bytes(bytes) => Box::new(io::Cursor::new(bytes.clone())),
            Self::Spooled(spool) => Box::new(SpoolReader {
                spool: Arc::clone(spool),
                offset: 0,
            }),
        }
    }

    /// The whole body in memory, if it holds at most `max` bytes (`None` otherwise).
    pub fn to_vec(&self, max: u64) -> io::Result<Option<Vec<u8>>> {
        if self.len() > max {
            return Ok(None);
        }
        let mut bytes = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        self.reader().read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(Bytes::from(bytes))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(formatter, "Payload::Bytes({} bytes)", bytes.len()),
            Self::Spooled(spool) => write!(formatter, "Payload::Spooled({} bytes)", spool.len),
        }
    }
}

/// Equal when both hold the same bytes in memory, or are the same spooled file.
impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Bytes(left), Self::Bytes(right)) => left == right,
            (Self::Spooled(left), Self::Spooled(right)) => Arc::ptr_eq(left, right),
            _ => false,
        }
    }
}

impl Eq for Payload {}

struct SpoolReader {
    spool: Arc<SpoolFile>,
    offset: u64,
}

impl Read for SpoolReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let left = self.spool.len.saturating_sub(self.offset);
        let wanted = buffer
            .len()
            .min(usize::try_from(left).unwrap_or(usize::MAX));
        if wanted == 0 {
            return Ok(0);
        }
        let read = self.spool.read_at(&mut buffer[..wanted], self.offset)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the spooled body is shorter than it was",
            ));
        }
        self.offset += read as u64;
        Ok(read)
    }
}

/// A response body of a known length, read as it is sent. Cloning shares the one
/// reader: whoever takes it first sends it.
#[derive(Clone)]
pub struct Streamed {
    len: u64,
    reader: Arc<Mutex<Option<Box<dyn Read + Send>>>>,
}

impl Streamed {
    pub fn new(len: u64, reader: Box<dyn Read + Send>) -> Self {
        Self {
            len,
            reader: Arc::new(Mutex::new(Some(reader))),
        }
    }

    /// How many bytes the reader gives.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The reader, once.
    pub fn take(&self) -> Option<Box<dyn Read + Send>> {
        self.reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Reads it whole (tests, and answers that are small after all).
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        if let Some(mut reader) = self.take() {
            reader.read_to_end(&mut bytes)?;
        }
        Ok(bytes)
    }
}

impl fmt::Debug for Streamed {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Streamed({} bytes)", self.len)
    }
}

/// Equal when it is the same stream.
impl PartialEq for Streamed {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.reader, &other.reader)
    }
}

/// Reads `reader` in [`CHUNK_BYTES`] pieces and hands each to `send` until the end, an
/// error, or `send` answers false (the receiver is gone). What a sender thread runs.
pub fn pump(mut reader: Box<dyn Read + Send>, mut send: impl FnMut(io::Result<Bytes>) -> bool) {
    loop {
        let mut buffer = vec![0_u8; CHUNK_BYTES];
        let mut filled = 0;
        // Fill a whole chunk where the reader gives less at a time.
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    send(Err(error));
                    return;
                }
            }
        }
        if filled == 0 {
            return;
        }
        buffer.truncate(filled);
        if !send(Ok(Bytes::from(buffer))) {
            return;
        }
    }
}

/// A body read from the store: small ones in memory, larger ones as a stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Bytes(Vec<u8>),
    Streamed(Streamed),
}

impl Content {
    /// How many bytes it holds.
    pub fn len(&self) -> u64 {
        match self {
            Self::Bytes(bytes) => bytes.len() as u64,
            Self::Streamed(streamed) => streamed.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads it whole.
    pub fn into_vec(self) -> io::Result<Vec<u8>> {
        match self {
            Self::Bytes(bytes) => Ok(bytes),
            Self::Streamed(streamed) => streamed.read_all(),
        }
    }
}

impl Default for Content {
    fn default() -> Self {
        Self::Bytes(Vec::new())
    }
}

/// An object's or a part's bytes: where they are kept, or, for a small object, the
/// bytes themselves (kept in the object's row, base64, so that writing one is one row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    pub size: u64,
    /// The blobs holding the bytes, in order (none when `inline`).
    pub segments: Vec<Segment>,
    /// The bytes of a body kept in its row: an object of at most the store's in-row
    /// size (`state::blobs::IN_ROW_BYTES`), or a body read from a database of layout 2
    /// (every body in its row), which the migration moves to blobs.
    pub(crate) inline: Option<Bytes>,
}

/// A body kept in its row is written as layout 2 wrote every body, its bytes base64;
/// any other as its size and blobs.
impl Serialize for Body {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        if let Some(bytes) = &self.inline {
            return serializer
                .serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
        }
        let mut kept = serializer.serialize_struct("Body", 2)?;
        kept.serialize_field("size", &self.size)?;
        kept.serialize_field("segments", &self.segments)?;
        kept.end()
    }
}

/// One blob of a [`Body`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub blob: String,
    pub size: u64,
}

impl Body {
    /// A body holding `bytes` in its row.
    pub(crate) fn inline(bytes: Bytes) -> Self {
        Self {
            size: bytes.len() as u64,
            segments: Vec::new(),
            inline: Some(bytes),
        }
    }

    /// The body's size, in bytes.
    pub fn len(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The bodies one after the other (a completed multipart upload): bodies kept in
    /// blobs (parts are never kept in their rows).
    pub fn concat<'a>(bodies: impl IntoIterator<Item = &'a Body>) -> Body {
        let mut joined = Body::default();
        for body in bodies {
            joined.size += body.size;
            joined.segments.extend(body.segments.iter().cloned());
        }
        joined
    }

    /// The pieces of `len` bytes from `first`: `(blob, offset in it, length)`.
    pub(crate) fn pieces(&self, first: u64, len: u64) -> Vec<(String, u64, u64)> {
        let mut pieces = Vec::new();
        let (mut first, mut left) = (first, len);
        for segment in &self.segments {
            if left == 0 {
                break;
            }
            if first >= segment.size {
                first -= segment.size;
                continue;
            }
            let take = (segment.size - first).min(left);
            pieces.push((segment.blob.clone(), first, take));
            left -= take;
            first = 0;
        }
        pieces
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            /// A body kept in its row (and every body of layout 2): the bytes, base64.
            Inline(String),
            Kept {
                size: u64,
                #[serde(default)]
                segments: Vec<Segment>,
            },
        }
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Inline(text) => Self::inline(Bytes::from(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(serde::de::Error::custom)?,
            )),
            Stored::Kept { size, segments } => Self {
                size,
                segments,
                inline: None,
            },
        })
    }
}
