//! Every step kind of the planner's kind table has its aws CLI commands: the plans in
//! `plans/` and a plan of the kinds they do not use are built into runbooks, every
//! section but a verify's has a command (a verify has its claim), and every label in
//! `StepKind::LABELS` is seen.
#![expect(clippy::expect_used, reason = "test")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use awslab_planner::StepKind;
use awslab_runbook::{Options, Runbook, build};

fn options() -> Options {
    Options {
        run_id: "k1".into(),
        region: "us-east-1".into(),
        endpoint_url: Some("http://127.0.0.1:4566".into()),
        profile: None,
        sandbox: true,
    }
}

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn runbooks() -> Vec<(String, Runbook)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(plans()).expect("plans/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let sealed = awslab_planner::load(&path, &[]).expect("a valid plan");
            out.push((path.display().to_string(), build(&sealed, &options())));
        }
    }
    // The kinds no plan in `plans/` uses (groups, a lone access key, an attached role
    // policy); the CLI's export tests run it against `sandbox serve` too.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/fixtures/export/other-kinds.yaml");
    let sealed = awslab_planner::load(&path, &[]).expect("a valid plan");
    out.push(("other-kinds".into(), build(&sealed, &options())));
    out
}

#[test]
fn every_step_kind_has_commands() {
    let mut seen = BTreeSet::new();
    for (plan, runbook) in runbooks() {
        for section in &runbook.sections {
            seen.insert(section.kind.clone());
            if section.kind == "verify" {
                assert!(
                    section.claim.is_some(),
                    "{plan}: `{}` has no claim",
                    section.step
                );
            } else {
                assert!(
                    section.commands.iter().any(|c| c.line.contains("aws ")),
                    "{plan}: step `{}` ({}) has no aws CLI command",
                    section.step,
                    section.kind
                );
            }
        }
    }
    let missing: Vec<&&str> = StepKind::LABELS
        .iter()
        .filter(|label| !seen.contains(**label))
        .collect();
    assert!(missing.is_empty(), "kinds without a runbook: {missing:?}");
}

#[test]
fn cleanup_undoes_in_teardown_order_and_names_no_secret() {
    for (plan, runbook) in runbooks() {
        let steps: Vec<&str> = runbook.sections.iter().map(|s| s.step.as_str()).collect();
        let position = |step: &str| steps.iter().position(|s| *s == step).expect("a step");
        let order: Vec<usize> = runbook.cleanup.iter().map(|u| position(&u.step)).collect();
        assert!(
            order.windows(2).all(|w| w[0] >= w[1]),
            "{plan}: cleanup is not in reverse run order: {order:?}"
        );
        for undo in &runbook.cleanup {
            assert!(
                !undo.line.contains("SECRET_ACCESS_KEY") && !undo.line.contains("SESSION_TOKEN"),
                "{plan}: {}",
                undo.line
            );
        }
    }
}

#[test]
fn secret_captures_are_never_echoed() {
    for (plan, runbook) in runbooks() {
        let script = awslab_runbook::sh::render(&runbook, awslab_runbook::sh::Files::Beside);
        for section in &runbook.sections {
            for capture in section.commands.iter().flat_map(|c| &c.captures) {
                if capture.secret {
                    assert!(
                        !script.lines().any(|l| l.trim_start().starts_with("echo")
                            && l.contains(&capture.var)),
                        "{plan}: `{}` is echoed",
                        capture.var
                    );
                }
            }
        }
    }
}
