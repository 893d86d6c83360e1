//! The commands that read plans without touching AWS (`validate`, `plan`, `graph`,
//! `schema`) and `--help`, run as the built binary: exit status, stdout and stderr.
//! Colour is off (`NO_COLOR`), HOME and the AWS config files point into a temporary
//! folder, and temporary paths are filtered out of snapshots.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `awslab ARGS` in `dir`, isolated from the user's AWS files.
fn awslab(dir: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let output = Command::new(env!("CARGO_BIN_EXE_awslab"))
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
        .env_remove("RUST_LOG")
        .output();
    output.unwrap_or_else(|e| panic!("cannot run awslab: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn plan_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(workspace().join("plans"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    Path::new(n)
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
                })
                .map(|n| format!("plans/{n}"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

const BROKEN: &str = "\
name: lab
steps:
  user:
    iam.usr: { name: alice }
  bucket:
    s3.bucket: { name: Lab-Bucket }
";

#[test]
fn validate_accepts_every_plan_with_exit_0() {
    let files = plan_files();
    assert!(!files.is_empty());
    let args: Vec<&str> = std::iter::once("validate")
        .chain(files.iter().map(String::as_str))
        .collect();
    let out = awslab(&workspace(), &args);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for file in &files {
        assert!(
            stdout.contains(&format!("ok: `{file}`")),
            "{file} not reported ok:\n{stdout}"
        );
    }
}

#[test]
fn validate_rejects_broken_plan_with_exit_2_and_position() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    std::fs::write(dir.path().join("lab.yaml"), BROKEN).unwrap_or_else(|e| panic!("write: {e}"));
    let out = awslab(dir.path(), &["validate", "lab.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("lab.yaml:4:5"), "{stderr}");
    assert!(stderr.contains("lab.yaml:6:24"), "{stderr}");
    assert!(
        text(&out.stdout).is_empty(),
        "diagnostics go to stderr only"
    );
}

#[test]
fn validate_reports_broken_plan_by_full_path() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("lab.yaml");
    std::fs::write(&path, BROKEN).unwrap_or_else(|e| panic!("write: {e}"));
    let out = awslab(&workspace(), &["validate", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let temp = regex_escape(&dir.path().to_string_lossy());
    insta::with_settings!({ filters => vec![(temp.as_str(), "[TEMP]")] }, {
        insta::assert_snapshot!("validate_broken_stderr", text(&out.stderr));
    });
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

#[test]
fn plan_prints_run_and_teardown_order() {
    let out = awslab(&workspace(), &["plan", "plans/sts-assume-role.yaml"]);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    insta::assert_snapshot!("plan_seed_lab", text(&out.stdout));
}

#[test]
fn graph_as_json_lists_levels_steps_and_edges() {
    let out = awslab(
        &workspace(),
        &["graph", "plans/sts-assume-role.yaml", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "stderr:\n{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(json["plan"], "sts-assume-role");
    assert_eq!(json["order"], "run");
    assert_eq!(json["levels"][0], serde_json::json!(["user"]));
    assert_eq!(json["steps"].as_array().map(Vec::len), Some(10));
    let teardown = awslab(
        &workspace(),
        &[
            "graph",
            "plans/sts-assume-role.yaml",
            "--format",
            "json",
            "--teardown",
        ],
    );
    let teardown: serde_json::Value =
        serde_json::from_slice(&teardown.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(teardown["order"], "teardown");
    let mut run_levels = json["levels"].as_array().cloned().unwrap_or_default();
    run_levels.reverse();
    assert_eq!(teardown["levels"].as_array(), Some(&run_levels));
}

#[test]
fn schema_prints_the_documented_schema() {
    let out = awslab(&workspace(), &["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let documented =
        std::fs::read_to_string(workspace().join("docs/plan.schema.json")).unwrap_or_default();
    assert!(
        text(&out.stdout) == documented,
        "`awslab schema` differs from docs/plan.schema.json"
    );
}

#[test]
fn help_documents_the_exit_statuses() {
    let out = awslab(&workspace(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for line in [
        "Exit status:",
        "0    success",
        "1    a step or a verification failed",
        "2    the plan or the command line is invalid",
        "3    teardown left resources behind",
        "4    cannot reach or authenticate to the target",
        "130  interrupted",
    ] {
        assert!(help.contains(line), "--help lacks `{line}`:\n{help}");
    }
}

#[test]
fn unknown_command_is_a_usage_error_with_exit_2() {
    let out = awslab(&workspace(), &["valdate", "plans/sts-assume-role.yaml"]);
    assert_eq!(out.status.code(), Some(2), "stderr:\n{}", text(&out.stderr));
}
