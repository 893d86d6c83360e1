//! What the commands about existing runs (`down`, `status`, `runs`, `env`) share:
//! which run a command means, its journal's path, its lock, its status in words.

use std::path::Path;

use awslab_executor::{Journal, JournalError, RunId, RunLock, RunStatus, list_runs};

use crate::exit::{Failure, Status};

/// The run named, or the latest run (with resources left, if `live`).
pub fn pick_run(state_dir: &Path, run: Option<&str>, live: bool) -> Result<RunId, String> {
    if let Some(run) = run {
        let id = RunId::parse(run).map_err(|e| e.to_string())?;
        let dir = Journal::run_dir(state_dir, &id);
        if !dir.join(Journal::FILE_NAME).is_file() && !dir.join(Journal::RUN_FILE).is_file() {
            return Err(format!(
                "no run `{run}` in `{}`; `awslab runs` lists them",
                state_dir.display()
            ));
        }
        return Ok(id);
    }
    let runs = list_runs(state_dir).map_err(|e| e.to_string())?;
    runs.into_iter()
        .rev()
        .find(|r| !live || r.needs_teardown())
        .map(|r| r.run_id)
        .ok_or_else(|| {
            if live {
                format!("no run in `{}` has resources left", state_dir.display())
            } else {
                format!("no runs in `{}`", state_dir.display())
            }
        })
}

/// Takes the run's lock for `command`; another command holding it is a refusal with
/// `status` that names the holder (the caller adds what to do).
pub fn lock_run(
    state_dir: &Path,
    run_id: &RunId,
    command: &str,
    status: Status,
) -> Result<RunLock, Failure> {
    RunLock::acquire(state_dir, run_id, command).map_err(|error| match error {
        JournalError::Locked { .. } => Failure::new(status, &error),
        other => Failure::new(Status::StepFailed, other),
    })
}

/// The journal file of a run.
pub fn journal_path(state_dir: &Path, run_id: &RunId) -> std::path::PathBuf {
    Journal::run_dir(state_dir, run_id).join(Journal::FILE_NAME)
}

/// A run's status in words (`runs`, `status`).
pub fn run_status_word(status: Option<RunStatus>) -> &'static str {
    match status {
        None => "running or killed",
        Some(RunStatus::Succeeded) => "succeeded",
        Some(RunStatus::Failed) => "failed",
        Some(RunStatus::Interrupted) => "interrupted",
        Some(RunStatus::TornDown) => "torn down",
        Some(RunStatus::TeardownIncomplete) => "teardown incomplete",
    }
}
