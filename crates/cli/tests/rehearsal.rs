//! `--propagation-delay` and `--throttle`: the seed lab passes on a sandbox that
//! rehearses IAM's propagation, by waiting on the real signal (the run reports its
//! retries), and the flags refuse bad values and targets other than the sandbox.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

fn plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans/sts-assume-role.yaml")
}

fn awslab(home: &Path, args: &[&str]) -> Output {
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
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn events(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[test]
fn seed_lab_passes_under_a_propagation_delay_by_waiting_on_the_signal() {
    let home = tempfile::tempdir().unwrap();
    let up = awslab(
        home.path(),
        &[
            "up",
            plan().to_str().unwrap(),
            "--run-id",
            "late",
            "--propagation-delay",
            "2s",
            "--throttle",
            "50/s",
            "--output",
            "json",
        ],
    );
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let events = events(&up);
    let summary = events
        .iter()
        .find(|event| event["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", text(&up)));
    for step in summary["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "succeeded", "{step}");
    }
    // The key and the grants were not in force at first: the run said so and waited.
    let retries: Vec<String> = events
        .iter()
        .filter(|event| event["event"] == "retrying")
        .map(|event| format!("{}: {}", event["step"], event["reason"]))
        .collect();
    assert!(
        retries
            .iter()
            .any(|retry| retry.contains("InvalidClientTokenId")),
        "no wait for the new key: {retries:#?}"
    );
    // The assume step waited too, on the key or on the trust and the policy (which of
    // them is still propagating when it starts depends on how fast the machine is).
    assert!(
        retries.iter().any(|retry| retry.starts_with("\"assumed\"")
            && (retry.contains("InvalidClientTokenId") || retry.contains("AccessDenied"))),
        "the assume step did not wait: {retries:#?}"
    );
    assert!(
        summary["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["settle_ms"].as_u64().is_some()),
        "no step reported a settle wait: {summary}"
    );
    // The user's expected denials are genuine: never a credential error taken for one.
    for step in ["denied-before", "user-still-denied"] {
        let verdict = summary["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == step)
            .map(|s| s["note"].to_string())
            .unwrap();
        assert!(verdict.contains("got AccessDenied"), "{step}: {verdict}");
    }
    let down = awslab(home.path(), &["down", "late"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}

#[test]
fn bad_values_and_other_targets_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let plan = plan();
    let plan = plan.to_str().unwrap();
    for (flag, value, says) in [
        ("--propagation-delay", "-1s", "not a duration"),
        ("--propagation-delay", "5", "not a duration"),
        ("--propagation-delay", "2h", "longer than the longest delay"),
        ("--throttle", "0/s", "at least 1"),
        ("--throttle", "20", "no unit"),
        ("--throttle", "20/m", "`/s`"),
    ] {
        let up = awslab(home.path(), &["up", plan, flag, value]);
        assert_eq!(up.status.code(), Some(2), "{flag} {value}: {}", text(&up));
        assert!(text(&up).contains(says), "{flag} {value}: {}", text(&up));
        let serve = awslab(
            home.path(),
            &["sandbox", "serve", "--port", "0", flag, value],
        );
        assert_eq!(
            serve.status.code(),
            Some(2),
            "{flag} {value}: {}",
            text(&serve)
        );
    }
    let up = awslab(
        home.path(),
        &[
            "up",
            plan,
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--propagation-delay",
            "5s",
        ],
    );
    assert_eq!(up.status.code(), Some(2), "{}", text(&up));
    assert!(
        text(&up).contains("`--propagation-delay` rehearses AWS on the sandbox only"),
        "{}",
        text(&up)
    );
}
