//! `down` of a class: one learner (`--learner NAME`) or all, a line per learner from
//! the journal before and after, and the bundles of the learners left with nothing
//! removed unless `--keep-bundles`.

use std::collections::HashMap;
use std::path::Path;

use awslab_executor::{JournalState, RunId};
use serde::Serialize;

use super::{ClassRecord, README};
use crate::exit::{Failure, Status};

/// Which learner a journaled step belongs to: the last `[NAME]` of its id, if that
/// names one of `learners`.
pub fn learner_of_step<'a>(step: Option<&str>, learners: &'a [String]) -> Option<&'a str> {
    let name = step?.strip_suffix(']')?.rsplit_once('[')?.1;
    learners.iter().find(|l| *l == name).map(String::as_str)
}

/// Before `down`: keeps only `--learner NAME`'s resources in `state` (an unknown name
/// is an error listing the run's learners). The class record, if the run is a class.
pub fn scope_down(
    state_dir: &Path,
    run_id: &RunId,
    args: &crate::cli::DownArgs,
    state: &mut JournalState,
) -> Result<Option<ClassRecord>, Failure> {
    let args = &args.class;
    let record = ClassRecord::read(&awslab_executor::Journal::run_dir(state_dir, run_id));
    let Some(name) = &args.learner else {
        return Ok(record);
    };
    let Some(record) = record else {
        return Err(Failure::new(
            Status::Invalid,
            format!("--learner `{name}`: this run is not a class (it was not started with --learners or --roster)"),
        )
        .hint("run `awslab down` without --learner"));
    };
    if !record.learners.iter().any(|l| l == name) {
        let listed: Vec<String> = record
            .learners
            .iter()
            .take(20)
            .map(|l| format!("`{l}`"))
            .collect();
        let more = if record.learners.len() > listed.len() {
            ", ..."
        } else {
            ""
        };
        return Err(Failure::new(
            Status::Invalid,
            format!("--learner `{name}`: the run has no such learner"),
        )
        .hint(format!("its learners are {}{more}", listed.join(", "))));
    }
    state.resources.retain(|live| {
        learner_of_step(live.step.as_deref(), &record.learners) == Some(name.as_str())
    });
    Ok(Some(record))
}

/// What teardown did to each learner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LearnerTeardown {
    pub name: String,
    /// The learner's resources teardown took out (deleted, or found gone).
    pub removed: usize,
    /// The learner's resources still in the journal as existing (or maybe existing).
    pub left: usize,
    /// Whether this `down` removed the learner's bundle folder.
    pub bundle_removed: bool,
    /// Whether the folder was gone already (an earlier `down --learner` removed it).
    pub bundle_gone_before: bool,
}

/// Each learner's live resources in `state`.
pub(super) fn live_by_learner<'a>(
    state: &JournalState,
    learners: &'a [String],
) -> HashMap<&'a str, usize> {
    let mut live = HashMap::new();
    for resource in &state.resources {
        if let Some(learner) = learner_of_step(resource.step.as_deref(), learners) {
            *live.entry(learner).or_default() += 1;
        }
    }
    live
}

/// After `down`: a line per learner (or a JSON object) from the journal before and
/// after, and the bundles of the learners left with nothing removed unless
/// `--keep-bundles`.
pub fn after_down(
    record: Option<&ClassRecord>,
    (run_id, torn): (&RunId, &JournalState),
    receipt: &awslab_executor::Receipt,
    down: &crate::cli::DownArgs,
) {
    let Some(record) = record else {
        return;
    };
    let (args, json) = (&down.class, down.output == crate::cli::OutputFormat::Json);
    let before = live_by_learner(torn, &record.learners);
    let after = crate::commands::run_state::journal_path(&down.state.state_dir, run_id);
    let after = awslab_executor::replay(&after).ok();
    let after = after
        .as_ref()
        .map(|state| live_by_learner(state, &record.learners));
    let mut rows: Vec<LearnerTeardown> = record
        .learners
        .iter()
        .filter(|l| args.learner.as_ref().is_none_or(|only| only == *l))
        .map(|name| {
            let had = before.get(name.as_str()).copied().unwrap_or(0);
            // A journal that cannot be read again proves nothing was taken out.
            let left = after
                .as_ref()
                .map_or(had, |after| after.get(name.as_str()).copied().unwrap_or(0));
            LearnerTeardown {
                name: name.clone(),
                removed: had.saturating_sub(left),
                left,
                bundle_removed: false,
                bundle_gone_before: false,
            }
        })
        .collect();
    let sound = receipt.damaged_journal.is_none() && after.is_some();
    if sound && args.learner.is_some() {
        forget_secrets(&down.state.state_dir, run_id, record, &rows);
    }
    for row in &mut rows {
        if row.left == 0 && sound && !args.keep_bundles {
            let folder = record.folder(&row.name);
            // Only a removal made now is reported as one.
            if folder.exists() {
                row.bundle_removed = remove_bundle(&folder);
            } else {
                row.bundle_gone_before = true;
            }
        }
    }
    if !args.keep_bundles {
        // The bundle folder goes with its last learner's; a folder of the operator's
        // with other files in it stays.
        let _ = std::fs::remove_dir(&record.bundle_dir);
    }
    if json {
        crate::progress::Progress::json(&serde_json::json!({
            "event": "class_teardown",
            "learners": rows,
        }));
        return;
    }
    println!("\nLearners:");
    for row in &rows {
        let bundle = if row.bundle_removed {
            "bundle removed"
        } else if row.bundle_gone_before {
            "bundle removed before"
        } else if args.keep_bundles {
            "bundle kept"
        } else {
            "bundle kept (something is left)"
        };
        let left = if row.left == 0 {
            "nothing left".to_owned()
        } else {
            format!("{} LEFT", row.left)
        };
        if row.removed == 0 && row.left == 0 {
            println!(
                "  {}: nothing to take out (torn down before); {bundle}",
                row.name
            );
        } else {
            println!(
                "  {}: {} resources taken out, {left}; {bundle}",
                row.name, row.removed
            );
        }
    }
}

/// After `down --learner NAME` left nothing of the learner's: the credentials and MFA
/// seeds of the learner's steps leave the run's secrets file (a whole run's `down`
/// removes the file). A learner with something left keeps them, since teardown may
/// still need them.
fn forget_secrets(
    state_dir: &Path,
    run_id: &RunId,
    record: &ClassRecord,
    rows: &[LearnerTeardown],
) {
    let done: Vec<&str> = rows
        .iter()
        .filter(|row| row.left == 0)
        .map(|row| row.name.as_str())
        .collect();
    if done.is_empty() {
        return;
    }
    let run_dir = awslab_executor::Journal::run_dir(state_dir, run_id);
    if !run_dir
        .join(awslab_executor::SecretsStore::FILE_NAME)
        .exists()
    {
        return;
    }
    let result = awslab_executor::SecretsStore::open(&run_dir).and_then(|mut secrets| {
        secrets.remove_where(|step| {
            learner_of_step(Some(step), &record.learners)
                .is_some_and(|learner| done.contains(&learner))
        })
    });
    if let Err(error) = result {
        eprintln!(
            "warning: the learners' credentials could not be removed from the run's secrets file: {error}"
        );
    }
}

/// Removes a learner's bundle: the files awslab writes there, then the folder if that
/// leaves it empty. True if the folder is gone.
fn remove_bundle(folder: &Path) -> bool {
    for file in ["config", "credentials", README] {
        let _ = std::fs::remove_file(folder.join(file));
    }
    match std::fs::remove_dir(folder) {
        Ok(()) => true,
        Err(error) => error.kind() == std::io::ErrorKind::NotFound,
    }
}
