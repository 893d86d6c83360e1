//! Row sync between the `entities` table and this process's cache. A commit writes
//! only the rows the transaction touched, stamped with the world's next version; a
//! deleted entity stays as a tombstone for [`TOMBSTONE_VERSIONS`] versions. A cache at
//! an older version applies only the rows stamped after its own, which updates every
//! row it holds (rows it never read need nothing); a cache older than the kept
//! tombstones starts again from the world's row alone, its tables lazy. A discarded
//! transaction reloads the rows it touched.

use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

use super::{Cache, Failure};
use crate::state::lazy::RowSource;
use crate::state::rows::{self, Change, Kind};
use crate::state::{World, blobs};

/// Every this many versions, tombstones older than this many versions are dropped;
/// a cache older than that starts again from the world's row.
pub(super) const TOMBSTONE_VERSIONS: i64 = 256;

/// Writes `changes` with `version`: upserts rows (a deleted entity becomes a
/// tombstone) and, for an account or bucket written whole, first turns the rows under
/// it into tombstones.
pub(super) fn write_rows(
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

/// Brings the cache to `version`: only the rows changed since the cached version, or
/// (a cache older than the kept tombstones) the world's row alone, every table lazy.
pub(super) fn refresh(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    source: &Arc<dyn RowSource>,
    version: i64,
    horizon: i64,
) -> Result<(), Failure> {
    if cached.version == version {
        return Ok(());
    }
    let since = cached.version;
    if since >= horizon {
        // A failure leaves the version as it was: the next transaction applies the
        // same rows again (applying a row twice is applying it once), and fails the
        // same way while they cannot be read.
        let rows = read_rows(
            transaction,
            "SELECT kind, scope, key, data FROM entities WHERE version > ?1",
            params![since],
        )?;
        for (kind, scope, key, data) in rows {
            if kind == Kind::World
                && let Some(data) = &data
            {
                cached.world_row.clone_from(data);
            }
            rows::apply(
                &mut cached.world,
                source,
                kind,
                &scope,
                &key,
                data.as_deref(),
            )?;
        }
    } else {
        let data: Option<String> = transaction
            .prepare_cached(
                "SELECT data FROM entities WHERE kind = ?1 AND scope = '' AND key = ''",
            )?
            .query_row(params![Kind::World.name()], |row| row.get(0))
            .optional()?
            .flatten();
        let Some(data) = data else {
            return Err(Failure::Format("the world's row is missing".to_owned()));
        };
        check_kinds(transaction)?;
        cached.version = -1;
        cached.world = rows::lazy_world(&data, source)?;
        cached.world_row = data;
    }
    cached.version = version;
    Ok(())
}

/// Fails on a row of a kind this awslab does not know, which a lazy cache would never
/// read: one index seek per kind the table holds, not a scan.
fn check_kinds(transaction: &Transaction<'_>) -> Result<(), Failure> {
    let mut next = transaction.prepare_cached("SELECT min(kind) FROM entities WHERE kind > ?1")?;
    let mut kind: Option<String> =
        transaction.query_row("SELECT min(kind) FROM entities", [], |row| row.get(0))?;
    while let Some(name) = kind {
        if Kind::from_name(&name).is_none() {
            return Err(Failure::Format(format!(
                "an entity of unknown kind `{name}`"
            )));
        }
        kind = next.query_row(params![name], |row| row.get(0))?;
    }
    Ok(())
}

/// Writes what the transaction touched as `version`; returns the world's row when
/// anything was written, `None` when nothing changed (the version stays).
pub(super) fn commit_changes(
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
    transaction
        .prepare_cached("UPDATE meta SET version = ?1 WHERE id = 0")?
        .execute(params![version])?;
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

/// Undoes a discarded transaction in the cache: reloads the rows it touched (an
/// account or bucket inserted or removed whole comes back with lazy tables).
pub(super) fn reload_touched(
    transaction: &Transaction<'_>,
    cached: &mut Cache,
    source: &Arc<dyn RowSource>,
) -> Result<(), Failure> {
    let changes = rows::take_changes(&mut cached.world, false)?;
    for change in changes {
        if change.whole {
            // Forget it, then load it afresh.
            rows::apply(
                &mut cached.world,
                source,
                change.kind,
                "",
                &change.key,
                None,
            )?;
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
        rows::apply(
            &mut cached.world,
            source,
            change.kind,
            &change.scope,
            &change.key,
            data.as_deref(),
        )?;
    }
    if rows::world_row(&mut cached.world)? != cached.world_row {
        let row = cached.world_row.clone();
        rows::apply(&mut cached.world, source, Kind::World, "", "", Some(&row))?;
    }
    Ok(())
}

/// Replaces every row by `world`'s, as a version no cache can update itself to
/// (the horizon moves past every tombstone), and forgets decisions.
pub(super) fn replace_world(
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
