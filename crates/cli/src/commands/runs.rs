//! Commands about runs that exist: `down` (teardown from the journal), `status`,
//! `runs`, and `env` (the one command that prints secrets, as shell exports).

use std::path::Path;
use std::time::Duration;

use awslab_executor::{
    Journal, ResourceState, RunId, SecretsStore, list_runs, operator_config, replay, teardown,
};

use super::up::{confirm, runtime, target};
use crate::cli::{DownArgs, EnvArgs, OutputFormat, StateArgs, StatusArgs};
use crate::exit::{Failure, OrFail as _, Status, finish};
use crate::progress::Progress;

/// The run named, or the latest run (with resources left, if `live`).
fn pick_run(state_dir: &Path, run: Option<&str>, live: bool) -> Result<RunId, String> {
    if let Some(run) = run {
        let id = RunId::parse(run).map_err(|e| e.to_string())?;
        if !Journal::run_dir(state_dir, &id)
            .join(Journal::FILE_NAME)
            .is_file()
        {
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
        .find(|r| !live || r.live_resources > 0)
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
    let state =
        replay(&journal_path(&args.state.state_dir, &run_id)).or_fail(Status::StepFailed)?;
    let meta_target = state.meta.as_ref().map(|m| m.target.clone());
    let target = target(
        &args.target,
        meta_target.as_ref().and_then(|t| t.endpoint.clone()),
        meta_target.as_ref().map(|t| t.region.clone()),
    );
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
    let receipt = runtime()?
        .block_on(async {
            let operator = operator_config(&target).await;
            teardown(
                &args.state.state_dir,
                &run_id,
                &state,
                &operator,
                Duration::from_secs(args.stack_timeout),
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
    Ok(if receipt.is_clean() {
        Status::Success
    } else {
        Status::LeftBehind
    })
}

/// True when no run in the state folder has resources left (or there are no runs):
/// `down` then has nothing to do, which is a success, not a usage error.
fn nothing_to_tear_down(state_dir: &Path) -> bool {
    list_runs(state_dir).is_ok_and(|runs| runs.iter().all(|run| run.live_resources == 0))
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
    }
    println!(
        "Status: {}",
        state
            .status
            .map_or_else(|| "running or killed".to_owned(), |s| format!("{s:?}"))
    );
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
        println!("  {}  [{state_word}]", live.resource.label());
    }
    Ok(Status::Success)
}

pub fn runs(args: &StateArgs) -> Status {
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
                let status = run
                    .status
                    .map_or_else(|| "running or killed".to_owned(), |s| format!("{s:?}"));
                let started = run.started_at.unwrap_or_default();
                let started = started
                    .split('.')
                    .next()
                    .unwrap_or(&started)
                    .trim_end_matches('Z')
                    .replace('T', " ");
                println!(
                    "{:<24}  {:<24}  {:<20}  {:<20}  {}",
                    run.run_id.as_str(),
                    run.plan_name.unwrap_or_default(),
                    started,
                    status,
                    run.live_resources
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
        let hint = if known.is_empty() {
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
        if let Some(endpoint) = meta.target.endpoint {
            println!("export AWS_ENDPOINT_URL={}", shell_quote(&endpoint));
        }
    }
    if let Some(expiration) = &credentials.expiration {
        println!("# expires {expiration}");
    }
    Ok(Status::Success)
}
