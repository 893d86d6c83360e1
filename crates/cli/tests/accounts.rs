//! Several accounts in one plan, and where `up` and `down` send their calls: the
//! cross-account lab and seed 004's first demo run and tear down on the sandbox,
//! leaving nothing in any account; a run that fails halfway is torn down account by
//! account; exported credentials and `AWS_ENDPOINT_URL` (a `sandbox serve` this test
//! starts on a free loopback port) are used by `up` and said in its first line; `down`
//! follows the run's journal, not the environment, and says so; an account with no
//! operator is a located error.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// Every variable through which the environment names a target or credentials.
const TARGET_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "RUST_LOG",
];

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

/// A home for one test: temp AWS CLI files, state and sandbox folders, and no
/// variable of the caller's environment that names a target.
struct Home(tempfile::TempDir);

impl Home {
    fn new() -> Self {
        Self(tempfile::tempdir().unwrap())
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn command(&self) -> Command {
        let dir = self.path();
        let mut command = Command::new(AWSLAB);
        command
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
            .env("AWSLAB_STATE_DIR", dir.join("state"))
            .env("AWSLAB_SANDBOX_DIR", dir.join("sandbox"))
            .env("NO_COLOR", "1");
        for name in TARGET_ENV {
            command.env_remove(name);
        }
        command
    }

    fn awslab(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn awslab_with(&self, env: &[(String, String)], args: &[&str]) -> Output {
        let mut command = self.command();
        command.args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().unwrap()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
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

/// `awslab sandbox status` of the home's embedded sandbox.
fn sandbox_status(home: &Home) -> String {
    let status = home.awslab(&["sandbox", "status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    String::from_utf8_lossy(&status.stdout).into_owned()
}

#[test]
fn cross_account_lab_runs_and_down_leaves_nothing_in_either_account() {
    let home = Home::new();
    let before = sandbox_status(&home);
    assert!(before.contains("account 3 `777788889999`"), "{before}");
    let plan = plans().join("cross-account.yaml");
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "cross1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("7 of 7 steps succeeded; 3 of 3 verifications passed."),
        "{out}"
    );
    assert!(out.contains("account `a`: 111122223333"), "{out}");
    assert!(out.contains("account `b`: 444455556666"), "{out}");
    // With the external id the session is a principal of a; without it, denied.
    assert!(
        out.contains("Arn=arn:aws:sts::111122223333:assumed-role/partner-access-cross1/partner"),
        "{out}"
    );
    assert!(
        out.contains("expected AccessDenied, got AccessDenied"),
        "{out}"
    );
    assert!(
        out.contains("Arn=arn:aws:iam::444455556666:user/partner-cross1"),
        "{out}"
    );
    let during = sandbox_status(&home);
    let account_b = during.split("account 2").nth(1).unwrap();
    let account_b = account_b.split("account 3").next().unwrap();
    assert!(account_b.contains("partner-cross1"), "{during}");

    let status = home.awslab(&["status", "cross1"]);
    let status_out = text(&status);
    assert!(
        status_out.contains("iam user partner-cross1 in account `b`  [exists]"),
        "{status_out}"
    );
    assert!(
        status_out.contains("iam role partner-access-cross1  [exists]"),
        "{status_out}"
    );

    let down = home.awslab(&["down", "cross1"]);
    let down_out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{down_out}");
    assert!(down_out.contains("Nothing is left."), "{down_out}");
    assert!(
        down_out.contains("deleted  iam user partner-cross1 in account `b`"),
        "{down_out}"
    );
    let after = sandbox_status(&home);
    assert_eq!(
        before
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
        after
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
        "left behind after down"
    );
}

#[test]
fn seed_004_demo1_refuses_four_hours_grants_one_and_down_leaves_nothing() {
    let home = Home::new();
    let before = sandbox_status(&home);
    let plan = plans().join("seed-004-demo1.yaml");
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "demo1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("8 of 8 steps succeeded; 4 of 4 verifications passed."),
        "{out}"
    );
    assert!(
        out.contains("expected ValidationError, got ValidationError"),
        "{out}"
    );
    let down = home.awslab(&["down", "demo1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let after = sandbox_status(&home);
    assert_eq!(
        before
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
        after
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
        "left behind after down"
    );
}

/// Same-named users in two accounts are two resources; a run that fails after making
/// them (here a wrong claim stops it) is torn down account by account.
const TWIN_USERS: &str = r#"
name: twins
accounts: { a: {}, b: {}, c: {} }
steps:
  twin-a: { account: a, iam.user: { name: "twin-${run.id}" } }
  twin-b: { account: b, iam.user: { name: "twin-${run.id}" } }
  twin-c: { account: c, iam.user: { name: "twin-${run.id}" } }
  policy-b:
    account: b
    iam.user_policy:
      user: ${twin-b.name}
      name: Nothing
      document: { Version: "2012-10-17", Statement: [ { Effect: Deny, Action: "s3:*", Resource: "*" } ] }
  wrong:
    verify: { call: iam.GetUser, params: { UserName: "${twin-c.name}" }, expect: AccessDenied }
    needs: [twin-a, policy-b]
  after-wrong:
    account: c
    iam.user: { name: "never-${run.id}" }
    needs: [wrong]
"#;

#[test]
fn same_named_users_in_three_accounts_fail_halfway_and_down_removes_each() {
    let home = Home::new();
    let before = sandbox_status(&home);
    let plan = home.write("twins.yaml", TWIN_USERS);
    let validate = home.awslab(&["validate", plan.to_str().unwrap()]);
    assert_eq!(validate.status.code(), Some(0), "{}", text(&validate));
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "twins"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(1), "{out}");
    let during = sandbox_status(&home);
    assert_eq!(during.matches("twin-twins").count(), 3, "{during}");
    assert!(!during.contains("never-twins"), "{during}");
    // The operator of c reads c's user: the claim of a denial was wrong.
    assert!(out.contains("wrong"), "{out}");

    let down = home.awslab(&["down", "twins"]);
    let down_out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{down_out}");
    for line in [
        "deleted  iam user twin-twins\n",
        "deleted  iam user twin-twins in account `b`",
        "deleted  iam user twin-twins in account `c`",
        "deleted  iam user policy Nothing of user twin-twins in account `b`",
    ] {
        assert!(down_out.contains(line), "{line}: {down_out}");
    }
    // Newest first: b's policy goes before b's user.
    let policy = down_out.find("iam user policy Nothing").unwrap();
    let user_b = down_out
        .find("deleted  iam user twin-twins in account `b`")
        .unwrap();
    assert!(policy < user_b, "{down_out}");
    let after = sandbox_status(&home);
    assert!(!after.contains("twin-twins"), "{after}");
    assert_eq!(
        before
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
        after
            .lines()
            .filter(|l| !l.starts_with("temporary"))
            .collect::<Vec<_>>(),
    );
}

/// `awslab sandbox serve` on a free loopback port, stopped (by its pid) on drop.
struct Served {
    child: Child,
    port: u16,
    state: PathBuf,
}

impl Served {
    fn start(home: &Home) -> Self {
        let state = home.path().join("served");
        let mut child = home
            .command()
            .args(["sandbox", "serve", "--port", "0", "--state-dir"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in serve's first line: {first:?}"));
        Self { child, port, state }
    }

    /// `awslab sandbox env --account N` as variables.
    fn env(&self, home: &Home, account: &str) -> Vec<(String, String)> {
        let output = home
            .command()
            .args(["sandbox", "env", "--account", account])
            .args(["--port", &self.port.to_string(), "--state-dir"])
            .arg(&self.state)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|line| line.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.trim_matches('\'').to_owned()))
            .collect()
    }

    fn status(&self, home: &Home) -> String {
        let output = home
            .command()
            .args(["sandbox", "status", "--state-dir"])
            .arg(&self.state)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ONE_USER: &str = r#"
name: one-user
steps:
  user: { iam.user: { name: "env-${run.id}" } }
  who: { verify: { call: sts.GetCallerIdentity, expect: { Account: "444455556666" } } }
"#;

#[test]
fn exported_endpoint_and_keys_are_used_said_first_and_down_follows_the_journal() {
    let home = Home::new();
    let served = Served::start(&home);
    let env = served.env(&home, "2");
    let url = format!("http://127.0.0.1:{}", served.port);
    assert!(
        env.iter()
            .any(|(n, v)| n == "AWS_ENDPOINT_URL" && *v == url),
        "{env:?}"
    );
    let plan = home.write("one.yaml", ONE_USER);
    let up = home.awslab_with(&env, &["up", plan.to_str().unwrap(), "--run-id", "env1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    let stderr = String::from_utf8_lossy(&up.stderr);
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with(&format!("Target: {url} ")), "{first}");
    assert!(first.contains("account 444455556666"), "{first}");
    assert!(
        first.contains(&format!(
            "(endpoint {url} from AWS_ENDPOINT_URL, credentials from AWS_ACCESS_KEY_ID)"
        )),
        "{first}"
    );
    // The user is in the served world's account 2, not in the embedded sandbox.
    let served_status = served.status(&home);
    assert!(served_status.contains("env-env1"), "{served_status}");
    assert!(!sandbox_status(&home).contains("env-env1"));
    // No secret in what `up` printed.
    let secret = &env
        .iter()
        .find(|(n, _)| n == "AWS_SECRET_ACCESS_KEY")
        .unwrap()
        .1;
    assert!(!out.contains(secret.as_str()), "{out}");

    // `down` with another endpoint exported goes where the run went, and says so; at
    // every log level the exported secret never reaches its output.
    let mut elsewhere = env.clone();
    elsewhere.push(("RUST_LOG".to_owned(), "trace".to_owned()));
    for (name, value) in &mut elsewhere {
        if name == "AWS_ENDPOINT_URL" {
            *value = "http://127.0.0.1:9".to_owned();
        }
    }
    let down = home.awslab_with(&elsewhere, &["down", "env1"]);
    let down_out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{down_out}");
    assert!(
        down_out.contains("the environment's AWS_ENDPOINT_URL=http://127.0.0.1:9 is not used"),
        "{down_out}"
    );
    assert!(down_out.contains("TRACE"), "not traced? {down_out}");
    assert!(!down_out.contains(secret.as_str()), "{down_out}");
    assert!(!served.status(&home).contains("env-env1"));
}

#[test]
fn down_of_a_sandbox_run_ignores_an_exported_endpoint_and_says_so() {
    let home = Home::new();
    let plan = home.write(
        "plain.yaml",
        "name: plain\nsteps:\n  user: { iam.user: { name: \"plain-${run.id}\" } }\n",
    );
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "plain1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let env = [(
        "AWS_ENDPOINT_URL".to_owned(),
        "http://127.0.0.1:9".to_owned(),
    )];
    let status = home.awslab_with(&env, &["status", "plain1"]);
    let status_out = text(&status);
    assert!(
        status_out
            .contains("the environment's AWS_ENDPOINT_URL=http://127.0.0.1:9 does not change it"),
        "{status_out}"
    );
    let down = home.awslab_with(&env, &["down", "plain1"]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(0), "{out}");
    assert!(
        out.contains("tearing down where run `plain1` went, as its journal says; the environment's AWS_ENDPOINT_URL=http://127.0.0.1:9 is not used"),
        "{out}"
    );
    assert!(!sandbox_status(&home).contains("plain-plain1"));
}

const TWO_ACCOUNTS: &str = r#"
name: two
accounts:
  a: {}
  b: {}
steps:
  user: { account: b, iam.user: { name: "two-${run.id}" } }
"#;

#[test]
fn an_account_without_operator_off_the_sandbox_is_a_located_error() {
    let home = Home::new();
    let served = Served::start(&home);
    let env = served.env(&home, "1");
    let plan = home.write("two.yaml", TWO_ACCOUNTS);
    let up = home.awslab_with(&env, &["up", plan.to_str().unwrap(), "--run-id", "two1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(2), "{out}");
    assert!(
        out.contains(&format!(
            "{}:5:3: account `b` has no operator on this target",
            plan.display()
        )),
        "{out}"
    );
    assert!(out.contains("--account-profile b=PROFILE"), "{out}");
    let unknown = home.awslab_with(
        &env,
        &["up", plan.to_str().unwrap(), "--account-profile", "c=lab"],
    );
    let unknown_out = text(&unknown);
    assert_eq!(unknown.status.code(), Some(2), "{unknown_out}");
    assert!(
        unknown_out.contains("names account `c`, which the plan does not name"),
        "{unknown_out}"
    );
    assert!(!served.status(&home).contains("two-two1"));
}

#[test]
fn a_profile_per_account_reaches_each_account_of_an_endpoint() {
    let home = Home::new();
    let served = Served::start(&home);
    let url = format!("http://127.0.0.1:{}", served.port);
    // Profiles for accounts 1 and 2 of the served sandbox, in the home's files.
    let mut credentials = String::new();
    for (profile, account) in [("lab-a", "1"), ("lab-b", "2")] {
        let env = served.env(&home, account);
        let value = |name: &str| env.iter().find(|(n, _)| n == name).unwrap().1.clone();
        writeln!(
            credentials,
            "[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}",
            value("AWS_ACCESS_KEY_ID"),
            value("AWS_SECRET_ACCESS_KEY")
        )
        .unwrap();
    }
    std::fs::write(home.path().join("credentials"), credentials).unwrap();
    let plan = home.write(
        "two.yaml",
        &TWO_ACCOUNTS.replace("  b: {}", "  b: { profile: lab-b }"),
    );
    let up = home.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "two2",
        "--endpoint-url",
        &url,
        "--account-profile",
        "a=lab-a",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("account `b`: 444455556666 (profile `lab-b`)"),
        "{out}"
    );
    let status = served.status(&home);
    let account_b = status.split("account 2").nth(1).unwrap();
    assert!(account_b.contains("two-two2"), "{status}");
    // `down` finds each account's profile in the journal.
    let down = home.awslab(&["down", "two2"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(!served.status(&home).contains("two-two2"));
}

#[test]
fn more_accounts_than_the_sandbox_hosts_is_a_located_error() {
    let home = Home::new();
    let plan = home.write(
        "four.yaml",
        "name: four\naccounts: { a: {}, b: {}, c: {}, d: {} }\nsteps:\n  user: { account: d, iam.user: { name: \"d-${run.id}\" } }\n",
    );
    let up = home.awslab(&["up", plan.to_str().unwrap(), "--run-id", "four1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(2), "{out}");
    assert!(
        out.contains(&format!(
            "{}:2:34: the plan names 4 accounts and the sandbox hosts 3",
            plan.display()
        )),
        "{out}"
    );
}

#[test]
fn a_flag_names_the_target_over_the_environment() {
    let home = Home::new();
    let plan = home.write(
        "flag.yaml",
        "name: flag\nsteps:\n  user: { iam.user: { name: \"flag-${run.id}\" } }\n",
    );
    // An unreachable endpoint and keys in the environment; `--target sandbox` wins.
    let env = [
        (
            "AWS_ENDPOINT_URL".to_owned(),
            "http://127.0.0.1:9".to_owned(),
        ),
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            "AKIAEXAMPLEEXAMPLE00".to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            "not-a-real-secret".to_owned(),
        ),
    ];
    let up = home.awslab_with(
        &env,
        &[
            "up",
            plan.to_str().unwrap(),
            "--run-id",
            "flag1",
            "--target",
            "sandbox",
        ],
    );
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    let first = String::from_utf8_lossy(&up.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(first.starts_with("Target: the sandbox in"), "{first}");
    assert!(!first.contains("AWS_ENDPOINT_URL"), "{first}");
    let down = home.awslab(&["down", "flag1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}
