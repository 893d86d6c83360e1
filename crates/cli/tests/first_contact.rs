//! What a newcomer sees first, run as the built binary: a profile that does not
//! exist, no credentials at all, an endpoint that does not answer (exit 4 each, one
//! sentence and a hint, no SDK dump, no SDK warning), a misspelled required key, a
//! cycle through `needs:`, a plan file that does not exist, a failed run's `status`
//! and `runs`, and the completion scripts and man page. HOME and the AWS files point
//! into a temporary folder; instance metadata is switched off so nothing waits on it.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{AWSLAB, Lab, plans, text};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `awslab ARGS` in `dir` with HOME, the AWS files and the state folder in `home`,
/// and no credential from the environment.
fn awslab_in(home: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(AWSLAB);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWSLAB_STATE_DIR", home.join("state"))
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for name in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// Snapshots `text` with the temporary folder written `[TEMP]`.
fn snapshot(name: &str, temp: &Path, text: &str) {
    let temp = regex_escape(&temp.to_string_lossy());
    insta::with_settings!({ filters => vec![
        (temp.as_str(), "[TEMP]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\(os error \d+\)", "(os error [N])"),
    ] }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Neither the SDK's Debug output nor its warnings reach a newcomer.
fn assert_no_sdk_noise(stderr: &str) {
    for noise in [
        "WARN",
        "SdkBody",
        "ProviderError(",
        "dispatch failure",
        "extensions_1x",
    ] {
        assert!(!stderr.contains(noise), "`{noise}` in:\n{stderr}");
    }
}

#[test]
fn missing_profile_names_the_profile_the_files_and_the_profiles_found() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    let out = awslab_in(
        home.path(),
        &workspace(),
        &["up", "plans/sts-assume-role.yaml", "--profile", "lab-admin"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_no_sdk_noise(&stderr(&out));
    snapshot("missing_profile", home.path(), &stderr(&out));
}

#[test]
fn no_credentials_anywhere_is_one_sentence_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let out = awslab_in(
        home.path(),
        &workspace(),
        &[
            "up",
            "plans/sts-assume-role.yaml",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_no_sdk_noise(&stderr(&out));
    snapshot("no_credentials", home.path(), &stderr(&out));
    // -v shows what the SDK said, for whoever wants it.
    let verbose = awslab_in(
        home.path(),
        &workspace(),
        &[
            "-v",
            "up",
            "plans/sts-assume-role.yaml",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    let said = stderr(&verbose);
    assert!(
        said.contains("WARN") && said.contains("not found"),
        "{said}"
    );
    assert!(
        said.contains("the credential chain gave no credentials"),
        "{said}"
    );
}

#[test]
fn profile_without_keys_is_not_skipped_for_another_source() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config"),
        "[profile lab-admin]\nregion = eu-west-1\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join("credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    let out = awslab_in(
        home.path(),
        &workspace(),
        &[
            "up",
            "plans/sts-assume-role.yaml",
            "--profile",
            "lab-admin",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: profile `lab-admin` gives no usable credentials"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn endpoint_that_does_not_answer_exits_4_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n",
    )
    .unwrap();
    // A loopback port that was free a moment ago and has nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = awslab_in(
        home.path(),
        &workspace(),
        &["up", "plans/sts-assume-role.yaml", "--endpoint-url", &url],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_no_sdk_noise(&stderr(&out));
    snapshot("unreachable_endpoint", home.path(), &stderr(&out));
}

#[test]
fn misspelled_required_key_is_one_error() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("lab.yaml"),
        "name: lab\nsteps:\n  role:\n    iam.role:\n      name: lab-role\n      trust: { Version: \"2012-10-17\", Statement: [] }\n",
    )
    .unwrap();
    let out = awslab_in(home.path(), home.path(), &["validate", "lab.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot("misspelled_required_key", home.path(), &stderr(&out));
}

#[test]
fn cycle_through_needs_names_the_needs_edge() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("lab.yaml"),
        "name: lab\nsteps:\n  a:\n    iam.user: { name: a-user, access_key: true }\n    needs: [c]\n  b:\n    verify: { as: a, call: sts.GetCallerIdentity, expect: allow }\n  c:\n    iam.user: { name: c-user }\n    needs: [b]\n",
    )
    .unwrap();
    let out = awslab_in(home.path(), home.path(), &["validate", "lab.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("help: remove `b` from the `needs` of step `c`"),
        "{said}"
    );
    assert!(!said.contains("act as another identity"), "{said}");
    snapshot("cycle_through_needs", home.path(), &said);
}

#[test]
fn missing_plan_file_says_its_cause_once() {
    let home = tempfile::tempdir().unwrap();
    let out = awslab_in(home.path(), home.path(), &["validate", "nope.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert_eq!(said.matches("no such file").count(), 1, "{said}");
    assert!(!said.contains("os error"), "{said}");
    snapshot("missing_plan_file", home.path(), &said);
}

#[test]
fn completions_and_man_page_come_from_the_command_definitions() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = awslab_in(home.path(), home.path(), &["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        for word in [
            "validate",
            "up",
            "down",
            "completions",
            "endpoint-url",
            "profile",
        ] {
            assert!(script.contains(word), "{shell} script lacks `{word}`");
        }
    }
    let bad = awslab_in(home.path(), home.path(), &["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));

    let man = awslab_in(home.path(), home.path(), &["man"]);
    assert_eq!(man.status.code(), Some(0), "{}", stderr(&man));
    let page = String::from_utf8_lossy(&man.stdout);
    assert!(
        page.starts_with(".ie") && page.contains(".TH awslab 1"),
        "{page}"
    );
    assert!(page.contains("cannot reach or authenticate to the target"));
    let dir = home.path().join("man1");
    let out = awslab_in(
        home.path(),
        home.path(),
        &["man", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for page in ["awslab.1", "awslab-up.1", "awslab-policy-simulate.1"] {
        assert!(dir.join(page).is_file(), "no {page}");
    }
}

const FAILING: &str = "\
name: failing-lab
steps:
  user:
    iam.user: { name: \"fc-user-${run.id}\", access_key: true }
  may-list:
    verify: { as: user, call: s3.ListBuckets, expect: allow }
  after:
    verify: { as: user, call: sts.GetCallerIdentity, expect: allow }
    needs: [may-list]
";

#[tokio::test(flavor = "multi_thread")]
async fn status_of_a_failed_run_names_the_steps_that_failed() {
    let Some(lab) = Lab::start("status_of_a_failed_run_names_the_steps_that_failed").await else {
        return;
    };
    let plan = lab.files.dir().join("failing.yaml");
    std::fs::write(&plan, FAILING).unwrap();
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "f1",
        "--settle-timeout",
        "2",
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));

    let status = lab.awslab(&["status", "f1"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let said = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(said.contains("Status: failed"), "{said}");
    assert!(
        said.contains("Steps (last `up`): 1 of 3 succeeded"),
        "{said}"
    );
    assert!(said.contains("FAILED     may-list"), "{said}");
    assert!(
        said.contains("skipped    after     `may-list` did not succeed"),
        "{said}"
    );
    let temp = regex_escape(&lab.files.dir().to_string_lossy());
    insta::with_settings!({ filters => vec![
        (temp.as_str(), "[TEMP]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"started \S+", "started [TIME]"),
        (r"AKIA[A-Z0-9]+", "[KEY]"),
        (r"user_id = \S+", "user_id = [ID]"),
        (r"after [0-9.]+m?s \(\d+ attempts\)", "after [TIME] ([N] attempts)"),
        (r"(?i)request ?id:? ?[a-z0-9-]+", "[REQUEST-ID]"),
        (r"\(request [A-Za-z0-9-]+\)", "(request [ID])"),
    ] }, {
        insta::assert_snapshot!("failed_run_status", said);
    });

    let runs = lab.awslab(&["runs"]);
    let listed = String::from_utf8_lossy(&runs.stdout).into_owned();
    assert!(listed.contains("failed"), "{listed}");
    assert!(!listed.contains("Failed"), "a Rust variant name: {listed}");
    let down = lab.awslab(&["down", "f1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let runs = lab.awslab(&["runs"]);
    let listed = String::from_utf8_lossy(&runs.stdout).into_owned();
    assert!(listed.contains("torn down"), "{listed}");
    assert!(!listed.contains("TornDown"), "{listed}");
    let _ = plans();
}
