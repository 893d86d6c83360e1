//! Hostile plans and policy files through the built binary: files outside the plan's
//! folder (and `--allow-files-from`), text that is not UTF-8, a 64 KiB step name,
//! secret variables never printed by `plan`, `down` with nothing to tear down, and
//! `policy check` refusing repeated keys and policies over IAM's quotas. Every
//! command runs twice: at the default level and under `RUST_LOG=trace`.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `awslab ARGS` in `dir`, isolated from the user's AWS files; then once more
/// under `RUST_LOG=trace`, which must end the same way and print the same on stdout.
/// The stderr returned is both runs' (so what a test says of stderr holds for both).
fn awslab(dir: &Path, args: &[&str]) -> Output {
    let mut output = awslab_with(dir, args, None);
    let traced = awslab_with(dir, args, Some("trace"));
    assert_eq!(
        (output.status.code(), &output.stdout),
        (traced.status.code(), &traced.stdout),
        "`awslab {args:?}` under RUST_LOG=trace"
    );
    output.stderr.extend_from_slice(&traced.stderr);
    output
}

fn awslab_with(dir: &Path, args: &[&str], rust_log: Option<&str>) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_awslab"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG");
    if let Some(rust_log) = rust_log {
        command.env("RUST_LOG", rust_log);
    }
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run awslab: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), content).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn validate_refuses_a_file_outside_the_plan_folder_and_names_the_option() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let lab = dir.path().join("lab");
    std::fs::create_dir(&lab).unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "secret.txt", "not for a bucket");
    write(
        &lab,
        "lab.yaml",
        "name: lab\nsteps:\n  o:\n    s3.object: { bucket: b, key: k, file: ../secret.txt }\n",
    );
    let out = awslab(&lab, &["validate", "lab.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plan::file_outside"), "{stderr}");
    assert!(stderr.contains("lab.yaml:4:43"), "{stderr}");
    assert!(stderr.contains("--allow-files-from"), "{stderr}");
    let allowed = dir.path().display().to_string();
    let out = awslab(
        &lab,
        &["validate", "lab.yaml", "--allow-files-from", &allowed],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A misspelt folder allows nothing: it is a usage error, not silence.
    let missing = dir.path().join("no-such-folder").display().to_string();
    let out = awslab(
        &lab,
        &["validate", "lab.yaml", "--allow-files-from", &missing],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not a folder that exists"), "{stderr}");
}

#[test]
fn validate_locates_the_first_byte_that_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "lab.yaml",
        b"name: lab\nsteps:\n  b: { s3.bucket: { name: caf\xe9-bucket } }\n",
    );
    let out = awslab(dir.path(), &["validate", "lab.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plan::encoding"), "{stderr}");
    assert!(stderr.contains("lab.yaml:3:30"), "{stderr}");
}

#[test]
fn validate_survives_a_step_name_of_64_kib_with_short_output() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "lab.yaml",
        format!(
            "name: lab\nsteps:\n  {}: {{ s3.bucket: {{ name: lab-bucket-x }} }}\n",
            "s".repeat(65_536)
        ),
    );
    let out = awslab(dir.path(), &["validate", "lab.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.len() < 4_000, "{} bytes of output", stderr.len());
    assert!(stderr.contains("lab.yaml:3:"), "{stderr}");
}

#[test]
fn plan_never_prints_secret_variables() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "lab.yaml",
        "\
name: lab
vars:
  token: placeholder-token
  password: { value: hunter2-in-the-plan, secret: true }
  user: alice
  pin: placeholder-pin
steps:
  u: { iam.user: { name: \"${vars.user}\" } }
  role:
    iam.role:
      name: web
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { Federated: accounts.google.com }, Action: sts:AssumeRoleWithWebIdentity, Condition: { StringEquals: { \"accounts.google.com:sub\": \"${vars.password}\", \"accounts.google.com:aud\": \"${vars.pin}\" } } } }
  web: { sts.assume_role_with_web_identity: { role_arn: \"${role.arn}\", session_name: s1, token: \"${vars.token}\" } }
",
    );
    let out = awslab(
        dir.path(),
        &[
            "plan",
            "lab.yaml",
            "--secret-var",
            "pin=bob-the-secret",
            "--var",
            "token=eyJ-oidc-token-value",
        ],
    );
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for secret in [
        "bob-the-secret",
        "hunter2-in-the-plan",
        "eyJ-oidc-token-value",
    ] {
        assert!(!stdout.contains(secret), "`{secret}` printed:\n{stdout}");
        assert!(!stderr.contains(secret), "`{secret}` printed:\n{stderr}");
    }
    assert!(stdout.contains("token = *** (secret)"), "{stdout}");
    assert!(stdout.contains("password = *** (secret)"), "{stdout}");
    assert!(stdout.contains("pin = *** (secret)"), "{stdout}");
    assert!(stdout.contains("user = alice"), "{stdout}");

    // A secret in a name is refused, and the refusal shows the template, not the value.
    let named = awslab(
        dir.path(),
        &["plan", "lab.yaml", "--secret-var", "user=bob-the-secret"],
    );
    let stderr = text(&named.stderr);
    assert_eq!(named.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plan::secret_in_name"), "{stderr}");
    assert!(stderr.contains("lab.yaml:8:26"), "{stderr}");
    assert!(!stderr.contains("bob-the-secret") && !text(&named.stdout).contains("bob-the-secret"));
}

#[test]
fn down_with_nothing_to_tear_down_exits_0_with_one_sentence() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let state = dir.path().join(".awslab");
    let out = awslab(
        dir.path(),
        &["down", "--yes", "--state-dir", &state.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Nothing to tear down"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn policy_check_refuses_a_key_given_twice() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "p.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Effect": "Allow"}]}"#,
    );
    let out = awslab(dir.path(), &["policy", "check", "p.json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("policy::duplicate_key"), "{stderr}");
    assert!(stderr.contains("p.json:1:"), "{stderr}");
}

#[test]
fn policy_check_reports_sizes_against_the_quota() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let statements: Vec<String> = (0..30)
        .map(|i| format!(r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-bucket/prefix-{i:05}/*"}}"#))
        .collect();
    write(
        dir.path(),
        "big.json",
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
            statements.join(", ")
        ),
    );
    let out = awslab(dir.path(), &["policy", "check", "big.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("of the 6144 characters allowed for a managed policy"),
        "{}",
        text(&out.stdout)
    );
    let out = awslab(
        dir.path(),
        &["policy", "check", "--quota", "user", "big.json"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("policy::quota"), "{stderr}");
    assert!(stderr.contains("most 2048"), "{stderr}");
}

#[test]
fn policy_check_counts_columns_in_characters() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "p.json",
        r#"{"Version": "2012-10-17", "Id": "ééééé", "Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}"#,
    );
    let out = awslab(dir.path(), &["policy", "check", "p.json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // `"Effect"` is the 56th character (the 61st byte).
    assert!(stderr.contains("p.json:1:56"), "{stderr}");
}

#[test]
fn policy_check_shows_where_an_error_past_column_65535_is_without_a_snippet() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Whitespace counts toward no quota, so the line can be as long as one likes.
    let padding = " ".repeat(70_000);
    write(
        dir.path(),
        "wide.json",
        format!(
            r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",{padding}"Bogus": 1}}}}"#
        ),
    );
    let out = awslab(dir.path(), &["policy", "check", "wide.json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown field `Bogus`"), "{stderr}");
    assert!(
        stderr.contains("at wide.json:1:70102 (the line is too long to show)"),
        "{stderr}"
    );
    assert!(stderr.len() < 4_000, "{} bytes of stderr", stderr.len());
}

#[test]
fn diagnostics_escape_control_characters_from_the_plan_and_policies() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A name that would retitle the terminal, a step name that would colour it, and a
    // policy key that rings the bell.
    write(
        dir.path(),
        "lab.yaml",
        "name: ctl\nsteps:\n  u:\n    iam.user: { name: \"bad\\e]0;pwned\\aname\" }\n  \"st\\e[31mep\": { iam.user: { name: ok } }\n",
    );
    write(
        dir.path(),
        "p.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\", \"Bo\u{1b}]0;x\u{7}gus\": 1}}",
    );
    write(
        dir.path(),
        "raw.yaml",
        "name: ctl\nsteps:\n  u:\n    iam.user: { name: bad\u{9b}31mname }\n",
    );
    for args in [
        &["validate", "lab.yaml"][..],
        &["plan", "lab.yaml"],
        &["policy", "check", "p.json"],
        &["validate", "raw.yaml"],
    ] {
        let out = awslab(dir.path(), args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        for control in ['\u{1b}', '\u{7}', '\u{9b}'] {
            assert!(
                !stderr.contains(control) && !text(&out.stdout).contains(control),
                "{args:?} printed {control:?} raw:\n{stderr}"
            );
        }
        assert!(stderr.contains("\\u{"), "{args:?}: {stderr}");
    }
}
