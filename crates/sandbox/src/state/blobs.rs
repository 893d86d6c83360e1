//! Object bodies, kept apart from the entity rows but for small ones. An
//! [`Object`](super::world::Object) or a multipart part holds a [`Body`]: its size and
//! the blobs that hold its bytes, in order (one for a `PutObject`; a completed
//! multipart upload keeps its parts' blobs, so completing copies nothing). An object of
//! at most [`IN_ROW_BYTES`] keeps its bytes in its own row instead (base64): writing
//! it is then one row, as it was before bodies had blobs, not one row and a blob
//! inserted and another deleted. Loading the world never reads a blob.
//!
//! A transaction changes bodies through the world's [`Ledger`]: it stages new bodies,
//! copies and releases blobs, and the store applies that on commit, or forgets it on
//! discard. The durable store keeps blobs in the same `SQLite` database, in the
//! `blob_chunks` table (one row per [`CHUNK_BYTES`] piece, at offsets that are
//! multiples of it), written in the transaction that writes the rows naming them: a
//! crash keeps both or neither, and a blob is deleted in the transaction that stops
//! naming it. The in-memory store keeps bodies in memory.
//!
//! Bodies are read through [`Ledger::read`]: at most [`INLINE_BYTES`] in memory, and
//! larger ones as a [`Streamed`] reader that fetches one chunk at a time from its own
//! connection, on the snapshot taken while the transaction that found the object
//! held the database, so a later delete does not cut it short.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use rand::Rng as _;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, Transaction, params};

pub use crate::model::body::{Body, CHUNK_BYTES, Content, Payload, Segment, Streamed};

/// Reads up to this size are answered in memory; larger ones are streamed.
pub const INLINE_BYTES: u64 = 1024 * 1024;

/// Objects up to this size keep their bytes in their row rather than in a blob
/// (`PutObject`, `CopyObject`; never a multipart part, whose blobs a completed upload
/// reuses). Measured (`docs/benchmarks.md`, "Issue 18's last gap"): a `PutObject`
/// commit of a small body in its row costs what it did before bodies had blobs, and at
/// this size still no more than in a blob; a row read by a listing holds at most this
/// many bytes of body.
pub const IN_ROW_BYTES: u64 = 4 * 1024;

/// The table of blob chunks, created with the entities (`state::sqlite`).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blob_chunks (
    blob TEXT NOT NULL,
    offset INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (blob, offset)
);";

/// Where a store keeps blobs, for reading.
pub trait BlobSource: Send + Sync {
    /// `len` bytes of `body` from `first` (within it): in memory up to
    /// [`INLINE_BYTES`], streamed above.
    fn read(&self, body: &Body, first: u64, len: u64) -> io::Result<Content>;
}

/// What a body staged in a transaction is made of.
#[derive(Clone)]
enum Staged {
    Payload(Payload),
    /// A copy of another blob.
    Copy(String),
}

/// A transaction's changes to blobs, applied by the store on commit. Not kept.
#[derive(Clone, Default)]
pub struct Ledger {
    source: Option<Arc<dyn BlobSource>>,
    staged: Vec<(String, Staged)>,
    released: Vec<String>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Ledger")
            .field("staged", &self.staged.len())
            .field("released", &self.released)
            .finish_non_exhaustive()
    }
}

fn blob_id() -> String {
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

fn missing() -> io::Error {
    io::Error::other("the body is not in the sandbox's store")
}

impl Ledger {
    /// Keeps `payload` as an object's body: in the object's row when it holds at most
    /// [`IN_ROW_BYTES`], else as a new blob when the transaction commits.
    pub fn stage(&mut self, payload: Payload) -> Body {
        if payload.len() <= IN_ROW_BYTES {
            let bytes = match payload {
                Payload::Bytes(bytes) => bytes,
                spooled @ Payload::Spooled(_) => match spooled.to_vec(IN_ROW_BYTES) {
                    Ok(Some(bytes)) => Bytes::from(bytes),
                    // Unreadable now: a blob, whose write fails the transaction.
                    _ => return self.stage_in_blob(spooled),
                },
            };
            if bytes.is_empty() {
                return Body::default();
            }
            return Body::inline(bytes);
        }
        self.stage_in_blob(payload)
    }

    /// Keeps `payload` as a new blob when the transaction commits, whatever its size (a
    /// multipart part, whose blob the completed object names).
    pub fn stage_in_blob(&mut self, payload: Payload) -> Body {
        let size = payload.len();
        if size == 0 {
            return Body::default();
        }
        let blob = blob_id();
        self.staged.push((blob.clone(), Staged::Payload(payload)));
        Body {
            size,
            segments: vec![Segment { blob, size }],
            inline: None,
        }
    }

    /// A body of its own with the bytes of `body` (`CopyObject`): the same bytes when
    /// they are in the row, new blobs otherwise.
    pub fn copy(&mut self, body: &Body) -> Body {
        if body.inline.is_some() {
            return body.clone();
        }
        let mut copied = Body {
            size: body.size,
            ..Body::default()
        };
        for segment in &body.segments {
            let blob = blob_id();
            self.staged
                .push((blob.clone(), Staged::Copy(segment.blob.clone())));
            copied.segments.push(Segment {
                blob,
                size: segment.size,
            });
        }
        copied
    }

    /// Deletes the blobs of `body` when the transaction commits.
    pub fn release(&mut self, body: &Body) {
        self.released
            .extend(body.segments.iter().map(|segment| segment.blob.clone()));
    }

    /// `len` bytes of `body` from `first`, as [`BlobSource::read`].
    pub fn read(&self, body: &Body, first: u64, len: u64) -> io::Result<Content> {
        if len == 0 {
            return Ok(Content::Bytes(Vec::new()));
        }
        if let Some(bytes) = &body.inline {
            let start = usize::try_from(first).map_err(io::Error::other)?;
            let end = usize::try_from(first + len).map_err(io::Error::other)?;
            return bytes
                .get(start..end)
                .map(|slice| Content::Bytes(slice.to_vec()))
                .ok_or_else(missing);
        }
        self.source
            .as_ref()
            .ok_or_else(missing)?
            .read(body, first, len)
    }

    /// The whole of `body` in memory, if it holds at most `max` bytes.
    pub fn read_to_vec(&self, body: &Body, max: u64) -> io::Result<Option<Vec<u8>>> {
        if body.size > max {
            return Ok(None);
        }
        match self.read(body, 0, body.size)? {
            Content::Bytes(bytes) => Ok(Some(bytes)),
            Content::Streamed(streamed) => streamed.read_all().map(Some),
        }
    }

    /// Starts a transaction reading from `source`, forgetting what an earlier one left.
    pub(crate) fn begin(&mut self, source: Arc<dyn BlobSource>) {
        self.source = Some(source);
        self.staged.clear();
        self.released.clear();
    }
}

/// The in-memory store's blobs.
#[derive(Default)]
pub struct MemoryBlobs {
    blobs: Mutex<HashMap<String, Bytes>>,
}

impl fmt::Debug for MemoryBlobs {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("MemoryBlobs")
            .finish_non_exhaustive()
    }
}

impl MemoryBlobs {
    /// Applies a committed transaction's ledger.
    pub(crate) fn commit(&self, ledger: &mut Ledger) -> io::Result<()> {
        let mut blobs = self.blobs.lock().unwrap_or_else(PoisonError::into_inner);
        for (blob, staged) in ledger.staged.drain(..) {
            let bytes = match staged {
                Staged::Payload(Payload::Bytes(bytes)) => bytes,
                Staged::Payload(payload) => {
                    let mut bytes = Vec::new();
                    payload.reader().read_to_end(&mut bytes)?;
                    Bytes::from(bytes)
                }
                Staged::Copy(from) => blobs.get(&from).cloned().ok_or_else(missing)?,
            };
            blobs.insert(blob, bytes);
        }
        for blob in ledger.released.drain(..) {
            blobs.remove(&blob);
        }
        Ok(())
    }

    /// Forgets every blob (reset).
    pub(crate) fn clear(&self) {
        self.blobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl BlobSource for MemoryBlobs {
    fn read(&self, body: &Body, first: u64, len: u64) -> io::Result<Content> {
        let blobs = self.blobs.lock().unwrap_or_else(PoisonError::into_inner);
        let mut slices = Vec::new();
        for (blob, offset, take) in body.pieces(first, len) {
            let bytes = blobs.get(&blob).ok_or_else(missing)?;
            let start = usize::try_from(offset).map_err(io::Error::other)?;
            let end = usize::try_from(offset + take).map_err(io::Error::other)?;
            slices.push(
                bytes
                    .get(start..end)
                    .map(|_| bytes.slice(start..end))
                    .ok_or_else(missing)?,
            );
        }
        drop(blobs);
        let reader = Box::new(Slices { slices, at: 0 });
        if len <= INLINE_BYTES {
            let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            let mut reader = reader;
            reader.read_to_end(&mut bytes)?;
            return Ok(Content::Bytes(bytes));
        }
        Ok(Content::Streamed(Streamed::new(len, reader)))
    }
}

struct Slices {
    slices: Vec<Bytes>,
    at: usize,
}

impl Read for Slices {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while let Some(slice) = self.slices.get_mut(self.at) {
            if slice.is_empty() {
                self.at += 1;
                continue;
            }
            let take = slice.len().min(buffer.len());
            buffer[..take].copy_from_slice(&slice[..take]);
            *slice = slice.slice(take..);
            return Ok(take);
        }
        Ok(0)
    }
}

/// The durable store's blobs, read on connections of their own.
pub struct SqliteBlobs {
    path: PathBuf,
    /// A connection kept for small reads.
    idle: Mutex<Option<Connection>>,
}

impl SqliteBlobs {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(None),
        }
    }

    fn connect(&self) -> io::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(io::Error::other)?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(io::Error::other)?;
        Ok(connection)
    }
}

impl BlobSource for SqliteBlobs {
    fn read(&self, body: &Body, first: u64, len: u64) -> io::Result<Content> {
        let pieces = body.pieces(first, len);
        if len <= INLINE_BYTES {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let connection = match idle {
                Some(connection) => connection,
                None => self.connect()?,
            };
            let mut reader = ChunkReader::new(connection, pieces);
            let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
            reader.read_to_end(&mut bytes)?;
            *self.idle.lock().unwrap_or_else(PoisonError::into_inner) = Some(reader.connection);
            return Ok(Content::Bytes(bytes));
        }
        // A connection of its own, whose read transaction starts now (while the caller's
        // transaction holds the database) and lasts as long as the reader.
        let connection = self.connect()?;
        connection
            .execute_batch("BEGIN DEFERRED")
            .map_err(io::Error::other)?;
        let mut reader = ChunkReader::new(connection, pieces);
        reader.fill()?;
        Ok(Content::Streamed(Streamed::new(len, Box::new(reader))))
    }
}

/// Reads pieces of blobs chunk by chunk.
struct ChunkReader {
    connection: Connection,
    /// `(blob, offset, length)` still to read, in reverse order.
    pieces: Vec<(String, u64, u64)>,
    buffer: Bytes,
}

impl ChunkReader {
    fn new(connection: Connection, mut pieces: Vec<(String, u64, u64)>) -> Self {
        pieces.reverse();
        Self {
            connection,
            pieces,
            buffer: Bytes::new(),
        }
    }

    /// Reads the next chunk into the buffer (nothing at the end).
    fn fill(&mut self) -> io::Result<()> {
        let Some((blob, offset, left)) = self.pieces.pop() else {
            return Ok(());
        };
        let chunk = CHUNK_BYTES as u64;
        let start = offset - offset % chunk;
        let data: Vec<u8> = self
            .connection
            .prepare_cached("SELECT data FROM blob_chunks WHERE blob = ?1 AND offset = ?2")
            .and_then(|mut statement| {
                statement
                    .query_row(
                        params![blob, i64::try_from(start).unwrap_or(i64::MAX)],
                        |row| row.get(0),
                    )
                    .optional()
            })
            .map_err(io::Error::other)?
            .ok_or_else(missing)?;
        let from = usize::try_from(offset - start).map_err(io::Error::other)?;
        let take = (data.len().saturating_sub(from) as u64).min(left);
        if take == 0 {
            return Err(missing());
        }
        let to = from + usize::try_from(take).map_err(io::Error::other)?;
        self.buffer = Bytes::from(data).slice(from..to);
        if take < left {
            self.pieces.push((blob, offset + take, left - take));
        }
        Ok(())
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.buffer.is_empty() {
            self.fill()?;
        }
        let take = self.buffer.len().min(buffer.len());
        buffer[..take].copy_from_slice(&self.buffer[..take]);
        self.buffer = self.buffer.slice(take..);
        Ok(take)
    }
}

fn conversion(error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

/// Writes `payload` as `blob`, chunk by chunk.
fn write_blob(
    transaction: &Transaction<'_>,
    blob: &str,
    payload: &Payload,
) -> Result<(), rusqlite::Error> {
    let mut insert = transaction
        .prepare_cached("INSERT INTO blob_chunks (blob, offset, data) VALUES (?1, ?2, ?3)")?;
    if let Payload::Bytes(bytes) = payload {
        // In memory already: each chunk straight from the bytes, nothing copied.
        let mut offset: i64 = 0;
        for chunk in bytes.chunks(CHUNK_BYTES) {
            insert.execute(params![blob, offset, chunk])?;
            offset += i64::try_from(chunk.len()).unwrap_or(i64::MAX);
        }
        return Ok(());
    }
    let mut reader = payload.reader();
    // A buffer the size of the body, at most one chunk: a small object does not
    // allocate and zero a whole chunk's mebibyte.
    let size = usize::try_from(payload.len()).unwrap_or(CHUNK_BYTES);
    let mut buffer = vec![0_u8; size.clamp(1, CHUNK_BYTES)];
    let mut offset: i64 = 0;
    loop {
        let mut filled = 0;
        while filled < buffer.len() {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(conversion(error)),
            }
        }
        if filled == 0 {
            return Ok(());
        }
        insert.execute(params![blob, offset, &buffer[..filled]])?;
        offset += i64::try_from(filled).unwrap_or(i64::MAX);
    }
}

/// Applies a committing transaction's ledger in the same `SQLite` transaction.
pub(super) fn commit(
    transaction: &Transaction<'_>,
    ledger: &mut Ledger,
) -> Result<(), rusqlite::Error> {
    for (blob, staged) in ledger.staged.drain(..) {
        match staged {
            Staged::Payload(payload) => write_blob(transaction, &blob, &payload)?,
            Staged::Copy(from) => {
                transaction
                    .prepare_cached(
                        "INSERT INTO blob_chunks (blob, offset, data) SELECT ?1, offset, data FROM blob_chunks WHERE blob = ?2",
                    )?
                    .execute(params![blob, from])?;
            }
        }
    }
    let mut delete = transaction.prepare_cached("DELETE FROM blob_chunks WHERE blob = ?1")?;
    for blob in ledger.released.drain(..) {
        delete.execute(params![blob])?;
    }
    Ok(())
}

/// Moves a body kept in its row into a blob of its own (layouts 1 and 2 kept every
/// body so).
fn adopt(transaction: &Transaction<'_>, body: &mut Body) -> Result<(), rusqlite::Error> {
    let Some(bytes) = body.inline.take() else {
        return Ok(());
    };
    body.segments.clear();
    if bytes.is_empty() {
        return Ok(());
    }
    let blob = blob_id();
    let size = bytes.len() as u64;
    write_blob(transaction, &blob, &Payload::Bytes(bytes))?;
    body.segments.push(Segment { blob, size });
    Ok(())
}

/// Moves the bodies in rows of a world read from the first layout (one JSON document),
/// or built whole, into blobs: every part's, and every object's over [`IN_ROW_BYTES`].
pub(super) fn adopt_world(
    transaction: &Transaction<'_>,
    world: &mut super::World,
) -> Result<(), rusqlite::Error> {
    for (_, bucket) in world.buckets.iter_mut_untracked() {
        for (_, object) in bucket.objects.iter_mut_untracked() {
            if object.body.size > IN_ROW_BYTES {
                adopt(transaction, &mut object.body)?;
            }
        }
        for (_, part) in bucket.parts.iter_mut_untracked() {
            adopt(transaction, &mut part.body)?;
        }
    }
    Ok(())
}

/// Migrates layout 2 (bodies base64 in the object and part rows) to layout 3: one row
/// at a time, so no more than one body is in memory. Every body goes to a blob, as
/// layout 3 kept them (layout 4 reads those as they are).
pub(super) fn migrate_rows(transaction: &Transaction<'_>) -> Result<(), rusqlite::Error> {
    transaction.execute_batch(SCHEMA)?;
    let keys: Vec<(String, String, String)> = transaction
        .prepare(
            "SELECT kind, scope, key FROM entities WHERE kind IN ('object', 'part') AND data IS NOT NULL",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (kind, scope, key) in keys {
        let data: String = transaction.query_row(
            "SELECT data FROM entities WHERE kind = ?1 AND scope = ?2 AND key = ?3",
            params![kind, scope, key],
            |row| row.get(0),
        )?;
        let mut row: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(conversion)?;
        let mut body: Body = row
            .get("body")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .map_err(conversion)?
            .unwrap_or_default();
        adopt(transaction, &mut body)?;
        row.insert(
            "body".to_owned(),
            serde_json::to_value(&body).map_err(conversion)?,
        );
        let data = serde_json::to_string(&row).map_err(conversion)?;
        transaction.execute(
            "UPDATE entities SET data = ?4 WHERE kind = ?1 AND scope = ?2 AND key = ?3",
            params![kind, scope, key, data],
        )?;
    }
    Ok(())
}

/// Forgets every blob (a world replaced whole).
pub(super) fn clear(transaction: &Transaction<'_>) -> Result<(), rusqlite::Error> {
    transaction
        .execute("DELETE FROM blob_chunks", [])
        .map(|_| ())
}
