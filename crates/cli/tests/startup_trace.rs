//! The start-up trace of `up` (`RUST_LOG=awslab::startup=debug`): one event per phase
//! from `main` to the first step, in order, with growing times; and neither it nor the
//! journal's `journal closed` event carries a secret (the operator's, or any secret key
//! or session token the run made).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use support::{AWSLAB, Lab, Target, plans, text};

const LOG: &str = "awslab::startup=debug,awslab_executor::journal=debug";

/// The secrets a run's store holds (secret keys and session tokens).
fn run_secrets(lab: &Lab, run: &str) -> Vec<String> {
    let store: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lab.state_dir.join("runs").join(run).join("secrets.json")).unwrap(),
    )
    .unwrap();
    let mut secrets = Vec::new();
    for credentials in store.as_object().unwrap().values() {
        for key in ["secret_access_key", "session_token"] {
            if let Some(value) = credentials[key].as_str() {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets
}

#[tokio::test(flavor = "multi_thread")]
async fn up_traces_each_start_up_phase_in_order_and_no_secret() {
    let lab = Lab::on(Target::Sandbox, "startup_trace").await.unwrap();
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab
        .command(AWSLAB)
        .env("RUST_LOG", LOG)
        .args(["up", plan.to_str().unwrap(), "--target", "sandbox"])
        .args(["--run-id", "boot", "--output", "json"])
        .output()
        .unwrap();
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let stderr = String::from_utf8_lossy(&up.stderr);
    let phases: Vec<(String, u64)> = stderr
        .lines()
        .filter(|line| line.contains(" startup phase="))
        .map(|line| {
            let phase = line.split("phase=\"").nth(1).unwrap().split('"').next();
            let micros = line.split("since_main_us=").nth(1).unwrap();
            (
                phase.unwrap().to_owned(),
                micros.trim().parse::<u64>().unwrap(),
            )
        })
        .collect();
    let names: Vec<&str> = phases.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "arguments read",
            "plan loaded",
            "connected",
            "caller known",
            "journal open",
            "first step"
        ],
        "{stderr}"
    );
    assert!(
        phases.windows(2).all(|pair| pair[0].1 <= pair[1].1),
        "{phases:?}"
    );
    // The first step starts only after the last phase (the JSON stream says so).
    assert!(String::from_utf8_lossy(&up.stdout).contains(r#""event":"started""#));

    // The store is gone after `down`: read it first.
    let mut secrets = vec![lab.admin.secret_access_key.clone()];
    secrets.extend(run_secrets(&lab, "boot"));
    let down = lab
        .command(AWSLAB)
        .env("RUST_LOG", LOG)
        .args(["down", "boot"])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(secrets.len() >= 3, "{}", secrets.len());
    for output in [&up, &down] {
        let all = text(output);
        assert!(all.contains("journal closed"), "{all}");
        for secret in &secrets {
            assert!(!all.contains(secret.as_str()), "a secret in:\n{all}");
        }
    }
}
