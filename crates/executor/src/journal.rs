//! The write-ahead journal of a run: `<state_dir>/runs/<run-id>/journal.jsonl`, one
//! JSON [`Record`] a line, each fsynced before [`Journal::append`] returns. A step
//! appends an `intent` before a mutating call and a result after it, so a run killed at
//! any instant can still be torn down: [`replay`] turns the lines back into the
//! resources that exist or may exist, the step outputs and the run's metadata, and
//! tolerates a torn last line. [`list_runs`] summarizes every run for `awslab runs`.

mod replay;

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use crate::resources::ResourceRef;
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

/// Where a run points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetInfo {
    pub endpoint: Option<String>,
    pub region: String,
    pub account: Option<String>,
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
    },
    /// Written after the call succeeded, with the ids AWS assigned. (`outputs` is
    /// read from journals written before outputs moved to `step_finished`.)
    Created {
        step: String,
        resource: ResourceRef,
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        outputs: IndexMap<String, String>,
    },
    /// Written only when the call certainly created nothing; after an ambiguous error
    /// (a timeout) leave the intent open so teardown still looks.
    CreateFailed {
        step: String,
        resource: ResourceRef,
        error: String,
    },
    DeleteIntent {
        resource: ResourceRef,
    },
    Deleted {
        resource: ResourceRef,
        /// It was found gone: nothing was deleted.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        already_gone: bool,
    },
    DeleteFailed {
        resource: ResourceRef,
        error: String,
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
}

impl Journal {
    pub const FILE_NAME: &'static str = "journal.jsonl";

    /// `<state_dir>/runs/<run-id>`.
    pub fn run_dir(state_dir: &Path, run_id: &RunId) -> PathBuf {
        state_dir.join("runs").join(run_id.as_str())
    }

    /// Creates the run directory (0700) and journal (0600) and appends `RunStarted`.
    pub fn create(state_dir: &Path, meta: RunMeta) -> Result<Self, JournalError> {
        let dir = Self::run_dir(state_dir, &meta.run_id);
        let path = dir.join(Self::FILE_NAME);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_error(&dir))?;
        let file = fs::OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&path);
        let file = match file {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(JournalError::RunExists {
                    run_id: meta.run_id,
                });
            }
            Err(source) => return Err(JournalError::Io { path, source }),
        };
        fs::File::open(&dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error(&dir))?;
        let journal = Self {
            path,
            file: Arc::new(Mutex::new(file)),
        };
        journal.append(&Record::RunStarted(meta))?;
        Ok(journal)
    }

    /// Opens an existing run's journal for appending (to resume or tear it down). A torn
    /// last line is cut off first so the next record starts on a line of its own.
    pub fn open(state_dir: &Path, run_id: &RunId) -> Result<Self, JournalError> {
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
            tracing::warn!(path = %path.display(), dropped_bytes = bytes.len() - keep, "cutting torn last journal line");
            file.set_len(keep as u64)
                .and_then(|()| file.sync_data())
                .map_err(io_error(&path))?;
        }
        Ok(Self {
            path,
            file: Arc::new(Mutex::new(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `record` as one line and fsyncs it before returning. Blocks; from async
    /// code use [`Journal::append_async`].
    pub fn append(&self, record: &Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(record).map_err(JournalError::Encode)?;
        line.push(b'\n');
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(io_error(&self.path))
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

/// One run, as `awslab runs` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: RunId,
    pub plan_name: Option<String>,
    pub started_at: Option<String>,
    pub status: Option<RunStatus>,
    pub live_resources: usize,
}

/// Every run under `<state_dir>/runs`, oldest first. A missing directory is no runs.
pub fn list_runs(state_dir: &Path) -> Result<Vec<RunSummary>, JournalError> {
    let runs_dir = state_dir.join("runs");
    let entries = match fs::read_dir(&runs_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(JournalError::Io {
                path: runs_dir,
                source,
            });
        }
    };
    let mut runs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_error(&runs_dir))?;
        let Some(run_id) = entry
            .file_name()
            .to_str()
            .and_then(|name| RunId::parse(name).ok())
        else {
            continue;
        };
        let path = entry.path().join(Journal::FILE_NAME);
        if !path.is_file() {
            continue;
        }
        let state = replay(&path)?;
        runs.push(RunSummary {
            run_id,
            plan_name: state.meta.as_ref().map(|meta| meta.plan_name.clone()),
            started_at: state.meta.as_ref().map(|meta| meta.started_at.clone()),
            status: state.status,
            live_resources: state.resources.len(),
        });
    }
    runs.sort_by(|a, b| (&a.started_at, &a.run_id).cmp(&(&b.started_at, &b.run_id)));
    Ok(runs)
}

/// The current UTC time as RFC 3339, for [`RunMeta::started_at`].
pub fn timestamp_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}
