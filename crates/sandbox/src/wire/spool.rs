//! Request bodies too large to hold in memory (an object's bytes): written to an
//! unnamed temporary file (mode 0600, gone when the last handle closes) as they arrive,
//! and hashed on the way: the SHA-256 of the bytes as sent (what `SigV4` signs), the
//! MD5 of the object's bytes (its `ETag`). An aws-chunked body is decoded on the way;
//! the signature and SHA-256 of each chunk are kept for `auth` to check the chain,
//! never the chunk.

use std::fs::File;
use std::io::{self, Write as _};

use md5::Digest as _;
use sha2::Sha256;

use crate::model::body::{Payload, SpoolFile};

/// Bodies above this size (or of unknown size) of a `PUT` are spooled, not buffered.
pub const SPOOL_ABOVE_BYTES: u64 = 1024 * 1024;

/// The most chunks an aws-chunked body may have: S3 wants 8 KiB chunks but the last,
/// so 64 MiB needs at most 8,192; this bounds what is kept per chunk.
pub const MAX_CHUNKS: usize = 100_000;

/// The longest chunk header line (`hex-size;chunk-signature=...`) or trailer section.
const MAX_LINE_BYTES: usize = 4096;

/// A spooled request body.
#[derive(Debug)]
pub struct Spooled {
    /// The object's bytes (an aws-chunked body decoded).
    pub payload: Payload,
    /// The hex SHA-256 of the body as sent (empty when the request's signature does not
    /// cover it: [`signs_body`]).
    pub sha256: String,
    /// For an aws-chunked body: each chunk's `chunk-signature` (empty if unsigned) and
    /// the SHA-256 of its data, the final empty chunk included.
    pub chunks: Option<Vec<(String, [u8; 32])>>,
}

/// Why a body could not be spooled.
#[derive(Debug)]
pub enum SpoolError {
    /// More than the limit arrived.
    TooLarge,
    /// The aws-chunked framing is broken or the body ended inside a chunk.
    Malformed,
    /// The temporary file could not be written.
    Io(io::Error),
    /// The connection failed before the body's end.
    Broken,
}

impl From<io::Error> for SpoolError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// Writes a body to a temporary file as it arrives.
pub struct Spooler {
    file: File,
    len: u64,
    md5: md5::Md5,
    /// `None` when no signature covers the body's hash (streamed or unsigned).
    sha256: Option<Sha256>,
    received: u64,
    max: u64,
    decoder: Option<Decoder>,
}

/// Where an aws-chunked decoder is.
enum State {
    /// Reading a chunk's header line.
    Header(Vec<u8>),
    /// Reading `left` bytes of data of the chunk signed `signature`.
    Data {
        left: u64,
        signature: String,
        hash: Sha256,
    },
    /// Reading the `\r\n` after a chunk's data (how many bytes of it are left).
    Crlf(u8),
    /// After the last chunk: trailing headers, ignored.
    Trailers(usize),
}

struct Decoder {
    state: State,
    chunks: Vec<(String, [u8; 32])>,
}

impl Spooler {
    /// A spooler taking at most `max` bytes as sent, decoding aws-chunked if `chunked`,
    /// and hashing the body as sent if `signed` (its hash is what the signature
    /// covers).
    pub fn new(chunked: bool, signed: bool, max: u64) -> io::Result<Self> {
        Ok(Self {
            file: tempfile::tempfile()?,
            len: 0,
            md5: md5::Md5::new(),
            sha256: signed.then(Sha256::new),
            received: 0,
            max,
            decoder: chunked.then(|| Decoder {
                state: State::Header(Vec::new()),
                chunks: Vec::new(),
            }),
        })
    }

    /// How many bytes arrived so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Takes the next bytes of the body.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), SpoolError> {
        self.received += bytes.len() as u64;
        if self.received > self.max {
            return Err(SpoolError::TooLarge);
        }
        if let Some(sha256) = &mut self.sha256 {
            sha256.update(bytes);
        }
        if self.decoder.is_none() {
            return self.write(bytes);
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            rest = self.decode(rest)?;
        }
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SpoolError> {
        self.md5.update(bytes);
        self.len += bytes.len() as u64;
        self.file.write_all(bytes)?;
        Ok(())
    }

    /// Decodes from the start of `bytes`; returns what is left.
    fn decode<'b>(&mut self, bytes: &'b [u8]) -> Result<&'b [u8], SpoolError> {
        let Some(decoder) = &mut self.decoder else {
            return Ok(&[]);
        };
        match &mut decoder.state {
            State::Header(line) => {
                let end = bytes.iter().position(|byte| *byte == b'\n');
                let taken = end.map_or(bytes.len(), |end| end + 1);
                line.extend_from_slice(&bytes[..taken]);
                if line.len() > MAX_LINE_BYTES {
                    return Err(SpoolError::Malformed);
                }
                if end.is_none() {
                    return Ok(&[]);
                }
                let text = std::str::from_utf8(line)
                    .ok()
                    .and_then(|text| text.strip_suffix("\r\n"))
                    .ok_or(SpoolError::Malformed)?;
                let (size, signature) = match text.split_once(';') {
                    Some((size, extension)) => (
                        size,
                        extension
                            .strip_prefix("chunk-signature=")
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    ),
                    None => (text, String::new()),
                };
                let size =
                    u64::from_str_radix(size.trim(), 16).map_err(|_| SpoolError::Malformed)?;
                if decoder.chunks.len() >= MAX_CHUNKS {
                    return Err(SpoolError::Malformed);
                }
                decoder.state = if size == 0 {
                    decoder.chunks.push((signature, Sha256::digest(b"").into()));
                    State::Trailers(0)
                } else {
                    State::Data {
                        left: size,
                        signature,
                        hash: Sha256::new(),
                    }
                };
                Ok(&bytes[taken..])
            }
            State::Data {
                left,
                signature,
                hash,
            } => {
                let take = usize::try_from(*left)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let data = &bytes[..take];
                hash.update(data);
                *left -= take as u64;
                if *left == 0 {
                    let signature = std::mem::take(signature);
                    let digest = std::mem::take(hash).finalize().into();
                    decoder.chunks.push((signature, digest));
                    decoder.state = State::Crlf(2);
                }
                self.write(data)?;
                Ok(&bytes[take..])
            }
            State::Crlf(left) => {
                let expected = if *left == 2 { b'\r' } else { b'\n' };
                if bytes[0] != expected {
                    return Err(SpoolError::Malformed);
                }
                *left -= 1;
                if *left == 0 {
                    decoder.state = State::Header(Vec::new());
                }
                Ok(&bytes[1..])
            }
            State::Trailers(seen) => {
                *seen += bytes.len();
                if *seen > MAX_LINE_BYTES {
                    return Err(SpoolError::Malformed);
                }
                Ok(&[])
            }
        }
    }

    /// The body, once all of it arrived.
    pub fn finish(mut self) -> Result<Spooled, SpoolError> {
        let chunks = match self.decoder.take() {
            None => None,
            Some(Decoder {
                state: State::Trailers(_),
                chunks,
            }) => Some(chunks),
            Some(_) => return Err(SpoolError::Malformed),
        };
        self.file.flush()?;
        let spool = SpoolFile::new(self.file, self.len, self.md5.finalize().into());
        Ok(Spooled {
            payload: Payload::Spooled(std::sync::Arc::new(spool)),
            sha256: self
                .sha256
                .map(|sha256| hex::encode(sha256.finalize()))
                .unwrap_or_default(),
            chunks,
        })
    }
}

/// Spools the body of `head` as it arrives (see [`Spooler::new`]).
pub async fn spool_body<B>(
    head: &super::HttpRequest,
    body: B,
    max: u64,
) -> Result<Spooled, SpoolError>
where
    B: hyper::body::Body<Data = bytes::Bytes>,
{
    use http_body_util::BodyExt as _;
    let declared = head.header("x-amz-content-sha256");
    let chunked = is_chunked(head.header("content-encoding"), declared);
    let mut spooler = Spooler::new(chunked, signs_body(declared), max)?;
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| SpoolError::Broken)?;
        if let Ok(data) = frame.into_data() {
            spooler.push(&data)?;
        }
    }
    spooler.finish()
}

/// Whether the signature of a request declaring `x-amz-content-sha256` covers the
/// body's hash: a declared hash, or none declared (the query protocol, presigned URLs
/// of other services); not `UNSIGNED-PAYLOAD` nor a `STREAMING-` mode.
pub fn signs_body(declared: Option<&str>) -> bool {
    declared.is_none_or(|declared| {
        declared.len() == 64 && declared.bytes().all(|byte| byte.is_ascii_hexdigit())
    })
}

/// Whether a request with these headers sends an aws-chunked body.
pub fn is_chunked(content_encoding: Option<&str>, content_sha256: Option<&str>) -> bool {
    content_encoding.is_some_and(|encoding| encoding.contains("aws-chunked"))
        || content_sha256.is_some_and(|hash| hash.starts_with("STREAMING-"))
}

#[cfg(test)]
mod tests {
    use super::{SpoolError, Spooler};
    use std::io::Read as _;

    fn spooled(chunked: bool, pieces: &[&[u8]]) -> Result<(Vec<u8>, usize), SpoolError> {
        let mut spooler = Spooler::new(chunked, true, 1 << 20)?;
        for piece in pieces {
            spooler.push(piece)?;
        }
        let done = spooler.finish()?;
        let mut bytes = Vec::new();
        done.payload.reader().read_to_end(&mut bytes)?;
        Ok((bytes, done.chunks.map_or(0, |chunks| chunks.len())))
    }

    #[test]
    fn decodes_aws_chunked_bodies_split_anywhere() {
        let body: &[u8] = b"5;chunk-signature=ab\r\nhello\r\n6;chunk-signature=cd\r\n world\r\n0;chunk-signature=ef\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        for split in 0..body.len() {
            let (first, second) = body.split_at(split);
            let found = spooled(true, &[first, second]).ok();
            assert_eq!(
                found,
                Some((b"hello world".to_vec(), 3)),
                "split at {split}"
            );
        }
        let one_by_one: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(
            spooled(true, &one_by_one).ok(),
            Some((b"hello world".to_vec(), 3))
        );
    }

    #[test]
    fn refuses_broken_framing_and_too_much() {
        for broken in [
            &b"zz\r\n"[..],
            b"5\r\nhi",
            b"5\r\nhelloXX0\r\n\r\n",
            b"5\r\nhello\r\n",
        ] {
            assert!(
                matches!(spooled(true, &[broken]), Err(SpoolError::Malformed)),
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
        let mut spooler = Spooler::new(false, true, 4).expect("spooler");
        assert!(matches!(spooler.push(b"12345"), Err(SpoolError::TooLarge)));
        assert_eq!(
            spooled(false, &[b"plain ", b"bytes"]).ok(),
            Some((b"plain bytes".to_vec(), 0))
        );
    }
}
