//! The decisions log for `awslab sandbox explain`: one row per request, the most
//! recent [`KEPT_DECISIONS`] kept. Whether a request was denied is the dispatcher's
//! `DecisionRecord::denied`, stored as it is; a decision recorded by an awslab that
//! did not keep it has `denied` `NULL` (unknown): it is never the latest denial, and
//! its explanation says so.

use rusqlite::{Connection, OptionalExtension as _, Row, params};

use crate::state::{DecisionRecord, KEPT_DECISIONS};

/// What `explain` adds to a decision whose denial is unknown.
pub(super) const UNKNOWN_DENIAL: &str = "note: recorded by an older awslab, which did not keep whether the request was denied; `explain` of the latest denial skips it\n";

/// Every this many decisions, the ones older than the kept are dropped.
const PRUNE_EVERY: i64 = 256;

/// Inserts `record`, in the caller's transaction (a request's own, so its decision is
/// committed with it: see `Store::transact_deciding`); prepared once per connection.
pub(super) fn record(connection: &Connection, record: &DecisionRecord) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT OR REPLACE INTO decisions (request_id, at, explanation, denied) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![record.request_id, record.at, record.explanation, record.denied])?;
    let seq = connection.last_insert_rowid();
    let kept = i64::try_from(KEPT_DECISIONS).unwrap_or(i64::MAX);
    if seq % PRUNE_EVERY == 0 {
        connection
            .prepare_cached("DELETE FROM decisions WHERE seq <= ?1")?
            .execute(params![seq - kept])?;
    }
    Ok(())
}

fn read(row: &Row<'_>) -> rusqlite::Result<DecisionRecord> {
    let denied: Option<bool> = row.get(3)?;
    let mut explanation: String = row.get(2)?;
    if denied.is_none() {
        if !explanation.ends_with('\n') {
            explanation.push('\n');
        }
        explanation.push_str(UNKNOWN_DENIAL);
    }
    Ok(DecisionRecord {
        request_id: row.get(0)?,
        at: row.get(1)?,
        explanation,
        denied: denied.unwrap_or(false),
    })
}

pub(super) fn find(
    connection: &Connection,
    request_id: &str,
) -> rusqlite::Result<Option<DecisionRecord>> {
    connection
        .prepare_cached(
            "SELECT request_id, at, explanation, denied FROM decisions WHERE request_id = ?1",
        )?
        .query_row(params![request_id], read)
        .optional()
}

pub(super) fn latest_denial(connection: &Connection) -> rusqlite::Result<Option<DecisionRecord>> {
    connection
        .prepare_cached(
            "SELECT request_id, at, explanation, denied FROM decisions WHERE denied = 1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([], read)
        .optional()
}
