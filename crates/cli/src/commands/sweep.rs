//! `awslab sweep`: what awslab made in the target account, found by its tags (so a run
//! whose journal is gone is found too), listed as a removal plan in AWS's prerequisite
//! order, cross-checked with the journals of the state folder, and deleted only with
//! `--yes`. Also the target's clock for `up --ttl` and `reap` (the sandbox's own on
//! the sandbox).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use awslab_executor::sweep::{self, Filter, Found, Outcome, Unlisted};
use awslab_executor::tags::{RunTimes, format_instant};
use awslab_executor::{Journal, credentials, replay};
use serde::Serialize;

use super::connect::Connection;
use super::up::runtime;
use crate::cli::{OutputFormat, SweepArgs};
use crate::exit::{Failure, OrFail as _, Status, finish};

/// Now on the target's clock, Unix seconds: the sandbox's (which `awslab sandbox clock
/// advance` moves) on the sandbox, else this machine's.
pub fn target_now(connection: &Connection) -> Result<i64, Failure> {
    if let Some(sandbox) = connection.sandbox_handle() {
        // The sandbox this command already opened (a second open costs a start-up).
        let (now, _) = sandbox.clock().or_fail(Status::Unreachable)?;
        return Ok(now);
    }
    if let Some(dir) = &connection.sandbox {
        let sandbox = awslab_sandbox::Sandbox::open(dir).or_fail(Status::Unreachable)?;
        let (now, _) = sandbox.clock().or_fail(Status::Unreachable)?;
        return Ok(now);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Ok(now)
}

/// `awslab:created-at` now and `awslab:expires-at` after `ttl`, on the target's clock.
pub fn run_times(connection: &Connection, ttl: Option<Duration>) -> Result<RunTimes, Failure> {
    let now = target_now(connection)?;
    Ok(RunTimes {
        created_at: Some(format_instant(now)),
        expires_at: ttl.map(|ttl| {
            format_instant(now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)))
        }),
    })
}

/// A resumed run keeps the expiry it was started with.
pub fn resumed_times(times: RunTimes, resumed: &awslab_executor::JournalState) -> RunTimes {
    RunTimes {
        expires_at: resumed
            .meta
            .as_ref()
            .map_or(times.expires_at, |meta| meta.expires_at.clone()),
        ..times
    }
}

/// The journaled resources (by label) of each run that has a journal in the state
/// folder; a run without one is absent.
pub fn journaled(state_dir: &Path, runs: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut known = BTreeMap::new();
    for run in runs {
        let Ok(id) = awslab_executor::RunId::parse(run) else {
            continue;
        };
        let path = Journal::run_dir(state_dir, &id).join(Journal::FILE_NAME);
        if !path.is_file() {
            continue;
        }
        let labels = replay(&path)
            .map(|state| {
                state
                    .resources
                    .iter()
                    .map(|live| live.resource.label())
                    .collect()
            })
            .unwrap_or_default();
        known.insert(run.clone(), labels);
    }
    known
}

/// The kinds of resource (sweep's `type`s: `iam_user`, ...) run `run`'s journal in
/// `state_dir` holds, or `None` when it has no journal there.
fn journaled_kinds(state_dir: &Path, run: &str) -> Option<BTreeSet<String>> {
    let id = awslab_executor::RunId::parse(run).ok()?;
    let path = Journal::run_dir(state_dir, &id).join(Journal::FILE_NAME);
    if !path.is_file() {
        return None;
    }
    let state = replay(&path).ok()?;
    Some(
        state
            .resources
            .iter()
            .filter_map(|live| {
                serde_json::to_value(&live.resource).ok()?["type"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect(),
    )
}

/// Says which kinds of resource could not be listed; true when one of them may hold
/// what the sweep is about, so it cannot prove nothing is left. Every kind may, unless
/// `--run` names a run whose journal here holds nothing of that kind (then the kind is
/// out of the sweep's scope, and only noted).
pub fn report_unlisted(unlisted: &[Unlisted], run: Option<&str>, state_dir: &Path) -> bool {
    let kinds = run.and_then(|run| journaled_kinds(state_dir, run));
    let mut incomplete = false;
    for Unlisted { kind, error } in unlisted {
        match (&kinds, run) {
            (Some(kinds), Some(run)) if !kinds.contains(*kind) => eprintln!(
                "note: cannot list `{kind}` resources ({error}); run `{run}`'s journal holds none, so this sweep does not need them"
            ),
            _ => {
                incomplete = true;
                eprintln!(
                    "warning: cannot list `{kind}` resources ({error}): any that awslab made are not in this sweep, so it cannot prove nothing is left (exit status 3)"
                );
            }
        }
    }
    incomplete
}

/// The found resources that `filter` admits, marked with what the journals know, in
/// removal order.
pub fn removal_plan(found: Vec<Found>, filter: &Filter, state_dir: &Path) -> Vec<Found> {
    let mut kept: Vec<Found> = found.into_iter().filter(|f| filter.admits(f)).collect();
    let runs = kept.iter().map(|f| f.run.clone()).collect();
    let known = journaled(state_dir, &runs);
    for item in &mut kept {
        item.in_journal = known
            .get(&item.run)
            .is_some_and(|labels| labels.contains(&item.resource.label()));
    }
    sweep::plan(kept)
}

#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    found: &'a Found,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    account: &'a str,
    caller: &'a str,
    /// True when nothing was deleted (no `--yes`).
    dry_run: bool,
    /// The kinds that could not be listed (each with its error).
    #[serde(skip_serializing_if = "<[Unlisted]>::is_empty")]
    unlisted: &'a [Unlisted],
    resources: Vec<Row<'a>>,
}

pub fn sweep(args: &SweepArgs) -> Status {
    finish(sweep_run(args))
}

fn sweep_run(args: &SweepArgs) -> Result<Status, Failure> {
    if let Some(run) = &args.run {
        awslab_executor::RunId::parse(run).or_fail(Status::Invalid)?;
    }
    let runtime = runtime()?;
    let connection = runtime.block_on(super::connect::connect(&args.target, None, None))?;
    let (account, caller) = runtime.block_on(credentials::whoami(
        &connection.operator,
        &connection.target,
    ))?;
    eprintln!(
        "Target: {}, account {account}, as {caller}",
        target_words(&connection)
    );
    check_account(args, &connection, &account)?;
    let now = target_now(&connection)?;
    let filter = Filter {
        run: args.run.clone(),
        plan: args.plan.clone(),
        created_before: args
            .older_than
            .map(|age| now.saturating_sub(i64::try_from(age.as_secs()).unwrap_or(i64::MAX))),
        expired_at: args.expired.then_some(now),
    };
    let discovery = runtime
        .block_on(sweep::discover(&connection.operator))
        .map_err(|error| {
            Failure::new(
                Status::Unreachable,
                format!("cannot list the account: {error}"),
            )
        })?;
    // A kind that could not be listed may hold what this sweep is about: it cannot
    // then claim nothing is left (exit 3).
    let incomplete = report_unlisted(
        &discovery.unlisted,
        args.run.as_deref(),
        &args.state.state_dir,
    );
    let planned = removal_plan(discovery.found, &filter, &args.state.state_dir);
    let unlisted = &discovery.unlisted;
    if !args.yes {
        show(args.output, &account, &caller, &planned, None, unlisted);
        if planned.is_empty() {
            return Ok(if incomplete {
                Status::LeftBehind
            } else {
                Status::Success
            });
        }
        if args.output == OutputFormat::Human {
            eprintln!(
                "{} resource(s) found; nothing was deleted (dry run): add --yes to delete them",
                planned.len()
            );
        }
        return Ok(Status::LeftBehind);
    }
    let human = args.output == OutputFormat::Human;
    let outcomes = runtime.block_on(sweep::remove(
        &connection.operator,
        &planned,
        Duration::from_secs(args.stack_timeout),
        |item, outcome| {
            if human {
                match outcome {
                    Outcome::Deleted => {
                        println!("deleted  {} {}  (run {})", item.kind, item.name, item.run);
                    }
                    Outcome::AlreadyGone => {}
                    Outcome::Left(reason) => {
                        println!(
                            "LEFT     {} {}  (run {}): {reason}",
                            item.kind, item.name, item.run
                        );
                    }
                }
            }
        },
    ));
    let left = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Left(_)))
        .count();
    if human {
        let deleted = outcomes.iter().filter(|o| **o == Outcome::Deleted).count();
        println!("Sweep: {deleted} deleted, {left} left.");
    } else {
        show(
            args.output,
            &account,
            &caller,
            &planned,
            Some(&outcomes),
            unlisted,
        );
    }
    Ok(if left == 0 && !incomplete {
        Status::Success
    } else {
        Status::LeftBehind
    })
}

/// `--account` must be the caller's; on a real account `--yes` needs it.
fn check_account(args: &SweepArgs, connection: &Connection, account: &str) -> Result<(), Failure> {
    match &args.account {
        Some(wanted) if wanted != account => Err(Failure::new(
            Status::Invalid,
            format!("`--account {wanted}` is not the caller's account `{account}`; nothing was touched"),
        )
        .hint("check the profile or credentials in use (`aws sts get-caller-identity`), or name the account they reach")),
        None if args.yes && connection.target.is_aws() => Err(Failure::new(
            Status::Invalid,
            "on a real AWS account, `sweep --yes` needs `--account ID`; nothing was touched",
        )
        .hint(format!("if `{account}` is the account to sweep, add `--account {account}`"))),
        _ => Ok(()),
    }
}

fn target_words(connection: &Connection) -> String {
    if connection.sandbox.is_some() {
        format!("the sandbox ({})", connection.target.region)
    } else if let Some(url) = connection.target.endpoint_url() {
        format!("`{url}` ({})", connection.target.region)
    } else {
        format!("AWS in {}", connection.target.region)
    }
}

fn outcome_word(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Deleted => "deleted".to_owned(),
        Outcome::AlreadyGone => "already gone".to_owned(),
        Outcome::Left(reason) => format!("left: {reason}"),
    }
}

fn show(
    format: OutputFormat,
    account: &str,
    caller: &str,
    planned: &[Found],
    outcomes: Option<&[Outcome]>,
    unlisted: &[Unlisted],
) {
    if format == OutputFormat::Json {
        let report = Report {
            account,
            caller,
            dry_run: outcomes.is_none(),
            unlisted,
            resources: planned
                .iter()
                .enumerate()
                .map(|(index, found)| Row {
                    found,
                    outcome: outcomes.and_then(|o| o.get(index)).map(outcome_word),
                })
                .collect(),
        };
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("error: {error}"),
        }
        return;
    }
    if planned.is_empty() {
        println!("Nothing carries awslab's tags here (with these filters).");
        return;
    }
    println!(
        "{:>5}  {:<24}  {:<20}  {:<20}  {:<12}  NAME",
        "ORDER", "TYPE", "RUN", "EXPIRES", "JOURNAL"
    );
    for item in planned {
        println!(
            "{:>5}  {:<24}  {:<20}  {:<20}  {:<12}  {}",
            item.order,
            item.kind,
            item.run,
            item.expires_at.as_deref().unwrap_or("-"),
            if item.in_journal {
                "known"
            } else {
                "no journal"
            },
            item.name
        );
    }
}
