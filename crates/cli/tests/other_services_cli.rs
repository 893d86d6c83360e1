//! The real `aws` CLI (botocore) against `awslab sandbox serve` for services the
//! sandbox does not emulate, one per protocol family: Lambda and API Gateway
//! (REST-JSON), Route 53 (REST-XML), `DynamoDB` (JSON 1.0), SNS (query) and EC2. The
//! operator's read answers an empty list (exit 0, parsed); a policy-less user gets
//! that service's denial; a wrong secret that service's signature error. Neither the
//! answers, `sandbox explain` nor `serve`'s log at `-vvv` shows a secret. The server
//! is stopped by pid.
#![expect(clippy::expect_used, reason = "test")]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

struct Served {
    child: Child,
    /// Kept open so `serve` can keep writing to its stdout.
    _stdout: BufReader<std::process::ChildStdout>,
    port: u16,
    dir: tempfile::TempDir,
    /// The operator's key id and secret, from `awslab sandbox env`.
    operator: (String, String),
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
        let log = std::fs::File::create(dir.path().join("serve.log")).expect("log file");
        let mut child = Command::new(AWSLAB)
            .args(["-vvv", "sandbox", "serve", "--port", "0", "--state-dir"])
            .arg(dir.path().join("sandbox"))
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("first line");
        let port: u16 = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("port in first line");
        let env = Command::new(AWSLAB)
            .args(["sandbox", "env", "--port", &port.to_string(), "--state-dir"])
            .arg(dir.path().join("sandbox"))
            .output()
            .expect("sandbox env");
        let exports = String::from_utf8(env.stdout).expect("utf-8");
        let export = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .map(|value| value.trim_matches('\'').to_owned())
                .expect("exported")
        };
        let operator = (export("AWS_ACCESS_KEY_ID"), export("AWS_SECRET_ACCESS_KEY"));
        Served {
            child,
            _stdout: stdout,
            port,
            dir,
            operator,
        }
    }

    fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("credentials")
    }

    fn awslab(&self, args: &[&str]) -> Output {
        Command::new(AWSLAB)
            .args(args)
            .arg("--state-dir")
            .arg(self.dir.path().join("sandbox"))
            .output()
            .expect("awslab")
    }

    /// Writes a profile into the temporary credentials file.
    fn profile(&self, name: &str, key: &str, secret: &str) {
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
    }

    /// `aws ARGS --profile PROFILE`, never touching ~/.aws.
    fn aws(&self, profile: &str, args: &[&str]) -> Output {
        Command::new("aws")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_CONFIG_FILE", self.dir.path().join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            )
            .args(args)
            .args(["--profile", profile, "--output", "json"])
            .output()
            .expect("run aws")
    }
}

/// Each command's read, the list its answer holds, and the family's errors.
struct Case {
    args: &'static [&'static str],
    list: &'static str,
    denied: &'static str,
    wrong_secret: &'static str,
}

const CASES: &[Case] = &[
    Case {
        args: &["lambda", "list-functions"],
        list: "Functions",
        denied: "AccessDeniedException",
        wrong_secret: "InvalidSignatureException",
    },
    Case {
        args: &["route53", "list-hosted-zones"],
        list: "HostedZones",
        denied: "AccessDenied",
        wrong_secret: "SignatureDoesNotMatch",
    },
    Case {
        args: &["apigateway", "get-rest-apis"],
        list: "items",
        denied: "AccessDeniedException",
        wrong_secret: "InvalidSignatureException",
    },
    Case {
        args: &["dynamodb", "list-tables"],
        list: "TableNames",
        denied: "AccessDeniedException",
        wrong_secret: "InvalidSignatureException",
    },
    Case {
        args: &["sns", "list-topics"],
        list: "Topics",
        denied: "AuthorizationError",
        wrong_secret: "SignatureDoesNotMatch",
    },
    Case {
        args: &["ec2", "describe-instances"],
        list: "Reservations",
        denied: "UnauthorizedOperation",
        wrong_secret: "AuthFailure",
    },
];

#[test]
fn aws_cli_meets_each_protocol_family_of_the_services_not_emulated() {
    if !awslab_testkit::aws_cli_installed(
        "aws_cli_meets_each_protocol_family_of_the_services_not_emulated",
    ) {
        return;
    }
    let served = Served::start();
    let (key, secret) = served.operator.clone();
    served.profile("operator", &key, &secret);
    served.profile("wrong", &key, "wJalrXUtnFEMIK7MDENGbPxRfiCYWRONGSECRET1");

    // A user with no policy, and its key.
    let created = served.aws("operator", &["iam", "create-user", "--user-name", "nobody"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let made = served.aws(
        "operator",
        &["iam", "create-access-key", "--user-name", "nobody"],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&made.stdout).expect("json");
    let nobody_secret = made["AccessKey"]["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_owned();
    let nobody_key = made["AccessKey"]["AccessKeyId"].as_str().expect("key");
    served.profile("nobody", nobody_key, &nobody_secret);

    let mut seen = String::new();
    for case in CASES {
        let listed = served.aws("operator", case.args);
        let stderr = String::from_utf8_lossy(&listed.stderr).into_owned();
        assert!(listed.status.success(), "aws {:?}: {stderr}", case.args);
        let parsed: serde_json::Value =
            serde_json::from_slice(&listed.stdout).expect("parsed answer");
        assert_eq!(
            parsed[case.list],
            serde_json::json!([]),
            "aws {:?}: {parsed}",
            case.args
        );
        seen.push_str(&String::from_utf8_lossy(&listed.stdout));

        let denied = served.aws("nobody", case.args);
        let stderr = String::from_utf8_lossy(&denied.stderr).into_owned();
        assert!(
            !denied.status.success(),
            "aws {:?} as nobody succeeded",
            case.args
        );
        assert!(
            stderr.contains(&format!("({})", case.denied)) && stderr.contains("user/nobody"),
            "aws {:?} as nobody: {stderr}",
            case.args
        );
        seen.push_str(&stderr);

        let wrong = served.aws("wrong", case.args);
        let stderr = String::from_utf8_lossy(&wrong.stderr).into_owned();
        assert!(
            !wrong.status.success(),
            "aws {:?} with a wrong secret succeeded",
            case.args
        );
        assert!(
            stderr.contains(&format!("({})", case.wrong_secret)),
            "aws {:?} with a wrong secret: {stderr}",
            case.args
        );
        seen.push_str(&stderr);
    }

    // A write is refused as not emulated, never faked.
    let create = served.aws(
        "operator",
        &["lambda", "delete-function", "--function-name", "f"],
    );
    let stderr = String::from_utf8_lossy(&create.stderr).into_owned();
    assert!(
        !create.status.success() && stderr.contains("(NotImplemented)"),
        "{stderr}"
    );

    // The denial is explained; no secret reaches an answer, explain or serve's log.
    let explained = served.awslab(&["sandbox", "explain"]);
    let explanation = String::from_utf8_lossy(&explained.stdout).into_owned();
    assert!(explained.status.success(), "{explained:?}");
    assert!(explanation.contains("user/nobody"), "{explanation}");
    seen.push_str(&explanation);
    seen.push_str(&std::fs::read_to_string(served.dir.path().join("serve.log")).expect("log"));
    for secret in [
        &secret,
        &nobody_secret,
        "wJalrXUtnFEMIK7MDENGbPxRfiCYWRONGSECRET1",
    ] {
        assert!(
            !seen.contains(secret),
            "a secret reached an answer, explain or the log"
        );
    }
}
