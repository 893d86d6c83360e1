//! Whether an existing `sandbox.db` may be used. A new database is put in place whole
//! (`state::place`), so `sandbox.db` is never seen half made: a file that is
//! empty, cut short, not `SQLite`, not awslab's, or fails `PRAGMA quick_check` is
//! damage, never a reason to start a new world. The check reads through a read-only
//! connection, so a damaged file is left byte for byte as it was (no checkpoint, no
//! "repair"); a write-ahead log left by a killed process is no damage (`SQLite` replays
//! it). A refusal names the file, the problem, and what `awslab sandbox reset` loses.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;

/// The database's name in the state folder.
pub(super) const FILE_NAME: &str = "sandbox.db";

/// Databases up to this size get `PRAGMA quick_check` on every open. It reads every
/// page, about 1 ms per MiB (measured with `SQLite` 3.40, page cache warm: 0.2 ms for a
/// new world of 32 KiB, 0.7 ms for a lab world of 1 MiB, 26 ms for 16 MiB, 68 ms for
/// 64 MiB), against a whole `up` and `down` of the seed lab of about 36 ms. A lab's world
/// is well under this bound; a larger one holds big S3 objects or many entities, and
/// above it only the header, schema, `meta` and world rows are checked: the cache is
/// lazy, so a damaged page is found when a request reads it (refused as damage, see
/// [`damaged`], that request answering `InternalFailure`).
const QUICK_CHECK_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// What an existing database file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// No file: a new world.
    Absent,
    /// A sound `SQLite` database with no table at all: nothing to lose.
    Blank,
    /// awslab's, sound as far as checked (its layout is checked when it is prepared).
    Ours,
    /// awslab's, sound as far as checked, and of this awslab's layout with nothing to
    /// migrate: opening it needs no write (no `prepare`).
    Current,
}

/// Why a file is refused.
struct Damage {
    problem: String,
    /// Not awslab's file at all, so nothing of a sandbox is in it.
    foreign: bool,
}

impl Damage {
    fn new(problem: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            foreign: false,
        }
    }
}

/// The write-ahead log of `path`.
fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

fn wal_has_frames(path: &Path) -> bool {
    std::fs::metadata(wal_path(path)).is_ok_and(|meta| meta.len() > 32)
}

/// Says what `path` is, without writing to it; damage is an error that names the file,
/// the problem, and what a reset would lose.
pub(super) fn inspect(path: &Path) -> Result<Found, StoreError> {
    match check(path) {
        Ok(found) => Ok(found),
        Err(Checked::Failed(error)) => Err(error),
        Err(Checked::Damaged(damage)) => Err(refusal(path, &damage)),
    }
}

enum Checked {
    Damaged(Damage),
    Failed(StoreError),
}

impl From<Damage> for Checked {
    fn from(damage: Damage) -> Self {
        Self::Damaged(damage)
    }
}

fn check(path: &Path) -> Result<Found, Checked> {
    let read_error = |source| {
        Checked::Failed(StoreError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    let length = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if wal_has_frames(path) {
                return Err(Damage::new(
                    "the file is missing, but its write-ahead log (`-wal`) is still there",
                )
                .into());
            }
            return Ok(Found::Absent);
        }
        Err(error) => return Err(read_error(error)),
    };
    let mut header = Vec::with_capacity(100);
    std::fs::File::open(path)
        .and_then(|file| file.take(100).read_to_end(&mut header))
        .map_err(read_error)?;
    check_header(&header, length, wal_has_frames(path))?;
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|connection| {
        connection.busy_timeout(Duration::from_secs(30))?;
        Ok(connection)
    })
    .map_err(|error| sqlite_failure(path, error))?;
    match check_contents(&connection, length) {
        Ok(verdict) => verdict,
        // A hot rollback journal (of the first layout) needs a writer to roll it back:
        // the read-write open does, and `prepare` then checks the layout.
        Err(error) if error.sqlite_error_code() == Some(ErrorCode::ReadOnly) => Ok(Found::Ours),
        Err(error) => Err(sqlite_failure(path, error)),
    }
}

/// The first 100 bytes (`SQLite`'s header) against the file's length.
fn check_header(header: &[u8], length: u64, wal: bool) -> Result<(), Damage> {
    const MAGIC: &[u8; 16] = b"SQLite format 3\0";
    if length == 0 {
        return Err(Damage::new("the file is empty (0 bytes)"));
    }
    let is_sqlite = header.len() >= MAGIC.len() && header[..MAGIC.len()] == MAGIC[..];
    if header.len() < 100 {
        return Err(if MAGIC.starts_with(header) || is_sqlite {
            Damage::new(format!(
                "the file is cut short ({length} bytes, less than SQLite's 100-byte header)"
            ))
        } else {
            Damage::new("the file is not an SQLite database")
        });
    }
    if !is_sqlite {
        return Err(Damage::new(
            "the file is not an SQLite database (it does not begin with SQLite's header)",
        ));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        size if size >= 512 && size.is_power_of_two() => u64::from(size),
        size => {
            return Err(Damage::new(format!(
                "its header is damaged (a page size of {size} bytes)"
            )));
        }
    };
    // With a write-ahead log, the file may trail its header until SQLite replays the
    // log; the check below reads through the log.
    if wal {
        return Ok(());
    }
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let counted_pages = (word(24) == word(92)).then(|| u64::from(word(28)));
    let expected = counted_pages.map_or(page_size, |pages| pages * page_size);
    if length < expected || !length.is_multiple_of(page_size) {
        return Err(Damage::new(format!(
            "the file is cut short ({length} bytes, where its header counts {expected})"
        )));
    }
    Ok(())
}

/// The schema, `PRAGMA quick_check` (up to [`QUICK_CHECK_MAX_BYTES`]), and the rows
/// every world has.
fn check_contents(
    connection: &Connection,
    length: u64,
) -> Result<Result<Found, Checked>, rusqlite::Error> {
    let mut statement = connection.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let tables = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    drop(statement);
    if length <= QUICK_CHECK_MAX_BYTES {
        let verdict: String =
            connection.query_row("PRAGMA quick_check(1)", [], |row| row.get(0))?;
        if verdict != "ok" {
            let verdict = verdict
                .lines()
                .filter(|line| !line.starts_with("***"))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(Err(Damage::new(format!(
                "SQLite's integrity check fails ({verdict})"
            ))
            .into()));
        }
    }
    if tables.is_empty() {
        return Ok(Ok(Found::Blank));
    }
    let has = |name: &str| tables.iter().any(|table| table == name);
    if !has("meta") && !has("world") {
        let listed = tables
            .iter()
            .map(|table| format!("`{table}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Ok(Err(Damage {
            problem: format!(
                "it is an SQLite database, but not an awslab sandbox (its tables: {listed})"
            ),
            foreign: true,
        }
        .into()));
    }
    if has("meta") {
        let format: Option<i64> = connection
            .query_row("SELECT format FROM meta WHERE id = 0", [], |row| row.get(0))
            .ok();
        let Some(format) = format else {
            return Ok(Err(Damage::new("its `meta` row is missing").into()));
        };
        if format == super::sqlite::FORMAT {
            let worlds: i64 = connection.query_row(
                "SELECT count(*) FROM entities WHERE kind = 'world' AND data IS NOT NULL",
                [],
                |row| row.get(0),
            )?;
            if worlds != 1 {
                return Ok(Err(Damage::new("the world's row is missing").into()));
            }
            let migrated: bool = connection.query_row(
                "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'denied'",
                [],
                |row| row.get::<_, i64>(0).map(|count| count > 0),
            )?;
            if migrated {
                return Ok(Ok(Found::Current));
            }
        }
    }
    Ok(Ok(Found::Ours))
}

/// A failure of `SQLite` on the read-only connection: damage if `SQLite` calls it so.
fn sqlite_failure(path: &Path, error: rusqlite::Error) -> Checked {
    match damaged(path, &error) {
        Some(refused) => Checked::Failed(refused),
        None => Checked::Failed(StoreError::Database {
            path: path.display().to_string(),
            source: error,
        }),
    }
}

/// The refusal of `path` when `error` says `SQLite` found it damaged (on open, or when
/// a page read later is garbled), so every command and request says what to do.
pub(super) fn damaged(path: &Path, error: &rusqlite::Error) -> Option<StoreError> {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
    .then(|| {
        refusal(
            path,
            &Damage::new(format!("SQLite cannot read it ({error})")),
        )
    })
}

/// The refusal of `path`: what is wrong, what a reset would lose, what to do.
fn refusal(path: &Path, damage: &Damage) -> StoreError {
    let shown = path.display().to_string();
    let folder = path
        .parent()
        .map(|folder| folder.display().to_string())
        .unwrap_or_default();
    let reset = format!("awslab sandbox reset --state-dir '{folder}'");
    let help = if damage.foreign {
        format!(
            "nothing was changed. If the file belongs to another program, move it elsewhere;\n`{reset}` would replace it with a new world"
        )
    } else {
        format!(
            "nothing was changed. Either restore `{shown}` from a copy (with its `-wal` file, if there is one),\nor run `{reset}` for a new world, which loses {}",
            losses(path)
        )
    };
    StoreError::Damaged {
        path: shown,
        problem: damage.problem.clone(),
        help,
    }
}

/// What the world in `path` holds, counted by kind if its rows can still be read,
/// else listed by kind.
fn losses(path: &Path) -> String {
    const LISTED: &str = "the accounts and their users, roles, groups, policies and access keys, the buckets and their objects, the stacks, the temporary credentials issued, and the operators' access keys (`awslab sandbox env` would print new ones)";
    count_rows(path).unwrap_or_else(|| LISTED.to_owned())
}

fn count_rows(path: &Path) -> Option<String> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    let mut statement = connection
        .prepare("SELECT kind, count(*) FROM entities WHERE data IS NOT NULL GROUP BY kind")
        .ok()?;
    let counted = statement
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .ok()?
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let count = |kind: &str| {
        counted
            .iter()
            .find(|(name, _)| name == kind)
            .map_or(0, |(_, count)| *count)
    };
    if count("account") == 0 {
        return None;
    }
    let kinds: [(&str, &str, &str); 12] = [
        ("account", "account", "accounts"),
        ("user", "user", "users"),
        ("role", "role", "roles"),
        ("group", "group", "groups"),
        (
            "policy",
            "customer managed policy",
            "customer managed policies",
        ),
        ("oidc_provider", "OIDC provider", "OIDC providers"),
        ("access_key", "access key", "access keys"),
        ("bucket", "bucket", "buckets"),
        ("object", "object", "objects"),
        ("upload", "multipart upload", "multipart uploads"),
        ("stack", "stack", "stacks"),
        ("session", "temporary credential", "temporary credentials"),
    ];
    let parts: Vec<String> = kinds
        .iter()
        .filter_map(|(kind, one, many)| match count(kind) {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        })
        .collect();
    Some(format!(
        "{} (the operators' access keys among them: `awslab sandbox env` would print new ones)",
        parts.join(", ")
    ))
}
