//! The rows a lazy cache reads during a transaction ([`RowSource`]), through a second
//! connection of this process. The transaction's own connection holds the write lock
//! (`BEGIN IMMEDIATE`) and writes nothing until it commits, so no other process can
//! commit meanwhile and this connection reads exactly the transaction's snapshot.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension as _, params};

use super::Failure;
use super::connect::connect_reader;
use crate::state::lazy::RowSource;
use crate::state::rows::Kind;

/// Reads rows of `sandbox.db` on demand; keeps the first failure for the transaction.
pub(super) struct Reader {
    path: PathBuf,
    /// Opened on the first read.
    connection: Mutex<Option<Connection>>,
    failure: Mutex<Option<Failure>>,
    /// How many rows it read, for tests.
    read: AtomicU64,
}

impl Reader {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            connection: Mutex::new(None),
            failure: Mutex::new(None),
            read: AtomicU64::new(0),
        }
    }

    /// The first failure since the last call, forgetting it.
    pub(super) fn take_failure(&self) -> Option<Failure> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// How many rows it read so far.
    #[cfg(test)]
    pub(super) fn rows_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    fn counted<T>(&self, rows: usize, found: T) -> T {
        self.read
            .fetch_add(u64::try_from(rows).unwrap_or(u64::MAX), Ordering::Relaxed);
        found
    }

    fn fail(&self, failure: Failure) {
        let mut kept = self.failure.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.is_none() {
            *kept = Some(failure);
        }
    }

    fn with<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if connection.is_none() {
            match connect_reader(&self.path) {
                Ok(opened) => *connection = Some(opened),
                Err(error) => {
                    self.fail(Failure::Database(error));
                    return None;
                }
            }
        }
        match query(connection.as_ref()?) {
            Ok(found) => Some(found),
            Err(error) => {
                self.fail(Failure::Database(error));
                None
            }
        }
    }
}

impl RowSource for Reader {
    fn row(&self, kind: Kind, scope: &str, key: &str) -> Option<String> {
        self.with(|connection| {
            connection
                .prepare_cached(
                    "SELECT data FROM entities WHERE kind = ?1 AND scope = ?2 AND key = ?3",
                )?
                .query_row(params![kind.name(), scope, key], |row| {
                    row.get::<_, Option<String>>(0)
                })
                .optional()
        })
        .flatten()
        .flatten()
        .map(|data| self.counted(1, data))
    }

    fn rows(&self, kind: Kind, scope: &str) -> Vec<(String, String)> {
        self.with(|connection| {
            connection
                .prepare_cached(
                    "SELECT key, data FROM entities WHERE kind = ?1 AND scope = ?2 AND data IS NOT NULL",
                )?
                .query_map(params![kind.name(), scope], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })?
                .collect()
        })
        .map(|rows: Vec<(String, String)>| self.counted(rows.len(), rows))
        .unwrap_or_default()
    }

    fn corrupt(&self, error: serde_json::Error) {
        self.fail(Failure::Json(error));
    }
}
