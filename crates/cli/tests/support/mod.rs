//! Shared by the CLI's end-to-end tests: a moto server with an admin operator, temp
//! AWS CLI files and state folder, and helpers to run `awslab` and `aws` against it.
#![allow(dead_code, reason = "each test file uses a different part")]
#![expect(
    clippy::expect_used,
    clippy::print_stderr,
    reason = "test support fails loudly and says what it skipped"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use awslab_testkit::{MotoServer, OperatorFiles};

pub const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// The repository's `plans/` folder.
pub fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

/// A lab: moto, the operator's files (which also receive profiles) and a state dir.
pub struct Lab {
    pub moto: MotoServer,
    pub files: OperatorFiles,
    pub state_dir: PathBuf,
}

impl Lab {
    pub async fn start(test: &str) -> Option<Lab> {
        let moto = MotoServer::start(test).await?;
        let files = moto.operator_files().expect("operator files");
        let state_dir = files.dir().join("state");
        Some(Lab {
            moto,
            files,
            state_dir,
        })
    }

    /// A command with the lab's environment (never the real ~/.aws).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        self.files.apply(&mut command);
        command
            .env("AWSLAB_STATE_DIR", &self.state_dir)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG");
        command
    }

    /// Runs `awslab ARGS` against the lab's endpoint.
    pub fn awslab(&self, args: &[&str]) -> Output {
        let mut command = self.command(AWSLAB);
        command.args(args);
        if args.iter().find(|a| !a.starts_with('-')) == Some(&"up") {
            command.args(["--endpoint-url", self.moto.endpoint_url()]);
        }
        command.output().expect("run awslab")
    }

    /// Starts `awslab up PLAN --output json ARGS` against the lab's endpoint, with its
    /// JSON event stream on a pipe, for tests that act while the run goes on.
    pub fn spawn_up_json(&self, plan: &Path, args: &[&str]) -> std::process::Child {
        let mut command = self.command(AWSLAB);
        command
            .arg("up")
            .arg(plan)
            .args([
                "--output",
                "json",
                "--endpoint-url",
                self.moto.endpoint_url(),
            ])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        command.spawn().expect("spawn awslab up")
    }

    /// Runs the real `aws` CLI with the lab's files; `None` if it is not installed.
    pub fn aws(&self, args: &[&str]) -> Option<Output> {
        static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !*INSTALLED.get_or_init(|| Command::new("aws").arg("--version").output().is_ok()) {
            let on_ci = std::env::var("CI").as_deref() == Ok("true");
            assert!(
                !on_ci,
                "the aws CLI is not installed; CI=true, so this cannot be skipped"
            );
            eprintln!(
                "SKIPPED: the `aws` CLI is not installed (pip install awscli); its part of the test did not run"
            );
            return None;
        }
        Some(self.command("aws").args(args).output().expect("run aws"))
    }

    /// Names of what exists in moto: users, roles, local policies, buckets, live stacks.
    pub fn inventory(&self) -> Vec<String> {
        let endpoint = self.moto.endpoint_url();
        let mut out = Vec::new();
        let queries: [(&[&str], &str); 5] = [
            (&["iam", "list-users"], "user:"),
            (&["iam", "list-roles"], "role:"),
            (&["iam", "list-policies", "--scope", "Local"], "policy:"),
            (&["s3api", "list-buckets"], "bucket:"),
            (&["cloudformation", "list-stacks"], "stack:"),
        ];
        for (args, prefix) in queries {
            let Some(output) =
                self.aws(&[&["--endpoint-url", endpoint], args, &["--output", "json"]].concat())
            else {
                return Vec::new();
            };
            assert!(
                output.status.success(),
                "aws {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
            let names: Vec<String> = match prefix {
                "user:" => json["Users"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|u| u["UserName"].as_str())
                    .filter(|n| *n != "admin")
                    .map(str::to_owned)
                    .collect(),
                "role:" => json["Roles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r["RoleName"].as_str())
                    .map(str::to_owned)
                    .collect(),
                "policy:" => json["Policies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["PolicyName"].as_str())
                    .map(str::to_owned)
                    .collect(),
                "bucket:" => json["Buckets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b["Name"].as_str())
                    .map(str::to_owned)
                    .collect(),
                _ => json["StackSummaries"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|s| s["StackStatus"] != "DELETE_COMPLETE")
                    .filter_map(|s| s["StackName"].as_str())
                    .map(str::to_owned)
                    .collect(),
            };
            out.extend(names.into_iter().map(|n| format!("{prefix}{n}")));
        }
        out
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "status: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
