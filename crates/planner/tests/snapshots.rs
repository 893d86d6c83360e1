//! Snapshots of what people read: the seed lab's graph as Graphviz dot and Mermaid (run
//! and teardown order), and rendered diagnostics of broken plans as the CLI shows them
//! without colour.

use std::path::Path;

use awslab_planner::{LoadError, SealedPlan, SourceFile, check_source, load, render};
use miette::{GraphicalReportHandler, GraphicalTheme};

fn seed_lab() -> SealedPlan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/sts-assume-role.yaml");
    load(&path, &[]).unwrap_or_else(|err| panic!("the seed lab does not load: {err:?}"))
}

#[test]
fn seed_lab_run_graph_as_dot() {
    insta::assert_snapshot!("seed_lab_run.dot", render::to_dot(&seed_lab(), false));
}

#[test]
fn seed_lab_teardown_graph_as_dot() {
    insta::assert_snapshot!("seed_lab_teardown.dot", render::to_dot(&seed_lab(), true));
}

#[test]
fn seed_lab_run_graph_as_mermaid() {
    insta::assert_snapshot!(
        "seed_lab_run.mermaid",
        render::to_mermaid(&seed_lab(), false)
    );
}

#[test]
fn seed_lab_teardown_graph_as_mermaid() {
    insta::assert_snapshot!(
        "seed_lab_teardown.mermaid",
        render::to_mermaid(&seed_lab(), true)
    );
}

/// The report the CLI prints for a broken plan, without colour, 100 columns wide.
fn rendered(yaml: &str) -> String {
    let err = match check_source(SourceFile::new("lab.yaml", yaml), &[]) {
        Ok(_) => panic!("the plan loaded:\n{yaml}"),
        Err(err @ LoadError::Invalid { .. }) => err,
        Err(other) => panic!("unexpected load error: {other}"),
    };
    let mut out = String::new();
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100);
    if let Err(e) = handler.render_report(&mut out, &err) {
        panic!("cannot render: {e}");
    }
    out
}

#[test]
fn renders_unknown_kind_and_unknown_reference() {
    insta::assert_snapshot!(rendered(
        "\
name: lab
steps:
  user:
    iam.usr: { name: alice }
  check:
    verify: { as: usr, call: sts.GetCallerIdentity, expect: { Arn: \"${user.arn}\" } }
"
    ));
}

#[test]
fn renders_cycle_with_the_edge_to_break() {
    insta::assert_snapshot!(rendered(
        "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
    needs: [c]
  b:
    s3.object: { bucket: \"${a.name}\", key: k, body: x }
  c:
    s3.object: { bucket: \"${b.bucket}\", key: k2, body: y }
"
    ));
}

#[test]
fn renders_duration_over_the_role_maximum_and_duplicate_step() {
    insta::assert_snapshot!(rendered(
        "\
name: lab
steps:
  role:
    iam.role:
      name: lab-role
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
  session:
    sts.assume_role: { role_arn: \"${role.arn}\", session_name: s1, duration: 4h }
  session:
    sts.get_session_token: {}
"
    ));
}
