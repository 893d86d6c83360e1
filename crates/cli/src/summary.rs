//! The end of a run for people and tools: the summary table, its JSON form, and the
//! `JUnit` report (one test case per verify step). Only step ids, kinds, statuses,
//! verdicts and non-secret facts appear here.

use std::fmt::Write as _;
use std::path::Path;

use std::time::Duration;

use awslab_executor::events::human_duration;
use awslab_executor::{RunEvent, RunId, RunReport, Status, StepNote, StepStatus, StepSummary};
use awslab_planner::{SealedPlan, StepId, StepKind};
use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// Every step's summary line, in plan order.
pub fn steps(
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    notes: &IndexMap<String, StepNote>,
) -> Vec<StepSummary> {
    report
        .steps
        .iter()
        .map(|s| {
            StepSummary::new(
                s,
                sealed.step(&s.step).map_or("", |x| x.kind.label()),
                notes.get(s.step.as_str()),
            )
        })
        .collect()
}

/// The human summary: one row a step, then the totals and what to do next.
/// `serve_port`: the run was on the in-process sandbox, whose profiles point there.
pub fn table(
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    steps: &[StepSummary],
    outputs: &IndexMap<String, IndexMap<String, String>>,
    run_id: &RunId,
    serve_port: Option<u16>,
) -> String {
    let mut out = String::new();
    let width = report
        .steps
        .iter()
        .map(|s| s.step.as_str().len())
        .max()
        .unwrap_or(4)
        .max(4);
    let kind_width = sealed
        .plan
        .steps
        .values()
        .map(|s| s.kind.label().len())
        .max()
        .unwrap_or(4);
    let _ = writeln!(
        out,
        "\n{:<width$}  {:<kind_width$}  {:<9}  {:>6}  NOTE",
        "STEP", "KIND", "STATUS", "TIME"
    );
    for step in steps {
        let time = step
            .elapsed_ms
            .map(|ms| human_duration(Duration::from_millis(ms)))
            .unwrap_or_default();
        // A failure names the request it rests on, for `awslab sandbox explain`.
        let request = match (step.status, step.last_request_id()) {
            (Status::Failed, Some(id)) => format!(" (request {id})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<kind_width$}  {:<9}  {time:>6}  {}{request}",
            step.step,
            step.kind,
            step.status.word(),
            step.note
        );
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
    let total = report.steps.len();
    let ok = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Succeeded)
        .count();
    let verifies: Vec<_> = report
        .steps
        .iter()
        .filter(|s| {
            matches!(
                sealed.step(&s.step).map(|x| &x.kind),
                Some(StepKind::Verify(_))
            )
        })
        .collect();
    let passed = verifies
        .iter()
        .filter(|s| s.status == StepStatus::Succeeded)
        .count();
    let _ = writeln!(
        out,
        "\n{ok} of {total} steps succeeded; {passed} of {} verifications passed.",
        verifies.len()
    );
    for step in sealed.plan.steps.values() {
        if let StepKind::AwsProfile(_) = &step.kind
            && report.status(&step.id) == Some(&StepStatus::Succeeded)
            && let Some(name) = outputs.get(step.id.as_str()).and_then(|o| o.get("name"))
        {
            // On the in-process sandbox nothing listens: the aws CLI reaches the same
            // world only through `awslab sandbox serve` (the profile's endpoint_url).
            let serve = serve_port.map_or_else(String::new, |port| {
                format!("   (needs `{}` running)", serve_command(port))
            });
            let _ = writeln!(
                out,
                "Profile written: aws sts get-caller-identity --profile {name}{serve}"
            );
        }
    }
    let _ = writeln!(out, "Tear down with: awslab down {run_id}");
    out
}

/// The file in a run's folder that keeps the last `up`'s summary (its `--output json`
/// summary object), so `awslab status` can say which steps failed.
pub const SAVED: &str = "summary.json";

/// Saves the summary in the run's folder, private like everything there.
pub fn save(run_dir: &Path, summary: &RunEvent) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(run_dir.join(SAVED))?;
    let text = serde_json::to_string(summary).map_err(std::io::Error::other)?;
    file.write_all(format!("{text}\n").as_bytes())
}

/// The lines of `awslab status` about the last `up`'s steps: the count, then every
/// step that did not succeed with its note. `None` without a saved summary.
pub fn saved_steps_text(run_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(run_dir.join(SAVED)).ok()?;
    let summary: serde_json::Value = serde_json::from_str(&text).ok()?;
    let steps = summary["steps"].as_array()?;
    let field =
        |step: &serde_json::Value, key: &str| step[key].as_str().unwrap_or_default().to_owned();
    let ok = steps.iter().filter(|s| s["status"] == "succeeded").count();
    let mut out = format!("\nSteps (last `up`): {ok} of {} succeeded\n", steps.len());
    let others: Vec<_> = steps
        .iter()
        .filter(|s| s["status"] != "succeeded")
        .collect();
    let width = others
        .iter()
        .map(|s| field(s, "step").len())
        .max()
        .unwrap_or(0);
    for step in others {
        let status = match step["status"].as_str().unwrap_or_default() {
            "failed" => "FAILED",
            "not_run" => "not run",
            other => other,
        };
        let request = step["request_ids"]
            .as_array()
            .and_then(|ids| ids.last())
            .and_then(serde_json::Value::as_str)
            .map(|id| format!(" (request {id})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {status:<9}  {:<width$}  {}{request}",
            field(step, "step"),
            field(step, "note")
        );
    }
    Some(out)
}

/// Writes a `JUnit` report: one test suite for the plan, one test case per verify.
pub fn write_junit(path: &Path, sealed: &SealedPlan, steps: &[StepSummary]) -> std::io::Result<()> {
    let mut suite = TestSuite::new(sealed.plan.name.value.clone());
    for step in steps {
        let Some(StepKind::Verify(verify)) = sealed.step(&StepId::new(&step.step)).map(|s| &s.kind)
        else {
            continue;
        };
        let note = step.note.clone();
        let status = match step.status {
            Status::Succeeded => TestCaseStatus::success(),
            Status::Failed => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(note.clone());
                status
            }
            Status::Cancelled | Status::Skipped | Status::NotRun => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(note.clone());
                status
            }
        };
        let mut case = TestCase::new(step.step.as_str(), status);
        case.set_classname(format!("{}.{}", sealed.plan.name.value, verify.call.value));
        if let Some(ms) = step.elapsed_ms {
            case.set_time(Duration::from_millis(ms));
        }
        if step.status == Status::Succeeded {
            case.set_system_out(note);
        }
        // Every call's request id, the last one the answer the verdict rests on.
        if !step.request_ids.is_empty() {
            case.add_property(("request_ids", step.request_ids.join(" ").as_str()));
        }
        if let Some(id) = step.last_request_id() {
            case.add_property(("request_id", id));
        }
        suite.add_test_case(case);
    }
    let mut junit = Report::new("awslab");
    junit.add_test_suite(suite);
    let text = junit.to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}

/// The command that serves the sandbox on `port`, for the profiles awslab wrote (their
/// `endpoint_url` names that port).
pub fn serve_command(port: u16) -> String {
    if port == crate::cli::sandbox::DEFAULT_PORT {
        "awslab sandbox serve".to_owned()
    } else {
        format!("awslab sandbox serve --port {port}")
    }
}
