//! Commands about runs that exist: `down` (teardown from the journal), `status`,
//! `runs`, and `env` (the one command that prints secrets, as shell exports).

use std::path::Path;
use std::time::Duration;

use awslab_executor::{
    AccountConfigs, Journal, JournalError, JournalState, RUN_TAG, ResourceState, RunId, RunLock,
    RunStatus, SecretsStore, TeardownOptions, list_runs, replay, teardown,
};

use super::up::{confirm, runtime};
use crate::cli::{DownArgs, EnvArgs, OutputFormat, StateArgs, StatusArgs};
use crate::exit::{Failure, OrFail as _, Status, finish};
use crate::progress::Progress;

/// The run named, or the latest run (with resources left, if `live`).
fn pick_run(state_dir: &Path, run: Option<&str>, live: bool) -> Result<RunId, String> {
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
    let state =
        replay(&journal_path(&args.state.state_dir, &run_id)).or_fail(Status::StepFailed)?;
    note_unchecked(&run_id, &state);
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

fn journal_path(state_dir: &Path, run_id: &RunId) -> std::path::PathBuf {
    Journal::run_dir(state_dir, run_id).join(Journal::FILE_NAME)
}

pub fn status(args: &StatusArgs) -> Status {
    finish(status_run(args))
}

fn status_run(args: &StatusArgs) -> Result<Status, Failure> {
    let run_id =
        pick_run(&args.state.state_dir, args.run.as_deref(), false).or_fail(Status::Invalid)?;
    let state =
        replay(&journal_path(&args.state.state_dir, &run_id)).or_fail(Status::StepFailed)?;
    if let Some(meta) = &state.meta {
        println!(
            "Run `{run_id}` of plan `{}` ({}), started {}",
            meta.plan_name, meta.plan_path, meta.started_at
        );
        println!(
            "Target: {} ({}), account {}",
            meta.target.endpoint.as_deref().unwrap_or("AWS"),
            meta.target.region,
            meta.target.account.as_deref().unwrap_or("?")
        );
        if let Some(expires_at) = &meta.expires_at {
            println!("Expires: {expires_at} (`awslab reap` tears it down after that)");
        }
        let env = super::connect::env_words();
        if !env.is_empty() {
            println!(
                "  (as the run's journal recorded it; the environment's {} does not change it)",
                env.join(", ")
            );
        }
        for (name, account) in &meta.target.accounts {
            match &account.profile {
                Some(profile) => {
                    println!("  account `{name}`: {} (profile `{profile}`)", account.id);
                }
                None => println!("  account `{name}`: {}", account.id),
            }
        }
    }
    if state.is_damaged() {
        println!(
            "Status: DAMAGED journal ({}); the resources below are only what can still be read",
            state.damage_text()
        );
    } else {
        println!("Status: {}", run_status_word(state.status));
    }
    if let Some(steps) =
        crate::summary::saved_steps_text(&Journal::run_dir(&args.state.state_dir, &run_id))
    {
        print!("{steps}");
    }
    if !state.outputs.is_empty() {
        println!("\nOutputs:");
        for (step, outputs) in &state.outputs {
            for (key, value) in outputs {
                println!("  {step}.{key} = {value}");
            }
        }
    }
    println!("\nResources ({}):", state.resources.len());
    for live in &state.resources {
        let state_word = match &live.state {
            ResourceState::Exists => "exists".to_owned(),
            ResourceState::MayExist => "may exist (call interrupted)".to_owned(),
            ResourceState::Deleting => "being deleted".to_owned(),
            ResourceState::DeleteFailed { error } => format!("delete failed: {error}"),
        };
        match &live.account {
            Some(account) => println!(
                "  {} in account `{account}`  [{state_word}]",
                live.resource.label()
            ),
            None => println!("  {}  [{state_word}]", live.resource.label()),
        }
    }
    Ok(Status::Success)
}

pub fn runs(args: &StateArgs) -> Status {
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

/// A run's status in words (`runs`, `status`).
fn run_status_word(status: Option<RunStatus>) -> &'static str {
    match status {
        None => "running or killed",
        Some(RunStatus::Succeeded) => "succeeded",
        Some(RunStatus::Failed) => "failed",
        Some(RunStatus::Interrupted) => "interrupted",
        Some(RunStatus::TornDown) => "torn down",
        Some(RunStatus::TeardownIncomplete) => "teardown incomplete",
    }
}

/// Quotes a value for a POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

pub fn env(args: &EnvArgs) -> Status {
    finish(env_run(args))
}

fn env_run(args: &EnvArgs) -> Result<Status, Failure> {
    let run_id =
        pick_run(&args.state.state_dir, Some(&args.run), false).or_fail(Status::Invalid)?;
    let run_dir = Journal::run_dir(&args.state.state_dir, &run_id);
    let secrets = SecretsStore::open(&run_dir).or_fail(Status::Invalid)?;
    let Some(credentials) = secrets.get(&args.step) else {
        let known: Vec<&str> = secrets.steps().collect();
        let hint = if known.is_empty() && args.state.shared.is_some() {
            // Shared state: the journal is on S3, the secrets never left their machine.
            "none on this machine: secrets never leave the machine that ran `up` (they are not in the shared state); run `awslab env` there".to_owned()
        } else if known.is_empty() {
            "none (torn down?)".to_owned()
        } else {
            known.join(", ")
        };
        return Err(Failure::new(
            Status::Invalid,
            format!("step `{}` of run `{run_id}` has no credentials", args.step),
        )
        .hint(format!("steps with credentials: {hint}")));
    };
    println!(
        "export AWS_ACCESS_KEY_ID={}",
        shell_quote(&credentials.access_key_id)
    );
    println!(
        "export AWS_SECRET_ACCESS_KEY={}",
        shell_quote(credentials.secret_access_key.expose())
    );
    match &credentials.session_token {
        Some(token) => println!("export AWS_SESSION_TOKEN={}", shell_quote(token.expose())),
        None => println!("unset AWS_SESSION_TOKEN"),
    }
    println!("unset AWS_PROFILE");
    if let Ok(state) = replay(&run_dir.join(Journal::FILE_NAME))
        && let Some(meta) = state.meta
    {
        println!("export AWS_REGION={}", shell_quote(&meta.target.region));
        if meta.target.sandbox.is_some() {
            // The run went to the sandbox in-process; the aws CLI reaches the same
            // world through `awslab sandbox serve`.
            println!(
                "export AWS_ENDPOINT_URL={}",
                shell_quote(&format!(
                    "http://127.0.0.1:{}",
                    super::sandbox::DEFAULT_PORT
                ))
            );
            println!("# run `awslab sandbox serve` for the aws CLI to reach the sandbox");
        } else if let Some(endpoint) = meta.target.endpoint {
            println!("export AWS_ENDPOINT_URL={}", shell_quote(&endpoint));
        }
    }
    if let Some(expiration) = &credentials.expiration {
        println!("# expires {expiration}");
    }
    Ok(Status::Success)
}
