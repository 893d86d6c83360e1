//! The end of a run for people and tools: the summary table, its JSON form, and the
//! `JUnit` report (one test case per verify step). Only step ids, kinds, statuses,
//! verdicts and non-secret facts appear here.

use std::fmt::Write as _;
use std::path::Path;

use awslab_executor::{RunId, RunReport, StepNote, StepStatus};
use awslab_planner::{SealedPlan, StepId, StepKind};
use indexmap::IndexMap;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::json;

use crate::progress::seconds;

fn status_word(status: &StepStatus<StepId>) -> &'static str {
    match status {
        StepStatus::Succeeded => "ok",
        StepStatus::Failed { .. } => "FAILED",
        StepStatus::Cancelled { .. } => "cancelled",
        StepStatus::Skipped { .. } => "skipped",
        StepStatus::NotStarted { .. } => "not run",
    }
}

/// The status word of `--output json`, the same as in its `finished` events.
fn status_json(status: &StepStatus<StepId>) -> &'static str {
    match status {
        StepStatus::Succeeded => "succeeded",
        StepStatus::Failed { .. } => "failed",
        StepStatus::Cancelled { .. } => "cancelled",
        StepStatus::Skipped { .. } => "skipped",
        StepStatus::NotStarted { .. } => "not_run",
    }
}

/// What to say about a step besides its status.
fn note_text(status: &StepStatus<StepId>, note: Option<&StepNote>) -> String {
    let mut parts = Vec::new();
    match status {
        StepStatus::Failed { message } | StepStatus::Cancelled { message } => {
            parts.push(message.clone());
        }
        StepStatus::Skipped { because } => parts.push(format!("`{because}` did not succeed")),
        StepStatus::NotStarted { reason } => parts.push(crate::progress::reason_text(reason)),
        StepStatus::Succeeded => {
            if let Some(verdict) = note.and_then(|n| n.verdict.as_ref()) {
                parts.push(verdict.clone());
            }
        }
    }
    if let Some(note) = note {
        if let Some((waited, attempts)) = note.settled {
            parts.push(format!(
                "waited {} for IAM ({attempts} attempts)",
                seconds(waited)
            ));
        }
        if let Some(expires) = &note.expires {
            parts.push(format!("expires {expires}"));
        }
    }
    parts.join("; ")
}

/// The human summary: one row a step, then the totals and what to do next.
pub fn table(
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    notes: &IndexMap<String, StepNote>,
    outputs: &IndexMap<String, IndexMap<String, String>>,
    run_id: &RunId,
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
    for step in &report.steps {
        let kind = sealed.step(&step.step).map_or("", |s| s.kind.label());
        let time = step.elapsed.map(seconds).unwrap_or_default();
        let note = note_text(&step.status, notes.get(step.step.as_str()));
        let _ = writeln!(
            out,
            "{:<width$}  {kind:<kind_width$}  {:<9}  {time:>6}  {note}",
            step.step.as_str(),
            status_word(&step.status)
        );
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
            let _ = writeln!(
                out,
                "Profile written: aws sts get-caller-identity --profile {name}"
            );
        }
    }
    let _ = writeln!(out, "Tear down with: awslab down {run_id}");
    out
}

/// The summary as one JSON object (the last line of `--output json`).
pub fn json(
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    notes: &IndexMap<String, StepNote>,
    run_id: &RunId,
) -> serde_json::Value {
    let steps: Vec<_> = report
        .steps
        .iter()
        .map(|s| {
            let note = notes.get(s.step.as_str());
            json!({
                "step": s.step.as_str(),
                "kind": sealed.step(&s.step).map_or("", |x| x.kind.label()),
                "status": status_json(&s.status),
                "elapsed_ms": s.elapsed.map(|e| u64::try_from(e.as_millis()).unwrap_or(u64::MAX)),
                "note": note_text(&s.status, note),
                "settle_ms": note.and_then(|n| n.settled).map(|(w, _)| u64::try_from(w.as_millis()).unwrap_or(u64::MAX)),
                "expires": note.and_then(|n| n.expires.clone()),
            })
        })
        .collect();
    json!({"event": "summary", "run_id": run_id.as_str(), "succeeded": report.succeeded(), "steps": steps})
}

/// The file in a run's folder that keeps the last `up`'s summary (its `--output json`
/// summary object), so `awslab status` can say which steps failed.
pub const SAVED: &str = "summary.json";

/// Saves the summary in the run's folder, private like everything there.
pub fn save(run_dir: &Path, summary: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(run_dir.join(SAVED))?;
    file.write_all(format!("{summary}\n").as_bytes())
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
        let _ = writeln!(
            out,
            "  {status:<9}  {:<width$}  {}",
            field(step, "step"),
            field(step, "note")
        );
    }
    Some(out)
}

/// Writes a `JUnit` report: one test suite for the plan, one test case per verify.
pub fn write_junit(
    path: &Path,
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    notes: &IndexMap<String, StepNote>,
) -> std::io::Result<()> {
    let mut suite = TestSuite::new(sealed.plan.name.value.clone());
    for step in &report.steps {
        let Some(StepKind::Verify(verify)) = sealed.step(&step.step).map(|s| &s.kind) else {
            continue;
        };
        let note = note_text(&step.status, notes.get(step.step.as_str()));
        let status = match &step.status {
            StepStatus::Succeeded => TestCaseStatus::success(),
            StepStatus::Failed { .. } => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(note.clone());
                status
            }
            StepStatus::Cancelled { .. }
            | StepStatus::Skipped { .. }
            | StepStatus::NotStarted { .. } => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(note.clone());
                status
            }
        };
        let mut case = TestCase::new(step.step.as_str(), status);
        case.set_classname(format!("{}.{}", sealed.plan.name.value, verify.call.value));
        if let Some(elapsed) = step.elapsed {
            case.set_time(elapsed);
        }
        if step.status == StepStatus::Succeeded {
            case.set_system_out(note);
        }
        suite.add_test_case(case);
    }
    let mut junit = Report::new("awslab");
    junit.add_test_suite(suite);
    let text = junit.to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}
