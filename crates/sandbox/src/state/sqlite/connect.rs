//! Opening `sandbox.db`: the connection's flags and modes (WAL, `synchronous`), the
//! retries that opening a new folder from several processes at once needs, and a new
//! database built whole in a private temporary file before it is put in place.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::schema::{self, Opening};
use super::{Cache, Failure, failure_error};
use crate::state::{StoreError, World, place};

/// How long a connection waits for another process's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many prepared statements a connection keeps: more than the store has.
const STATEMENTS: usize = 64;

/// Opens the existing database at `path` for this process: WAL mode, `synchronous =
/// NORMAL`, waiting for other processes' locks.
pub(super) fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // Every statement of a request's transaction stays prepared (rusqlite keeps 16).
    connection.set_prepared_statement_cache_capacity(STATEMENTS);
    set_wal(&connection)?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

/// Opens a second connection to `path` that only reads (the rows a lazy cache reads
/// during a transaction); the database is in WAL mode already.
pub(super) fn connect_reader(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    Ok(connection)
}

/// Puts the database in WAL mode (it stays so: later opens find it set). Changing the
/// journal mode takes a lock that `SQLite`'s busy handler does not wait for, so
/// processes opening a new folder at once retry it for a while instead of failing
/// with "database is locked".
fn set_wal(connection: &Connection) -> Result<(), rusqlite::Error> {
    let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        return Ok(());
    }
    let mut attempt: u64 = 0;
    loop {
        match connection.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if attempt < 300
                    && matches!(
                        failure.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(5 + attempt.min(20)));
            }
            Err(error) => return Err(error),
        }
    }
}

/// Where a database built whole goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    /// Where no file is, unless another process puts one there first.
    Link,
    /// In place of a damaged or foreign file (`awslab sandbox reset`).
    Replace,
}

/// A database built whole: put in place (this cache holds its world), or not (its
/// world was not used).
pub(super) enum Built {
    Placed(Cache),
    Lost(World),
}

/// The world a database is seeded with, if it needs one.
pub(super) enum Seed<F> {
    Later(F),
    Made(Box<World>),
}

impl<F: FnOnce() -> World> Seed<F> {
    pub(super) fn world(self) -> World {
        match self {
            Self::Later(seed) => seed(),
            Self::Made(world) => *world,
        }
    }
}

/// Builds a database of `seed`'s world in a private temporary file beside `path`, and
/// puts it at `path` (see [`Placement`]). No other process sees the file while it is
/// built, so it is written without a journal or syncs, switched to WAL mode (which the
/// file keeps), and synced once before it is put in place.
pub(super) fn build(
    path: &Path,
    seed: impl FnOnce() -> World,
    placement: Placement,
) -> Result<Built, StoreError> {
    let temporary = place::temporary(path)?;
    let mut cache = Cache::empty();
    let made = || -> Result<(), Failure> {
        let mut connection = Connection::open(temporary.path())?;
        connection.pragma_update(None, "synchronous", "OFF")?;
        connection.query_row("PRAGMA journal_mode = MEMORY", [], |_| Ok(()))?;
        schema::prepare(&mut connection, &mut cache, seed, Opening::Keep)?;
        connection.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        connection
            .close()
            .map_err(|(_, error)| Failure::from(error))
    };
    made().map_err(|failure| failure_error(temporary.path(), failure))?;
    place::sync(&temporary)?;
    match placement {
        Placement::Link if !place::link(&temporary, path)? => Ok(Built::Lost(cache.world)),
        Placement::Link => Ok(Built::Placed(cache)),
        Placement::Replace => {
            place::replace(temporary, path)?;
            Ok(Built::Placed(cache))
        }
    }
}
