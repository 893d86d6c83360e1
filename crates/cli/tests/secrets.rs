//! Secrets never reach the terminal, logs, reports or files other than the 0600
//! secrets store and the AWS CLI credentials file; `awslab env` is the one command
//! that prints them. Also: the AWS CLI files awslab writes profiles into are
//! byte-identical after `up` and `down`.

#![expect(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "tests fail loudly; one end-to-end story"
)]

mod support;

use std::os::unix::fs::PermissionsExt as _;

use support::{Lab, plans, text};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_output_and_aws_files_are_restored() {
    let Some(lab) = Lab::start("no_secret_reaches_any_output_and_aws_files_are_restored").await
    else {
        return;
    };
    // The operator's files, with comments, another profile and no trailing newline.
    let admin = lab.moto.admin().clone();
    let credentials_before = format!(
        "# my keys\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n; work account\n[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        admin.access_key_id, admin.secret_access_key
    );
    let config_before = format!(
        "# config\n[default]\nregion = us-east-1\nendpoint_url = {}\n\n[profile work]\nregion = eu-west-1\noutput = json",
        lab.moto.endpoint_url()
    );
    std::fs::write(&lab.files.credentials, &credentials_before).unwrap();
    std::fs::write(&lab.files.config, &config_before).unwrap();

    let plan = plans().join("sts-assume-role.yaml");
    let plan = plan.to_str().unwrap();
    let junit = lab.files.dir().join("junit.xml");
    let mut seen = String::new();
    let record = |seen: &mut String, output: &std::process::Output| {
        seen.push_str(&String::from_utf8_lossy(&output.stdout));
        seen.push_str(&String::from_utf8_lossy(&output.stderr));
    };

    let up = lab.awslab(&[
        "-vvv",
        "up",
        plan,
        "--run-id",
        "h1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    record(&mut seen, &up);
    let up_json = lab.awslab(&[
        "-vv",
        "up",
        plan,
        "--run-id",
        "j1",
        "--output",
        "json",
        "--var",
        "profile=assumed-json",
    ]);
    assert_eq!(up_json.status.code(), Some(0), "{}", text(&up_json));
    record(&mut seen, &up_json);
    for args in [
        &["status", "h1"][..],
        &["runs"],
        &["plan", plan],
        &["graph", plan, "--format", "json"],
    ] {
        let output = lab.awslab(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        record(&mut seen, &output);
    }

    // What the runs hold: the secrets store is private, and so is the journal.
    let run_dir = lab.state_dir.join("runs").join("h1");
    let store: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("secrets.json")).unwrap()).unwrap();
    assert_eq!(mode(&run_dir.join("secrets.json")), 0o600);
    assert_eq!(mode(&run_dir.join("journal.jsonl")), 0o600);
    assert_eq!(mode(&run_dir), 0o700);
    let mut secrets: Vec<String> = vec![admin.secret_access_key.clone()];
    for run in ["h1", "j1"] {
        let store: serde_json::Value = serde_json::from_slice(
            &std::fs::read(lab.state_dir.join("runs").join(run).join("secrets.json")).unwrap(),
        )
        .unwrap();
        for credentials in store.as_object().unwrap().values() {
            for key in ["secret_access_key", "session_token"] {
                if let Some(value) = credentials[key].as_str() {
                    secrets.push(value.to_owned());
                }
            }
        }
    }
    assert!(
        store.get("user").is_some() && store.get("assumed").is_some(),
        "{store}"
    );
    assert!(
        secrets.len() >= 5,
        "expected the admin's, two users' and two sessions' secrets: {}",
        secrets.len()
    );
    seen.push_str(&std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap());
    // The saved summary that `awslab status` reads.
    assert_eq!(mode(&run_dir.join("summary.json")), 0o600);
    seen.push_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap());
    seen.push_str(&std::fs::read_to_string(&junit).unwrap());

    // The one command that prints secrets does (so the scan below can find them).
    let env = lab.awslab(&["env", "h1", "assumed"]);
    assert_eq!(env.status.code(), Some(0), "{}", text(&env));
    let exported = String::from_utf8_lossy(&env.stdout);
    assert!(
        secrets.iter().any(|s| exported.contains(s.as_str())),
        "awslab env printed no secret"
    );
    assert!(exported.contains("export AWS_SESSION_TOKEN="), "{exported}");

    // The profile awslab wrote holds the session, in the credentials file only.
    let credentials_during = std::fs::read_to_string(&lab.files.credentials).unwrap();
    assert!(
        credentials_during.contains("[assumed]"),
        "{credentials_during}"
    );
    assert!(
        !std::fs::read_to_string(&lab.files.config)
            .unwrap()
            .contains("aws_secret_access_key")
    );

    for run in ["h1", "j1"] {
        let down = lab.awslab(&["-vvv", "down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        record(&mut seen, &down);
    }
    for secret in &secrets {
        assert!(
            !seen.contains(secret.as_str()),
            "a secret reached an output or report"
        );
    }
    // Teardown removes the secrets store with the keys it held.
    assert!(!run_dir.join("secrets.json").exists());
    assert_eq!(
        std::fs::read_to_string(&lab.files.credentials).unwrap(),
        credentials_before
    );
    assert_eq!(
        std::fs::read_to_string(&lab.files.config).unwrap(),
        config_before
    );
}
