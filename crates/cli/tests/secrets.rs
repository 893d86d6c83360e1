//! Secrets never reach the terminal, logs, reports or files other than the 0600
//! secrets store and the AWS CLI credentials file; `awslab env` is the one command
//! that prints them. Also: the AWS CLI files awslab writes profiles into are
//! byte-identical after `up` and `down`. On moto and on the sandbox, where also no
//! file of the sandbox's folder but its database (0600, as are its WAL files) holds a
//! secret, and neither `sandbox status`, `sandbox explain` (of denials to sessions)
//! nor `sandbox serve`'s log at `-vvv` shows one.

#![expect(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "tests fail loudly; one end-to-end story"
)]

mod support;

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::Stdio;

use support::{Lab, Target, plans, text};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

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

async fn no_secret_reaches_any_output_and_aws_files_are_restored(lab: Lab) {
    // The operator's files, with comments, another profile and no trailing newline.
    let admin = lab.admin.clone();
    let credentials_before = format!(
        "# my keys\n[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n; work account\n[work]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        admin.access_key_id, admin.secret_access_key
    );
    let config_before = format!(
        "# config\n[default]\nregion = us-east-1\nendpoint_url = {}\n\n[profile work]\nregion = eu-west-1\noutput = json",
        lab.endpoint_url().unwrap_or("http://127.0.0.1:4566")
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
        secrets.extend(run_secrets(&lab, run));
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

    if lab.target == Target::Sandbox {
        sandbox_outputs(&lab, &mut secrets, &mut seen);
    }
    for run in ["h1", "j1"] {
        let down = lab.awslab(&["-vvv", "down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        record(&mut seen, &down);
    }
    if lab.target == Target::Sandbox {
        assert!(sandbox_folder(&lab, &mut seen).contains(&"sandbox.db".to_owned()));
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
on_each_target!(
    no_secret_reaches_any_output_and_aws_files_are_restored,
    and_under_rust_log_trace
);

/// The sandbox's own outputs: `sandbox status`; `sandbox explain` of denials to a
/// `GetSessionToken` session and a federated user (requests carrying session tokens);
/// `sandbox serve` at `-vvv` while a whole lab runs through it and is torn down.
fn sandbox_outputs(lab: &Lab, secrets: &mut Vec<String>, seen: &mut String) {
    fn record(seen: &mut String, output: &std::process::Output) {
        assert_eq!(output.status.code(), Some(0), "{}", text(output));
        seen.push_str(&text(output));
    }
    record(seen, &lab.awslab(&["sandbox", "status"]));
    for plan in ["session-token", "federation-token"] {
        let file = plans().join(format!("{plan}.yaml"));
        record(
            seen,
            &lab.awslab(&["-vvv", "up", file.to_str().unwrap(), "--run-id", plan]),
        );
        secrets.extend(run_secrets(lab, plan));
        let explained = lab.awslab(&["sandbox", "explain"]);
        assert!(
            String::from_utf8_lossy(&explained.stdout).contains("s3:ListAllMyBuckets"),
            "{}",
            text(&explained)
        );
        record(seen, &explained);
        record(seen, &lab.awslab(&["-vvv", "down", plan]));
    }

    let log = lab.files.dir().join("serve.log");
    let mut serve = lab
        .command(support::AWSLAB)
        .args(["-vvv", "sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("awslab sandbox listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    seen.push_str(&first);
    let open = sandbox_folder(lab, seen);
    for name in ["sandbox.db", "sandbox.db-wal", "sandbox.db-shm"] {
        assert!(
            open.contains(&name.to_owned()),
            "{name} while serve runs: {open:?}"
        );
    }
    // Through the socket, as the operator of the `[default]` profile.
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab
        .command(support::AWSLAB)
        .args(["-vvv", "up", plan.to_str().unwrap(), "--run-id", "served"])
        .args(["--endpoint-url", &url, "--var", "profile=served"])
        .output()
        .unwrap();
    record(seen, &up);
    secrets.extend(run_secrets(lab, "served"));
    record(seen, &lab.awslab(&["-vvv", "down", "served"]));
    sandbox_folder(lab, seen);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = serve.wait().unwrap();
    assert!(status.success(), "sandbox serve: {status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    seen.push_str(&rest);
    seen.push_str(&std::fs::read_to_string(&log).unwrap());
}

/// The sandbox's own folder is private (0700) and only its database (0600, and its
/// WAL files with it) may hold the keys it issued: every other file goes to `seen`.
/// Returns the database files found.
fn sandbox_folder(lab: &Lab, seen: &mut String) -> Vec<String> {
    let dir = lab.sandbox_dir();
    assert_eq!(mode(&dir), 0o700);
    let mut databases = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("sandbox.db") {
            assert_eq!(mode(&path), 0o600, "{name}");
            databases.push(name);
        } else if path.is_file() {
            seen.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    databases.sort();
    databases
}
