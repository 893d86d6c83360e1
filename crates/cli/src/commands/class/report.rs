//! The end of a class `up` and its `status`, per learner: the table, the `learners`
//! of `--output json` (saved for `status`), a `JUnit` test suite a learner.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::time::Duration;

use awslab_executor::{JournalState, RunEvent, RunId, Status as StepState, StepSummary};
use awslab_planner::{SealedPlan, StepId, StepKind};
use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::ClassRecord;
use super::down::live_by_learner;
use crate::exit::Status;

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
        format!(
            " (their profiles need `{}` running)",
            crate::summary::serve_command(port)
        )
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
    if let Err(error) = super::write_readmes(
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
