//! Reuse on the sandbox (issue 17 §5): `plans/teams.yaml` (an include, `for_each`
//! instances, a `--var-file`) runs `up` and `down` leaving nothing, with its instance
//! ids in the graph, the table, `status` and the `JUnit` report; and a
//! secret given in a variable file reaches no output, log or journal, even when that
//! file has a mistake.

#![allow(
    clippy::unwrap_used,
    reason = "tests fail loudly; the tests are made by a macro, not #[test] fns"
)]

mod support;

use support::{Lab, Target, plans, text};

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn teams_lab_runs_up_and_down_on_the_sandbox_leaving_nothing() {
    let lab = sandbox_lab("teams_lab_runs_up_and_down_on_the_sandbox_leaving_nothing").await;
    let plan = plans().join("teams.yaml");
    let plan = plan.to_str().unwrap();
    let var_file = plans().join("vars/teams.yaml");
    let var_file = var_file.to_str().unwrap();

    let graph = lab.awslab(&["graph", plan, "--var-file", var_file]);
    let graph_text = text(&graph);
    assert_eq!(graph.status.code(), Some(0), "{graph_text}");
    assert!(graph_text.contains("org/user[green]"), "{graph_text}");

    let junit = lab.files.dir().join("teams.xml");
    let up = lab.awslab(&[
        "up",
        plan,
        "--var-file",
        var_file,
        "--run-id",
        "teams1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("18 of 18 steps succeeded; 5 of 5 verifications passed."),
        "{out}"
    );
    assert!(out.contains("org/who[green]"), "{out}");
    assert!(
        out.contains("expected AccessDenied, got AccessDenied"),
        "{out}"
    );
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(report.contains("org/who[blue]"), "{report}");

    let status = lab.awslab(&["status", "teams1"]);
    let status_text = text(&status);
    assert!(status.status.success(), "{status_text}");
    assert!(
        status_text.contains("org/role[red].arn = arn:aws:iam::"),
        "{status_text}"
    );
    assert!(!lab.inventory().is_empty(), "the run created nothing?");

    let down = lab.awslab(&["down", "teams1"]);
    let down_text = text(&down);
    assert_eq!(down.status.code(), Some(0), "{down_text}");
    assert!(
        down_text.contains("deleted  iam role teams-lab-green-role-teams1"),
        "{down_text}"
    );
    assert!(down_text.contains("Nothing is left."), "{down_text}");
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left after down");
}

const SECRET: &str = "varfile-Secret-3c9e51";

fn a_secret_in_a_var_file_reaches_no_output(lab: &Lab) {
    let dir = lab.files.dir();
    let plan = dir.join("lab.yaml");
    std::fs::write(
        &plan,
        "\
name: var-file-secret
vars:
  pin: placeholder
  teams: [red]
steps:
  user:
    for_each: \"${vars.teams}\"
    iam.user: { name: \"vf-${each.key}-${run.id}\" }
  role:
    iam.role:
      name: \"vf-role-${run.id}\"
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole, Condition: { StringEquals: { \"sts:ExternalId\": \"${vars.pin}\" } } } }
",
    )
    .unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(
        &good,
        format!("pin: {{ value: {SECRET}, secret: true }}\nteams: [red, blue]\n"),
    )
    .unwrap();
    // A mistake on the line after the secret, and one on its own line.
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        format!("pin: {{ value: {SECRET}, secret: true }}\npins: {SECRET}\nteams: {SECRET}\n"),
    )
    .unwrap();
    let (plan, good, bad) = (
        plan.to_str().unwrap(),
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    let mut seen = String::new();

    let refused = lab.awslab(&["validate", plan, "--var-file", bad]);
    let refused_text = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{refused_text}");
    assert!(
        refused_text.contains("bad.yaml:2:1") && refused_text.contains("bad.yaml:3:8"),
        "{refused_text}"
    );
    seen.push_str(&refused_text);

    for args in [
        vec!["plan", plan, "--var-file", good],
        vec!["-vvv", "up", plan, "--var-file", good, "--run-id", "vf1"],
        vec!["status", "vf1"],
        vec!["down", "vf1", "--yes"],
    ] {
        let out = lab.awslab(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        seen.push_str(&text(&out));
    }
    assert!(seen.contains("vf-blue-vf1"), "{seen}");
    assert!(
        !seen.contains(SECRET),
        "the secret reached an output:\n{seen}"
    );
    let journal = std::fs::read_to_string(lab.state_dir.join("runs/vf1/journal.jsonl")).unwrap();
    assert!(
        !journal.contains(SECRET),
        "the secret is journaled:\n{journal}"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left after down");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_in_a_var_file_reaches_no_output_on_the_sandbox() {
    let lab = sandbox_lab("a_secret_in_a_var_file_reaches_no_output_on_the_sandbox").await;
    a_secret_in_a_var_file_reaches_no_output(&lab);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_in_a_var_file_reaches_no_output_under_rust_log_trace() {
    let mut lab =
        sandbox_lab("a_secret_in_a_var_file_reaches_no_output_under_rust_log_trace").await;
    lab.rust_log = Some("trace");
    a_secret_in_a_var_file_reaches_no_output(&lab);
}
