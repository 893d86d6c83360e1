//! The write-ahead journal of a run: `<state_dir>/runs/<run-id>/journal.jsonl`, one
//! checksummed JSON [`Record`] a line (see [`line`]), each fsynced before
//! [`Journal::append`] returns. The journal comes into existence whole with its header
//! (`run_started`) as its first line, and `run.json` beside it says that the run's
//! journal is checksummed, so an empty, missing or overwritten journal is damage, never
//! "nothing was created". A step appends an `intent` before a mutating call and a
//! result after it, so a run killed at any instant can still be torn down: [`replay`]
//! turns the lines back into the resources that exist or may exist, the step outputs
//! and the run's metadata, tolerates a torn last line and reports any other damage.
//! [`list_runs`] summarizes every run for `awslab runs`; [`RunLock`] keeps two commands
//! off one run.

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
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use crate::resources::ResourceRef;
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

/// An open journal. Cloning shares the file; appends are serialized.
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
    file: Arc<Mutex<fs::File>>,
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
    /// linked into place, so a journal never exists without it. Then writes `run.json`.
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
                file.write_all(b"\n")?;
                file.sync_all()
            })
            .map_err(io_error(&marker))?;
        fs::File::open(&dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(&dir))?;
        let file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_error(&path))?;
        let journal = Self {
            path,
            file: Arc::new(Mutex::new(file)),
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
                    file: Arc::new(Mutex::new(file)),
                    remote: None,
                });
            }
            tracing::warn!(path = %path.display(), dropped_bytes = bytes.len() - keep, "cutting torn last journal line");
            file.set_len(keep as u64)
                .and_then(|()| file.sync_data())
                .map_err(io_error(&path))?;
        }
        Ok(Self {
            path,
            file: Arc::new(Mutex::new(file)),
            remote: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` as one line and fsyncs it before returning. Blocks; from async
    /// code use [`Journal::append_async`].
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let line = line::encode(record)?;
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(io_error(&self.path))?;
        // Under the file's lock, so the shared journal gets the lines in this order.
        match &self.remote {
            Some(remote) => remote.append(line),
            None => Ok(()),
        }
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

    /// [`Journal::append`] on the blocking pool.
    pub async fn append_async(&self, record: Record) -> Result<(), JournalError> {
        let journal = self.clone();
        tokio::task::spawn_blocking(move || journal.append(&record))
            .await
            .map_err(|error| JournalError::Io {
                path: self.path.clone(),
                source: io::Error::other(error),
            })?
    }
}
