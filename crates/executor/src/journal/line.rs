//! One journal line on disk and what can be wrong with a journal. A record is written
//! as `{"crc32":"<8 hex digits>","record":<the record's JSON>}` (still one JSON value a
//! line), the CRC-32 taken over the record's exact bytes, so a flipped byte, a line of
//! NUL bytes or a record cut short is told apart from a record. Journals written before
//! checksums hold bare records; they are still read, as unchecked.

use std::fmt;

use super::{JournalError, Record};

const PREFIX: &[u8] = br#"{"crc32":""#;
const MIDDLE: &[u8] = br#"","record":"#;

/// `record` as one checksummed line, with its line break.
pub(super) fn encode(record: &Record) -> Result<Vec<u8>, JournalError> {
    let json = serde_json::to_vec(record).map_err(JournalError::Encode)?;
    let mut line = Vec::with_capacity(json.len() + 32);
    line.extend_from_slice(PREFIX);
    line.extend_from_slice(format!("{:08x}", crc32fast::hash(&json)).as_bytes());
    line.extend_from_slice(MIDDLE);
    line.extend_from_slice(&json);
    line.extend_from_slice(b"}\n");
    Ok(line)
}

/// A line read back: its record, and whether a checksum vouched for it.
pub(super) struct Decoded {
    pub record: Record,
    pub checked: bool,
}

/// Why a line is not a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFault {
    /// It has a checksum and the bytes do not match it.
    Checksum,
    /// It is not a record at all (garbage, NUL bytes, a record cut short).
    Unreadable,
}

/// Reads one line (without its line break).
pub(super) fn decode(line: &[u8]) -> Result<Decoded, LineFault> {
    let Some(rest) = line.strip_prefix(PREFIX) else {
        // A journal written before checksums: a bare record.
        return serde_json::from_slice(line)
            .map(|record| Decoded {
                record,
                checked: false,
            })
            .map_err(|_| LineFault::Unreadable);
    };
    let (hex, rest) = rest.split_at_checked(8).ok_or(LineFault::Unreadable)?;
    let body = rest
        .strip_prefix(MIDDLE)
        .and_then(|rest| rest.strip_suffix(b"}"))
        .ok_or(LineFault::Unreadable)?;
    let expected = std::str::from_utf8(hex)
        .ok()
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .ok_or(LineFault::Unreadable)?;
    if crc32fast::hash(body) != expected {
        return Err(LineFault::Checksum);
    }
    serde_json::from_slice(body)
        .map(|record| Decoded {
            record,
            checked: true,
        })
        .map_err(|_| LineFault::Unreadable)
}

/// What is wrong with a journal: each makes what it says unprovable, so `down` must
/// not claim that nothing is left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The run's folder says a journal was written (`run.json`), but it is gone.
    Missing,
    /// The journal has no bytes: every run's journal begins with its header.
    Empty,
    /// The journal does not begin with the run's header (`run_started`).
    NoHeader,
    /// A line other than a torn last one is not a sound record.
    Line { number: usize, fault: LineFault },
    /// A line has no checksum in a journal whose run writes checksums.
    Unchecked { number: usize },
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("the journal is missing"),
            Self::Empty => f.write_str("the journal is empty"),
            Self::NoHeader => f.write_str("the journal does not begin with the run's header"),
            Self::Line {
                number,
                fault: LineFault::Checksum,
            } => write!(f, "line {number} does not match its checksum"),
            Self::Line {
                number,
                fault: LineFault::Unreadable,
            } => write!(f, "line {number} is not a journal record"),
            Self::Unchecked { number } => write!(f, "line {number} has no checksum"),
        }
    }
}
