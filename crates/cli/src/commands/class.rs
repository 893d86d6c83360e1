//! A class run (issue 21 §1): the record of its learners and bundle folder in the
//! run's folder (`class.json`, written before any step), each learner's bundle (a
//! folder 0700 with the AWS CLI `config` and `credentials` the plan's profile steps
//! write, files 0600 from creation, and a README.md without secrets), the end of `up`
//! per learner (the table, `--output json`'s `learners`, a `JUnit` test suite each),
//! `status` per learner, and `down` of one learner or all, reported per learner, with
//! the bundles removed unless `--keep-bundles`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use awslab_executor::{JournalState, RunEvent, RunId, Status as StepState, StepSummary};
use awslab_planner::{SealedPlan, StepId, StepKind};
use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};

use crate::cli::BundleArgs;
use crate::exit::{Failure, Status};

/// The file in a run's folder that names a class run's learners and bundle folder.
pub const RECORD: &str = "class.json";
/// The README of each learner's bundle.
const README: &str = "README.md";

/// What a class run records before its first step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClassRecord {
    /// The folder of the bundles (absolute): `DIR/NAME/` per learner.
    pub bundle_dir: PathBuf,
    /// The learners' names, in order.
    pub learners: Vec<String>,
}

impl ClassRecord {
    /// The record of the run whose folder is `run_dir`, if it is a class run.
    pub fn read(run_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(run_dir.join(RECORD)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record atomically (a private temporary file, renamed).
    fn save(&self, run_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let temp = run_dir.join(format!("{RECORD}.tmp"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, run_dir.join(RECORD))
    }

    /// A learner's bundle folder.
    pub fn folder(&self, learner: &str) -> PathBuf {
        self.bundle_dir.join(learner)
    }
}

/// Before a class run's first step: its record (kept as it was when the run resumes)
/// and a private folder per learner. `None` for a plan run once.
pub fn prepare(
    run_dir: &Path,
    sealed: &SealedPlan,
    args: &BundleArgs,
) -> Result<Option<ClassRecord>, Failure> {
    let learners = &sealed.plan.learners;
    if learners.is_empty() {
        if args.bundle_dir.is_some() {
            return Err(Failure::new(
                Status::Invalid,
                "--bundle-dir is for a class: pass --learners N or --roster FILE too",
            ));
        }
        return Ok(None);
    }
    let record = match ClassRecord::read(run_dir) {
        Some(record) if record.learners.iter().eq(learners.keys()) => record,
        Some(_) => {
            return Err(Failure::new(
                Status::Invalid,
                "this run was started for other learners; resume it with the same --learners or --roster",
            ));
        }
        None => new_record(run_dir, learners.keys().cloned().collect(), args)?,
    };
    let private = |dir: &Path, recursive: bool| {
        std::fs::DirBuilder::new()
            .recursive(recursive)
            .mode(0o700)
            .create(dir)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| {
                Failure::new(
                    Status::Invalid,
                    format!("cannot create bundle folder `{}`: {e}", dir.display()),
                )
            })
    };
    private(&record.bundle_dir, true)?;
    for name in &record.learners {
        private(&record.folder(name), false)?;
    }
    Ok(Some(record))
}

/// The record of a new class run, saved: its bundle folder must not hold a learner's
/// files already.
fn new_record(
    run_dir: &Path,
    learners: Vec<String>,
    args: &BundleArgs,
) -> Result<ClassRecord, Failure> {
    let bundle_dir = match &args.bundle_dir {
        Some(dir) => std::path::absolute(dir).map_err(|e| {
            Failure::new(
                Status::Invalid,
                format!("cannot use bundle folder `{}`: {e}", dir.display()),
            )
        })?,
        None => run_dir.join("learners"),
    };
    let record = ClassRecord {
        bundle_dir,
        learners,
    };
    for name in &record.learners {
        let folder = record.folder(name);
        if ["config", "credentials", README]
            .iter()
            .any(|file| folder.join(file).exists())
        {
            return Err(Failure::new(
                Status::Invalid,
                format!(
                    "the bundle folder `{}` already holds a learner's files",
                    folder.display()
                ),
            )
            .hint("choose another --bundle-dir, or tear down the run that wrote it"));
        }
    }
    record.save(run_dir).map_err(|e| {
        Failure::new(
            Status::StepFailed,
            format!("cannot record the class in `{}`: {e}", run_dir.display()),
        )
    })?;
    Ok(record)
}

/// One learner's result.
#[derive(Debug, Clone, Serialize)]
pub struct LearnerSummary {
    pub name: String,
    pub id: String,
    pub succeeded: bool,
    pub steps_succeeded: usize,
    pub steps: usize,
    pub verifies_passed: usize,
    pub verifies: usize,
    /// The learner's steps that did not succeed (failed first), with their notes.
    pub problems: Vec<Problem>,
    /// The learner's bundle folder.
    pub bundle: String,
}

/// A step of a learner that did not succeed.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub step: String,
    pub status: StepState,
    pub note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// Every learner's result, in class order.
pub fn learners(
    sealed: &SealedPlan,
    steps: &[StepSummary],
    record: &ClassRecord,
) -> Vec<LearnerSummary> {
    let plan = &sealed.plan;
    let mut out: IndexMap<&str, LearnerSummary> = plan
        .learners
        .values()
        .map(|learner| {
            (
                learner.name.as_str(),
                LearnerSummary {
                    name: learner.name.clone(),
                    id: learner.id.clone(),
                    succeeded: true,
                    steps_succeeded: 0,
                    steps: 0,
                    verifies_passed: 0,
                    verifies: 0,
                    problems: Vec::new(),
                    bundle: record.folder(&learner.name).display().to_string(),
                },
            )
        })
        .collect();
    for step in steps {
        let Some(learner) = plan.learner_of(&step.step) else {
            continue;
        };
        let Some(summary) = out.get_mut(learner.name.as_str()) else {
            continue;
        };
        let ok = step.status == StepState::Succeeded;
        summary.steps += 1;
        summary.steps_succeeded += usize::from(ok);
        if step.kind == "verify" {
            summary.verifies += 1;
            summary.verifies_passed += usize::from(ok);
        }
        if !ok {
            summary.succeeded = false;
            summary.problems.push(Problem {
                step: step.step.clone(),
                status: step.status,
                note: step.note.clone(),
                request_id: step.last_request_id().map(str::to_owned),
            });
        }
    }
    for summary in out.values_mut() {
        summary
            .problems
            .sort_by_key(|p| u8::from(p.status != StepState::Failed));
    }
    out.into_values().collect()
}

/// The human end of a class `up`: a line a learner, then what failed, the bundles and
/// how to tear down.
pub fn table(
    learners: &[LearnerSummary],
    steps: &[StepSummary],
    record: &ClassRecord,
    run_id: &RunId,
    serve_port: Option<u16>,
) -> String {
    let mut out = String::new();
    let width = learners
        .iter()
        .map(|l| l.name.len())
        .max()
        .unwrap_or(7)
        .max(7);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:<6}  {:>7}  {:>8}  NOTE",
        "LEARNER", "STATUS", "STEPS", "VERIFIES"
    );
    for learner in learners {
        let note = learner.problems.first().map_or_else(String::new, |p| {
            let request = p
                .request_id
                .as_ref()
                .map(|id| format!(" (request {id})"))
                .unwrap_or_default();
            format!("`{}` {}: {}{request}", p.step, p.status.word(), p.note)
        });
        let row = format!(
            "{:<width$}  {:<6}  {:>7}  {:>8}  {note}",
            learner.name,
            if learner.succeeded { "ok" } else { "FAILED" },
            format!("{}/{}", learner.steps_succeeded, learner.steps),
            format!("{}/{}", learner.verifies_passed, learner.verifies),
        );
        let _ = writeln!(out, "{}", row.trim_end());
    }
    for step in steps {
        if let (Some(explanation), Some(id)) = (&step.explanation, step.last_request_id()) {
            let _ = writeln!(
                out,
                "\nWhy `{}` failed: the sandbox's decision on request {id}",
                step.step
            );
            for line in explanation.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    let ok = learners.iter().filter(|l| l.succeeded).count();
    let _ = writeln!(
        out,
        "\n{ok} of {} learners have their whole lab.",
        learners.len()
    );
    let serve = serve_port.map_or_else(String::new, |port| {
        let flag = if port == crate::cli::sandbox::DEFAULT_PORT {
            String::new()
        } else {
            format!(" --port {port}")
        };
        format!(" (their profiles need `awslab sandbox serve{flag}` running)")
    });
    let _ = writeln!(
        out,
        "Bundles, one folder a learner with a README.md: {}{serve}",
        record.bundle_dir.display()
    );
    let _ = writeln!(
        out,
        "Tear down with: awslab down {run_id}   (one learner: awslab down {run_id} --learner NAME)"
    );
    out
}

/// The `--output json` summary of a class: the run's summary with `learners`.
pub fn json(
    saved: &RunEvent,
    learners: &[LearnerSummary],
    record: &ClassRecord,
) -> serde_json::Value {
    let mut value = serde_json::to_value(saved).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "bundle_dir".to_owned(),
            serde_json::Value::String(record.bundle_dir.display().to_string()),
        );
        object.insert(
            "learners".to_owned(),
            serde_json::to_value(learners).unwrap_or_default(),
        );
    }
    value
}

/// Writes a `JUnit` report with one test suite a learner (`PLAN[NAME]`), one test case
/// per verify named as the plan names it.
pub fn write_junit(path: &Path, sealed: &SealedPlan, steps: &[StepSummary]) -> std::io::Result<()> {
    let plan = &sealed.plan;
    let mut suites: IndexMap<&str, TestSuite> = plan
        .learners
        .keys()
        .map(|name| {
            (
                name.as_str(),
                TestSuite::new(format!("{}[{name}]", plan.name.value)),
            )
        })
        .collect();
    for step in steps {
        let Some(StepKind::Verify(verify)) = sealed.step(&StepId::new(&step.step)).map(|s| &s.kind)
        else {
            continue;
        };
        let Some(learner) = plan.learner_of(&step.step) else {
            continue;
        };
        let status = match step.status {
            StepState::Succeeded => TestCaseStatus::success(),
            StepState::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(step.note.clone());
                status
            }
            StepState::Cancelled | StepState::Skipped | StepState::NotRun => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(step.note.clone());
                status
            }
        };
        let name = step
            .step
            .strip_suffix(&format!("[{}]", learner.name))
            .unwrap_or(&step.step);
        let mut case = TestCase::new(name, status);
        case.set_classname(format!("{}.{}", plan.name.value, verify.call.value));
        if let Some(ms) = step.elapsed_ms {
            case.set_time(Duration::from_millis(ms));
        }
        if let Some(id) = step.last_request_id() {
            case.add_property(("request_id", id));
        }
        if let Some(suite) = suites.get_mut(learner.name.as_str()) {
            suite.add_test_case(case);
        }
    }
    let mut junit = Report::new("awslab");
    junit.add_test_suites(suites.into_values());
    let text = junit.to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// Writes each learner's README.md: what the bundle holds and what to run. No secret:
/// profile names, paths and the endpoint only.
pub fn write_readmes(
    sealed: &SealedPlan,
    record: &ClassRecord,
    outputs: &IndexMap<String, IndexMap<String, String>>,
    endpoint: Option<&str>,
    run_id: &RunId,
) -> std::io::Result<()> {
    let plan = &sealed.plan;
    let mut profiles: HashMap<&str, Vec<&str>> = HashMap::new();
    for step in plan.steps.values() {
        if let (StepKind::AwsProfile(_), Some(learner)) =
            (&step.kind, plan.learner_of(step.id.as_str()))
            && let Some(name) = outputs.get(step.id.as_str()).and_then(|o| o.get("name"))
        {
            profiles
                .entry(learner.name.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    for learner in plan.learners.values() {
        let text = readme(
            &plan.name.value,
            plan.description.as_deref(),
            &learner.name,
            profiles
                .get(learner.name.as_str())
                .map_or(&[][..], Vec::as_slice),
            endpoint,
            run_id,
        );
        let path = record.folder(&learner.name).join(README);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(text.as_bytes())?;
    }
    Ok(())
}

fn readme(
    plan: &str,
    description: Option<&str>,
    learner: &str,
    profiles: &[&str],
    endpoint: Option<&str>,
    run_id: &RunId,
) -> String {
    let mut out = format!("# Lab `{plan}`, for {learner}\n\n");
    if let Some(description) = description {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    if profiles.is_empty() {
        out.push_str(
            "This lab writes no AWS CLI profile for you: your instructor tells you what to do.\n",
        );
    } else {
        out.push_str(
            "This folder holds your AWS CLI files: `config` and `credentials` (your keys: keep\n\
             them to yourself). From this folder, tell the AWS CLI to use them:\n\n\
             ```sh\n\
             export AWS_CONFIG_FILE=\"$PWD/config\" AWS_SHARED_CREDENTIALS_FILE=\"$PWD/credentials\"\n",
        );
        for profile in profiles {
            let _ = writeln!(out, "aws sts get-caller-identity --profile {profile}");
        }
        out.push_str("```\n\nYour profiles: ");
        let named: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
        let _ = writeln!(out, "{}.", named.join(", "));
    }
    if let Some(endpoint) = endpoint {
        let _ = writeln!(
            out,
            "\nThe lab runs on the awslab sandbox at {endpoint} (your profiles name it as\n\
             `endpoint_url`): `awslab sandbox serve` must be running there."
        );
    }
    let _ = writeln!(
        out,
        "\nWhen the class ends your instructor runs `awslab down {run_id}`: everything of the\nlab is deleted and these keys stop working."
    );
    out
}

/// Which learner a journaled step belongs to: the last `[NAME]` of its id, if that
/// names one of `learners`.
fn learner_of_step<'a>(step: Option<&str>, learners: &'a [String]) -> Option<&'a str> {
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
    /// Whether the learner's bundle folder was removed.
    pub bundle_removed: bool,
}

/// Each learner's live resources in `state`.
fn live_by_learner<'a>(state: &JournalState, learners: &'a [String]) -> HashMap<&'a str, usize> {
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
    let after = super::run_state::journal_path(&down.state.state_dir, run_id);
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
            }
        })
        .collect();
    let sound = receipt.damaged_journal.is_none() && after.is_some();
    for row in &mut rows {
        if row.left == 0 && sound && !args.keep_bundles {
            row.bundle_removed = remove_bundle(&record.folder(&row.name));
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

/// `status` of a class run: a line a learner (from the last `up`'s summary, and the
/// journal's live resources).
pub fn status_text(run_dir: &Path, state: &JournalState) -> Option<String> {
    let record = ClassRecord::read(run_dir)?;
    let saved: serde_json::Value = std::fs::read_to_string(run_dir.join(crate::summary::SAVED))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let from_up: HashMap<String, &serde_json::Value> = saved["learners"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|l| Some((l["name"].as_str()?.to_owned(), l)))
                .collect()
        })
        .unwrap_or_default();
    let live = live_by_learner(state, &record.learners);
    let width = record
        .learners
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out = format!(
        "\nLearners ({}), bundles in {}:\n  {:<width$}  {:<9}  {:>7}  {:>8}  RESOURCES\n",
        record.learners.len(),
        record.bundle_dir.display(),
        "LEARNER",
        "LAST UP",
        "STEPS",
        "VERIFIES"
    );
    for name in &record.learners {
        let summary = from_up.get(name);
        let word = match summary.map(|s| s["succeeded"].as_bool()) {
            Some(Some(true)) => "ok",
            Some(Some(false)) => "FAILED",
            _ => "?",
        };
        let pair = |done: &str, all: &str| {
            summary.map_or_else(
                || "-".to_owned(),
                |s| {
                    format!(
                        "{}/{}",
                        s[done].as_u64().unwrap_or(0),
                        s[all].as_u64().unwrap_or(0)
                    )
                },
            )
        };
        let _ = writeln!(
            out,
            "  {name:<width$}  {word:<9}  {:>7}  {:>8}  {}",
            pair("steps_succeeded", "steps"),
            pair("verifies_passed", "verifies"),
            live.get(name.as_str()).copied().unwrap_or(0)
        );
    }
    Some(out)
}

/// The end of a class `up`: the summary per learner (human or JSON, and saved for
/// `status`), the `JUnit` report, each learner's README, and the exit status (1 when
/// any learner's step failed).
pub fn conclude(
    (sandbox, args, sealed, engine): (
        Option<&Path>,
        &crate::cli::UpArgs,
        &SealedPlan,
        &awslab_executor::Engine,
    ),
    (report, run_id, record): (&awslab_executor::RunReport<StepId>, &RunId, &ClassRecord),
    steps: &[StepSummary],
    saved: &RunEvent,
) -> Status {
    let learners = learners(sealed, steps, record);
    let endpoint = engine
        .options()
        .target
        .profile_endpoint()
        .map(str::to_owned);
    if let Err(error) = write_readmes(
        sealed,
        record,
        &engine.outputs(),
        endpoint.as_deref(),
        run_id,
    ) {
        eprintln!("warning: cannot write the learners' README.md: {error}");
    }
    let json = json(saved, &learners, record);
    match args.output {
        crate::cli::OutputFormat::Human => print!(
            "{}",
            table(
                &learners,
                steps,
                record,
                run_id,
                sandbox.map(|_| args.target.sandbox_port),
            )
        ),
        crate::cli::OutputFormat::Json => crate::progress::Progress::json(&json),
    }
    let run_dir = awslab_executor::Journal::run_dir(&args.state.state_dir, run_id);
    if let Err(error) = save_summary(&run_dir, &json) {
        eprintln!("warning: cannot save the run's summary for `awslab status`: {error}");
    }
    if let Some(path) = &args.junit
        && let Err(error) = write_junit(path, sealed, steps)
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
    } else if learners.iter().all(|l| l.succeeded) {
        Status::Success
    } else {
        Status::StepFailed
    }
}

/// Saves a class's summary where `status` reads it, private like the run's folder.
fn save_summary(run_dir: &Path, summary: &serde_json::Value) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(run_dir.join(crate::summary::SAVED))?;
    let text = serde_json::to_string(summary).map_err(std::io::Error::other)?;
    file.write_all(format!("{text}\n").as_bytes())
}
