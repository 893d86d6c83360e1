//! Group commit: when a journal line must be durable, and one `fdatasync` for every line
//! written before it. The write-ahead rule needs a record on disk at two kinds of
//! points only: before a call to AWS (an `intent`, a `delete_intent`) and before anyone
//! may read the run's result (a step's `step_finished`, the run's header and its
//! `run_finished`); these are *barrier* records ([`Durability::Barrier`]). Every other
//! record (`created`, `create_failed`, `deleted`, `delete_failed`, `left_on_purpose`)
//! is written at once (a `write`: in the page cache, so it survives a killed process)
//! and made durable by the next barrier's sync, since an `fdatasync` covers every byte
//! written to the file before it. Losing such a record in a power cut leaves the
//! journal a prefix that a kill just before it could also have left (an open intent:
//! "may exist", which teardown looks for), never a gap.
//!
//! Several tasks appending at once share syncs: a barrier record waits until a sync
//! that started after its line was written has finished; while one sync is in flight
//! the records queued behind it are all covered by the next one. An `fdatasync` that
//! fails poisons the log: every later append fails (the kernel may have dropped the
//! dirty pages, so a retry could wrongly report them durable).
//!
//! `AWSLAB_JOURNAL_GROUP_COMMIT=off` restores one `fdatasync` per record, each under
//! the write lock (the behaviour before group commit), for benchmarks. [`Stats`]
//! counts records and syncs so tests can hold the line on how many a run makes.

use std::fs;
use std::io::{self, Write as _};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::JournalError;

/// Whether a record must be on disk before its append returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Durable before the append returns (a barrier of the write-ahead rule).
    Barrier,
    /// Written at once, made durable by the next barrier (or when the journal closes).
    Deferred,
}

/// What a journal has done since it was opened in this process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records appended.
    pub records: u64,
    /// `fsync`/`fdatasync` calls made on the journal and, when it was created here, on
    /// its staged header and its folder.
    pub syncs: u64,
}

#[derive(Debug, Default)]
struct State {
    /// Lines whose `write` finished, counted from 1.
    written: u64,
    /// Lines covered by a finished sync.
    durable: u64,
    syncing: bool,
    /// Why the log refuses appends: a sync or a write failed.
    failed: Option<(io::ErrorKind, String)>,
    stats: Stats,
}

/// The journal file with its write lock, its commit state and its counters.
#[derive(Debug)]
pub(super) struct Log {
    file: fs::File,
    /// Serializes writes: lines never interleave and keep the order of their numbers.
    write: Mutex<()>,
    state: Mutex<State>,
    synced: Condvar,
    group_commit: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether group commit is on (`AWSLAB_JOURNAL_GROUP_COMMIT` is not `off`/`0`/`false`).
pub(super) fn group_commit_from_env() -> bool {
    !std::env::var("AWSLAB_JOURNAL_GROUP_COMMIT")
        .is_ok_and(|value| matches!(value.trim(), "off" | "0" | "false" | "no"))
}

impl Log {
    /// `file` opened for appending; `syncs` already made for it (creating a journal).
    pub(super) fn new(file: fs::File, syncs: u64) -> Self {
        Self {
            file,
            write: Mutex::new(()),
            state: Mutex::new(State {
                stats: Stats { records: 0, syncs },
                ..State::default()
            }),
            synced: Condvar::new(),
            group_commit: group_commit_from_env(),
        }
    }

    /// Whether lines share syncs (else each is synced under the write lock).
    pub(super) fn group_commit(&self) -> bool {
        self.group_commit
    }

    pub(super) fn stats(&self) -> Stats {
        lock(&self.state).stats
    }

    /// Writes `line` (one whole record with its line break), then runs `after_write`
    /// while still holding the write lock (the shared journal's upload, which must see
    /// lines in file order). A [`Durability::Barrier`] line is durable when this returns.
    pub(super) fn append(
        &self,
        line: &[u8],
        durability: Durability,
        after_write: impl FnOnce() -> Result<(), JournalError>,
    ) -> Result<(), AppendError> {
        let seq = {
            let _writing = lock(&self.write);
            self.refuse_if_failed()?;
            if let Err(error) = (&self.file).write_all(line) {
                // A partial line may be on disk: nothing may follow it.
                self.fail(&error);
                return Err(AppendError::Io(error));
            }
            let seq = {
                let mut state = lock(&self.state);
                state.written += 1;
                state.stats.records += 1;
                state.written
            };
            if !self.group_commit {
                let result = self.file.sync_data();
                let mut state = lock(&self.state);
                state.stats.syncs += 1;
                match result {
                    Ok(()) => state.durable = seq,
                    Err(error) => {
                        state.failed = Some((error.kind(), error.to_string()));
                        return Err(AppendError::Io(error));
                    }
                }
            }
            after_write().map_err(AppendError::After)?;
            seq
        };
        match durability {
            Durability::Barrier => self.sync_through(seq).map_err(AppendError::Io),
            Durability::Deferred => Ok(()),
        }
    }

    /// Makes every line written so far durable.
    pub(super) fn sync(&self) -> io::Result<()> {
        let written = lock(&self.state).written;
        self.sync_through(written)
    }

    fn refuse_if_failed(&self) -> Result<(), AppendError> {
        match &lock(&self.state).failed {
            Some((kind, message)) => Err(AppendError::Io(failed_error(*kind, message))),
            None => Ok(()),
        }
    }

    fn fail(&self, error: &io::Error) {
        lock(&self.state).failed = Some((error.kind(), error.to_string()));
    }

    /// Waits until line `seq` is covered by a finished sync, making that sync itself
    /// when none is in flight; it covers every line written when it starts.
    fn sync_through(&self, seq: u64) -> io::Result<()> {
        let mut state = lock(&self.state);
        loop {
            if let Some((kind, message)) = &state.failed {
                return Err(failed_error(*kind, message));
            }
            if state.durable >= seq {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .synced
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.syncing = true;
            let target = state.written;
            drop(state);
            let result = self.file.sync_data();
            state = lock(&self.state);
            state.syncing = false;
            state.stats.syncs += 1;
            match result {
                Ok(()) => state.durable = state.durable.max(target),
                Err(error) => state.failed = Some((error.kind(), error.to_string())),
            }
            self.synced.notify_all();
        }
    }
}

fn failed_error(kind: io::ErrorKind, message: &str) -> io::Error {
    io::Error::new(
        kind,
        format!(
            "an earlier write or sync of the journal failed ({message}); nothing more is appended"
        ),
    )
}

/// Why an append failed: the local file, or what ran after the write.
#[derive(Debug)]
pub(super) enum AppendError {
    Io(io::Error),
    After(JournalError),
}

impl Drop for Log {
    /// A journal closed with deferred lines not yet synced (a command that ended without
    /// a barrier record) syncs them; then says what it did, at `debug`.
    fn drop(&mut self) {
        let pending = {
            let state = lock(&self.state);
            state.failed.is_none() && state.written > state.durable
        };
        if pending {
            let _ = self.sync();
        }
        let stats = self.stats();
        tracing::debug!(
            records = stats.records,
            syncs = stats.syncs,
            group_commit = self.group_commit,
            "journal closed"
        );
    }
}
