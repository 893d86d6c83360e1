//! `awslab up --target sandbox`: the plans moto cannot run (session and federation
//! tokens) and the IAM-built assume-role lab pass every verify on the embedded
//! sandbox, in this process with no socket and no Python; `down` leaves the sandbox as
//! it was; no secret reaches any output, log or the journal; and the profile written
//! for the sandbox points the aws CLI at `awslab sandbox serve`.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

struct Home(tempfile::TempDir);

impl Home {
    fn awslab(&self, args: &[&str]) -> Output {
        let dir = self.0.path();
        Command::new(AWSLAB)
            .args(args)
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("AWSLAB_STATE_DIR", dir.join("state"))
            .env("AWSLAB_SANDBOX_DIR", dir.join("sandbox"))
            .env("NO_COLOR", "1")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }
}

fn text(output: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn plans_moto_cannot_run_pass_on_the_sandbox_and_down_restores_it() {
    let home = Home(tempfile::tempdir().unwrap());
    let before = home.awslab(&["sandbox", "status"]);
    assert_eq!(before.status.code(), Some(0), "{}", text(&before));
    let mut seen = String::new();
    for (plan, verifies) in [
        ("session-token", "3 of 3 verifications passed"),
        ("federation-token", "3 of 3 verifications passed"),
        ("assume-role-iam", "3 of 3 verifications passed"),
    ] {
        let file = plans().join(format!("{plan}.yaml"));
        let up = home.awslab(&[
            "-vvv",
            "up",
            file.to_str().unwrap(),
            "--target",
            "sandbox",
            "--run-id",
            plan,
        ]);
        let out = text(&up);
        assert_eq!(up.status.code(), Some(0), "{out}");
        assert!(out.contains(verifies), "{out}");
        assert!(out.contains("Target: the sandbox in"), "{out}");
        seen.push_str(&out);
        let json = home.awslab(&["status", plan]);
        seen.push_str(&text(&json));
    }
    // Profiles written for the sandbox carry `serve`'s endpoint.
    let config = std::fs::read_to_string(home.0.path().join("config")).unwrap();
    assert!(
        config.contains("endpoint_url = http://127.0.0.1:4566"),
        "{config}"
    );

    // No secret the runs made reaches any output or the journals.
    let secrets: Vec<String> = ["session-token", "federation-token", "assume-role-iam"]
        .iter()
        .flat_map(|run| {
            let path = home
                .0
                .path()
                .join("state/runs")
                .join(run)
                .join("secrets.json");
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            json.as_object()
                .unwrap()
                .values()
                .flat_map(|c| {
                    ["secret_access_key", "session_token"]
                        .iter()
                        .filter_map(|k| c[*k].as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(secrets.len() >= 4, "{secrets:?}");
    for run in ["session-token", "federation-token", "assume-role-iam"] {
        let journal = home
            .0
            .path()
            .join("state/runs")
            .join(run)
            .join("journal.jsonl");
        seen.push_str(&std::fs::read_to_string(journal).unwrap());
    }
    for secret in &secrets {
        assert!(!seen.contains(secret.as_str()), "a secret leaked");
    }

    for run in ["session-token", "federation-token", "assume-role-iam"] {
        let down = home.awslab(&["down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        assert!(String::from_utf8_lossy(&down.stdout).contains("Nothing is left."));
    }
    let after = home.awslab(&["sandbox", "status"]);
    let strip = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.contains("temporary credentials issued"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&before), strip(&after), "the sandbox changed");
}

/// The README's lab command: the seed lab, with its `CloudFormation` stack, on the
/// default target (the sandbox) with no flag naming one; `down` restores the world.
#[test]
fn seed_lab_passes_on_the_default_target_and_down_restores_the_sandbox() {
    let home = Home(tempfile::tempdir().unwrap());
    let before = home.awslab(&["sandbox", "status"]);
    let plan = plans().join("sts-assume-role.yaml");
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "seed"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("10 of 10 steps succeeded; 5 of 5 verifications passed."),
        "{out}"
    );
    assert!(out.contains("Target: the sandbox in"), "{out}");
    assert!(
        out.contains(":assumed-role/sts-lab-seed-") && out.contains("/s3-sts-lab"),
        "{out}"
    );
    let secrets =
        std::fs::read_to_string(home.0.path().join("state/runs/seed/secrets.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&secrets).unwrap();
    for credentials in json.as_object().unwrap().values() {
        let secret = credentials["secret_access_key"].as_str().unwrap();
        assert!(!out.contains(secret), "a secret reached the output");
    }
    let down = home.awslab(&["down", "seed"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(
        String::from_utf8_lossy(&down.stdout)
            .contains("deleted  cloudformation stack sts-lab-seed")
    );
    let after = home.awslab(&["sandbox", "status"]);
    let strip = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.contains("temporary credentials issued"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&before), strip(&after), "the sandbox changed");
}
