//! Ctrl-C (SIGINT) stops scheduling, lets the call in flight finish, exits 130 and
//! leaves a journal that `down` tears down; `--fail-fast` stops new work after the
//! first failure. On moto and on the sandbox.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly; the tests are made by a macro, not #[test] fns"
)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::process::Command;

use support::{Lab, text};

/// A user, then a verify that waits (a denial where success is expected is retried
/// until the settle deadline where changes take a while to be in force: on moto, and
/// on the sandbox with a propagation delay), and a step that depends on it.
const STUCK: &str = "name: stuck\nsteps:\n  user:\n    iam.user: { name: \"stuck-${run.id}\", access_key: true }\n  \
    waits:\n    verify: { as: user, call: s3.ListBuckets, expect: allow }\n  \
    after:\n    s3.bucket: { name: \"stuck-${run.id}\" }\n    needs: [waits]\n";

async fn ctrl_c_stops_the_run_with_130_and_down_cleans_up(lab: Lab) {
    let plan = lab.files.dir().join("stuck.yaml");
    std::fs::write(&plan, STUCK).unwrap();
    // On the sandbox a denial is final unless changes take a while to be in force.
    let mut args = vec!["--run-id", "int1", "--settle-timeout", "60"];
    if lab.target == support::Target::Sandbox {
        args.extend(["--propagation-delay", "10ms"]);
    }
    let mut child = lab.spawn_up_json(&plan, &args);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Wait until the verify is retrying, then press Ctrl-C once.
    for line in lines.by_ref() {
        if line
            .unwrap()
            .contains(r#""event":"retrying","step":"waits""#)
        {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    let summary = rest
        .iter()
        .find(|l| l.contains(r#""event":"summary""#))
        .expect("a summary after Ctrl-C");
    assert!(
        summary.contains(r#""step":"waits","kind":"verify","status":"cancelled""#),
        "{summary}"
    );
    assert!(
        summary.contains(r#""step":"after","kind":"s3.bucket","status":"skipped""#),
        "{summary}"
    );
    let journal = std::fs::read_to_string(lab.state_dir.join("runs/int1/journal.jsonl")).unwrap();
    assert!(journal.contains(r#""status":"interrupted""#), "{journal}");
    let down = lab.awslab(&["down", "int1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
on_each_target!(ctrl_c_stops_the_run_with_130_and_down_cleans_up);

async fn fail_fast_starts_nothing_after_the_first_failure(lab: Lab) {
    let plan = lab.files.dir().join("fails.yaml");
    std::fs::write(
        &plan,
        // `later` does not depend on `broken`: only --fail-fast keeps it from running.
        "name: fails\nsteps:\n  broken:\n    verify: { call: s3.HeadBucket, params: { Bucket: no-such-bucket-anywhere }, expect: allow }\n  \
         later:\n    s3.bucket: { name: \"later-${run.id}\" }\n",
    )
    .unwrap();
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "ff1",
        "--parallel",
        "1",
        "--fail-fast",
        "--settle-timeout",
        "1",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(1), "{out}");
    assert!(out.contains("broken") && out.contains("FAILED"), "{out}");
    assert!(out.contains("--fail-fast after `broken` failed"), "{out}");
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "a step ran after the failure"
    );
    let down = lab.awslab(&["down", "ff1"]);
    assert!(matches!(down.status.code(), Some(0 | 2)), "{}", text(&down));
}
on_each_target!(fail_fast_starts_nothing_after_the_first_failure);
