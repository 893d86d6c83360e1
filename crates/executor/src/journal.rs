//! The write-ahead journal of a run: `<state_dir>/runs/<run-id>/journal.jsonl`, one
//! checksummed JSON [`Record`] a line (see [`line`]). [`Journal::append`] returns once
//! the line is written and, for the records the write-ahead rule needs on disk (an
//! intent before its call, a step's result before its dependents start), synced; one
//! sync covers every line written before it (group commit, see `journal/commit.rs`). The journal comes into existence whole with its header
//! (`run_started`) as its first line, and `run.json` beside it says that the run's
//! journal is checksummed, so an empty, missing or overwritten journal is damage, never
//! "nothing was created". A step appends an `intent` before a mutating call and a
//! result after it, so a run killed at any instant can still be torn down: [`replay`]
//! turns the lines back into the resources that exist or may exist, the step outputs
//! and the run's metadata, tolerates a torn last line and reports any other damage.
//! [`list_runs`] summarizes every run for `awslab runs`; [`RunLock`] keeps two commands
//! off one run.

mod commit;
mod line;
mod listing;
mod lock;
pub mod remote;
mod replay;

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use crate::resources::ResourceRef;
pub use commit::{Durability, Stats};
pub use line::{Damage, LineFault};
pub use listing::{RunSummary, list_runs, timestamp_now};
pub use lock::RunLock;
pub use replay::{JournalState, LiveResource, ResourceState, replay};

/// Identifier of a run, also the name of its directory.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(String);

impl RunId {
    /// A new id from the current UTC time and a random suffix: `20261122-153012-7f3a`.
    pub fn generate() -> Self {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
        let stamp = now
            .format(format)
            .unwrap_or_else(|_| now.unix_timestamp().to_string());
        Self(format!("{stamp}-{:04x}", rand::random::<u16>()))
    }

    /// Accepts an id given by a user: letters, digits, `.`, `_`, `-`, not starting with `.`.
    pub fn parse(value: &str) -> Result<Self, JournalError> {
        let valid = !value.is_empty()
            && !value.starts_with('.')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(JournalError::InvalidRunId {
                value: value.to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One of the plan's accounts as a run reached it: its id, and the operator's
/// profile on a real target (none on the sandbox, or for the default credentials).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// Where a run points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub endpoint: Option<String>,
    pub region: String,
    /// The operator's account (the plan's first account).
    pub account: Option<String>,
    /// The operator's profile, when one was named (`--profile`, `AWS_PROFILE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The plan's accounts by name (`accounts:`), in the plan's order; empty when the
    /// plan names none.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub accounts: IndexMap<String, AccountInfo>,
    /// The state folder of the embedded sandbox the run went to, in this process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<PathBuf>,
}

/// The metadata of a run, its first record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunMeta {
    pub run_id: RunId,
    pub plan_path: String,
    pub plan_name: String,
    pub target: TargetInfo,
    pub vars: IndexMap<String, String>,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// When the run expires (`up --ttl`), RFC 3339 UTC on the target's clock (the
    /// sandbox's own clock on the sandbox); `awslab reap` tears it down after that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// How a run (or its teardown) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Succeeded,
    Failed,
    Interrupted,
    TornDown,
    TeardownIncomplete,
}

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Record {
    RunStarted(RunMeta),
    /// Written before a mutating call.
    Intent {
        step: String,
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    /// Written after the call succeeded, with the ids AWS assigned. (`outputs` is
    /// read from journals written before outputs moved to `step_finished`.)
    Created {
        step: String,
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, String>,
    },
    /// Written only when the call certainly created nothing; after an ambiguous error
    /// (a timeout) leave the intent open so teardown still looks.
    CreateFailed {
        step: String,
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        error: String,
    },
    DeleteIntent {
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    Deleted {
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        /// It was found gone: nothing was deleted.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        already_gone: bool,
    },
    DeleteFailed {
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        error: String,
    },
    /// `down --forget-foreign` found it replaced by someone else's and left it on
    /// purpose: no later teardown looks at it again (and none ever deleted it).
    LeftOnPurpose {
        resource: ResourceRef,
        /// The plan's account it lives in (`accounts:`); absent for the plan's only
        /// account and in journals written before accounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        reason: String,
    },
    /// Written when a step that changes something has finished successfully, with
    /// its outputs (never secrets); a resumed run does not run it again and reads its
    /// outputs from here.
    StepFinished {
        step: String,
        #[serde(default)]
        outputs: IndexMap<String, String>,
    },
    RunFinished {
        status: RunStatus,
    },
}

impl Record {
    /// Whether the write-ahead rule needs this record on disk before its append
    /// returns: the header and the run's end, an intent before its call, a step's
    /// result before its dependents start. A record of what a call did is deferred:
    /// until the next barrier covers it, a power cut leaves its intent open, which
    /// teardown treats as "may exist".
    pub fn durability(&self) -> Durability {
        match self {
            Self::RunStarted(_)
            | Self::Intent { .. }
            | Self::DeleteIntent { .. }
            | Self::StepFinished { .. }
            | Self::RunFinished { .. } => Durability::Barrier,
            Self::Created { .. }
            | Self::CreateFailed { .. }
            | Self::Deleted { .. }
            | Self::DeleteFailed { .. }
            | Self::LeftOnPurpose { .. } => Durability::Deferred,
        }
    }
}

/// Errors of the journal. Any of them stops the engine: a run must not go on without
/// its journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("run id `{value}` is not valid (letters, digits, `.`, `_`, `-`)")]
    InvalidRunId { value: String },
    #[error("run `{run_id}` already exists")]
    RunExists { run_id: RunId },
    #[error("cannot access journal `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot encode a journal record")]
    Encode(#[source] serde_json::Error),
    #[error("run `{run_id}` is in use by {holder}")]
    Locked { run_id: RunId, holder: String },
    #[error(
        "another command wrote the shared journal of run `{run_id}` first (`{key}` exists); this command stopped so the journal stays whole: run `awslab status {run_id}` and go on from what it shows"
    )]
    RaceLost { run_id: RunId, key: String },
    #[error("cannot {what} on the shared state: {detail}")]
    Remote { what: String, detail: String },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_owned(),
        source,
    }
}

/// An open journal. Cloning shares the file; appends are serialized, syncs shared.
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
    log: Arc<commit::Log>,
    /// Where each appended line also goes when the state is shared (`remote`).
    remote: Option<Arc<remote::RemoteAppender>>,
}

impl Journal {
    pub const FILE_NAME: &'static str = "journal.jsonl";

    /// `<state_dir>/runs/<run-id>`.
    pub fn run_dir(state_dir: &Path, run_id: &RunId) -> PathBuf {
        state_dir.join("runs").join(run_id.as_str())
    }

    /// Beside the journal of a run created with checksums; its presence makes an
    /// empty, missing or unchecked journal damage.
    pub const RUN_FILE: &'static str = "run.json";

    /// Creates the run directory (0700) and the journal (0600) with `RunStarted` as
    /// its first line: the header is written and synced to a temporary file first and
    /// linked into place, so a journal never exists without it. Then writes `run.json`
    /// and syncs the folder (two syncs in all).
    pub fn create(state_dir: &Path, meta: RunMeta) -> Result<Self, JournalError> {
        let dir = Self::run_dir(state_dir, &meta.run_id);
        let path = dir.join(Self::FILE_NAME);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_error(&dir))?;
        let header = line::encode(&Record::RunStarted(meta.clone()))?;
        let staged = (|| {
            let mut staged = tempfile::Builder::new()
                .prefix(".journal-")
                .permissions(fs::Permissions::from_mode(0o600))
                .tempfile_in(&dir)?;
            staged.write_all(&header)?;
            staged.as_file().sync_all()?;
            Ok(staged)
        })()
        .map_err(io_error(&path))?;
        match staged.persist_noclobber(&path) {
            Ok(_) => {}
            Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(JournalError::RunExists {
                    run_id: meta.run_id,
                });
            }
            Err(error) => return Err(io_error(&path)(error.error)),
        }
        let marker = dir.join(Self::RUN_FILE);
        fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&marker)
            .and_then(|mut file| {
                file.write_all(br#"{"journal":"journal.jsonl","checksums":"crc32","begins_with":"run_started"}"#)?;
                file.write_all(b"\n")
            })
            .map_err(io_error(&marker))?;
        // Readers ask only whether `run.json` exists: the folder's sync below makes its
        // name durable with the journal's, and its bytes need no sync of their own.
        fs::File::open(&dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(&dir))?;
        let file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        // The staged header and the folder were synced above.
        let journal = Self {
            path,
            log: Arc::new(commit::Log::new(file, 2)),
            remote: None,
        };
        match remote::shared(state_dir) {
            // The header goes to S3 as record 0: a second `up` of this run id loses there.
            Some(shared) => journal.with_remote(shared.appender(&meta.run_id, 0), true),
            None => Ok(journal),
        }
    }

    /// Opens an existing run's journal for appending (to resume or tear it down). A torn
    /// last line is cut off first so the next record starts on a line of its own; a
    /// last record that lacks only its line break gets it (replay counted it).
    /// In a shared state's mirror, later appends also go to S3, numbered after the
    /// records the mirror was pulled with (one line each).
    pub fn open(state_dir: &Path, run_id: &RunId) -> Result<Self, JournalError> {
        let journal = Self::open_local(state_dir, run_id)?;
        let Some(shared) = remote::shared(state_dir) else {
            return Ok(journal);
        };
        let lines = fs::read(&journal.path).map_err(io_error(&journal.path))?;
        let next = lines.split(|&byte| byte == b'\n').count().saturating_sub(1) as u64;
        journal.with_remote(shared.appender(run_id, next), false)
    }

    fn open_local(state_dir: &Path, run_id: &RunId) -> Result<Self, JournalError> {
        let path = Self::run_dir(state_dir, run_id).join(Self::FILE_NAME);
        let bytes = fs::read(&path).map_err(io_error(&path))?;
        let file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            let keep = bytes
                .iter()
                .rposition(|&byte| byte == b'\n')
                .map_or(0, |index| index + 1);
            if line::decode(&bytes[keep..]).is_ok() {
                let mut writer = &file;
                writer
                    .write_all(b"\n")
                    .and_then(|()| file.sync_data())
                    .map_err(io_error(&path))?;
                return Ok(Self {
                    path,
                    log: Arc::new(commit::Log::new(file, 1)),
                    remote: None,
                });
            }
            tracing::warn!(path = %path.display(), dropped_bytes = bytes.len() - keep, "cutting torn last journal line");
            file.set_len(keep as u64)
                .and_then(|()| file.sync_data())
                .map_err(io_error(&path))?;
            return Ok(Self {
                path,
                log: Arc::new(commit::Log::new(file, 1)),
                remote: None,
            });
        }
        Ok(Self {
            path,
            log: Arc::new(commit::Log::new(file, 0)),
            remote: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` as one line. It is written (it survives a killed process) when
    /// this returns, and durable too if the write-ahead rule needs it to be
    /// ([`Record::durability`]); a deferred record becomes durable with the next
    /// barrier record's sync, or [`Journal::sync`]. Blocks; from async code use
    /// [`Journal::append_async`].
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let line = line::encode(record)?;
        // The upload runs under the write lock, so the shared journal gets the lines in
        // the file's order.
        let upload = || match &self.remote {
            Some(remote) => remote.append(line.clone()),
            None => Ok(()),
        };
        self.log
            .append(&line, record.durability(), upload)
            .map_err(|error| match error {
                commit::AppendError::Io(source) => io_error(&self.path)(source),
                commit::AppendError::After(error) => error,
            })
    }

    /// Makes every record appended so far durable.
    pub fn sync(&self) -> Result<(), JournalError> {
        self.log.sync().map_err(io_error(&self.path))
    }

    /// The records appended and the syncs made through this journal (all its clones)
    /// since it was created or opened in this process.
    pub fn stats(&self) -> Stats {
        self.log.stats()
    }

    /// This journal, shared: every later append also goes to S3 as the next record.
    /// With `upload_existing`, the lines already in the local file (a new journal's
    /// header) are sent first.
    pub fn with_remote(
        mut self,
        appender: remote::RemoteAppender,
        upload_existing: bool,
    ) -> Result<Self, JournalError> {
        if upload_existing {
            let bytes = fs::read(&self.path).map_err(io_error(&self.path))?;
            for line in bytes.split_inclusive(|&byte| byte == b'\n') {
                appender.append(line.to_vec())?;
            }
        }
        self.remote = Some(Arc::new(appender));
        Ok(self)
    }

    /// [`Journal::append`] from async code: a deferred record of a local journal is
    /// only a `write`, made here; a barrier (it waits for a sync) or a shared journal's
    /// record (it waits for S3) goes to the blocking pool.
    pub async fn append_async(&self, record: Record) -> Result<(), JournalError> {
        if self.remote.is_none()
            && self.log.group_commit()
            && record.durability() == Durability::Deferred
        {
            return self.append(&record);
        }
        let journal = self.clone();
        tokio::task::spawn_blocking(move || journal.append(&record))
            .await
            .map_err(|error| JournalError::Io {
                path: self.path.clone(),
                source: io::Error::other(error),
            })?
    }
}
