//! The durable store: one `SQLite` database (`sandbox.db`, WAL mode, mode 0600) in the
//! state folder, with one row per entity (`entities`, see `state::rows`). Every
//! transaction is `BEGIN IMMEDIATE`, so processes sharing the folder are serialized by
//! `SQLite`'s own locks. Each process caches the world; a commit writes only the rows
//! the transaction touched and stamps them with the world's next version, and a
//! process that finds a newer version reloads only the rows stamped after its own
//! (deleted entities stay as tombstones for a while, so it sees deletions too). A
//! discarded transaction reloads the rows it touched. So a commit costs time in
//! proportion to what it changed, not to the world's size.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension as _, Transaction, TransactionBehavior, params,
};

use super::blobs::{self, SqliteBlobs};
use super::open::{self, Found};
use super::place;
use super::rows::{self, Change, Kind};
use super::{DecisionRecord, KEPT_DECISIONS, Outcome, Store, StoreError, World};

/// The layout `meta.format` names; a database without `meta` but with a `world` table
/// is the first layout (the world as one JSON document), migrated on open, as is
/// layout 2 (object bodies base64 in their rows; layout 3 keeps them in
/// `blob_chunks`, see `state::blobs`).
pub(super) const FORMAT: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    format INTEGER NOT NULL,
    version INTEGER NOT NULL,
    horizon INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT,
    PRIMARY KEY (kind, scope, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entities_by_version ON entities (version);
CREATE INDEX IF NOT EXISTS tombstones ON entities (version) WHERE data IS NULL;
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    explanation TEXT NOT NULL,
    denied INTEGER NOT NULL DEFAULT 0
);";

/// Every this many versions, tombstones older than this many versions are dropped;
/// a cache older than that reloads the whole world.
const TOMBSTONE_VERSIONS: i64 = 256;

/// The world in `<state dir>/sandbox.db`.
pub struct SqliteStore {
    path: PathBuf,
    inner: Mutex<Cached>,
    /// Object bodies, read on connections of their own.
    blobs: std::sync::Arc<SqliteBlobs>,
}

struct Cached {
    connection: Connection,
    cache: Cache,
}

/// This process's copy of the world.
struct Cache {
    /// The version `world` is a copy of; -1 when it must be reloaded whole.
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

/// What to do with the state a folder already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opening {
    /// Keep it (migrating the one-document layout).
    Keep,
    /// Replace it, readable or not, by the seed world (`awslab sandbox reset`).
    Replace,
}

/// Where a database built whole goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Where no file is, unless another process puts one there first.
    Link,
    /// In place of a damaged or foreign file (`awslab sandbox reset`).
    Replace,
}

/// A database built whole: put in place (this cache holds its world), or not (its
/// world was not used).
enum Built {
    Placed(Cache),
    Lost(World),
}

/// The world a database is seeded with, if it needs one.
enum Seed<F> {
    Later(F),
    Made(Box<World>),
}

impl<F: FnOnce() -> World> Seed<F> {
    fn world(self) -> World {
        match self {
            Self::Later(seed) => seed(),
            Self::Made(world) => *world,
        }
    }
}

impl Cache {
    /// A cache that must be loaded whole.
    fn empty() -> Self {
        Self {
            version: -1,
            world: World::default(),
            world_row: String::new(),
        }
    }
}

/// Builds a database of `seed`'s world in a private temporary file beside `path`, and
/// puts it at `path` (see [`Placement`]). No other process sees the file while it is
/// built, so it is written without a journal or syncs, switched to WAL mode (which the
/// file keeps), and synced once before it is put in place.
fn build(
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
        prepare(&mut connection, &mut cache, seed, Opening::Keep)?;
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
        let database = |source| StoreError::Database {
            path: path.display().to_string(),
            source,
        };
        let placement = match (open::inspect(&path), opening) {
            (Ok(Found::Absent), _) => Some(Placement::Link),
            (Ok(Found::Blank | Found::Ours), _) => None,
            // Only damage is replaced: a file that is busy or unreadable for another
            // reason is left to whoever holds it.
            (Err(StoreError::Damaged { .. }), Opening::Replace) => Some(Placement::Replace),
            (Err(refused), _) => return Err(refused),
        };
        // A new world made here is put in place whole, or lost to another process that
        // put its own there first (then this one seeds nothing, unless it resets).
        let (cache, seed) = match placement {
            Some(placement) => match build(&path, seed, placement)? {
                Built::Placed(cache) => (cache, None),
                Built::Lost(world) => (Cache::empty(), Some(Seed::Made(Box::new(world)))),
            },
            None => (Cache::empty(), Some(Seed::Later(seed))),
        };
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(database)?;
        connection
            .busy_timeout(Duration::from_secs(30))
            .map_err(database)?;
        set_wal(&connection).map_err(database)?;
        connection
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(database)?;
        let store = Self {
            path: path.clone(),
            inner: Mutex::new(Cached { connection, cache }),
            blobs: std::sync::Arc::new(SqliteBlobs::new(path.clone())),
        };
        if let Some(seed) = seed {
            let mut guard = store.inner.lock().unwrap_or_else(PoisonError::into_inner);
            let Cached { connection, cache } = &mut *guard;
            let result = prepare(connection, cache, || seed.world(), opening);
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
}

/// Makes the database current: creates it with `seed`'s world, migrates the first
/// layout, checks the format, or (`Opening::Replace`) replaces it. Leaves the cache
/// holding the world when it wrote one.
fn prepare(
    connection: &mut Connection,
    cached: &mut Cache,
    seed: impl FnOnce() -> World,
    opening: Opening,
) -> Result<(), Failure> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_table = |name: &str| -> Result<bool, rusqlite::Error> {
        transaction.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            params![name],
            |row| row.get::<_, i64>(0).map(|count| count > 0),
        )
    };
    let legacy = has_table("world")?;
    let format: Option<i64> = if has_table("meta")? {
        Some(
            transaction
                .query_row("SELECT format FROM meta WHERE id = 0", [], |row| row.get(0))
                .optional()?
                .unwrap_or(0),
        )
    } else {
        None
    };
    match (opening, format) {
        (Opening::Keep, Some(FORMAT)) => {
            add_denied_column(&transaction)?;
            return transaction.commit().map_err(Failure::from);
        }
        (Opening::Keep, Some(2)) => {
            add_denied_column(&transaction)?;
            blobs::migrate_rows(&transaction)?;
            transaction.execute("UPDATE meta SET format = ?1 WHERE id = 0", params![FORMAT])?;
            return transaction.commit().map_err(Failure::from);
        }
        (Opening::Keep, Some(0)) => {
            return Err(Failure::Format("the `meta` row is missing".to_owned()));
        }
        (Opening::Keep, Some(other)) => {
            return Err(Failure::Format(format!(
                "layout {other}, while this awslab reads layout {FORMAT} (was it written by a newer awslab?)"
            )));
        }
        (Opening::Replace, Some(FORMAT)) => {
            // Keep the version counting up, so other processes' caches see the change.
            transaction.execute("DROP TABLE IF EXISTS world", [])?;
            transaction.commit()?;
            return replace_world(connection, cached, &mut seed());
        }
        (Opening::Replace, _) => transaction.execute_batch(
            "DROP TABLE IF EXISTS world; DROP TABLE IF EXISTS meta;
             DROP TABLE IF EXISTS entities; DROP TABLE IF EXISTS decisions;
             DROP TABLE IF EXISTS blob_chunks;",
        )?,
        (Opening::Keep, None) => {}
    }
    transaction.execute_batch(SCHEMA)?;
    transaction.execute_batch(blobs::SCHEMA)?;
    add_denied_column(&transaction)?;
    let mut world = if legacy && opening == Opening::Keep {
        let data: Option<String> = transaction
            .query_row("SELECT data FROM world WHERE id = 0", [], |row| row.get(0))
            .optional()?;
        match data {
            Some(data) => serde_json::from_str(&data)?,
            None => seed(),
        }
    } else {
        seed()
    };
    blobs::adopt_world(&transaction, &mut world)?;
    let changes = rows::all_rows(&mut world)?;
    write_rows(&transaction, 1, &changes)?;
    if legacy {
        transaction.execute("DROP TABLE IF EXISTS world", [])?;
    }
    transaction.execute(
        "INSERT INTO meta (id, format, version, horizon) VALUES (0, ?1, 1, 1)",
        params![FORMAT],
    )?;
    transaction.commit()?;
    cached.world_row = rows::world_row(&mut world)?;
    cached.world = world;
    cached.version = 1;
    Ok(())
}

/// Gives `decisions` its `denied` column, which the first databases of this layout
/// lack; their denials are found, once, by the verdict line of the explanation.
fn add_denied_column(transaction: &Transaction<'_>) -> Result<(), rusqlite::Error> {
    let has_column: bool = transaction.query_row(
        "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'denied'",
        [],
        |row| row.get::<_, i64>(0).map(|count| count > 0),
    )?;
    if has_column {
        return Ok(());
    }
    transaction.execute_batch(
        "ALTER TABLE decisions ADD COLUMN denied INTEGER NOT NULL DEFAULT 0;
         UPDATE decisions SET denied = 1
             WHERE explanation GLOB ('*' || char(10) || 'decision: implicitDeny *')
                OR explanation GLOB ('*' || char(10) || 'decision: explicitDeny *')
                OR explanation GLOB ('*' || char(10) || 'decision: denied *');",
    )
}

/// Writes `changes` with `version`: upserts rows (a deleted entity becomes a
/// tombstone) and, for an account or bucket written whole, first turns the rows under
/// it into tombstones.
fn write_rows(
    transaction: &Transaction<'_>,
    version: i64,
    changes: &[Change],
) -> Result<(), rusqlite::Error> {
    let mut upsert = transaction.prepare_cached(
        "INSERT INTO entities (kind, scope, key, version, data) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, scope, key) DO UPDATE SET version = excluded.version, data = excluded.data",
    )?;
    let mut clear = transaction.prepare_cached(
        "UPDATE entities SET version = ?1, data = NULL WHERE kind = ?2 AND scope = ?3 AND data IS NOT NULL",
    )?;
    for change in changes {
        if change.whole {
            for child in change.kind.children() {
                clear.execute(params![version, child.name(), change.key])?;
            }
        }
        upsert.execute(params![
            change.kind.name(),
            change.scope,
            change.key,
            version,
            change.data
        ])?;
    }
    Ok(())
}

/// A row read back: kind, scope, key, data.
type Row = (Kind, String, String, Option<String>);

fn read_rows(
    transaction: &Transaction<'_>,
    sql: &str,
    parameters: impl rusqlite::Params,
) -> Result<Vec<Row>, Failure> {
    let mut statement = transaction.prepare_cached(sql)?;
    let found = statement
        .query_map(parameters, |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::with_capacity(found.len());
    for (kind, scope, key, data) in found {
        let kind = Kind::from_name(&kind)
            .ok_or_else(|| Failure::Format(format!("an entity of unknown kind `{kind}`")))?;
        rows.push((kind, scope, key, data));
    }
    // Parents before what hangs under them.
    rows.sort_by_key(|row| row.0);
    Ok(rows)
}

/// Applies `rows` to the cache; an account or bucket new to the cache gets the rows
/// under it loaded too.
fn apply_rows(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    rows: Vec<Row>,
) -> Result<(), Failure> {
    for (kind, scope, key, data) in rows {
        if kind == Kind::World
            && let Some(data) = &data
        {
            cached.world_row.clone_from(data);
        }
        if rows::apply(&mut cached.world, kind, &scope, &key, data.as_deref())? {
            load_children(transaction, cached, kind, &key)?;
        }
    }
    Ok(())
}

fn load_children(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    kind: Kind,
    scope: &str,
) -> Result<(), Failure> {
    for child in kind.children() {
        let rows = read_rows(
            transaction,
            "SELECT kind, scope, key, data FROM entities WHERE kind = ?1 AND scope = ?2 AND data IS NOT NULL",
            params![child.name(), scope],
        )?;
        for (kind, scope, key, data) in rows {
            rows::apply(&mut cached.world, kind, &scope, &key, data.as_deref())?;
        }
    }
    Ok(())
}

/// Brings the cache to `version`: only the rows changed since the cached version, or
/// everything when the cache is older than the kept tombstones.
fn refresh(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    version: i64,
    horizon: i64,
) -> Result<(), Failure> {
    if cached.version == version {
        return Ok(());
    }
    let since = cached.version;
    // Until this succeeds the cache is not a copy of any version.
    cached.version = -1;
    if since >= horizon {
        let rows = read_rows(
            transaction,
            "SELECT kind, scope, key, data FROM entities WHERE version > ?1",
            params![since],
        )?;
        apply_rows(transaction, cached, rows)?;
    } else {
        cached.world = World::default();
        let rows = read_rows(
            transaction,
            "SELECT kind, scope, key, data FROM entities WHERE data IS NOT NULL",
            [],
        )?;
        if rows.first().is_none_or(|row| row.0 != Kind::World) {
            return Err(Failure::Format("the world's row is missing".to_owned()));
        }
        apply_rows(transaction, cached, rows)?;
    }
    cached.version = version;
    Ok(())
}

/// Writes what the transaction touched as `version`; returns the world's row when
/// anything was written, `None` when nothing changed (the version stays).
fn commit_changes(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    version: i64,
) -> Result<Option<String>, Failure> {
    blobs::commit(transaction, &mut cached.world.blobs)?;
    let changes = rows::take_changes(&mut cached.world, true)?;
    let world_row = rows::world_row(&mut cached.world)?;
    let scalars_changed = world_row != cached.world_row;
    if changes.is_empty() && !scalars_changed {
        return Ok(None);
    }
    write_rows(transaction, version, &changes)?;
    if scalars_changed {
        write_rows(
            transaction,
            version,
            &[Change {
                kind: Kind::World,
                scope: String::new(),
                key: String::new(),
                data: Some(world_row.clone()),
                whole: false,
            }],
        )?;
    }
    transaction.execute(
        "UPDATE meta SET version = ?1 WHERE id = 0",
        params![version],
    )?;
    if version % TOMBSTONE_VERSIONS == 0 {
        let horizon = version - TOMBSTONE_VERSIONS;
        transaction.execute(
            "DELETE FROM entities WHERE data IS NULL AND version <= ?1",
            params![horizon],
        )?;
        transaction.execute(
            "UPDATE meta SET horizon = max(horizon, ?1) WHERE id = 0",
            params![horizon],
        )?;
    }
    Ok(Some(world_row))
}

/// Undoes a discarded transaction in the cache: reloads the rows it touched.
fn reload_touched(transaction: &Transaction<'_>, cached: &mut Cache) -> Result<(), Failure> {
    let changes = rows::take_changes(&mut cached.world, false)?;
    for change in changes {
        if change.whole {
            // Inserted or removed as a whole: forget it, then load it and what hangs
            // under it afresh.
            match change.kind {
                Kind::Account => cached
                    .world
                    .accounts
                    .set_untracked(change.key.clone(), None),
                Kind::Bucket => cached.world.buckets.set_untracked(change.key.clone(), None),
                _ => {}
            }
        }
        let data: Option<String> = transaction
            .prepare_cached(
                "SELECT data FROM entities WHERE kind = ?1 AND scope = ?2 AND key = ?3",
            )?
            .query_row(
                params![change.kind.name(), change.scope, change.key],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        if rows::apply(
            &mut cached.world,
            change.kind,
            &change.scope,
            &change.key,
            data.as_deref(),
        )? {
            load_children(transaction, cached, change.kind, &change.key)?;
        }
    }
    if rows::world_row(&mut cached.world)? != cached.world_row {
        let row = cached.world_row.clone();
        rows::apply(&mut cached.world, Kind::World, "", "", Some(&row))?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn transact(&self, change: &mut dyn FnMut(&mut World) -> Outcome) -> Result<(), StoreError> {
        self.transact_once(change).inspect_err(|error| {
            tracing::error!(%error, "the sandbox's state database failed a transaction");
        })
    }

    fn record_decision(&self, record: DecisionRecord) -> Result<(), StoreError> {
        let cached = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let inserted = cached
            .connection
            .execute(
                "INSERT OR REPLACE INTO decisions (request_id, at, explanation, denied) VALUES (?1, ?2, ?3, ?4)",
                params![record.request_id, record.at, record.explanation, record.denied],
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
                "SELECT request_id, at, explanation, denied FROM decisions WHERE request_id = ?1",
                params![request_id],
                |row| {
                    Ok(DecisionRecord {
                        request_id: row.get(0)?,
                        at: row.get(1)?,
                        explanation: row.get(2)?,
                        denied: row.get(3)?,
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
                "SELECT request_id, at, explanation, denied FROM decisions WHERE denied = 1 ORDER BY seq DESC LIMIT 1",
            )
            .map_err(|error| self.database_error(error))?;
        let found = statement
            .query_row([], |row| {
                Ok(DecisionRecord {
                    request_id: row.get(0)?,
                    at: row.get(1)?,
                    explanation: row.get(2)?,
                    denied: row.get(3)?,
                })
            })
            .optional()
            .map_err(|error| self.database_error(error))?;
        Ok(found)
    }

    fn replace(&self, mut world: World) -> Result<(), StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Cached { connection, cache } = &mut *guard;
        let result = replace_world(connection, cache, &mut world);
        if result.is_err() {
            cache.version = -1;
        }
        result.map_err(|failure| self.error(failure))
    }
}

impl SqliteStore {
    /// One transaction (see [`Store::transact`]).
    fn transact_once(
        &self,
        change: &mut dyn FnMut(&mut World) -> Outcome,
    ) -> Result<(), StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let Cached { connection, cache } = &mut *guard;
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| self.database_error(error))?;
        let (version, horizon): (i64, i64) = transaction
            .query_row(
                "SELECT version, horizon FROM meta WHERE id = 0",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|error| self.database_error(error))?;
        if let Err(failure) = refresh(&transaction, cache, version, horizon) {
            cache.version = -1;
            return Err(self.error(failure));
        }
        cache.world.blobs.begin(self.blobs.clone());
        let outcome = change(&mut cache.world);
        let done = if outcome == Outcome::Commit {
            commit_changes(&transaction, cache, version + 1).and_then(|written| {
                transaction.commit()?;
                if let Some(world_row) = written {
                    cache.version = version + 1;
                    cache.world_row = world_row;
                }
                Ok(())
            })
        } else {
            reload_touched(&transaction, cache)
                .and_then(|()| transaction.commit().map_err(Failure::from))
        };
        if let Err(failure) = done {
            // The cache may hold what the database does not: reload it whole.
            cache.version = -1;
            return Err(self.error(failure));
        }
        Ok(())
    }
}

/// Replaces every row by `world`'s, as a version no cache can update itself to
/// (the horizon moves past every tombstone), and forgets decisions.
fn replace_world(
    connection: &mut Connection,
    cache: &mut Cache,
    world: &mut World,
) -> Result<(), Failure> {
    let changes = rows::all_rows(world)?;
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 =
        transaction.query_row("SELECT version FROM meta WHERE id = 0", [], |row| {
            row.get(0)
        })?;
    let version = version + 1;
    transaction.execute("DELETE FROM entities", [])?;
    blobs::clear(&transaction)?;
    write_rows(&transaction, version, &changes)?;
    transaction.execute(
        "UPDATE meta SET version = ?1, horizon = ?1 WHERE id = 0",
        params![version],
    )?;
    transaction.execute("DELETE FROM decisions", [])?;
    transaction.commit()?;
    cache.world_row = rows::world_row(world)?;
    cache.world = std::mem::take(world);
    cache.version = version;
    Ok(())
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
