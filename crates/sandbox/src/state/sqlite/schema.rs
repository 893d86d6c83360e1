//! The database's tables and layouts: the schema of layout [`FORMAT`], and what an
//! opening does with what a file holds (creates it, migrates the first layout, refuses
//! an unknown one, or replaces it for `awslab sandbox reset`).

use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

use super::sync::{replace_world, write_rows};
use super::{Cache, Failure};
use crate::state::blobs;
use crate::state::{World, rows};

/// The layout `meta.format` names; a database without `meta` but with a `world` table
/// is the first layout (the world as one JSON document), migrated on open, as are
/// layout 2 (every object body base64 in its row; layout 3 keeps them in
/// `blob_chunks`, see `state::blobs`) and layout 3 (layout 4 keeps an object of at most
/// `blobs::IN_ROW_BYTES` in its row again, which an awslab of layout 3 would misread).
pub(in crate::state) const FORMAT: i64 = 4;

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

/// What to do with the state a folder already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opening {
    /// Keep it (migrating the one-document layout).
    Keep,
    /// Replace it, readable or not, by the seed world (`awslab sandbox reset`).
    Replace,
}

/// Makes the database current: creates it with `seed`'s world, migrates the first
/// layout, checks the format, or (`Opening::Replace`) replaces it. Leaves the cache
/// holding the world when it wrote one.
pub(super) fn prepare(
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
        (Opening::Keep, Some(3)) => {
            // Its bodies, every one in blobs, are read as they are; new small objects
            // go in their rows.
            add_denied_column(&transaction)?;
            transaction.execute("UPDATE meta SET format = ?1 WHERE id = 0", params![FORMAT])?;
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
/// lack. Only the dispatcher knows whether a request was denied, so the decisions
/// recorded before it are left `NULL`: unknown, never guessed from their text (see
/// `decisions`).
fn add_denied_column(transaction: &Transaction<'_>) -> Result<(), rusqlite::Error> {
    let has_column: bool = transaction.query_row(
        "SELECT count(*) FROM pragma_table_info('decisions') WHERE name = 'denied'",
        [],
        |row| row.get::<_, i64>(0).map(|count| count > 0),
    )?;
    if has_column {
        return Ok(());
    }
    transaction.execute_batch("ALTER TABLE decisions ADD COLUMN denied INTEGER")
}
