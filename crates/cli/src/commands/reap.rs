//! `awslab reap`: tears down every run past its `up --ttl`. A run whose journal is in
//! the state folder goes as `awslab down` takes it (the same code: lock, journal,
//! ownership by immutable id); a run whose journal is gone is found by its tags
//! (`awslab:expires-at`) and swept. Expiry is judged on the target's clock: the
//! sandbox's own on the sandbox.

use std::collections::BTreeSet;
use std::time::Duration;

use awslab_executor::sweep::{self, Filter, Outcome};
use awslab_executor::tags::expired;
use awslab_executor::{Journal, credentials, list_runs, replay};

use super::up::{confirm, runtime};
use crate::cli::{DownArgs, OutputFormat, ReapArgs};
use crate::exit::{Failure, OrFail as _, Status, finish};

pub fn reap(args: &ReapArgs) -> Status {
    finish(reap_run(args))
}

/// Expired runs with a journal, as (run, expiry), and every run with a journal.
type Journaled = (Vec<(String, String)>, BTreeSet<String>);

fn expired_journaled(args: &ReapArgs, now: i64) -> Result<Journaled, Failure> {
    let runs = list_runs(&args.state.state_dir).or_fail(Status::StepFailed)?;
    let mut expired_runs = Vec::new();
    let mut journaled = BTreeSet::new();
    for run in runs {
        journaled.insert(run.run_id.to_string());
        let path = Journal::run_dir(&args.state.state_dir, &run.run_id).join(Journal::FILE_NAME);
        let Ok(state) = replay(&path) else {
            continue;
        };
        let Some(expires_at) = state.meta.and_then(|meta| meta.expires_at) else {
            continue;
        };
        if expired(Some(&expires_at), now) && run.needs_teardown() {
            expired_runs.push((run.run_id.to_string(), expires_at));
        }
    }
    Ok((expired_runs, journaled))
}

fn reap_run(args: &ReapArgs) -> Result<Status, Failure> {
    // Everything that needs a runtime happens in blocks that drop it: `down` makes its
    // own.
    let (now, account, caller, found, incomplete, is_aws) = {
        let runtime = runtime()?;
        let connection = runtime.block_on(super::connect::connect(&args.target, None, None))?;
        let (account, caller) = runtime.block_on(credentials::whoami(
            &connection.operator,
            &connection.target,
        ))?;
        let now = super::sweep::target_now(&connection)?;
        let discovery = runtime
            .block_on(sweep::discover(&connection.operator))
            .map_err(|error| {
                Failure::new(
                    Status::Unreachable,
                    format!("cannot list the account: {error}"),
                )
            })?;
        // An expired run whose journal is gone may have resources of a kind that could
        // not be listed: reap cannot then claim nothing expired is left (exit 3).
        let incomplete =
            super::sweep::report_unlisted(&discovery.unlisted, None, &args.state.state_dir);
        (
            now,
            account,
            caller,
            discovery.found,
            incomplete,
            connection.target.is_aws(),
        )
    };
    eprintln!(
        "Reap at {} (the target's clock), account {account}, as {caller}",
        awslab_executor::tags::format_instant(now)
    );
    let (with_journal, journaled) = expired_journaled(args, now)?;
    let filter = Filter {
        expired_at: Some(now),
        ..Filter::default()
    };
    let orphans: Vec<_> = super::sweep::removal_plan(found, &filter, &args.state.state_dir)
        .into_iter()
        .filter(|item| !journaled.contains(&item.run))
        .collect();
    let orphan_runs: BTreeSet<String> = orphans.iter().map(|f| f.run.clone()).collect();
    if with_journal.is_empty() && orphans.is_empty() {
        println!("Nothing to reap: no run has expired.");
        return Ok(if incomplete {
            Status::LeftBehind
        } else {
            Status::Success
        });
    }
    if is_aws {
        confirm(
            &format!(
                "Tear down {} expired run(s) in account {account}?",
                with_journal.len() + orphan_runs.len()
            ),
            args.yes,
        )
        .or_fail(Status::Invalid)?;
    }
    let mut clean = true;
    for (run, expires_at) in &with_journal {
        println!("Run `{run}` expired at {expires_at}: tearing down from its journal");
        let status = super::down::down(&DownArgs {
            run: Some(run.clone()),
            target: args.target.clone(),
            state: args.state.clone(),
            stack_timeout: args.stack_timeout,
            output: OutputFormat::Human,
            yes: true,
            forget_foreign: false,
            class: crate::cli::DownClassArgs::default(),
        });
        let word = if matches!(status, Status::Success) {
            "torn down"
        } else {
            clean = false;
            "NOT torn down (see above)"
        };
        println!("reap: run `{run}` (journal): {word}");
    }
    if !orphans.is_empty() && !sweep_orphans(args, &orphans, &orphan_runs)? {
        clean = false;
    }
    Ok(if clean && !incomplete {
        Status::Success
    } else {
        Status::LeftBehind
    })
}

/// Sweeps expired runs whose journal is gone, a line per run; false if something is left.
fn sweep_orphans(
    args: &ReapArgs,
    orphans: &[awslab_executor::sweep::Found],
    orphan_runs: &BTreeSet<String>,
) -> Result<bool, Failure> {
    let mut clean = true;
    let runtime = runtime()?;
    let connection = runtime.block_on(super::connect::connect(&args.target, None, None))?;
    let outcomes = runtime.block_on(sweep::remove(
        &connection.operator,
        orphans,
        Duration::from_secs(args.stack_timeout),
        |_, _| {},
    ));
    for run in orphan_runs {
        let mine = orphans
            .iter()
            .zip(&outcomes)
            .filter(|(item, _)| item.run == *run);
        let (mut deleted, mut left) = (0, Vec::new());
        for (item, outcome) in mine {
            match outcome {
                Outcome::Deleted => deleted += 1,
                Outcome::AlreadyGone => {}
                Outcome::Left(reason) => {
                    left.push(format!("{} {}: {reason}", item.kind, item.name));
                }
            }
        }
        if left.is_empty() {
            println!("reap: run `{run}` (no journal, by tags): {deleted} deleted");
        } else {
            clean = false;
            println!(
                "reap: run `{run}` (no journal, by tags): {deleted} deleted, {} LEFT",
                left.len()
            );
            for line in left {
                println!("  {line}");
            }
        }
    }
    Ok(clean)
}
