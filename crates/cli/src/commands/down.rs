//! `awslab down`: tears a run down from its journal, newest resource first, on the
//! target the journal recorded; a damaged journal is reported, never guessed past.

use std::path::Path;
use std::time::Duration;

use awslab_executor::{
    AccountConfigs, Journal, JournalState, RUN_TAG, RunId, TeardownOptions, list_runs, replay,
    teardown,
};

use super::run_state::{journal_path, lock_run, pick_run};
use super::up::{confirm, runtime};
use crate::cli::{DownArgs, OutputFormat};
use crate::exit::{Failure, OrFail as _, Status, finish};
use crate::progress::Progress;

pub fn down(args: &DownArgs) -> Status {
    if args.run.is_none() && nothing_to_tear_down(&args.state.state_dir) {
        println!(
            "Nothing to tear down: no run in `{}` has resources left.",
            args.state.state_dir.display()
        );
        return Status::Success;
    }
    finish(down_run(args))
}

fn down_run(args: &DownArgs) -> Result<Status, Failure> {
    let run_id =
        pick_run(&args.state.state_dir, args.run.as_deref(), true).or_fail(Status::Invalid)?;
    // Held until `down` ends: an `up` of this run still running is refused, not raced.
    let _lock = lock_run(
        &args.state.state_dir,
        &run_id,
        "awslab down",
        Status::LeftBehind,
    )
    .map_err(|failure| {
        failure.hint(format!(
            "one command at a time works on a run: wait for it to end (Ctrl-C stops an `up`), then run `awslab down {run_id}` again"
        ))
    })?;
    let mut state =
        replay(&journal_path(&args.state.state_dir, &run_id)).or_fail(Status::StepFailed)?;
    note_unchecked(&run_id, &state);
    let class = super::class::scope_down(&args.state.state_dir, &run_id, args, &mut state)?;
    if state.is_damaged() && state.meta.is_none() {
        // Without its header the journal does not even say where the run went.
        return Err(damaged(&args.state.state_dir, &run_id, &state));
    }
    let meta_target = state.meta.as_ref().map(|m| m.target.clone());
    let runtime = runtime()?;
    let first = meta_target
        .as_ref()
        .and_then(|t| t.accounts.first())
        .map(|(name, account)| super::connect::PlanAccount {
            name: name.clone(),
            profile: account.profile.clone(),
            located: format!("account `{name}` of the run"),
        });
    let first_profile = super::connect::first_account_profile(&args.target, first.as_ref());
    let connection = runtime.block_on(super::connect::connect(
        &args.target,
        meta_target.as_ref(),
        first_profile,
    ))?;
    if !connection.ignored_env.is_empty() {
        eprintln!(
            "note: tearing down where run `{run_id}` went, as its journal says; the environment's {} is not used",
            connection.ignored_env.join(", ")
        );
    }
    let operators =
        runtime.block_on(recorded_operators(&connection, args, meta_target.as_ref()))?;
    let target = &connection.target;
    if target.is_aws() {
        let account = meta_target
            .and_then(|t| t.account)
            .unwrap_or_else(|| "?".to_owned());
        eprintln!("Target: AWS account {account} in {}", target.region);
        confirm(
            &format!(
                "Delete the {} resources of run `{run_id}`?",
                state.resources.len()
            ),
            args.yes,
        )
        .or_fail(Status::Invalid)?;
    }
    if args.output == OutputFormat::Human {
        println!("Teardown of run `{run_id}`:");
    }
    let mut progress = Progress::new(args.output);
    let receipt = runtime
        .block_on(async {
            teardown(
                &args.state.state_dir,
                &run_id,
                &state,
                &operators,
                TeardownOptions {
                    stack_deadline: Duration::from_secs(args.stack_timeout),
                    forget_foreign: args.forget_foreign,
                    partial: args.class.learner.is_some(),
                },
                |event| progress.handle(&event),
            )
            .await
        })
        .map_err(|error| {
            Failure::new(
                Status::LeftBehind,
                format!("teardown could not go on: {error}"),
            )
        })?;
    progress.handle(&receipt.event(&run_id));
    super::class::after_down(class.as_ref(), (&run_id, &state), &receipt, args);
    if state.is_damaged() {
        return Err(damaged(&args.state.state_dir, &run_id, &state));
    }
    Ok(if receipt.is_clean() {
        Status::Success
    } else {
        Status::LeftBehind
    })
}

/// The operators of every account the run recorded (`accounts:`): the first as
/// the default, the others by name. A run of one account has only the operator.
async fn recorded_operators(
    connection: &super::connect::Connection,
    args: &DownArgs,
    recorded: Option<&awslab_executor::TargetInfo>,
) -> Result<AccountConfigs, Failure> {
    let Some(accounts) = recorded.map(|t| &t.accounts).filter(|a| !a.is_empty()) else {
        return Ok(AccountConfigs::single(connection.operator.clone()));
    };
    let named: Vec<super::connect::PlanAccount> = accounts
        .keys()
        .map(|name| super::connect::PlanAccount {
            name: name.clone(),
            profile: None,
            located: format!("account `{name}` of the run"),
        })
        .collect();
    let operators =
        super::connect::operators(connection, &args.target, &named, Some(accounts)).await?;
    let mut configs = operators
        .into_iter()
        .map(|(name, (_, operator))| (name, operator.config));
    let default = configs
        .next()
        .map_or_else(|| connection.operator.clone(), |(_, config)| config);
    Ok(AccountConfigs {
        default,
        named: configs.collect(),
    })
}

/// True when no run in the state folder has resources left (or there are no runs), as
/// sound journals prove: `down` then has nothing to do, which is a success, not a usage
/// error. A damaged journal proves nothing, so its run needs a `down`.
fn nothing_to_tear_down(state_dir: &Path) -> bool {
    list_runs(state_dir).is_ok_and(|runs| runs.iter().all(|run| !run.needs_teardown()))
}

/// Says, once, that a journal from before checksums cannot show damage.
fn note_unchecked(run_id: &RunId, state: &JournalState) {
    if state.unchecked_records > 0 {
        eprintln!(
            "note: the journal of run `{run_id}` was written before awslab checksummed its records; damage to it cannot be detected"
        );
    }
}

/// The failure of a teardown whose journal is damaged: where, what, and how to find
/// what the run left without it.
fn damaged(state_dir: &Path, run_id: &RunId, state: &JournalState) -> Failure {
    let path = journal_path(state_dir, run_id);
    Failure::new(
        Status::LeftBehind,
        format!(
            "the journal of run `{run_id}` is damaged (`{}`: {}), so it cannot tell what the run left",
            path.display(),
            state.damage_text()
        ),
    )
    .hint(format!(
        "find what remains by its tag `{RUN_TAG}={run_id}`, which every resource the run created carries (`awslab sweep --run {run_id}` lists it, and deletes it with `--yes`); then remove `{}`",
        Journal::run_dir(state_dir, run_id).display()
    ))
}
