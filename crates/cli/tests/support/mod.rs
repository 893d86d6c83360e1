//! Shared by the CLI's end-to-end tests: a lab on a target (moto server with an admin
//! operator, or awslab's sandbox in a temporary folder), temp AWS CLI files and state
//! folder, and helpers to run `awslab` and `aws` against it. [`on_each_target!`]
//! runs one test body on both targets, as two tests (`NAME::moto`, `NAME::sandbox`);
//! the sandbox needs no Python, so its variant never skips.
#![allow(dead_code, reason = "each test file uses a different part")]
#![expect(clippy::expect_used, reason = "test support fails loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use awslab_testkit::{AdminKeys, MotoServer, OperatorFiles};

pub const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// The repository's `plans/` folder.
pub fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

/// The repository's `examples/` folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Where a lab's runs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// moto server on loopback (needs Python; skipped loudly without it, except on CI).
    Moto,
    /// awslab's embedded sandbox, in the awslab process, on a temporary folder.
    Sandbox,
}

/// Runs one test body on each target, as `NAME::moto` and `NAME::sandbox`:
/// `on_each_target!(NAME)` after `async fn NAME(lab: Lab)`. With
/// `on_each_target!(NAME, and_under_rust_log_trace)`, also as `NAME::moto_trace` and
/// `NAME::sandbox_trace`, every command run with `RUST_LOG=trace`: for the suites that
/// must hold at every log level (secrets, kills).
#[macro_export]
macro_rules! on_each_target {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn moto() {
                let test = concat!(stringify!($name), "::moto");
                if let Some(lab) = super::support::Lab::on(super::support::Target::Moto, test).await
                {
                    super::$name(lab).await;
                }
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn sandbox() {
                let test = concat!(stringify!($name), "::sandbox");
                let lab = super::support::Lab::on(super::support::Target::Sandbox, test).await;
                super::$name(lab.expect("the sandbox never skips")).await;
            }
        }
    };
    ($name:ident, and_under_rust_log_trace) => {
        mod $name {
            async fn on(
                target: super::support::Target,
                test: &str,
                rust_log: Option<&'static str>,
            ) {
                if let Some(mut lab) = super::support::Lab::on(target, test).await {
                    lab.rust_log = rust_log;
                    super::$name(lab).await;
                } else {
                    assert_eq!(
                        target,
                        super::support::Target::Moto,
                        "the sandbox never skips"
                    );
                }
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn moto() {
                on(
                    super::support::Target::Moto,
                    concat!(stringify!($name), "::moto"),
                    None,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn sandbox() {
                on(
                    super::support::Target::Sandbox,
                    concat!(stringify!($name), "::sandbox"),
                    None,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn moto_trace() {
                let test = concat!(stringify!($name), "::moto_trace");
                on(super::support::Target::Moto, test, Some("trace")).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn sandbox_trace() {
                let test = concat!(stringify!($name), "::sandbox_trace");
                on(super::support::Target::Sandbox, test, Some("trace")).await;
            }
        }
    };
}

enum Backend {
    Moto(MotoServer),
    /// The sandbox's state folder is `files.dir()/sandbox`.
    Sandbox,
}

/// A lab: a target, the operator's files (which also receive profiles) and a state dir.
pub struct Lab {
    backend: Backend,
    pub target: Target,
    pub files: OperatorFiles,
    pub state_dir: PathBuf,
    /// The operator's keys: moto's admin, or the sandbox's `awslab-operator`.
    pub admin: AdminKeys,
    /// What `sandbox status` listed when the lab began (empty for moto).
    baseline: BTreeSet<String>,
    /// `RUST_LOG` for every command the lab runs (none: unset).
    pub rust_log: Option<&'static str>,
}

impl Lab {
    /// A lab on moto (`None`, after a loud `SKIPPED`, when moto is not installed).
    pub async fn start(test: &str) -> Option<Lab> {
        Self::on(Target::Moto, test).await
    }

    /// A lab on moto with authorization off (see
    /// [`MotoServer::start_without_auth`]: moto's `SigV4` check refuses S3 listings under
    /// a prefix with `/`); `None` as for [`Lab::on`].
    pub async fn on_moto_without_auth(test: &str) -> Option<Lab> {
        Some(Self::from_moto(MotoServer::start_without_auth(test).await?))
    }

    fn from_moto(moto: MotoServer) -> Lab {
        let files = moto.operator_files().expect("operator files");
        let state_dir = files.dir().join("state");
        Lab {
            admin: moto.admin().clone(),
            backend: Backend::Moto(moto),
            target: Target::Moto,
            files,
            state_dir,
            baseline: BTreeSet::new(),
            rust_log: None,
        }
    }

    /// A lab on `target`; only moto can be `None` (not installed, outside CI).
    pub async fn on(target: Target, test: &str) -> Option<Lab> {
        match target {
            Target::Moto => {
                let moto = MotoServer::start(test).await?;
                let files = moto.operator_files().expect("operator files");
                let state_dir = files.dir().join("state");
                Some(Lab {
                    admin: moto.admin().clone(),
                    backend: Backend::Moto(moto),
                    target,
                    files,
                    state_dir,
                    baseline: BTreeSet::new(),
                    rust_log: None,
                })
            }
            Target::Sandbox => {
                let files =
                    OperatorFiles::write(&AdminKeys::default(), None).expect("operator files");
                let state_dir = files.dir().join("state");
                let mut lab = Lab {
                    backend: Backend::Sandbox,
                    target,
                    files,
                    state_dir,
                    admin: AdminKeys::default(),
                    baseline: BTreeSet::new(),
                    rust_log: None,
                };
                lab.admin = lab.sandbox_operator();
                // The operator's keys in `[default]`, as on moto; the sandbox target
                // does not read them, but no output may show the secret either.
                std::fs::write(
                    &lab.files.credentials,
                    format!(
                        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                        lab.admin.access_key_id, lab.admin.secret_access_key
                    ),
                )
                .expect("credentials file");
                lab.baseline = lab.sandbox_items();
                Some(lab)
            }
        }
    }

    /// The moto server (panics on the sandbox: for tests that run on moto only).
    pub fn moto(&self) -> &MotoServer {
        match &self.backend {
            Backend::Moto(moto) => moto,
            Backend::Sandbox => panic!("this lab runs on the sandbox, not moto"),
        }
    }

    /// The sandbox's state folder (where `awslab` finds it through `AWSLAB_SANDBOX_DIR`).
    pub fn sandbox_dir(&self) -> PathBuf {
        self.files.dir().join("sandbox")
    }

    /// The endpoint the aws CLI reaches the target at: moto's, or none for the sandbox
    /// (in the awslab process only).
    pub fn endpoint_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Moto(moto) => Some(moto.endpoint_url()),
            Backend::Sandbox => None,
        }
    }

    /// The arguments `up` takes to run on the lab's target.
    pub fn up_args(&self) -> Vec<String> {
        match &self.backend {
            Backend::Moto(moto) => {
                vec!["--endpoint-url".to_owned(), moto.endpoint_url().to_owned()]
            }
            Backend::Sandbox => vec!["--target".to_owned(), "sandbox".to_owned()],
        }
    }

    /// A command with the lab's environment (never the real ~/.aws).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        self.files.apply(&mut command);
        command
            .env("AWSLAB_STATE_DIR", &self.state_dir)
            .env("AWSLAB_SANDBOX_DIR", self.sandbox_dir())
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG");
        if let Some(rust_log) = self.rust_log {
            command.env("RUST_LOG", rust_log);
        }
        command
    }

    /// Runs `awslab ARGS`; `up` goes to the lab's target.
    pub fn awslab(&self, args: &[&str]) -> Output {
        let mut command = self.command(AWSLAB);
        command.args(args);
        if args.iter().find(|a| !a.starts_with('-')) == Some(&"up") {
            command.args(self.up_args());
        }
        command.output().expect("run awslab")
    }

    /// Starts `awslab up PLAN --output json ARGS` on the lab's target, with its JSON
    /// event stream on a pipe, for tests that act while the run goes on.
    pub fn spawn_up_json(&self, plan: &Path, args: &[&str]) -> std::process::Child {
        let mut command = self.command(AWSLAB);
        command
            .arg("up")
            .arg(plan)
            .args(["--output", "json"])
            .args(self.up_args())
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        command.spawn().expect("spawn awslab up")
    }

    /// Runs the real `aws` CLI with the lab's files; `None` if it is not installed.
    pub fn aws(&self, args: &[&str]) -> Option<Output> {
        if !awslab_testkit::aws_cli_installed("the aws CLI part of this test") {
            return None;
        }
        Some(self.command("aws").args(args).output().expect("run aws"))
    }

    /// What the run left: on moto, the names of users (but the admin), roles, local
    /// policies, buckets and live stacks; on the sandbox, every difference from what
    /// `awslab sandbox status` showed when the lab began (`+` made, `-` gone).
    pub fn inventory(&self) -> Vec<String> {
        match &self.backend {
            Backend::Moto(moto) => self.moto_inventory(moto.endpoint_url()),
            Backend::Sandbox => {
                let now = self.sandbox_items();
                let made = now.difference(&self.baseline).map(|i| format!("+{i}"));
                let gone = self.baseline.difference(&now).map(|i| format!("-{i}"));
                made.chain(gone).collect()
            }
        }
    }

    /// `awslab sandbox status` as items (`account 1 users: NAME`), without the count of
    /// temporary credentials issued (sessions are not deleted, as on AWS).
    pub fn sandbox_items(&self) -> BTreeSet<String> {
        let output = self.awslab(&["sandbox", "status"]);
        assert!(output.status.success(), "{}", text(&output));
        let mut account = String::new();
        let mut items = BTreeSet::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if line.starts_with("account ") {
                line.clone_into(&mut account);
                items.insert(line.to_owned());
            } else if let Some((kind, names)) = line.split_once(": ") {
                if kind.starts_with("temporary credentials") || names == "none" {
                    continue;
                }
                let scope = if line.starts_with(' ') {
                    account.as_str()
                } else {
                    ""
                };
                for name in names.split(", ") {
                    items.insert(format!("{scope} {} {name}", kind.trim()));
                }
            }
        }
        items
    }

    /// The sandbox operator's keys, from `awslab sandbox env`.
    fn sandbox_operator(&self) -> AdminKeys {
        let output = self.awslab(&["sandbox", "env"]);
        assert!(output.status.success(), "{}", text(&output));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = |name: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}=")))
                .map(|v| v.trim_matches('\'').to_owned())
                .expect("sandbox env prints the operator's keys")
        };
        AdminKeys {
            access_key_id: value("AWS_ACCESS_KEY_ID"),
            secret_access_key: value("AWS_SECRET_ACCESS_KEY"),
        }
    }

    fn moto_inventory(&self, endpoint: &str) -> Vec<String> {
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

/// Snapshots of command output with shared redactions (`snapshot!`).
pub mod serve;
pub mod snapshot;
