//! Every run in a state folder, summarized for `awslab runs` and for `down` without a
//! run named: its plan, start, status, how many resources its journal says are left,
//! and whether the journal is damaged (then the count proves nothing).

use std::fs;
use std::io;
use std::path::Path;

use super::{Journal, JournalError, RunId, RunStatus, io_error, replay};

/// One run, as `awslab runs` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunSummary {
    pub run_id: RunId,
    pub plan_name: Option<String>,
    pub started_at: Option<String>,
    pub status: Option<RunStatus>,
    pub live_resources: usize,
    /// What is wrong with the run's journal, if anything: `live_resources` counts
    /// only what could be read.
    pub damage: Option<String>,
    /// When the run expires (`up --ttl`), as its journal says.
    pub expires_at: Option<String>,
}

impl RunSummary {
    /// Whether `down` may have something to do: resources left, or a journal that
    /// cannot prove there are none.
    pub fn needs_teardown(&self) -> bool {
        self.live_resources > 0 || self.damage.is_some()
    }
}

/// Every run under `<state_dir>/runs`, oldest first. A missing directory is no runs; a
/// run folder with a journal or a `run.json` is a run, damaged or not.
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
        if !path.is_file() && !entry.path().join(Journal::RUN_FILE).is_file() {
            continue;
        }
        let summary = match replay(&path) {
            Ok(state) => RunSummary {
                run_id,
                plan_name: state.meta.as_ref().map(|meta| meta.plan_name.clone()),
                started_at: state.meta.as_ref().map(|meta| meta.started_at.clone()),
                status: state.status,
                live_resources: state.resources.len(),
                damage: state.is_damaged().then(|| state.damage_text()),
                expires_at: state.meta.as_ref().and_then(|meta| meta.expires_at.clone()),
            },
            Err(error) => RunSummary {
                run_id,
                plan_name: None,
                started_at: None,
                status: None,
                live_resources: 0,
                damage: Some(error.to_string()),
                expires_at: None,
            },
        };
        runs.push(summary);
    }
    runs.sort_by(|a, b| (&a.started_at, &a.run_id).cmp(&(&b.started_at, &b.run_id)));
    Ok(runs)
}

/// The current UTC time as RFC 3339, for [`super::RunMeta::started_at`].
pub fn timestamp_now() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}
