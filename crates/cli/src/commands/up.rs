//! `awslab up`: checks the plan, shows the target (and asks, for a real account),
//! opens or resumes the run's journal, runs the steps with live progress, and ends
//! with a summary, an optional `JUnit` report and the exit status.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use awslab_executor::journal::timestamp_now;
use awslab_executor::profile_files::ProfilePaths;
use awslab_executor::{
    Engine, EngineOptions, Journal, JournalState, Record, RunEvent, RunId, RunMeta, RunReport,
    RunStatus, Scheduler, SecretsStore, StepStatus, Target, TargetInfo, replay,
};
use awslab_planner::{SealedPlan, StepId};
use tokio_util::sync::CancellationToken;

use super::plan_file::load_reporting_for;
use crate::cli::{OutputFormat, UpArgs};
use crate::exit::{Failure, OrFail as _, Status, finish};
use crate::progress::Progress;
use crate::summary;

/// Asks before touching a real account; `--yes` answers for the user.
pub fn confirm(question: &str, yes: bool) -> Result<(), String> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "refusing to change a real AWS account without confirmation; pass --yes".to_owned(),
        );
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err("not confirmed; nothing was changed".to_owned())
    }
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::new(
                Status::StepFailed,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

/// The run id from `--run-id`, checked, or a new one.
fn run_id(given: Option<&str>) -> Result<RunId, Failure> {
    let Some(id) = given else {
        return Ok(RunId::generate());
    };
    let valid = !id.is_empty()
        && id.len() <= 20
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(Failure::new(Status::Invalid, format!("run id `{id}` must be 1 to 20 lowercase letters, digits and `-`"))
            .hint("run ids become part of resource names such as bucket names, and plans are checked for that length"));
    }
    RunId::parse(id).or_fail(Status::Invalid)
}

pub fn up(args: &UpArgs) -> Status {
    let Some(sealed) = load_reporting_for(&args.plan, &args.vars, &args.class) else {
        return Status::Invalid;
    };
    crate::startup::mark("plan loaded");
    finish(
        run_id(args.run_id.as_deref())
            .and_then(|run_id| runtime()?.block_on(run(args, Arc::new(sealed), run_id))),
    )
}

/// Ctrl-C once stops scheduling; twice exits at once (the journal is already on disk).
fn watch_interrupts(run_id: &RunId) -> CancellationToken {
    let token = CancellationToken::new();
    let first = token.clone();
    let run = run_id.to_string();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "\ninterrupted: finishing calls in flight, starting nothing new (Ctrl-C again to stop now)"
            );
            first.cancel();
        }
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopped; everything created is journaled: run `awslab down {run}`");
            std::process::exit(130);
        }
    });
    token
}

async fn run(args: &UpArgs, sealed: Arc<SealedPlan>, run_id: RunId) -> Result<Status, Failure> {
    let plan_accounts = plan_accounts(&sealed);
    let first_profile = super::connect::first_account_profile(&args.target, plan_accounts.first());
    let connection = super::connect::connect(&args.target, None, first_profile).await?;
    crate::startup::mark("connected");
    let target = connection.target.clone();
    let accounts =
        super::connect::operators(&connection, &args.target, &plan_accounts, None).await?;
    // The plan's first account is the operator's (another profile, if it gave one).
    let operator = accounts.first().map_or_else(
        || connection.operator.clone(),
        |(_, (_, o))| o.config.clone(),
    );
    let (account, caller) = super::connect::whoami(&connection, &operator).await?;
    crate::startup::mark("caller known");
    if args.preflight || target.is_aws() {
        super::preflight::check(&sealed, &target, &accounts, (&operator, &account, &caller))
            .await?;
    }
    announce(args, &sealed, &connection, &accounts, &account, &caller)?;
    let times = super::sweep::run_times(&connection, args.ttl)?;
    // Held until `up` ends: a second `up` or a `down` of this run is refused meanwhile.
    let _lock = lock(&args.state.state_dir, &run_id)?;
    let (journal, resumed) = open_journal(
        &args.state.state_dir,
        &run_id,
        &sealed,
        TargetInfo {
            accounts: accounts
                .iter()
                .map(|(name, (info, _))| (name.clone(), info.clone()))
                .collect(),
            ..connection.info(&account)
        },
        &args.vars.vars,
        times.expires_at.clone(),
    )
    .or_fail(Status::Invalid)?;
    let times = super::sweep::resumed_times(times, &resumed);
    crate::startup::mark("journal open");
    let run_dir = Journal::run_dir(&args.state.state_dir, &run_id);
    // A class: its learners and bundle folders, recorded before the first step.
    let class = super::class::prepare(&run_dir, &sealed, &args.bundles)?;
    let secrets = SecretsStore::open(&run_dir).or_fail(Status::StepFailed)?;
    let profile_paths = ProfilePaths::from_env().or_fail(Status::Invalid)?;
    warn_readable_profiles(&sealed, &profile_paths);
    let options = EngineOptions {
        target: target.clone(),
        run_id: run_id.clone(),
        account,
        accounts: accounts
            .into_iter()
            .map(|(name, (_, operator))| (name, operator))
            .collect(),
        settle_timeout: Duration::from_secs(args.settle_timeout),
        profile_paths,
        learner_bundles: class.as_ref().map(|c| c.bundle_dir.clone()),
        run_dir,
        times,
    };
    let engine = Arc::new(Engine::new(
        Arc::clone(&sealed),
        options,
        operator,
        journal.clone(),
        secrets,
        &resumed,
    ));
    let resumed = resumed.meta.is_some();
    let nodes = graph_nodes(&sealed);
    let interrupt = watch_interrupts(&run_id);
    let (sender, renderer) = start_renderer(args.output, &sealed, &run_id, &target, resumed);
    let scheduler = Scheduler::new(nodes)
        .or_fail(Status::StepFailed)?
        .parallel(usize::from(args.parallel))
        .fail_fast(args.fail_fast)
        .interrupt(interrupt.clone())
        .events(sender);
    crate::startup::mark("first step");
    let report = scheduler.run(Arc::clone(&engine)).await.map_err(|error| {
        Failure::new(
            Status::StepFailed,
            format!("the scheduler stopped: {error}"),
        )
    })?;
    let _ = renderer.await;
    let status = run_status(interrupt.is_cancelled(), report.succeeded());
    if let Err(error) = journal.append(&Record::RunFinished { status }) {
        eprintln!("error: {error}");
    }
    Ok(conclude(
        connection.sandbox.as_deref(),
        args,
        &sealed,
        &engine,
        &report,
        &run_id,
        class.as_ref(),
    ))
}

/// How the run ended, for its journal's last record.
fn run_status(interrupted: bool, succeeded: bool) -> RunStatus {
    if interrupted {
        RunStatus::Interrupted
    } else if succeeded {
        RunStatus::Succeeded
    } else {
        RunStatus::Failed
    }
}

/// Warns about readable AWS CLI files if the plan writes a profile into them.
fn warn_readable_profiles(sealed: &SealedPlan, paths: &ProfilePaths) {
    // A class's profiles go into its bundles, private from the start.
    if sealed.plan.learners.is_empty()
        && sealed
            .plan
            .steps
            .values()
            .any(|step| matches!(step.kind, awslab_planner::StepKind::AwsProfile(_)))
    {
        super::readable_files::warn_readable_profile_files(paths);
    }
}

/// Every step with the steps it waits for, in plan order: the scheduler's graph.
pub(super) fn graph_nodes(sealed: &SealedPlan) -> Vec<(StepId, Vec<StepId>)> {
    sealed
        .order()
        .map(|id| {
            (
                id.clone(),
                sealed.dependencies(id).into_iter().cloned().collect(),
            )
        })
        .collect()
}

/// The first line of `up`: the target, account and caller, and what the environment
/// chose; one line per account of the plan; for a real account, the question.
fn announce(
    args: &UpArgs,
    sealed: &SealedPlan,
    connection: &super::connect::Connection,
    accounts: &Operators,
    account: &str,
    caller: &str,
) -> Result<(), Failure> {
    let target = &connection.target;
    let from_env = connection.env_note();
    if target.endpoint_url().is_some() {
        eprintln!(
            "Target: {} ({}), account {account}, as {caller}{from_env}",
            connection.describe(),
            target.region
        );
        print_accounts(accounts);
        return Ok(());
    }
    eprintln!(
        "Target: AWS account {account} in {} as {caller}{from_env}",
        target.region
    );
    if !connection.from_env.is_empty() {
        eprintln!(
            "  (the environment chose this target; `--target sandbox` runs on the embedded sandbox instead)"
        );
    }
    print_accounts(accounts);
    confirm(
        &format!(
            "Create the resources of `{}` in this account?",
            sealed.plan.name.value
        ),
        args.yes,
    )
    .or_fail(Status::Invalid)
}

/// The operators of a plan's accounts, by name.
type Operators = indexmap::IndexMap<
    String,
    (
        awslab_executor::AccountInfo,
        awslab_executor::AccountOperator,
    ),
>;

/// The plan's accounts (`accounts:`), each located in the plan file for errors.
pub fn plan_accounts(sealed: &SealedPlan) -> Vec<super::connect::PlanAccount> {
    let source = std::fs::read_to_string(&sealed.path)
        .ok()
        .map(|text| awslab_planner::SourceFile::new(sealed.path.clone(), text));
    sealed
        .plan
        .accounts
        .values()
        .map(|account| super::connect::PlanAccount {
            name: account.name.value.clone(),
            profile: account.profile.as_ref().map(|p| p.value.clone()),
            located: source.as_ref().map_or_else(
                || sealed.path.display().to_string(),
                |source| source.locate(account.name.span),
            ),
        })
        .collect()
}

/// One line per account of a plan that names several: its id and how it is reached.
fn print_accounts(
    accounts: &indexmap::IndexMap<
        String,
        (
            awslab_executor::AccountInfo,
            awslab_executor::AccountOperator,
        ),
    >,
) {
    for (name, (info, _)) in accounts {
        match &info.profile {
            Some(profile) => eprintln!("  account `{name}`: {} (profile `{profile}`)", info.id),
            None => eprintln!("  account `{name}`: {}", info.id),
        }
    }
}

/// The run's lock for `up`; another command holding it is a usage error.
fn lock(state_dir: &Path, run_id: &RunId) -> Result<awslab_executor::RunLock, Failure> {
    super::run_state::lock_run(state_dir, run_id, "awslab up", Status::Invalid).map_err(|failure| {
        failure.hint(format!(
            "one command at a time works on a run: wait for it to end, or choose another --run-id than `{run_id}`"
        ))
    })
}

/// How a target is named in events and the journal: `aws`, `sandbox` or its URL.
pub fn target_name(target: &Target) -> String {
    match &target.connection {
        awslab_executor::client::Connection::Aws => "aws".to_owned(),
        awslab_executor::client::Connection::Endpoint(url) => url.clone(),
        awslab_executor::client::Connection::InProcess { .. } => "sandbox".to_owned(),
    }
}

/// Announces the run and starts the task that renders scheduler events.
fn start_renderer(
    output: OutputFormat,
    sealed: &SealedPlan,
    run_id: &RunId,
    target: &Target,
    resumed: bool,
) -> (
    tokio::sync::mpsc::UnboundedSender<awslab_executor::Event<StepId>>,
    tokio::task::JoinHandle<()>,
) {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let mut progress = Progress::new(output);
    let kinds: std::collections::HashMap<StepId, &'static str> = sealed
        .plan
        .steps
        .values()
        .map(|s| (s.id.clone(), s.kind.label()))
        .collect();
    progress.handle(&RunEvent::Run {
        run_id: run_id.to_string(),
        plan: sealed.plan.name.value.clone(),
        resumed,
        target: target_name(target),
        region: target.region.clone(),
    });
    let renderer = tokio::spawn(async move {
        while let Some(event) = receiver.recv().await {
            let event =
                RunEvent::from_scheduler(&event, |step| kinds.get(step).copied().unwrap_or(""));
            progress.handle(&event);
        }
        progress.finish();
    });
    (sender, renderer)
}

/// Adds to each failed verify the sandbox's explanation of the request its outcome
/// rests on. A sandbox that cannot be read again, or that no longer keeps the
/// decision, leaves the verify without one: the failure itself is already reported.
fn explain_failed_verifies(dir: &Path, steps: &mut [awslab_executor::StepSummary]) {
    let failed_verify = |step: &awslab_executor::StepSummary| {
        step.status == awslab_executor::Status::Failed
            && step.kind == "verify"
            && step.last_request_id().is_some()
    };
    if !steps.iter().any(failed_verify) {
        return;
    }
    let Ok(sandbox) = awslab_sandbox::Sandbox::open(dir) else {
        return;
    };
    for step in steps.iter_mut().filter(|step| failed_verify(step)) {
        if let Some(id) = step.last_request_id()
            && let Ok(Some(text)) = sandbox.explain(id)
        {
            // The request's context holds what the call sent (an external id from a
            // secret variable): blanked like every other output.
            step.explanation = Some(awslab_executor::redaction::redact(&text).into_owned());
        }
    }
}

fn conclude(
    sandbox: Option<&Path>,
    args: &UpArgs,
    sealed: &SealedPlan,
    engine: &Engine,
    report: &RunReport<StepId>,
    run_id: &RunId,
    class: Option<&super::class::ClassRecord>,
) -> Status {
    let mut steps = summary::steps(sealed, report, &engine.notes());
    if let Some(dir) = sandbox {
        explain_failed_verifies(dir, &mut steps);
    }
    let saved = RunEvent::Summary {
        run_id: run_id.to_string(),
        succeeded: report.succeeded(),
        steps: steps.clone(),
    };
    if let Some(record) = class {
        return super::class::conclude(
            (sandbox, args, sealed, engine),
            (report, run_id, record),
            &steps,
            &saved,
        );
    }
    match args.output {
        OutputFormat::Human => print!(
            "{}",
            summary::table(
                sealed,
                report,
                &steps,
                &engine.outputs(),
                run_id,
                sandbox.map(|_| args.target.sandbox_port),
            )
        ),
        OutputFormat::Json => Progress::json(&saved),
    }
    if let Err(error) = summary::save(&Journal::run_dir(&args.state.state_dir, run_id), &saved) {
        eprintln!("warning: cannot save the run's summary for `awslab status`: {error}");
    }
    if let Some(path) = &args.junit
        && let Err(error) = summary::write_junit(path, sealed, &steps)
    {
        eprintln!(
            "error: cannot write JUnit report `{}`: {error}",
            path.display()
        );
    }
    if matches!(
        report.stopped,
        Some(awslab_executor::CancelReason::Interrupted)
    ) {
        Status::Interrupted
    } else if report
        .steps
        .iter()
        .all(|s| s.status == StepStatus::Succeeded)
    {
        Status::Success
    } else {
        Status::StepFailed
    }
}

/// Creates the run's journal, or reopens it to resume (same plan only).
pub(super) fn open_journal(
    state_dir: &Path,
    run_id: &RunId,
    sealed: &SealedPlan,
    target: TargetInfo,
    vars: &[(String, String)],
    expires_at: Option<String>,
) -> Result<(Journal, JournalState), String> {
    let path = Journal::run_dir(state_dir, run_id).join(Journal::FILE_NAME);
    let marked = Journal::run_dir(state_dir, run_id)
        .join(Journal::RUN_FILE)
        .exists();
    if path.exists() || marked {
        let state = replay(&path).map_err(|e| e.to_string())?;
        if state.is_damaged() {
            return Err(format!(
                "the journal of run `{run_id}` is damaged ({}), so the run cannot be resumed; `awslab down {run_id}` says how to find what it left",
                state.damage_text()
            ));
        }
        if let Some(meta) = &state.meta
            && meta.plan_name != sealed.plan.name.value
        {
            return Err(format!(
                "run `{run_id}` belongs to plan `{}`, not `{}`; choose another --run-id",
                meta.plan_name, sealed.plan.name.value
            ));
        }
        let journal = Journal::open(state_dir, run_id).map_err(|e| e.to_string())?;
        return Ok((journal, state));
    }
    let meta = RunMeta {
        run_id: run_id.clone(),
        plan_path: sealed.path.display().to_string(),
        plan_name: sealed.plan.name.value.clone(),
        target,
        // Secret variables are journaled as `***`: the journal is not a secrets file.
        vars: vars
            .iter()
            .map(|(name, value)| {
                let value = if sealed.plan.secrets.contains(name) {
                    "***".to_owned()
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect(),
        started_at: timestamp_now(),
        expires_at,
    };
    let journal = Journal::create(state_dir, meta).map_err(|e| e.to_string())?;
    Ok((journal, JournalState::default()))
}
