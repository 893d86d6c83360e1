//! The real `aws` CLI (botocore) against `awslab sandbox serve` on a free loopback
//! port: the seed runbook's IAM, STS and S3 commands get AWS's answers, and each
//! signing error is answered as AWS answers it. The server is stopped by pid.
#![expect(clippy::expect_used, clippy::too_many_lines, reason = "test")]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");
const ACCOUNT: &str = "111122223333";

struct Served {
    child: Child,
    /// Kept open so `serve` can keep writing to its stdout.
    stdout: BufReader<std::process::ChildStdout>,
    port: u16,
    dir: tempfile::TempDir,
    /// `awslab sandbox env`'s exports, read once.
    exports: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start() -> Served {
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
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("port in first line");
        let mut served = Served {
            child,
            stdout,
            port,
            dir,
            exports: String::new(),
        };
        let env = served.awslab(&["sandbox", "env", "--port", &port.to_string()]);
        served.exports = String::from_utf8(env.stdout).expect("utf-8");
        served
    }

    fn state_dir(&self) -> PathBuf {
        self.dir.path().join("sandbox")
    }

    fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("credentials")
    }

    fn awslab(&self, args: &[&str]) -> Output {
        Command::new(AWSLAB)
            .args(args)
            .arg("--state-dir")
            .arg(self.state_dir())
            .output()
            .expect("awslab")
    }

    /// Writes a profile into the temporary credentials file.
    fn profile(&self, name: &str, key: &str, secret: &str, token: Option<&str>) {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.credentials_file())
            .expect("credentials file");
        writeln!(
            file,
            "[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}"
        )
        .expect("write");
        if let Some(token) = token {
            writeln!(file, "aws_session_token = {token}").expect("write");
        }
    }

    /// Runs `aws ARGS` as the operator (or `--profile`), never touching ~/.aws.
    fn aws(&self, args: &[&str]) -> Output {
        self.aws_with(args, &[])
    }

    /// `aws ARGS` whose signing clock is `seconds` off: the real CLI, with a
    /// `sitecustomize` (on `PYTHONPATH`, in the lab folder) that moves botocore's
    /// signing time, as a learner's drifting clock would.
    fn aws_skewed(&self, seconds: i64, args: &[&str]) -> Output {
        let dir = self.dir.path().join("skewed-python");
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(
            dir.join("sitecustomize.py"),
            "import datetime, os\nimport botocore.auth\n\
             _skew = datetime.timedelta(seconds=int(os.environ['AWSLAB_TEST_SKEW']))\n\
             _now = botocore.auth.get_current_datetime\n\
             botocore.auth.get_current_datetime = lambda *a, **k: _now(*a, **k) + _skew\n",
        )
        .expect("sitecustomize");
        let skew = seconds.to_string();
        let path = dir.to_string_lossy().into_owned();
        self.aws_with(
            args,
            &[
                ("PYTHONPATH", path.as_str()),
                ("AWSLAB_TEST_SKEW", skew.as_str()),
            ],
        )
    }

    fn aws_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new("aws");
        command.envs(env.iter().copied());
        command
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            );
        if args.contains(&"--profile") {
            command
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_SECRET_ACCESS_KEY");
        } else {
            for line in self.exports.lines() {
                if let Some((name, value)) =
                    line.strip_prefix("export ").and_then(|l| l.split_once('='))
                    && (name.starts_with("AWS_ACCESS") || name.starts_with("AWS_SECRET"))
                {
                    command.env(name, value.trim_matches('\''));
                }
            }
        }
        command
            .args(args)
            .args(["--output", "json"])
            .output()
            .expect("run aws")
    }

    fn ok(&self, args: &[&str]) -> serde_json::Value {
        let output = self.aws(args);
        assert!(
            output.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// Runs a command that must fail; returns its stderr.
    fn fails(&self, args: &[&str]) -> String {
        let output = self.aws(args);
        assert!(
            !output.status.success(),
            "aws {args:?} succeeded: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write file");
    format!("file://{}", path.display())
}

#[test]
fn aws_cli_follows_the_seed_runbook_and_meets_each_signing_error() {
    if !awslab_testkit::aws_cli_installed(
        "aws_cli_follows_the_seed_runbook_and_meets_each_signing_error",
    ) {
        return;
    }
    let served = Served::start();
    let who = served.ok(&["sts", "get-caller-identity"]);
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/awslab-operator")
    );

    // Create user with no permissions and an access key (profile `sts`).
    served.ok(&["iam", "create-user", "--user-name", "sts-test-user"]);
    let key = served.ok(&["iam", "create-access-key", "--user-name", "sts-test-user"]);
    let (key_id, secret) = (
        key["AccessKey"]["AccessKeyId"].as_str().expect("id"),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .expect("secret"),
    );
    served.profile("sts", key_id, secret, None);
    let who = served.ok(&["sts", "get-caller-identity", "--profile", "sts"]);
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/sts-test-user")
    );
    let denied = served.fails(&["s3", "ls", "--profile", "sts"]);
    assert!(
        denied.contains("AccessDenied") && denied.contains("s3:ListAllMyBuckets"),
        "{denied}"
    );
    let explained = served.awslab(&["sandbox", "explain"]);
    let explanation = String::from_utf8_lossy(&explained.stdout);
    assert!(explained.status.success(), "{explained:?}");
    assert!(
        explanation.contains("s3:ListAllMyBuckets")
            && explanation.contains("implicitDeny")
            && explanation.contains("user/sts-test-user"),
        "{explanation}"
    );
    assert!(!explanation.contains(secret));

    // Other services: authorized, read-only calls answered empty, the rest not emulated.
    served.ok(&["sns", "list-topics"]);
    served.ok(&["dynamodb", "list-tables"]);
    let denied = served.fails(&["sns", "list-topics", "--profile", "sts"]);
    // SNS words IAM's denial `AuthorizationError` (its model's AuthorizationErrorException).
    assert!(
        denied.contains("AuthorizationError") && denied.contains("sns:ListTopics"),
        "{denied}"
    );
    let unsupported = served.fails(&["sns", "create-topic", "--name", "lab"]);
    assert!(unsupported.contains("NotImplemented"), "{unsupported}");

    // The role and bucket the seed deploys, then the user's inline policy.
    let dir = served.dir.path();
    let trust = write(
        dir,
        "trust.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
    );
    let role = served.ok(&[
        "iam",
        "create-role",
        "--role-name",
        "StsRole",
        "--assume-role-policy-document",
        &trust,
    ]);
    let role_arn = role["Role"]["Arn"].as_str().expect("arn").to_owned();
    let access = write(
        dir,
        "access.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    served.ok(&[
        "iam",
        "put-role-policy",
        "--role-name",
        "StsRole",
        "--policy-name",
        "S3",
        "--policy-document",
        &access,
    ]);
    served.ok(&["s3api", "create-bucket", "--bucket", "sts-lab-bucket"]);
    let policy = write(
        dir,
        "policy.json",
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"{role_arn}"}}]}}"#
        ),
    );
    served.ok(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "sts-test-user",
        "--policy-name",
        "StsAssumePolicy",
        "--policy-document",
        &policy,
    ]);

    let assumed = served.ok(&[
        "sts",
        "assume-role",
        "--role-arn",
        &role_arn,
        "--role-session-name",
        "s3-sts-eg",
        "--profile",
        "sts",
    ]);
    let credentials = &assumed["Credentials"];
    let (temp_id, temp_secret, token) = (
        credentials["AccessKeyId"].as_str().expect("id"),
        credentials["SecretAccessKey"].as_str().expect("secret"),
        credentials["SessionToken"].as_str().expect("token"),
    );
    served.profile("assumed", temp_id, temp_secret, Some(token));
    let who = served.ok(&["sts", "get-caller-identity", "--profile", "assumed"]);
    assert_eq!(
        who["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/StsRole/s3-sts-eg")
    );
    let upload = dir.join("notes.txt");
    std::fs::write(&upload, "lab notes").expect("write upload");
    served.ok(&[
        "s3",
        "cp",
        upload.to_str().expect("path"),
        "s3://sts-lab-bucket/notes.txt",
        "--profile",
        "assumed",
    ]);
    let objects = served.aws(&["s3", "ls", "s3://sts-lab-bucket", "--profile", "assumed"]);
    assert!(
        String::from_utf8_lossy(&objects.stdout).contains("notes.txt"),
        "{objects:?}"
    );
    let listed = served.aws(&["s3", "ls", "--profile", "assumed"]);
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("sts-lab-bucket"),
        "{listed:?}"
    );
    let denied = served.fails(&["s3", "ls", "--profile", "sts"]);
    assert!(denied.contains("AccessDenied"), "{denied}");

    // Signing errors, as AWS answers them.
    served.profile(
        "unknown",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
    );
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "unknown"])
            .contains("InvalidClientTokenId")
    );
    assert!(
        served
            .fails(&["s3", "ls", "--profile", "unknown"])
            .contains("InvalidAccessKeyId")
    );
    served.profile(
        "wrong-secret",
        key_id,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
    );
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "wrong-secret"])
            .contains("SignatureDoesNotMatch")
    );
    assert!(
        served
            .fails(&["s3", "ls", "--profile", "wrong-secret"])
            .contains("SignatureDoesNotMatch")
    );
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--no-sign-request"])
            .contains("MissingAuthenticationToken")
    );
    // Signed 20 minutes off the sandbox's host clock: S3's RequestTimeTooSkewed, and
    // the query APIs' "Signature expired"; 10 minutes off is within AWS's 15.
    for (args, code) in [
        (&["s3", "ls"][..], "RequestTimeTooSkewed"),
        (&["sts", "get-caller-identity"][..], "SignatureDoesNotMatch"),
        (&["iam", "list-users"][..], "SignatureDoesNotMatch"),
    ] {
        let skewed = served.aws_skewed(-1200, args);
        let stderr = String::from_utf8_lossy(&skewed.stderr);
        assert!(
            !skewed.status.success() && stderr.contains(code),
            "aws {args:?} signed 20 minutes early: {stderr}"
        );
        if code == "SignatureDoesNotMatch" {
            assert!(stderr.contains("Signature expired"), "{stderr}");
        }
    }
    let within = served.aws_skewed(600, &["sts", "get-caller-identity"]);
    assert!(
        within.status.success(),
        "{}",
        String::from_utf8_lossy(&within.stderr)
    );
    let anonymous = served.fails(&["s3", "ls", "s3://sts-lab-bucket", "--no-sign-request"]);
    assert!(anonymous.contains("AccessDenied"), "{anonymous}");
    served.profile("no-token", temp_id, temp_secret, None);
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "no-token"])
            .contains("InvalidClientTokenId")
    );
    served.profile(
        "wrong-token",
        temp_id,
        temp_secret,
        Some("IQoJb3JpZ2luX2VjEXAMPLE"),
    );
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "wrong-token"])
            .contains("InvalidClientTokenId")
    );
    assert!(
        served
            .fails(&["s3", "ls", "--profile", "wrong-token"])
            .contains("InvalidToken")
    );

    // Cleanup as the seed does; DeleteConflict until the keys and policies are gone.
    assert!(
        served
            .fails(&["iam", "delete-user", "--user-name", "sts-test-user"])
            .contains("DeleteConflict")
    );
    served.ok(&[
        "iam",
        "update-access-key",
        "--user-name",
        "sts-test-user",
        "--access-key-id",
        key_id,
        "--status",
        "Inactive",
    ]);
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "sts"])
            .contains("InvalidClientTokenId")
    );
    served.ok(&[
        "iam",
        "delete-user-policy",
        "--user-name",
        "sts-test-user",
        "--policy-name",
        "StsAssumePolicy",
    ]);
    served.ok(&[
        "iam",
        "delete-access-key",
        "--access-key-id",
        key_id,
        "--user-name",
        "sts-test-user",
    ]);
    served.ok(&["iam", "delete-user", "--user-name", "sts-test-user"]);

    // Temporary credentials expire on the sandbox's clock (`--advance` is the older
    // spelling of `advance`).
    let moved = served.awslab(&["sandbox", "clock", "advance", "1h"]);
    assert!(moved.status.success());
    let moved = served.awslab(&["sandbox", "clock", "--advance", "1h"]);
    assert!(moved.status.success());
    let shown = String::from_utf8_lossy(&served.awslab(&["sandbox", "clock"]).stdout).into_owned();
    assert!(
        shown.contains("2h ahead of this machine's clock"),
        "{shown}"
    );
    assert!(
        served
            .fails(&["sts", "get-caller-identity", "--profile", "assumed"])
            .contains("ExpiredToken")
    );
}

/// Runs `awslab ARGS` as the sandbox's operator against `serve`.
fn awslab_as_operator(served: &Served, args: &[&str]) -> Output {
    let mut command = Command::new(AWSLAB);
    command
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_CONFIG_FILE", served.dir.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", served.credentials_file())
        .env("AWS_REGION", "us-east-1")
        .env("AWSLAB_STATE_DIR", served.dir.path().join("runs"))
        .env("NO_COLOR", "1");
    for line in served.exports.lines() {
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('='))
            && (name.starts_with("AWS_ACCESS") || name.starts_with("AWS_SECRET"))
        {
            command.env(name, value.trim_matches('\''));
        }
    }
    command.output().expect("run awslab")
}

#[test]
fn plans_without_cloudformation_pass_on_the_sandbox_and_down_restores_it() {
    let served = Served::start();
    let before = served.awslab(&["sandbox", "status"]);
    let endpoint = format!("http://127.0.0.1:{}", served.port);
    let plans = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans");
    for plan in [
        "session-token.yaml",
        "federation-token.yaml",
        "assume-role-iam.yaml",
    ] {
        let plan = plans.join(plan);
        let up = awslab_as_operator(
            &served,
            &[
                "up",
                plan.to_str().expect("path"),
                "--endpoint-url",
                &endpoint,
                "--yes",
            ],
        );
        let stdout = String::from_utf8_lossy(&up.stdout);
        assert!(
            up.status.success(),
            "{plan:?}: {stdout}{}",
            String::from_utf8_lossy(&up.stderr)
        );
        assert!(stdout.contains("verifications passed"), "{stdout}");
        let down = awslab_as_operator(&served, &["down", "--yes"]);
        assert!(
            down.status.success(),
            "{}",
            String::from_utf8_lossy(&down.stderr)
        );
        let status = String::from_utf8_lossy(&down.stdout).into_owned()
            + &String::from_utf8_lossy(&down.stderr);
        assert!(status.contains("Nothing is left"), "{status}");
    }
    let after = served.awslab(&["sandbox", "status"]);
    let without_sessions = |output: &Output| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| !line.starts_with("temporary credentials"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_sessions(&after), without_sessions(&before));
}

#[test]
fn serve_and_status_print_no_secret() {
    let served = Served::start();
    let status = served.awslab(&["sandbox", "status"]);
    let secret = served
        .exports
        .lines()
        .find_map(|line| line.strip_prefix("export AWS_SECRET_ACCESS_KEY="))
        .expect("env prints the secret")
        .trim_matches('\'')
        .to_owned();
    assert_eq!(secret.len(), 40);
    assert!(!String::from_utf8_lossy(&status.stdout).contains(&secret));
    let mut served = served;
    let _ = served.child.kill();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut served.stdout, &mut rest).expect("serve output");
    assert!(rest.contains("awslab sandbox env"), "{rest}");
    assert!(!rest.contains(&secret));
}

#[test]
fn aws_s3_cp_moves_a_9_mb_file_in_parts_and_back_in_ranges() {
    if !awslab_testkit::aws_cli_installed("aws_s3_cp_moves_a_9_mb_file_in_parts_and_back_in_ranges")
    {
        return;
    }
    let served = Served::start();
    served.ok(&["s3api", "create-bucket", "--bucket", "big-objects"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("nine.bin");
    let bytes: Vec<u8> = (0..9 * 1024 * 1024_usize)
        .map(|index| u8::try_from(index % 251).unwrap_or(0))
        .collect();
    std::fs::write(&source, &bytes).expect("write the file");
    let target = format!("{}", source.display());
    // Over the CLI's 8 MB threshold: a multipart upload of two parts.
    let upload = served.aws(&["s3", "cp", &target, "s3://big-objects/nine.bin"]);
    assert!(upload.status.success(), "{upload:?}");
    let head = served.ok(&[
        "s3api",
        "head-object",
        "--bucket",
        "big-objects",
        "--key",
        "nine.bin",
    ]);
    assert_eq!(head["ContentLength"], 9 * 1024 * 1024);
    assert!(
        head["ETag"]
            .as_str()
            .is_some_and(|etag| etag.ends_with("-2\"")),
        "{head}"
    );
    let pending = served.ok(&["s3api", "list-multipart-uploads", "--bucket", "big-objects"]);
    assert!(pending.get("Uploads").is_none(), "{pending}");

    // And back: the CLI reads a large object in ranged GETs.
    let back = dir.path().join("back.bin");
    let download = served.aws(&[
        "s3",
        "cp",
        "s3://big-objects/nine.bin",
        &format!("{}", back.display()),
    ]);
    assert!(download.status.success(), "{download:?}");
    assert!(std::fs::read(&back).expect("read back") == bytes);
    let first = dir.path().join("first.bin");
    let ranged = served.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "big-objects",
        "--key",
        "nine.bin",
        "--range",
        "bytes=0-9",
        &format!("{}", first.display()),
    ]);
    assert_eq!(ranged["ContentRange"], "bytes 0-9/9437184");
    assert_eq!(std::fs::read(&first).expect("read range"), bytes[..10]);
}

#[test]
fn aws_cli_meets_iam_s_policy_size_limits() {
    if !awslab_testkit::aws_cli_installed("aws_cli_meets_iam_s_policy_size_limits") {
        return;
    }
    let served = Served::start();
    served.ok(&["iam", "create-user", "--user-name", "limits"]);
    let policy = |fill: usize| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/{}"}}]}}"#,
            "x".repeat(fill)
        )
    };
    let over = write(served.dir.path(), "over.json", &policy(2_000));
    let put = |file: &str| {
        served.fails(&[
            "iam",
            "put-user-policy",
            "--user-name",
            "limits",
            "--policy-name",
            "big",
            "--policy-document",
            file,
        ])
    };
    let refused = put(&over);
    assert!(
        refused.contains("LimitExceeded")
            && refused.contains("Maximum policy size of 2048 bytes exceeded for user limits"),
        "{refused}"
    );
    // The issue's 1 MB policy: refused by IAM's length limit, before any parse.
    let huge = write(served.dir.path(), "huge.json", &policy(1_000_000));
    let refused = put(&huge);
    assert!(
        refused.contains("ValidationError") && refused.contains("131072"),
        "{refused}"
    );
}
