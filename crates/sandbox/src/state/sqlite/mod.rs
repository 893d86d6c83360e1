//! The durable store: one `SQLite` database (`sandbox.db`, WAL mode, mode 0600) in the
//! state folder, with one row per entity (`entities`, see `state::rows`). Every
//! transaction is `BEGIN IMMEDIATE`, so processes sharing the folder are serialized by
//! `SQLite`'s own locks. Each process caches what it read of the world: its tables are
//! lazy (`state::lazy`), so a request reads only the rows it touches (`reader`). A
//! commit writes only the rows the transaction touched, and a process that finds a
//! newer version applies only the rows stamped after its own (`sync`). So a request
//! costs time in proportion to what it reads and changes, not to the world's size.
//!
//! By concern: `connect` (opening, modes, retries, a new file built whole), `schema`
//! (tables, layouts, migrations), `sync` (rows to and from the cache, tombstones),
//! `reader` (lazy reads), `decisions` (the log `explain` reads).

mod connect;
mod decisions;
mod reader;
mod schema;
mod sync;

pub(super) use schema::FORMAT;
#[cfg(test)]
use sync::TOMBSTONE_VERSIONS;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, TransactionBehavior};

use self::connect::{Built, Placement, Seed};
use self::reader::Reader;
use self::schema::Opening;
use super::blobs::SqliteBlobs;
use super::lazy::RowSource;
use super::open::{self, Found};
use super::place;
use super::{Decided, DecisionRecord, Outcome, Store, StoreError, World};

/// The world in `<state dir>/sandbox.db`.
pub struct SqliteStore {
    path: PathBuf,
    inner: Mutex<Cached>,
    /// Object bodies, read on connections of their own.
    blobs: Arc<SqliteBlobs>,
}

struct Cached {
    connection: Connection,
    cache: Cache,
    /// Where the cache's lazy tables read from (the same reader as `source`).
    reader: Arc<Reader>,
    source: Arc<dyn RowSource>,
}

/// This process's copy of the world.
struct Cache {
    /// The version `world` is a copy of; -1 when it must start again from the world's row.
    version: i64,
    world: World,
    /// The world's row of scalars as the database holds it.
    world_row: String,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why a store operation failed, before the path is attached.
enum Failure {
    Database(rusqlite::Error),
    Json(serde_json::Error),
    Format(String),
}

impl From<rusqlite::Error> for Failure {
    fn from(error: rusqlite::Error) -> Self {
        Self::Database(error)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Self {
        Self::Json(error)
    }
}

impl Cache {
    /// A cache that must start again from the world's row.
    fn empty() -> Self {
        Self {
            version: -1,
            world: World::default(),
            world_row: String::new(),
        }
    }
}

fn failure_error(path: &Path, failure: Failure) -> StoreError {
    if let Failure::Database(error) = &failure
        && let Some(damaged) = open::damaged(path, error)
    {
        return damaged;
    }
    let path = path.display().to_string();
    match failure {
        Failure::Database(source) => StoreError::Database { path, source },
        Failure::Json(source) => StoreError::Corrupt { path, source },
        Failure::Format(message) => StoreError::Format { path, message },
    }
}

impl SqliteStore {
    /// Opens (or creates, with `seed`'s world) the database in `state_dir`. A
    /// database of the first layout (the world as one JSON document) is migrated.
    pub fn open(state_dir: &Path, seed: impl FnOnce() -> World) -> Result<Self, StoreError> {
        Self::open_with(state_dir, seed, Opening::Keep)
    }

    /// Opens the database in `state_dir` and replaces whatever it holds, even state
    /// that cannot be read, by `seed`'s world; recorded decisions are forgotten.
    pub fn open_replacing(
        state_dir: &Path,
        seed: impl FnOnce() -> World,
    ) -> Result<Self, StoreError> {
        Self::open_with(state_dir, seed, Opening::Replace)
    }

    fn open_with(
        state_dir: &Path,
        seed: impl FnOnce() -> World,
        opening: Opening,
    ) -> Result<Self, StoreError> {
        place::create_private_folder(state_dir)?;
        place::remove_stale(state_dir);
        let path = state_dir.join(open::FILE_NAME);
        let found = open::inspect(&path);
        // A file of this layout with nothing to migrate is used as it is: no write
        // transaction at open (a reset still replaces it).
        let current = opening == Opening::Keep && matches!(found, Ok(Found::Current));
        let placement = match (found, opening) {
            (Ok(Found::Absent), _) => Some(Placement::Link),
            (Ok(Found::Blank | Found::Ours | Found::Current), _) => None,
            // Only damage is replaced: a file that is busy or unreadable for another
            // reason is left to whoever holds it.
            (Err(StoreError::Damaged { .. }), Opening::Replace) => Some(Placement::Replace),
            (Err(refused), _) => return Err(refused),
        };
        // A new world made here is put in place whole, or lost to another process that
        // put its own there first (then this one seeds nothing, unless it resets).
        let (cache, seed) = match placement {
            Some(placement) => match connect::build(&path, seed, placement)? {
                Built::Placed(cache) => (cache, None),
                Built::Lost(world) => (Cache::empty(), Some(Seed::Made(Box::new(world)))),
            },
            None if current => (Cache::empty(), None),
            None => (Cache::empty(), Some(Seed::Later(seed))),
        };
        let connection = connect::connect(&path).map_err(|source| StoreError::Database {
            path: path.display().to_string(),
            source,
        })?;
        let reader = Arc::new(Reader::new(path.clone()));
        let source: Arc<dyn RowSource> = reader.clone();
        let store = Self {
            blobs: Arc::new(SqliteBlobs::new(path.clone())),
            path,
            inner: Mutex::new(Cached {
                connection,
                cache,
                reader,
                source,
            }),
        };
        if let Some(seed) = seed {
            let mut guard = store.inner.lock().unwrap_or_else(PoisonError::into_inner);
            let Cached {
                connection, cache, ..
            } = &mut *guard;
            let result = schema::prepare(connection, cache, || seed.world(), opening);
            drop(guard);
            result.map_err(|failure| store.error(failure))?;
        }
        Ok(store)
    }

    fn error(&self, failure: Failure) -> StoreError {
        failure_error(&self.path, failure)
    }

    fn database_error(&self, source: rusqlite::Error) -> StoreError {
        self.error(Failure::Database(source))
    }

    /// How many rows this store's connection inserted, updated or deleted so far.
    #[cfg(test)]
    pub(crate) fn rows_changed(&self) -> u64 {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        cached.connection.total_changes()
    }

    /// One transaction (see [`Store::transact_deciding`]): the change, then the
    /// decision, then one commit. A request that changes nothing and decides nothing
    /// commits a transaction that wrote nothing (`SQLite` then writes no log frame).
    fn transact_once(
        &self,
        change: &mut dyn FnMut(&mut World) -> Decided,
    ) -> Result<(), StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Cached {
            connection,
            cache,
            reader,
            source,
        } = &mut *guard;
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| self.database_error(error))?;
        let (version, horizon): (i64, i64) = transaction
            .prepare_cached("SELECT version, horizon FROM meta WHERE id = 0")
            .and_then(|mut statement| statement.query_row([], |row| Ok((row.get(0)?, row.get(1)?))))
            .map_err(|error| self.database_error(error))?;
        if let Err(failure) = sync::refresh(&transaction, cache, source, version, horizon) {
            return Err(self.error(failure));
        }
        cache.world.blobs.begin(self.blobs.clone());
        let Decided { outcome, decision } = change(&mut cache.world);
        // A row the change read could not be read: it may have decided on a world
        // that is not there. Nothing is committed.
        let read = || reader.take_failure().map_or(Ok(()), Err);
        let done = read().and_then(|()| {
            let written = if outcome == Outcome::Commit {
                sync::commit_changes(&transaction, cache, version + 1)?
            } else {
                sync::reload_touched(&transaction, cache, source)?;
                None
            };
            read()?;
            if let Some(decision) = &decision {
                decisions::record(&transaction, decision)?;
            }
            transaction.commit()?;
            if let Some(world_row) = written {
                cache.version = version + 1;
                cache.world_row = world_row;
            }
            Ok(())
        });
        if let Err(failure) = done {
            // The cache may hold what the database does not: start it again.
            cache.version = -1;
            return Err(self.error(failure));
        }
        Ok(())
    }
}

impl Store for SqliteStore {
    fn transact(&self, change: &mut dyn FnMut(&mut World) -> Outcome) -> Result<(), StoreError> {
        self.transact_deciding(&mut |world| Decided {
            outcome: change(world),
            decision: None,
        })
    }

    fn transact_deciding(
        &self,
        change: &mut dyn FnMut(&mut World) -> Decided,
    ) -> Result<(), StoreError> {
        self.transact_once(change).inspect_err(|error| {
            tracing::error!(%error, "the sandbox's state database failed a transaction");
        })
    }

    fn record_decision(&self, record: DecisionRecord) -> Result<(), StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        decisions::record(&cached.connection, &record).map_err(|error| self.database_error(error))
    }

    fn decision(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        decisions::find(&cached.connection, request_id).map_err(|error| self.database_error(error))
    }

    fn latest_denial(&self) -> Result<Option<DecisionRecord>, StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        decisions::latest_denial(&cached.connection).map_err(|error| self.database_error(error))
    }

    fn replace(&self, mut world: World) -> Result<(), StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Cached {
            connection, cache, ..
        } = &mut *guard;
        let result = sync::replace_world(connection, cache, &mut world);
        if result.is_err() {
            cache.version = -1;
        }
        result.map_err(|failure| self.error(failure))
    }
}

#[cfg(test)]
mod tests;
