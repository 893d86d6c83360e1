//! The durable store: one `SQLite` database (`sandbox.db`, WAL mode, mode 0600) in the
//! state folder. Every transaction is `BEGIN IMMEDIATE`, so processes sharing the
//! folder are serialized by `SQLite`'s own locks; each process caches the world and
//! reloads it only when another process committed a newer version. The world is kept
//! as one JSON document, so a commit costs time in proportion to the world's size
//! (small for labs; see docs/benchmarks.md).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};

use super::{DecisionRecord, KEPT_DECISIONS, Outcome, Store, StoreError, World, is_denial};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS world (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    version INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    explanation TEXT NOT NULL
);";

/// The world in `<state dir>/sandbox.db`.
pub struct SqliteStore {
    path: PathBuf,
    inner: Mutex<Cached>,
}

struct Cached {
    connection: Connection,
    version: i64,
    world: World,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
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

impl SqliteStore {
    /// Opens (or creates, with `seed`'s world) the database in `state_dir`.
    pub fn open(state_dir: &Path, seed: impl FnOnce() -> World) -> Result<Self, StoreError> {
        create_private_folder(state_dir)?;
        let path = state_dir.join("sandbox.db");
        create_private_file(&path)?;
        let database = |source| StoreError::Database {
            path: path.display().to_string(),
            source,
        };
        let connection = Connection::open(&path).map_err(database)?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(database)?;
        set_wal(&connection).map_err(database)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(database)?;
        connection.execute_batch(SCHEMA).map_err(database)?;
        let store = Self {
            path: path.clone(),
            inner: Mutex::new(Cached {
                connection,
                version: -1,
                world: World::default(),
            }),
        };
        store.seed_if_empty(seed)?;
        Ok(store)
    }

    fn database_error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Database {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn seed_if_empty(&self, seed: impl FnOnce() -> World) -> Result<(), StoreError> {
        let mut cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let transaction = cached
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| self.database_error(error))?;
        let exists: Option<i64> = transaction
            .query_row("SELECT version FROM world WHERE id = 0", [], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|error| self.database_error(error))?;
        if exists.is_none() {
            let data = serde_json::to_string(&seed()).map_err(|source| StoreError::Corrupt {
                path: self.path.display().to_string(),
                source,
            })?;
            transaction
                .execute(
                    "INSERT INTO world (id, version, data) VALUES (0, 1, ?1)",
                    params![data],
                )
                .map_err(|error| self.database_error(error))?;
        }
        transaction
            .commit()
            .map_err(|error| self.database_error(error))
    }

    fn write_world(&self, world: &World, reset: bool) -> Result<(), StoreError> {
        let data = serde_json::to_string(world).map_err(|source| StoreError::Corrupt {
            path: self.path.display().to_string(),
            source,
        })?;
        let mut cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let transaction = cached
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| self.database_error(error))?;
        transaction
            .execute(
                "UPDATE world SET version = version + 1, data = ?1 WHERE id = 0",
                params![data],
            )
            .map_err(|error| self.database_error(error))?;
        if reset {
            transaction
                .execute("DELETE FROM decisions", [])
                .map_err(|error| self.database_error(error))?;
        }
        transaction
            .commit()
            .map_err(|error| self.database_error(error))?;
        cached.version = -1;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn transact(&self, change: &mut dyn FnMut(&mut World) -> Outcome) -> Result<(), StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = &mut *guard;
        let transaction = cached
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| self.database_error(error))?;
        let version: i64 = transaction
            .query_row("SELECT version FROM world WHERE id = 0", [], |row| {
                row.get(0)
            })
            .map_err(|error| self.database_error(error))?;
        if version != cached.version {
            let data: String = transaction
                .query_row("SELECT data FROM world WHERE id = 0", [], |row| row.get(0))
                .map_err(|error| self.database_error(error))?;
            cached.world = serde_json::from_str(&data).map_err(|source| StoreError::Corrupt {
                path: self.path.display().to_string(),
                source,
            })?;
            cached.version = version;
        }
        if change(&mut cached.world) == Outcome::Commit {
            let data =
                serde_json::to_string(&cached.world).map_err(|source| StoreError::Corrupt {
                    path: self.path.display().to_string(),
                    source,
                })?;
            let written = transaction.execute(
                "UPDATE world SET version = ?1, data = ?2 WHERE id = 0",
                params![version + 1, data],
            );
            match written.and_then(|_| transaction.commit()) {
                Ok(()) => cached.version = version + 1,
                Err(error) => {
                    cached.version = -1;
                    return Err(self.database_error(error));
                }
            }
        } else {
            transaction
                .commit()
                .map_err(|error| self.database_error(error))?;
        }
        Ok(())
    }

    fn record_decision(&self, record: DecisionRecord) -> Result<(), StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inserted = cached
            .connection
            .execute(
                "INSERT OR REPLACE INTO decisions (request_id, at, explanation) VALUES (?1, ?2, ?3)",
                params![record.request_id, record.at, record.explanation],
            )
            .and_then(|_| {
                let seq = cached.connection.last_insert_rowid();
                let kept = i64::try_from(KEPT_DECISIONS).unwrap_or(i64::MAX);
                if seq % 256 == 0 {
                    cached.connection.execute(
                        "DELETE FROM decisions WHERE seq <= ?1",
                        params![seq - kept],
                    )?;
                }
                Ok(())
            });
        inserted.map_err(|error| self.database_error(error))
    }

    fn decision(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .connection
            .query_row(
                "SELECT request_id, at, explanation FROM decisions WHERE request_id = ?1",
                params![request_id],
                |row| {
                    Ok(DecisionRecord {
                        request_id: row.get(0)?,
                        at: row.get(1)?,
                        explanation: row.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|error| self.database_error(error))
    }

    fn latest_denial(&self) -> Result<Option<DecisionRecord>, StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut statement = cached
            .connection
            .prepare(
                "SELECT request_id, at, explanation FROM decisions WHERE explanation LIKE '%decision: %Deny%' OR explanation LIKE '%decision: denied%' ORDER BY seq DESC LIMIT 1",
            )
            .map_err(|error| self.database_error(error))?;
        let found = statement
            .query_row([], |row| {
                Ok(DecisionRecord {
                    request_id: row.get(0)?,
                    at: row.get(1)?,
                    explanation: row.get(2)?,
                })
            })
            .optional()
            .map_err(|error| self.database_error(error))?;
        Ok(found.filter(is_denial))
    }

    fn replace(&self, world: World) -> Result<(), StoreError> {
        self.write_world(&world, true)
    }
}

fn create_private_folder(path: &Path) -> Result<(), StoreError> {
    let folder_error = |source| StoreError::Folder {
        path: path.display().to_string(),
        source,
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path).map_err(folder_error)
}

/// Creates the database file with mode 0600 before `SQLite` opens it, so the secrets it
/// holds are never readable by others (`SQLite` gives its WAL files the same mode).
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|source| StoreError::Folder {
            path: path.display().to_string(),
            source,
        })
}
