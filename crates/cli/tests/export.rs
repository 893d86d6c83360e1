//! `awslab export` (issue 20 §1): for each plan in `plans/`, the `sh` export run by
//! bash with the real `aws` CLI against `awslab sandbox serve` (a free loopback port,
//! a temporary sandbox folder, temporary AWS CLI files; never `~/.aws`) passes every
//! claim, and its cleanup leaves the sandbox as `awslab sandbox status` showed it
//! before. The markdown export holds the same commands as the script; no secret value
//! reaches either output or the files beside them; `--out` never writes over a file it
//! did not write. The server is stopped by pid when a test ends, also when it fails.
#![expect(clippy::expect_used, reason = "test")]

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `awslab sandbox serve` on a free port in a temporary folder.
struct Serve {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    operator: (String, String),
}

impl Drop for Serve {
    fn drop(&mut self) {
        // By pid (the `Child` handle), also when an assertion failed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    fn start() -> Serve {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(AWSLAB)
            .args(["sandbox", "serve", "--port", "0", "--state-dir"])
            .arg(dir.path().join("sandbox"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("first line");
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("port in serve's first line");
        let mut serve = Serve {
            child,
            port,
            dir,
            operator: (String::new(), String::new()),
        };
        let env = serve.awslab(&["sandbox", "env", "--port", &port.to_string()]);
        assert!(env.status.success(), "{}", text(&env));
        let exports = String::from_utf8(env.stdout).expect("utf-8");
        let export = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .expect("sandbox env exports the operator")
                .trim_matches('\'')
                .to_owned()
        };
        serve.operator = (export("AWS_ACCESS_KEY_ID"), export("AWS_SECRET_ACCESS_KEY"));
        serve
    }

    fn sandbox_dir(&self) -> PathBuf {
        self.dir.path().join("sandbox")
    }

    /// awslab with this sandbox, and temporary state and AWS CLI files.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_OUTPUT")
            .env("AWSLAB_SANDBOX_DIR", self.sandbox_dir())
            .env("AWSLAB_STATE_DIR", self.dir.path().join("state"))
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("NO_COLOR", "1");
        command
    }

    fn awslab(&self, args: &[&str]) -> Output {
        self.command(AWSLAB)
            .args(args)
            .output()
            .expect("run awslab")
    }

    /// `awslab export PLAN` for this server's port, with `extra` arguments.
    fn export(&self, plan: &Path, extra: &[&str]) -> Output {
        self.command(AWSLAB)
            .arg("export")
            .arg(plan)
            .args(["--run-id", "ex1", "--sandbox-port", &self.port.to_string()])
            .args(extra)
            .output()
            .expect("run awslab export")
    }

    /// `awslab sandbox status` as a set of lines, without the count of temporary
    /// credentials (sessions are not deleted; they expire).
    fn items(&self) -> BTreeSet<String> {
        let output = self.awslab(&["sandbox", "status"]);
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| !line.trim_start().starts_with("temporary credentials"))
            .map(str::to_owned)
            .collect()
    }

    /// Runs `script` with bash as the learner would: the operator's keys exported.
    fn bash(&self, script: &Path, env: &[(&str, &str)]) -> Output {
        let mut command = self.command("bash");
        command
            .arg(script)
            .env("AWSLAB", AWSLAB)
            .env("AWS_ACCESS_KEY_ID", &self.operator.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.operator.1);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().expect("run bash")
    }
}

/// Exports `plan` as `sh` into a folder, runs it against `serve`, and checks that every
/// claim passed and the cleanup left the sandbox as it was.
fn runs_and_cleans_up(plan: &str, extra: &[&str], env: &[(&str, &str)]) {
    if !awslab_testkit::aws_cli_installed("export's scripts run with the aws CLI") {
        return;
    }
    let serve = Serve::start();
    let before = serve.items();
    let out = serve.dir.path().join("out");
    let out_arg = out.to_str().expect("utf-8 path");
    let mut args = vec!["--format", "sh", "--out", out_arg];
    args.extend_from_slice(extra);
    // A plan of `plans/`, or a fixture of these tests (`fixtures/export/...`).
    let path = if plan.contains('/') {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests")
            .join(plan)
    } else {
        plans().join(plan)
    };
    let export = serve.export(&path, &args);
    assert!(export.status.success(), "{}", text(&export));
    let run = serve.bash(&out.join("run.sh"), env);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let claims: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .collect();
    assert!(run.status.success(), "{plan}: {}", text(&run));
    assert!(
        !claims.is_empty(),
        "{plan} checked no claim: {}",
        text(&run)
    );
    assert!(
        claims.iter().all(|l| l.starts_with("PASS")),
        "{plan}: {}",
        text(&run)
    );
    // No secret in what the script printed: not the operator's secret key, nor a
    // secret variable's value.
    let printed = text(&run);
    assert!(
        !printed.contains(&serve.operator.1),
        "{plan}: the operator's secret key was printed"
    );
    for (_, value) in env {
        assert!(
            !printed.contains(value),
            "{plan}: a secret variable's value was printed"
        );
    }
    // One verdict a verify step.
    let script = std::fs::read_to_string(out.join("run.sh")).expect("run.sh");
    let verifies = script
        .lines()
        .filter(|l| l.starts_with("claim_") && !l.contains("() {"))
        .count();
    assert_eq!(claims.len(), verifies, "{plan}: {}", text(&run));
    let after = serve.items();
    assert_eq!(
        before.symmetric_difference(&after).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "{plan}: the cleanup left the sandbox changed\n{}",
        text(&run)
    );
    // The profiles the lab wrote are gone from the AWS CLI's files.
    for file in ["aws-config", "aws-credentials"] {
        let left = std::fs::read_to_string(serve.dir.path().join(file)).unwrap_or_default();
        assert!(!left.contains('['), "{plan}: {file} still holds {left}");
    }
}

macro_rules! plan_tests {
    ($($name:ident => $plan:literal $(, $extra:expr, $env:expr)?;)*) => {
        $(
            #[test]
            fn $name() {
                runs_and_cleans_up($plan, &[$($extra)?], &[$($env)?]);
            }
        )*

        /// Every plan in `plans/` has its test above.
        #[test]
        fn every_plan_has_a_script_test() {
            let covered: BTreeSet<&str> = [$($plan),*].into_iter().collect();
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(plans()).expect("plans/") {
                let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
                if name.ends_with(".yaml") && !covered.contains(name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "plans without an export test: {missing:?}");
        }
    };
}

plan_tests! {
    sh_export_of_sts_assume_role_holds_every_claim => "sts-assume-role.yaml";
    sh_export_of_abac_tags_holds_every_claim => "abac-tags.yaml";
    sh_export_of_assume_role_iam_holds_every_claim => "assume-role-iam.yaml";
    sh_export_of_classroom_holds_every_claim => "classroom.yaml";
    sh_export_of_cross_account_holds_every_claim => "cross-account.yaml";
    sh_export_of_federation_token_holds_every_claim => "federation-token.yaml";
    sh_export_of_mfa_session_token_holds_every_claim => "mfa-session-token.yaml";
    sh_export_of_permissions_boundary_holds_every_claim => "permissions-boundary.yaml";
    sh_export_of_read_not_write_holds_every_claim => "read-not-write.yaml";
    sh_export_of_role_chaining_holds_every_claim => "role-chaining.yaml";
    sh_export_of_saml_holds_every_claim => "saml.yaml";
    sh_export_of_seed_004_demo1_holds_every_claim => "seed-004-demo1.yaml";
    sh_export_of_seed_004_demo2_holds_every_claim => "seed-004-demo2.yaml";
    sh_export_of_session_token_holds_every_claim => "session-token.yaml";
    sh_export_of_tagged_lab_holds_every_claim => "tagged-lab.yaml";
    sh_export_of_teams_holds_every_claim => "teams.yaml";
    sh_export_of_web_identity_holds_every_claim => "web-identity.yaml";
}

/// The command lines of the markdown's `bash` blocks, but the helper functions'.
fn markdown_commands(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut helpers = false;
    for line in markdown.lines() {
        if line.starts_with("<details>") {
            helpers = true;
        } else if line.starts_with("</details>") {
            helpers = false;
        }
        if line == "```bash" {
            inside = true;
            continue;
        }
        if line == "```" {
            inside = false;
            continue;
        }
        if inside && !helpers && !line.trim().is_empty() {
            out.push(line.to_owned());
        }
    }
    out
}

#[test]
fn markdown_holds_the_scripts_commands_in_the_same_order() {
    let serve_port = "4566";
    for entry in std::fs::read_dir(plans()).expect("plans/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let export = |format: &str| {
            let output = Command::new(AWSLAB)
                .arg("export")
                .arg(&path)
                .args([
                    "--run-id",
                    "md1",
                    "--sandbox-port",
                    serve_port,
                    "--format",
                    format,
                ])
                .env_remove("AWS_ENDPOINT_URL")
                .env_remove("AWS_PROFILE")
                .output()
                .expect("run awslab export");
            assert!(output.status.success(), "{}", text(&output));
            String::from_utf8(output.stdout).expect("utf-8")
        };
        let markdown = export("markdown");
        let script = export("sh");
        let (steps, cleanup) = markdown
            .split_once("## Cleanup")
            .expect("a Cleanup section");
        // The script defines its cleanup (a function for its EXIT trap) before the
        // steps: compare the markdown's steps with the rest of the script, and its
        // Cleanup section with the function's body.
        let mut in_cleanup = false;
        let (mut script_cleanup, mut script_rest) = (Vec::new(), Vec::new());
        for line in script.lines() {
            if line == "cleanup() {" {
                in_cleanup = true;
            } else if in_cleanup && line == "}" {
                in_cleanup = false;
            } else if in_cleanup {
                script_cleanup.push(line);
            } else {
                script_rest.push(line);
            }
        }
        for (part, lines) in [(steps, &script_rest), (cleanup, &script_cleanup)] {
            let commands = markdown_commands(part);
            assert!(!commands.is_empty(), "{}: no commands", path.display());
            // Each markdown line is in the script, in the same order (the script wraps
            // a claim's command in its check, and a cleanup command in its guard).
            let mut at = 0;
            for command in &commands {
                let found = lines[at..]
                    .iter()
                    .position(|l| l.contains(command.as_str()));
                let Some(offset) = found else {
                    panic!(
                        "{}: the markdown's `{command}` is not in the script after line {at}",
                        path.display()
                    );
                };
                at += offset + 1;
            }
        }
    }
}

#[test]
fn secret_variables_reach_neither_output_nor_the_files_beside_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = "s3cr3t-external-id-4242";
    for format in ["sh", "markdown"] {
        let out = dir.path().join(format);
        let output = Command::new(AWSLAB)
            .arg("export")
            .arg(plans().join("cross-account.yaml"))
            .args(["--format", format, "--run-id", "sec1", "--out"])
            .arg(&out)
            .args(["--secret-var", &format!("external-id={secret}")])
            .env("RUST_LOG", "trace")
            .output()
            .expect("run awslab export");
        assert!(output.status.success(), "{}", text(&output));
        assert!(!text(&output).contains(secret), "{}", text(&output));
        let mut files = 0;
        for entry in walk(&out) {
            let contents = std::fs::read(&entry).expect("read");
            assert!(
                !String::from_utf8_lossy(&contents).contains(secret),
                "{} holds the secret",
                entry.display()
            );
            files += 1;
        }
        assert!(files > 1, "the export wrote its files");
        let main = if format == "sh" {
            "run.sh"
        } else {
            "README.md"
        };
        let main = std::fs::read_to_string(out.join(main)).expect("main file");
        assert!(main.contains("AWSLAB_VAR_EXTERNAL_ID"), "{main}");
        // And on stdout.
        let output = Command::new(AWSLAB)
            .arg("export")
            .arg(plans().join("cross-account.yaml"))
            .args(["--format", format, "--run-id", "sec1"])
            .args(["--secret-var", &format!("external-id={secret}")])
            .output()
            .expect("run awslab export");
        assert!(output.status.success(), "{}", text(&output));
        assert!(!text(&output).contains(secret));
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn sh_export_of_the_kinds_no_plan_uses_holds_every_claim() {
    runs_and_cleans_up("fixtures/export/other-kinds.yaml", &[], &[]);
}

/// Issue 20's export gaps, run: a stack parameter with a comma, a quote and a space;
/// the bucket tagged with the run; every call a verify may make that creates something,
/// undone by the cleanup (the sandbox is as it was).
#[test]
fn sh_export_of_values_that_break_shorthand_and_claims_that_create_holds_every_claim() {
    runs_and_cleans_up("fixtures/export/export-gaps.yaml", &[], &[]);
}

#[test]
fn secret_variable_is_read_from_the_environment_when_the_script_runs() {
    // The external id is secret here: the script reads it from AWSLAB_VAR_EXTERNAL_ID
    // into the trust policy it writes at run time, and holds every claim with it.
    runs_and_cleans_up(
        "cross-account.yaml",
        &["--secret-var", "external-id=agreed-4242"],
        &[("AWSLAB_VAR_EXTERNAL_ID", "agreed-4242")],
    );
}

#[cfg(unix)]
#[test]
fn out_folder_is_0755_its_files_0644_and_foreign_files_are_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("lab");
    let export = |format: &str| {
        Command::new(AWSLAB)
            .arg("export")
            .arg(plans().join("sts-assume-role.yaml"))
            .args(["--format", format, "--run-id", "perm1", "--out"])
            .arg(&out)
            .output()
            .expect("run awslab export")
    };
    let first = export("sh");
    assert!(first.status.success(), "{}", text(&first));
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o755);
    for file in walk(&out) {
        assert_eq!(mode(&file), 0o644, "{}", file.display());
    }
    // Again, and the markdown beside it: both are the export's own files.
    let again = export("sh");
    assert!(again.status.success(), "{}", text(&again));
    let markdown = export("markdown");
    assert!(markdown.status.success(), "{}", text(&markdown));
    // A file the export did not write stops it, and stays as it was.
    let foreign = dir.path().join("other");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::fs::write(foreign.join("run.sh"), "mine\n").expect("write");
    let refused = Command::new(AWSLAB)
        .arg("export")
        .arg(plans().join("sts-assume-role.yaml"))
        .args(["--format", "sh", "--out"])
        .arg(&foreign)
        .output()
        .expect("run awslab export");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("did not write"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("run.sh")).expect("read"),
        "mine\n"
    );
}

#[test]
fn invalid_plan_is_refused_with_a_located_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = dir.path().join("bad.yaml");
    std::fs::write(
        &plan,
        "name: bad\nsteps:\n  user:\n    iam.user: { name: \"${vars.nope}\" }\n",
    )
    .expect("write");
    let output = Command::new(AWSLAB)
        .arg("export")
        .arg(&plan)
        .output()
        .expect("run awslab export");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("bad.yaml:4:"),
        "{}",
        text(&output)
    );
}

/// What a learner reads for the seed lab: the markdown export, whole (a fixed run id
/// and port make it the same every time).
#[test]
fn markdown_of_the_seed_lab() {
    let output = Command::new(AWSLAB)
        .arg("export")
        .arg(plans().join("sts-assume-role.yaml"))
        .args([
            "--run-id",
            "r1",
            "--sandbox-port",
            "4566",
            "--region",
            "us-east-1",
        ])
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run awslab export");
    assert!(output.status.success(), "{}", text(&output));
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

/// A profile the script writes for the sandbox (or any endpoint) carries its
/// `endpoint_url`, so `--profile NAME` never sends the sandbox's keys to real AWS; for
/// a real account it carries none.
#[test]
fn profiles_written_off_real_aws_carry_the_endpoint() {
    for (target, expected) in [
        (&["--sandbox-port", "4566"][..], true),
        (&["--target", "aws"][..], false),
    ] {
        let output = Command::new(AWSLAB)
            .arg("export")
            .arg(plans().join("sts-assume-role.yaml"))
            .args(["--run-id", "p1", "--format", "sh"])
            .args(target)
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("run awslab export");
        assert!(output.status.success(), "{}", text(&output));
        let script = String::from_utf8_lossy(&output.stdout);
        let profiles = script
            .lines()
            .filter(|l| l.starts_with("new_profile "))
            .count();
        let endpoints = script
            .lines()
            .filter(|l| l.starts_with("aws configure set endpoint_url "))
            .count();
        assert!(profiles > 0, "{script}");
        assert_eq!(
            endpoints,
            if expected { profiles } else { 0 },
            "{target:?}: {script}"
        );
    }
}

/// `--var` and `--run-id` name things as `up` would; a run id `up` would refuse is
/// refused here too, with what to write.
#[test]
fn vars_and_run_id_name_things_as_up_does() {
    let export = |args: &[&str]| {
        Command::new(AWSLAB)
            .arg("export")
            .arg(plans().join("sts-assume-role.yaml"))
            .args(["--format", "sh"])
            .args(args)
            .output()
            .expect("run awslab export")
    };
    let output = export(&["--run-id", "lab7", "--var", "user=alice-${run.id}"]);
    assert!(output.status.success(), "{}", text(&output));
    let script = String::from_utf8_lossy(&output.stdout);
    assert!(
        script.contains("aws iam create-user --user-name alice-lab7 "),
        "{script}"
    );
    assert!(script.contains("--stack-name sts-lab-lab7 "), "{script}");
    let refused = export(&["--run-id", "Not_Valid"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("lowercase letters, digits and `-`"),
        "{}",
        text(&refused)
    );
}
