//! `awslab runs`: the runs in the state folder, one a line, with what each has left.

use awslab_executor::list_runs;

use super::run_state::run_status_word;
use crate::cli::RunsArgs;
use crate::exit::Status;

pub fn runs(args: &RunsArgs) -> Status {
    if args.prune {
        return super::runs_prune::prune(args);
    }
    let args = &args.state;
    // Shared state: say where it is, and where its local mirror (and secrets) are.
    if let Some(shared) = &args.shared {
        println!(
            "State: {shared} (shared; local mirror and secrets in `{}`)",
            args.state_dir.display()
        );
    }
    match list_runs(&args.state_dir) {
        Ok(runs) if runs.is_empty() => {
            println!("No runs in `{}`.", args.state_dir.display());
            Status::Success
        }
        Ok(runs) => {
            println!(
                "{:<24}  {:<24}  {:<20}  {:<20}  LEFT",
                "RUN", "PLAN", "STARTED (UTC)", "STATUS"
            );
            for run in runs {
                let damaged = run.damage.is_some();
                let status = if damaged {
                    "DAMAGED journal"
                } else {
                    run_status_word(run.status)
                };
                let left = if damaged {
                    "?".to_owned()
                } else {
                    run.live_resources.to_string()
                };
                let started = run.started_at.unwrap_or_default();
                let started = started
                    .split('.')
                    .next()
                    .unwrap_or(&started)
                    .trim_end_matches('Z')
                    .replace('T', " ");
                // An expiry (`up --ttl`) follows the count, so lines without one read as before.
                let expires = run
                    .expires_at
                    .map(|at| format!("  expires {at}"))
                    .unwrap_or_default();
                println!(
                    "{:<24}  {:<24}  {:<20}  {:<20}  {}{expires}",
                    run.run_id.as_str(),
                    run.plan_name.unwrap_or_default(),
                    started,
                    status,
                    left
                );
            }
            Status::Success
        }
        Err(error) => {
            eprintln!("error: {error}");
            Status::StepFailed
        }
    }
}
