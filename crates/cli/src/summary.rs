//! The end of a run for people and tools: the summary table, its JSON form, and the
//! `JUnit` report (one test case per verify step). Only step ids, kinds, statuses,
//! verdicts and non-secret facts appear here.

use std::fmt::Write as _;
use std::path::Path;

use std::time::Duration;

use awslab_executor::events::human_duration;
use awslab_executor::{RunId, RunReport, Status, StepNote, StepStatus, StepSummary};
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
pub fn table(
    sealed: &SealedPlan,
    report: &RunReport<StepId>,
    steps: &[StepSummary],
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
    for step in steps {
        let time = step
            .elapsed_ms
            .map(|ms| human_duration(Duration::from_millis(ms)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<width$}  {:<kind_width$}  {:<9}  {time:>6}  {}",
            step.step,
            step.kind,
            step.status.word(),
            step.note
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
        suite.add_test_case(case);
    }
    let mut junit = Report::new("awslab");
    junit.add_test_suite(suite);
    let text = junit.to_string().map_err(std::io::Error::other)?;
    std::fs::write(path, text)
}
