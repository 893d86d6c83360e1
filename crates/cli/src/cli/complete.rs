//! Dynamic completion of run ids and step names (clap_complete's `CompleteEnv`: the
//! shell calls `COMPLETE=bash awslab -- WORDS`, and these completers answer from the
//! state folder, `AWSLAB_STATE_DIR` or `.awslab`). They read journals only; a folder
//! that cannot be read completes nothing.

use std::ffi::OsStr;
use std::path::PathBuf;

use awslab_executor::{Journal, RunId, SecretsStore, list_runs, replay};
use clap_complete::engine::CompletionCandidate;

/// The state folder the completed command would use.
fn state_dir() -> PathBuf {
    std::env::var_os("AWSLAB_STATE_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from(".awslab"), PathBuf::from)
}

fn runs_matching(current: &str) -> Vec<CompletionCandidate> {
    list_runs(&state_dir())
        .unwrap_or_default()
        .into_iter()
        .rev()
        .filter(|run| run.run_id.as_str().starts_with(current))
        .map(|run| {
            let help = format!(
                "{} ({} left)",
                run.plan_name.unwrap_or_default(),
                run.live_resources
            );
            CompletionCandidate::new(run.run_id.as_str()).help(Some(help.into()))
        })
        .collect()
}

/// Run ids, newest first (`down`, `status`).
pub fn runs(current: &OsStr) -> Vec<CompletionCandidate> {
    runs_matching(&current.to_string_lossy())
}

/// The steps of `run` (the latest run if `None`): those with credentials when
/// `credentials`, else every step the journal names.
fn steps_of(run: Option<&str>, current: &str) -> Vec<CompletionCandidate> {
    let dir = state_dir();
    let run_id = match run {
        Some(run) => RunId::parse(run).ok(),
        None => list_runs(&dir)
            .ok()
            .and_then(|runs| runs.into_iter().last().map(|r| r.run_id)),
    };
    let Some(run_id) = run_id else {
        return Vec::new();
    };
    let run_dir = Journal::run_dir(&dir, &run_id);
    let mut names: Vec<String> = SecretsStore::open(&run_dir)
        .map(|secrets| secrets.steps().map(str::to_owned).collect())
        .unwrap_or_default();
    if names.is_empty() {
        // No credentials kept: the steps the journal names, for a useful answer.
        if let Ok(state) = replay(&run_dir.join(Journal::FILE_NAME)) {
            names = state.outputs.keys().cloned().collect();
        }
    }
    names
        .into_iter()
        .filter(|name| name.starts_with(current))
        .map(CompletionCandidate::new)
        .collect()
}

/// `env [RUN] STEP`: run ids and the latest run's steps for the first word; the
/// steps of the run named first for the second.
pub fn env_words(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    // The words before the one completed (the shell passes them after `--`).
    let words: Vec<String> = std::env::args().skip_while(|a| a != "--").collect();
    let position = words.iter().position(|w| w == "env");
    let before: Vec<&String> = position
        .map(|at| {
            words[at + 1..words.len().saturating_sub(1)]
                .iter()
                .filter(|w| !w.starts_with('-'))
                .collect()
        })
        .unwrap_or_default();
    match before.as_slice() {
        [] => {
            let mut out = runs_matching(&current);
            out.extend(steps_of(None, &current));
            out
        }
        [run] => steps_of(Some(run), &current),
        _ => Vec::new(),
    }
}
