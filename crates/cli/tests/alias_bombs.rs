//! Alias bombs against the built binary, with memory bounded by the kernel: every
//! `awslab` here runs under `prlimit --as` (1 GiB of address space), so a parser that
//! expands aliases before it budgets them fails the test with an allocation failure
//! instead of taking the machine's memory. The template is the issue's: 41 KB, 30
//! anchors over a 40,000-character string, each a list of two aliases of the one
//! before (40,000 × 2^29 bytes once expanded).
//!
//! - `aws cloudformation validate-template` against `awslab sandbox serve` gets
//!   `CloudFormation`'s `ValidationError` naming the line and column, and `serve`'s
//!   peak resident memory (`VmHWM`, read while it still runs) stays under 256 MiB;
//! - `awslab validate` and `awslab up` (on the embedded sandbox) refuse a plan whose
//!   `cfn.stack` template is the bomb, naming `bomb.yaml:8:17`;
//! - a plan that is itself an alias bomb is refused with the budget it crosses;
//! - a 270 KB plan whose policy repeats a 60,000-byte variable 15,000 times (which
//!   made `validate` build 2.6 GB in 114 s) is refused by the plan's rendered budget.
//!
//! Servers are stopped by pid.
#![expect(clippy::expect_used, reason = "test")]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// The address space each `awslab` may use. A normal `up` or `serve` stays far under
/// it (a 64-bit process reserves a few hundred MiB of address space for its threads'
/// stacks and allocator arenas); the bomb, unbudgeted, needs gigabytes.
const ADDRESS_SPACE: &str = "1073741824";

/// The most resident memory `serve` may have used by the end of the test.
const MAX_RESIDENT_KIB: u64 = 256 * 1024;

fn bomb() -> String {
    let mut text = format!("Resources:\n  A0: &a0 {}\n", "x".repeat(40_000));
    for level in 1..30 {
        let _ = writeln!(text, "  A{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
    }
    text
}

/// A folder with the bomb, and a plan whose stack uses it.
fn lab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("bomb.yaml"), bomb()).expect("bomb");
    std::fs::write(
        dir.path().join("lab.yaml"),
        "name: lab\nsteps:\n  s: { cfn.stack: { name: lab, template: bomb.yaml } }\n",
    )
    .expect("plan");
    dir
}

/// `awslab ARGS` under the address-space limit, in `dir`, isolated from ~/.aws.
fn limited(dir: &Path) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={ADDRESS_SPACE}"))
        .arg("--")
        .arg(AWSLAB)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWSLAB_STATE_DIR", dir.join("runs"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("RUST_LOG");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    limited(dir)
        .args(args)
        .output()
        .expect("run prlimit awslab")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `serve`'s peak resident memory so far, in KiB.
fn peak_resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn validate_template_of_the_bomb_against_serve_is_refused_in_bounded_memory() {
    if !awslab_testkit::aws_cli_installed("validate_template_of_the_bomb_against_serve") {
        return;
    }
    let dir = lab();
    let state = dir.path().join("sandbox");
    let mut served = Served(
        limited(dir.path())
            .args(["sandbox", "serve", "--port", "0", "--state-dir"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve"),
    );
    // prlimit sets the limit and executes awslab in its own process: the pid is serve's.
    let pid = served.0.id();
    let mut first = String::new();
    BufReader::new(served.0.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    let port = first.trim().rsplit(':').next().expect("port").to_owned();
    let exports = text(
        &limited(dir.path())
            .args(["sandbox", "env", "--port", &port, "--state-dir"])
            .arg(&state)
            .output()
            .expect("sandbox env")
            .stdout,
    );
    let mut aws = Command::new("aws");
    for line in exports.lines() {
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('='))
            && (name.starts_with("AWS_ACCESS") || name.starts_with("AWS_SECRET"))
        {
            aws.env(name, value.trim_matches('\''));
        }
    }
    let body = format!("file://{}", dir.path().join("bomb.yaml").display());
    let out = aws
        .env("AWS_CONFIG_FILE", dir.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("credentials"),
        )
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .args([
            "cloudformation",
            "validate-template",
            "--template-body",
            &body,
        ])
        .output()
        .expect("run aws");
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "the bomb validated: {}",
        text(&out.stdout)
    );
    assert!(
        stderr.contains("ValidationError")
            && stderr.contains(
                "(line 8, column 17): the template expands to more than 4194304 bytes after aliases"
            ),
        "{stderr}"
    );
    assert!(
        served.0.try_wait().expect("serve status").is_none(),
        "serve died on the bomb"
    );
    let peak = peak_resident_kib(pid);
    assert!(
        peak < MAX_RESIDENT_KIB,
        "serve's peak resident memory is {peak} KiB"
    );
}

#[test]
fn validate_and_up_refuse_a_plan_whose_template_is_the_bomb() {
    let dir = lab();
    for args in [
        &["validate", "lab.yaml"][..],
        &["up", "lab.yaml", "--yes"][..],
    ] {
        let out = run(dir.path(), args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "awslab {args:?}: {stderr}");
        assert!(stderr.contains("plan::template_budget"), "{stderr}");
        assert!(
            stderr
                .contains("expands to more than 4194304 bytes after aliases, at `bomb.yaml:8:17`"),
            "{stderr}"
        );
    }
}

#[test]
fn a_plan_that_is_an_alias_bomb_is_refused_with_its_budget() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut plan = format!("name: lab\nvars:\n  a0: &a0 {}\n", "x".repeat(40_000));
    for level in 1..30 {
        let _ = writeln!(plan, "  a{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
    }
    plan.push_str("steps: {}\n");
    std::fs::write(dir.path().join("lab.yaml"), plan).expect("plan");
    let out = run(dir.path(), &["validate", "lab.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plan::budget"), "{stderr}");
    assert!(
        stderr.contains("the plan expands to more than 4194304 bytes after aliases"),
        "{stderr}"
    );
    assert!(stderr.contains("lab.yaml:9:17"), "{stderr}");
}

#[test]
fn a_policy_repeating_a_large_variable_is_refused_before_it_is_rendered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let resources = "\"${vars.big}\",".repeat(15_000);
    let plan = format!(
        "name: lab\nvars:\n  big: {}\nsteps:\n  u: {{ iam.user: {{ name: alice }} }}\n  p:\n    iam.user_policy:\n      user: alice\n      name: p\n      document: {{ Version: \"2012-10-17\", Statement: {{ Effect: Allow, Action: \"s3:GetObject\", Resource: [{resources}] }} }}\n",
        "x".repeat(60_000)
    );
    std::fs::write(dir.path().join("lab.yaml"), plan).expect("plan");
    let out = run(dir.path(), &["validate", "lab.yaml"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the plan's values render to more than 4194304 bytes in all"),
        "{stderr}"
    );
}
