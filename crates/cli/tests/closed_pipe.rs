//! A reader that goes away (`awslab plan … | head -1`, `awslab up … | head`) must not
//! crash awslab: a report command ends normally, and a run on the sandbox goes on to
//! the end and journals as usual, so `down` still tears it down. The pipes here are
//! closed before awslab starts, so every write it makes fails with a broken pipe.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

fn plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/sts-assume-role.yaml")
}

/// A pipe whose reading end is already closed.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

fn awslab(home: &Path, args: &[&str], stdout: Stdio, stderr: Stdio) -> Output {
    Command::new(AWSLAB)
        .args(args)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWSLAB_STATE_DIR", home.join("state"))
        .env("AWSLAB_SANDBOX_DIR", home.join("sandbox"))
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("RUST_LOG")
        .stdout(stdout)
        .stderr(stderr)
        .output()
        .unwrap()
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn report_commands_end_normally_when_stdout_is_closed() {
    let home = tempfile::tempdir().unwrap();
    let plan = plan();
    let plan = plan.to_str().unwrap();
    for args in [
        vec!["plan", plan],
        vec!["graph", plan],
        vec!["schema"],
        vec!["runs"],
        vec!["sandbox", "status"],
    ] {
        let output = awslab(home.path(), &args, closed_pipe(), Stdio::piped());
        let stderr = stderr_of(&output);
        assert!(!stderr.contains("panicked"), "awslab {args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "awslab {args:?}: {stderr}");
    }
}

#[test]
fn a_run_whose_output_is_closed_finishes_and_can_be_torn_down() {
    let home = tempfile::tempdir().unwrap();
    let plan = plan();
    let plan = plan.to_str().unwrap();
    // Both streams closed: nothing can be said, and the run must still complete.
    let up = awslab(
        home.path(),
        &["up", plan, "--run-id", "deaf"],
        closed_pipe(),
        closed_pipe(),
    );
    assert_eq!(up.status.code(), Some(0), "up with closed output failed");
    let status = awslab(
        home.path(),
        &["status", "deaf"],
        Stdio::piped(),
        Stdio::piped(),
    );
    let report = String::from_utf8_lossy(&status.stdout);
    assert!(
        report.contains("succeeded"),
        "{report}{}",
        stderr_of(&status)
    );
    let down = awslab(
        home.path(),
        &["down", "deaf"],
        closed_pipe(),
        Stdio::piped(),
    );
    let stderr = stderr_of(&down);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(down.status.code(), Some(0), "{stderr}");
    // Nothing of the run is left in the sandbox.
    let after = awslab(
        home.path(),
        &["sandbox", "status"],
        Stdio::piped(),
        Stdio::piped(),
    );
    let after = String::from_utf8_lossy(&after.stdout);
    assert!(!after.contains("deaf"), "{after}");
}
