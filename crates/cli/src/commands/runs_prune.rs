//! `awslab runs --prune`: forgets the runs that have nothing left, removing their
//! folders (journal, secrets, summary). A run with anything left, a damaged journal,
//! or another command working on it is kept and named. Each run is checked again
//! under its lock before its folder goes, and a prune is reported only once made.

use awslab_executor::{Journal, list_runs};

use super::run_state::lock_run;
use crate::cli::RunsArgs;
use crate::exit::Status;

pub fn prune(args: &RunsArgs) -> Status {
    let state_dir = &args.state.state_dir;
    if let Some(shared) = &args.state.shared {
        eprintln!(
            "error: `runs --prune` forgets runs of a local state folder; the state is shared ({shared})"
        );
        eprintln!("hint: run it without --state (and AWSLAB_STATE) on a local state folder");
        return Status::Invalid;
    }
    let runs = match list_runs(state_dir) {
        Ok(runs) => runs,
        Err(error) => {
            eprintln!("error: {error}");
            return Status::StepFailed;
        }
    };
    let (mut pruned, mut kept) = (0_usize, 0_usize);
    for run in runs {
        let id = run.run_id.clone();
        if let Some(damage) = &run.damage {
            println!(
                "kept {id}: its journal is damaged ({damage}); `awslab down {id}` says what is left"
            );
            kept += 1;
            continue;
        }
        if run.live_resources > 0 {
            println!(
                "kept {id}: {} resource(s) left; `awslab down {id}` tears them down",
                run.live_resources
            );
            kept += 1;
            continue;
        }
        // Another command (an `up` still running) may be writing the journal.
        let lock = match lock_run(state_dir, &id, "runs --prune", Status::StepFailed) {
            Ok(lock) => lock,
            Err(failure) => {
                println!("kept {id}: {}", failure.message);
                kept += 1;
                continue;
            }
        };
        // Read again under the lock: what was true before it may not be now.
        let still_empty = list_runs(state_dir).is_ok_and(|now| {
            now.iter()
                .any(|r| r.run_id == id && r.damage.is_none() && r.live_resources == 0)
        });
        if !still_empty {
            println!("kept {id}: it changed while being checked; run `awslab runs` again");
            kept += 1;
            continue;
        }
        let dir = Journal::run_dir(state_dir, &id);
        let removed = std::fs::remove_dir_all(&dir);
        drop(lock);
        match removed {
            Ok(()) => {
                println!("forgot {id}: nothing left");
                pruned += 1;
            }
            Err(error) => {
                println!("kept {id}: cannot remove `{}`: {error}", dir.display());
                kept += 1;
            }
        }
    }
    println!("{pruned} run(s) forgotten, {kept} kept.");
    Status::Success
}
