//! The seed runbooks as written (`/work/shared/seeds` 002, 003 and 004), followed
//! command by command with the real `aws` CLI (botocore) against `awslab sandbox
//! serve` on a free loopback port, in a temporary lab folder with temporary AWS CLI
//! files (never `~/.aws`). The operator (the learner's admin) is in the environment, as
//! in the seeds' Gitpod workspace; `aws configure` is answered on its stdin; "open
//! ~/.aws/credentials" edits are made to the temporary credentials file; `./bin/deploy`
//! is the fixture's script, `aws cloudformation deploy` of a template equivalent to the
//! seed's (see `tests/fixtures/seed-runbooks/`). What the learner reads in the console
//! (the role's ARN, the stack's end) is asked of the CLI instead. The server is stopped
//! by pid when the test ends, also when it fails.
#![expect(clippy::expect_used, reason = "test")]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");
const ACCOUNT: &str = "111122223333";

/// `awslab sandbox serve` on a free port, and a learner's lab folder.
struct Lab {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// The operator's access key and secret, from `awslab sandbox env`.
    operator: (String, String),
}

impl Drop for Lab {
    fn drop(&mut self) {
        // By pid (the `Child` handle), also when an assertion failed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lab {
    /// Starts the server and copies the seed's fixture folder (if any) into the lab.
    fn start(fixture: Option<&str>) -> Lab {
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
        // Keep reading so that `serve` never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .expect("port in serve's first line");
        let mut lab = Lab {
            child,
            port,
            dir,
            operator: (String::new(), String::new()),
        };
        let env = lab.awslab(&["sandbox", "env", "--port", &port.to_string()]);
        assert!(env.status.success(), "awslab sandbox env failed");
        let exports = String::from_utf8(env.stdout).expect("utf-8");
        let export = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .expect("sandbox env exports the operator")
                .trim_matches('\'')
                .to_owned()
        };
        lab.operator = (export("AWS_ACCESS_KEY_ID"), export("AWS_SECRET_ACCESS_KEY"));
        std::fs::create_dir_all(lab.folder()).expect("lab folder");
        if let Some(fixture) = fixture {
            copy_folder(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/seed-runbooks")
                    .join(fixture),
                &lab.folder(),
            );
        }
        lab
    }

    /// The learner's working folder (the seed's `api/sts`).
    fn folder(&self) -> PathBuf {
        self.dir.path().join("lab")
    }

    fn credentials_file(&self) -> PathBuf {
        self.dir.path().join("aws-credentials")
    }

    fn awslab(&self, args: &[&str]) -> Output {
        Command::new(AWSLAB)
            .args(args)
            .arg("--state-dir")
            .arg(self.dir.path().join("sandbox"))
            .env("NO_COLOR", "1")
            .output()
            .expect("run awslab")
    }

    /// `awslab sandbox status`, without the line that counts temporary credentials
    /// (sessions are not deleted; they expire).
    fn status(&self) -> String {
        let status = self.awslab(&["sandbox", "status"]);
        assert!(status.status.success(), "awslab sandbox status failed");
        String::from_utf8_lossy(&status.stdout)
            .lines()
            .filter(|line| !line.starts_with("temporary credentials"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A command in the lab folder with the learner's environment: the operator's
    /// keys exported, the sandbox as endpoint, the temporary AWS CLI files.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.folder())
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_DEFAULT_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_OUTPUT")
            .env_remove("AWS_REGION")
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_PAGER", "")
            .env("AWS_ACCESS_KEY_ID", &self.operator.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.operator.1)
            .env(
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            );
        command
    }

    /// Runs one runbook line (`aws …`, split on spaces, as the shell would split it).
    fn run(&self, line: &str) -> Output {
        self.run_with(line, &[])
    }

    /// Runs one runbook line with variables exported first (`export NAME=…`).
    fn run_with(&self, line: &str, exports: &[(&str, &str)]) -> Output {
        let mut words = line.split_whitespace();
        let program = words.next().expect("a command");
        let mut command = match program.strip_prefix("./") {
            Some(script) => self.command(self.folder().join(script).to_str().expect("path")),
            None => self.command(program),
        };
        command.args(words);
        for (name, value) in exports {
            command.env(name, value);
        }
        command.output().expect("run the command")
    }

    /// A line that must succeed; its stdout. Only stderr is shown on failure: stdout
    /// may hold secrets.
    fn ok(&self, line: &str) -> String {
        self.ok_with(line, &[])
    }

    fn ok_with(&self, line: &str, exports: &[(&str, &str)]) -> String {
        let output = self.run_with(line, exports);
        assert!(
            output.status.success(),
            "`{line}` failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn json(&self, line: &str) -> serde_json::Value {
        self.json_with(line, &[])
    }

    fn json_with(&self, line: &str, exports: &[(&str, &str)]) -> serde_json::Value {
        serde_json::from_str(&self.ok_with(line, exports))
            .unwrap_or_else(|_| panic!("`{line}` printed no JSON"))
    }

    /// A line that must fail with AWS's error code; its stderr.
    fn fails(&self, line: &str, code: &str) -> String {
        self.fails_with(line, code, &[])
    }

    fn fails_with(&self, line: &str, code: &str, exports: &[(&str, &str)]) -> String {
        let output = self.run_with(line, exports);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "`{line}` succeeded");
        assert!(
            stderr.contains(&format!("An error occurred ({code})")),
            "`{line}`: expected {code}: {stderr}"
        );
        stderr
    }

    /// `aws configure`, answered on its stdin as the seed says (key, secret, then
    /// Enter twice).
    fn configure(&self, key: &str, secret: &str) {
        let mut child = self
            .command("aws")
            .arg("configure")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aws configure");
        let mut stdin = child.stdin.take().expect("stdin");
        write!(stdin, "{key}\n{secret}\n\n\n").expect("answer aws configure");
        drop(stdin);
        let output = child.wait_with_output().expect("aws configure ends");
        assert!(
            output.status.success(),
            "aws configure: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// "open ~/.aws/credentials": the learner's edit of the credentials file.
    fn edit_credentials(&self, edit: impl FnOnce(&str) -> String) {
        let text = std::fs::read_to_string(self.credentials_file()).unwrap_or_default();
        std::fs::write(self.credentials_file(), edit(&text)).expect("write credentials");
    }

    /// Adds a profile to the credentials file, as the learner pastes it.
    fn add_profile(&self, name: &str, credentials: &serde_json::Value) {
        let field = |key: &str| {
            credentials[key]
                .as_str()
                .expect("credential field")
                .to_owned()
        };
        let (key, secret, token) = (
            field("AccessKeyId"),
            field("SecretAccessKey"),
            field("SessionToken"),
        );
        self.edit_credentials(|text| {
            format!(
                "{text}\n[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
            )
        });
    }

    /// Writes a file in the lab folder (`cat > NAME << EOF`, or the learner's editor).
    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.folder().join(name), text).expect("write lab file");
    }

    /// The role `deploy` made, as the learner reads it in the console.
    fn stack_role_arn(&self, stack: &str) -> String {
        let name = self.ok(&format!(
            "aws cloudformation describe-stack-resource --stack-name {stack} --logical-resource-id StsRole --query StackResourceDetail.PhysicalResourceId --output text"
        ));
        let arn = self.ok(&format!(
            "aws iam get-role --role-name {} --query Role.Arn --output text",
            name.trim()
        ));
        arn.trim().to_owned()
    }

    /// `aws cloudformation delete-stack` returns at once; the learner watches the
    /// console until the stack is gone.
    fn wait_deleted(&self, stack: &str) {
        let id = self.ok(&format!(
            "aws cloudformation describe-stacks --stack-name {stack} --query Stacks[0].StackId --output text"
        ));
        let mut seen = Vec::new();
        for _ in 0..20 {
            let status = self.ok(&format!(
                "aws cloudformation describe-stacks --stack-name {} --query Stacks[0].StackStatus --output text",
                id.trim()
            ));
            seen.push(status.trim().to_owned());
            if !status.contains("IN_PROGRESS") {
                break;
            }
        }
        assert_eq!(
            seen.last().map(String::as_str),
            Some("DELETE_COMPLETE"),
            "{seen:?}"
        );
    }
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("fixture folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture");
        }
    }
}

/// The value after `name` in `aws … --output table` (`|  AccessKeyId |  AKIA… |`).
fn table_value(table: &str, name: &str) -> String {
    table
        .lines()
        .find_map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .collect();
            (cells.len() == 2 && cells[0] == name).then(|| cells[1].to_owned())
        })
        .unwrap_or_else(|| panic!("no {name} row in the table"))
}

fn assume_policy(role_arn: &str) -> String {
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{{\n    \"Effect\": \"Allow\",\n    \"Action\": \"sts:AssumeRole\",\n    \"Resource\": \"{role_arn}\"\n  }}]\n}}\n"
    )
}

#[test]
fn seed_002_runbook_with_the_aws_cli() {
    if !awslab_testkit::aws_cli_installed("seed_002_runbook_with_the_aws_cli") {
        return;
    }
    let lab = Lab::start(Some("002"));
    let before = lab.status();

    // 1. create the user; 2. generate access keys (read off the table).
    let user = lab.json("aws iam create-user --user-name sts-machine-user");
    assert_eq!(
        user["User"]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/sts-machine-user")
    );
    let table = lab.ok("aws iam create-access-key --user-name sts-machine-user --output table");
    let key = table_value(&table, "AccessKeyId");
    let secret = table_value(&table, "SecretAccessKey");
    assert!(key.starts_with("AKIA") && secret.len() == 40);
    assert_eq!(table_value(&table, "Status"), "Active");
    assert_eq!(table_value(&table, "UserName"), "sts-machine-user");

    // 3. aws configure; 4. who the CLI recognizes: the exported operator still wins
    // over the [default] profile, as in the seed's workspace.
    lab.configure(&key, &secret);
    let who = lab.json("aws sts get-caller-identity");
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/awslab-operator")
    );

    // 5. change the section from default to sts; 6. who the CLI recognizes.
    lab.edit_credentials(|text| text.replace("[default]", "[sts]"));
    let who = lab.json("aws sts get-caller-identity --profile sts");
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/sts-machine-user")
    );

    // 7. make sure you don't have access to s3.
    let denied = lab.fails("aws s3 ls --profile sts", "AccessDenied");
    assert!(denied.contains("ListBuckets"), "{denied}");

    // Create a Role: the stack (the seed's role ARN names my-sts-fun-stack).
    let deployed = lab.ok("./bin/deploy");
    assert!(
        deployed.contains("Successfully created/updated stack - my-sts-fun-stack"),
        "{deployed}"
    );
    let role_arn = lab.stack_role_arn("my-sts-fun-stack");
    assert!(
        role_arn.starts_with(&format!(
            "arn:aws:iam::{ACCOUNT}:role/my-sts-fun-stack-StsRole-"
        )),
        "{role_arn}"
    );

    // Use new user credentials and assume role.
    lab.write("bin/policy.json", &assume_policy(&role_arn));
    lab.ok("aws iam put-user-policy --user-name sts-machine-user --policy-name StsAssumePolicy --policy-document file://./bin/policy.json");
    let assumed = lab.json(&format!(
        "aws sts assume-role --role-arn {role_arn} --role-session-name s3-sts-fun --profile sts"
    ));
    assert!(
        assumed["Credentials"]["AccessKeyId"]
            .as_str()
            .is_some_and(|id| id.starts_with("ASIA"))
    );
    lab.add_profile("assumed", &assumed["Credentials"]);

    // Test role; test bucket access.
    let who = lab.json("aws sts get-caller-identity --profile assumed");
    let role_name = role_arn.rsplit('/').next().expect("role name");
    assert_eq!(
        who["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/s3-sts-fun")
    );
    let buckets = lab.ok("aws s3 ls --profile assumed");
    assert!(buckets.contains("sts-fun-seed-002"), "{buckets}");

    // Clean up: the stack (the seed does it in the console), then the key, the
    // policy and the user.
    lab.ok("aws cloudformation delete-stack --stack-name my-sts-fun-stack");
    lab.wait_deleted("my-sts-fun-stack");
    lab.ok(&format!(
        "aws iam delete-access-key --access-key-id {key} --user-name sts-machine-user"
    ));
    lab.ok("aws iam delete-user-policy --user-name sts-machine-user --policy-name StsAssumePolicy");
    lab.ok("aws iam delete-user --user-name sts-machine-user");
    assert_eq!(lab.status(), before);
}

#[test]
fn seed_003_runbook_with_the_aws_cli() {
    if !awslab_testkit::aws_cli_installed("seed_003_runbook_with_the_aws_cli") {
        return;
    }
    let lab = Lab::start(Some("003"));
    let before = lab.status();

    // Create a user with no permissions.
    lab.ok("aws iam create-user --user-name sts-test-user");
    let table = lab.ok("aws iam create-access-key --user-name sts-test-user --output table");
    let key = table_value(&table, "AccessKeyId");
    lab.configure(&key, &table_value(&table, "SecretAccessKey"));
    lab.edit_credentials(|text| text.replace("[default]", "[sts]"));
    let who = lab.json("aws sts get-caller-identity --profile sts");
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/sts-test-user")
    );
    // The bucket does not exist yet: AccessDenied all the same (S3 tells no one
    // without permission whether a bucket exists).
    let denied = lab.fails(
        "aws s3 ls s3://sts-example-56289 --profile sts",
        "AccessDenied",
    );
    assert!(denied.contains("ListObjectsV2"), "{denied}");

    // Create a Role.
    let deployed = lab.ok("./bin/deploy");
    assert!(
        deployed.contains("Successfully created/updated stack - my-sts-stack"),
        "{deployed}"
    );
    let role_arn = lab.stack_role_arn("my-sts-stack");

    // Use new user credentials and assume role.
    lab.write("policy.json", &assume_policy(&role_arn));
    lab.ok("aws iam put-user-policy --user-name sts-test-user --policy-name StsAssumePolicy --policy-document file://policy.json");
    let assumed = lab.json(&format!(
        "aws sts assume-role --role-arn {role_arn} --role-session-name sts-example-s3 --profile sts"
    ));
    let credentials = &assumed["Credentials"];
    for field in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(credentials[field].is_string(), "no {field}");
    }
    let role_name = role_arn.rsplit('/').next().expect("role name");
    assert_eq!(
        assumed["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/sts-example-s3")
    );
    lab.add_profile("assumed", credentials);
    let who = lab.json("aws sts get-caller-identity --profile assumed");
    assert_eq!(who["Arn"], assumed["AssumedRoleUser"]["Arn"]);

    // Test.
    let denied = lab.fails(
        "aws s3 ls s3://sts-example-56289 --profile sts",
        "AccessDenied",
    );
    assert!(denied.contains("ListObjectsV2"), "{denied}");
    let listed = lab.run("aws s3 ls s3://sts-example-56289 --profile assumed");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(listed.stdout.is_empty(), "the bucket is empty");

    // Cleanup.
    lab.ok("aws cloudformation delete-stack --stack-name my-sts-stack");
    lab.wait_deleted("my-sts-stack");
    lab.ok("aws iam delete-user-policy --user-name sts-test-user --policy-name StsAssumePolicy");
    lab.ok(&format!(
        "aws iam delete-access-key --access-key-id {key} --user-name sts-test-user"
    ));
    lab.ok("aws iam delete-user --user-name sts-test-user");
    assert_eq!(lab.status(), before);
}

/// The exports that make a command run as the credentials in `answer["Credentials"]`
/// (the seed's `export AWS_ACCESS_KEY_ID=$(echo $ASSUMED_CREDS | jq -r …)`, parsed
/// here rather than with jq, which CI need not have).
fn exports_of(credentials: &serde_json::Value) -> Vec<(&'static str, String)> {
    let field = |key: &str| {
        credentials[key]
            .as_str()
            .expect("credential field")
            .to_owned()
    };
    vec![
        ("AWS_ACCESS_KEY_ID", field("AccessKeyId")),
        ("AWS_SECRET_ACCESS_KEY", field("SecretAccessKey")),
        ("AWS_SESSION_TOKEN", field("SessionToken")),
    ]
}

fn borrowed<'a>(exports: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    exports
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// Seconds from now until an `Expiration` the CLI printed.
fn seconds_left(expiration: &serde_json::Value) -> i64 {
    let text = expiration.as_str().expect("Expiration");
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| panic!("Expiration `{text}` is not RFC 3339"));
    (at - time::OffsetDateTime::now_utc()).whole_seconds()
}

/// Seed 004: trust policies, inline and managed role policies, durations, trust
/// updates, and the STS actions its introduction lists (`GetSessionToken`,
/// `GetFederationToken`, `AssumeRoleWithWebIdentity`; `AssumeRoleWithSAML` is not
/// emulated), plus the cross-account trust its first role is named for. The seed's
/// own slips are kept and get AWS's answers: it puts a policy on a role before
/// creating it, assumes a role for 4 hours that allows 1, and trusts a user `ali` it
/// never creates.
#[test]
fn seed_004_runbook_with_the_aws_cli() {
    if !awslab_testkit::aws_cli_installed("seed_004_runbook_with_the_aws_cli") {
        return;
    }
    let lab = Lab::start(None);
    let before = lab.status();
    let account = ACCOUNT;

    // Step 1.1: a role that the account's root trusts.
    let root_trust = format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Principal\": {{\n        \"AWS\": \"arn:aws:iam::{account}:root\"\n      }},\n      \"Action\": \"sts:AssumeRole\"\n    }}\n  ]\n}}\n"
    );
    lab.write("trust-policy.json", &root_trust);
    let role = lab.json("aws iam create-role --role-name CrossAccountRole --assume-role-policy-document file://trust-policy.json");
    assert_eq!(
        role["Role"]["Arn"],
        format!("arn:aws:iam::{account}:role/CrossAccountRole")
    );
    assert_eq!(role["Role"]["MaxSessionDuration"], 3600);

    // Step 2: the "privet" policy, put on a role the seed has not created yet.
    lab.write(
        "s3-policy.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": [\n        \"s3:GetObject\",\n        \"s3:PutObject\",\n        \"s3:ListBucket\"\n      ],\n      \"Resource\": [\n        \"arn:aws:s3:::privet\",\n        \"arn:aws:s3:::privet/*\"\n      ]\n    }\n  ]\n}\n",
    );
    let put = "aws iam put-role-policy --role-name S3PrivetAccessRole --policy-name S3PrivetAccessPolicy --policy-document file://s3-policy.json";
    lab.fails(put, "NoSuchEntity");

    // Step 3: the example account does not exist; the 4-hour role does not yet.
    lab.fails(
        "aws sts assume-role --role-arn arn:aws:iam::123456789012:role/MyRole --role-session-name MySession",
        "AccessDenied",
    );
    let stamp = Command::new("date")
        .arg("+%Y%m%d-%H%M")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .expect("date");
    let four_hours = format!(
        "aws sts assume-role --role-arn arn:aws:iam::{account}:role/S3PrivetAccessRole --role-session-name privet-access-{stamp} --duration-seconds 14400"
    );
    lab.fails(&four_hours, "AccessDenied");

    // Demo 2, step 1: the role, with an AWS managed policy.
    lab.ok("aws iam create-role --role-name S3PrivetAccessRole --assume-role-policy-document file://trust-policy.json");
    lab.ok("aws iam attach-role-policy --role-name S3PrivetAccessRole --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    lab.ok(put);
    let attached = lab.json("aws iam list-attached-role-policies --role-name S3PrivetAccessRole");
    assert_eq!(
        attached["AttachedPolicies"][0]["PolicyName"],
        "AmazonS3ReadOnlyAccess"
    );

    // Now step 3 runs into the role's 1-hour maximum, until the role allows 4 hours.
    let refused = lab.fails(&four_hours, "ValidationError");
    assert!(refused.contains("MaxSessionDuration"), "{refused}");
    lab.ok("aws iam update-role --role-name S3PrivetAccessRole --max-session-duration 14400");
    let assumed = lab.json(&four_hours);
    let left = seconds_left(&assumed["Credentials"]["Expiration"]);
    assert!((14_000..=14_400).contains(&left), "{left} s left");
    let exported = exports_of(&assumed["Credentials"]);
    let who = lab.json_with("aws sts get-caller-identity", &borrowed(&exported));
    assert_eq!(
        who["Arn"],
        format!("arn:aws:sts::{account}:assumed-role/S3PrivetAccessRole/privet-access-{stamp}")
    );
    // Step 2: trust only Ali. Ali does not exist until created.
    lab.write(
        "trust-policy.json",
        &root_trust.replace(&format!("{account}:root"), &format!("{account}:user/ali")),
    );
    let update = "aws iam update-assume-role-policy --role-name S3PrivetAccessRole --policy-document file://trust-policy.json";
    lab.fails(update, "MalformedPolicyDocument");
    lab.ok("aws iam create-user --user-name ali");
    let ali_key = lab.json("aws iam create-access-key --user-name ali");
    let ali = [
        (
            "AWS_ACCESS_KEY_ID",
            ali_key["AccessKey"]["AccessKeyId"].as_str().expect("id"),
        ),
        (
            "AWS_SECRET_ACCESS_KEY",
            ali_key["AccessKey"]["SecretAccessKey"]
                .as_str()
                .expect("secret"),
        ),
    ];
    lab.ok(update);
    // The operator is no longer trusted; Ali, named by the trust policy, needs no
    // identity policy in the role's own account.
    lab.fails(
        &format!("aws sts assume-role --role-arn arn:aws:iam::{account}:role/S3PrivetAccessRole --role-session-name ali-access"),
        "AccessDenied",
    );
    let ali_assumed = lab.json_with(
        &format!("aws sts assume-role --role-arn arn:aws:iam::{account}:role/S3PrivetAccessRole --role-session-name ali-access"),
        &ali,
    );
    let ali_exports = exports_of(&ali_assumed["Credentials"]);
    lab.ok("aws s3 mb s3://privet");
    let listed = lab.run_with("aws s3 ls s3://privet/", &borrowed(&ali_exports));
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    lab.fails_with("aws s3 ls s3://privet/", "AccessDenied", &ali);

    // GetSessionToken: Ali's own, within 900..129600 s, never from a session.
    let session = lab.json_with("aws sts get-session-token --duration-seconds 900", &ali);
    assert!((800..=900).contains(&seconds_left(&session["Credentials"]["Expiration"])));
    let session_exports = exports_of(&session["Credentials"]);
    let who = lab.json_with("aws sts get-caller-identity", &borrowed(&session_exports));
    assert_eq!(who["Arn"], format!("arn:aws:iam::{account}:user/ali"));
    lab.fails_with(
        "aws sts get-session-token --duration-seconds 129601",
        "ValidationError",
        &ali,
    );
    lab.fails_with(
        "aws sts get-session-token",
        "AccessDenied",
        &borrowed(&ali_exports),
    );

    // GetFederationToken: needs the permission; the passed policy narrows Ali's.
    lab.write(
        "fed-policy.json",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::privet\"}]}",
    );
    let federate = "aws sts get-federation-token --name ali-fed --policy file://fed-policy.json --duration-seconds 900";
    lab.fails_with(federate, "AccessDenied", &ali);
    lab.write(
        "ali-policy.json",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"sts:GetFederationToken\",\"s3:ListBucket\",\"s3:ListAllMyBuckets\"],\"Resource\":\"*\"}]}",
    );
    lab.ok("aws iam put-user-policy --user-name ali --policy-name AliFederation --policy-document file://ali-policy.json");
    let federated = lab.json_with(federate, &ali);
    assert_eq!(
        federated["FederatedUser"]["Arn"],
        format!("arn:aws:sts::{account}:federated-user/ali-fed")
    );
    let fed_exports = exports_of(&federated["Credentials"]);
    lab.ok_with("aws s3 ls s3://privet/", &borrowed(&fed_exports));
    lab.fails_with("aws s3 ls", "AccessDenied", &borrowed(&fed_exports));
    lab.ok_with("aws s3 ls", &ali);

    // AssumeRoleWithWebIdentity against the sandbox's own OIDC issuer.
    lab.ok("aws iam create-open-id-connect-provider --url https://oidc.awslab.localhost --client-id-list lab");
    let provider = format!("arn:aws:iam::{account}:oidc-provider/oidc.awslab.localhost");
    lab.write(
        "web-trust.json",
        &format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Federated\":\"{provider}\"}},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{{\"StringEquals\":{{\"oidc.awslab.localhost:aud\":\"lab\",\"oidc.awslab.localhost:sub\":\"student\"}}}}}}]}}"
        ),
    );
    lab.ok("aws iam create-role --role-name WebRole --assume-role-policy-document file://web-trust.json");
    let mint = |sub: &str| {
        let token = lab.awslab(&["sandbox", "token", "--sub", sub, "--aud", "lab"]);
        assert!(token.status.success(), "awslab sandbox token failed");
        lab.write("token.jwt", String::from_utf8_lossy(&token.stdout).trim());
    };
    mint("student");
    let web = lab.json(&format!(
        "aws sts assume-role-with-web-identity --role-arn arn:aws:iam::{account}:role/WebRole --role-session-name web-student --web-identity-token file://token.jwt"
    ));
    assert_eq!(
        web["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{account}:assumed-role/WebRole/web-student")
    );
    assert_eq!(web["SubjectFromWebIdentityToken"], "student");
    mint("someone-else");
    lab.fails(
        &format!("aws sts assume-role-with-web-identity --role-arn arn:aws:iam::{account}:role/WebRole --role-session-name web-other --web-identity-token file://token.jwt"),
        "AccessDenied",
    );

    // Cross-account: a role in account 2 that trusts account 1; Ali also needs an
    // identity policy in account 1.
    let env = lab.awslab(&[
        "sandbox",
        "env",
        "--account",
        "2",
        "--port",
        &lab.port.to_string(),
    ]);
    assert!(
        env.status.success(),
        "awslab sandbox env --account 2 failed"
    );
    let exports = String::from_utf8(env.stdout).expect("utf-8");
    let second: Vec<(&str, &str)> = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .into_iter()
        .map(|name| {
            let value = exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .expect("sandbox env exports the operator")
                .trim_matches('\'');
            (name, value)
        })
        .collect();
    let other = lab.json_with("aws sts get-caller-identity", &second)["Account"]
        .as_str()
        .expect("account")
        .to_owned();
    assert_ne!(other, account);
    lab.write("trust-policy.json", &root_trust);
    lab.ok_with(
        "aws iam create-role --role-name CrossAccountRole --assume-role-policy-document file://trust-policy.json",
        &second,
    );
    let cross = format!(
        "aws sts assume-role --role-arn arn:aws:iam::{other}:role/CrossAccountRole --role-session-name from-{account}"
    );
    lab.fails_with(&cross, "AccessDenied", &ali);
    lab.write(
        "ali-cross.json",
        &assume_policy(&format!("arn:aws:iam::{other}:role/CrossAccountRole")),
    );
    lab.ok("aws iam put-user-policy --user-name ali --policy-name CrossAccount --policy-document file://ali-cross.json");
    let crossed = lab.json_with(&cross, &ali);
    assert_eq!(
        crossed["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{other}:assumed-role/CrossAccountRole/from-{account}")
    );

    // Cleanup: every role, policy, user and bucket the runbook and this test made.
    lab.ok_with("aws iam delete-role --role-name CrossAccountRole", &second);
    lab.ok("aws iam delete-role --role-name WebRole");
    lab.ok(&format!(
        "aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {provider}"
    ));
    lab.fails(
        "aws iam delete-role --role-name S3PrivetAccessRole",
        "DeleteConflict",
    );
    lab.ok("aws iam detach-role-policy --role-name S3PrivetAccessRole --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    lab.ok("aws iam delete-role-policy --role-name S3PrivetAccessRole --policy-name S3PrivetAccessPolicy");
    lab.ok("aws iam delete-role --role-name S3PrivetAccessRole");
    lab.ok("aws iam delete-role --role-name CrossAccountRole");
    lab.ok("aws s3 rb s3://privet");
    for policy in ["AliFederation", "CrossAccount"] {
        lab.ok(&format!(
            "aws iam delete-user-policy --user-name ali --policy-name {policy}"
        ));
    }
    lab.ok(&format!(
        "aws iam delete-access-key --user-name ali --access-key-id {}",
        ali[0].1
    ));
    lab.ok("aws iam delete-user --user-name ali");
    assert_eq!(lab.status(), before);
}

/// Seed 004's `AssumeRoleWithSAML`, with the sandbox as the identity provider: its
/// metadata registered with `aws iam create-saml-provider`, a role that trusts the
/// provider for `saml:aud`, a response from `awslab sandbox saml` exchanged with
/// `aws sts assume-role-with-saml` (botocore sends it unsigned), and the refusals: a
/// response changed after it was signed, one offering another role, one expired on the
/// sandbox clock.
#[test]
fn seed_004_saml_with_the_aws_cli() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    if !awslab_testkit::aws_cli_installed("seed_004_saml_with_the_aws_cli") {
        return;
    }
    let lab = Lab::start(None);
    let before = lab.status();
    let account = ACCOUNT;
    let metadata = lab.awslab(&["sandbox", "saml", "--metadata"]);
    assert!(
        metadata.status.success(),
        "awslab sandbox saml --metadata failed"
    );
    lab.write("idp.xml", &String::from_utf8_lossy(&metadata.stdout));
    let provider = format!("arn:aws:iam::{account}:saml-provider/SandboxIdP");
    let created = lab.json(
        "aws iam create-saml-provider --name SandboxIdP --saml-metadata-document file://idp.xml",
    );
    assert_eq!(created["SAMLProviderArn"], provider.as_str());
    lab.write(
        "saml-trust.json",
        &format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Principal\":{{\"Federated\":\"{provider}\"}},\"Action\":\"sts:AssumeRoleWithSAML\",\"Condition\":{{\"StringEquals\":{{\"SAML:aud\":\"https://signin.aws.amazon.com/saml\"}}}}}}]}}"
        ),
    );
    lab.ok("aws iam create-role --role-name SamlRole --assume-role-policy-document file://saml-trust.json");
    let role = format!("arn:aws:iam::{account}:role/SamlRole");
    let mint = |role: &str| -> String {
        let response = lab.awslab(&[
            "sandbox",
            "saml",
            "--subject",
            "student",
            "--role",
            role,
            "--provider",
            &provider,
        ]);
        assert!(response.status.success(), "awslab sandbox saml failed");
        String::from_utf8_lossy(&response.stdout).trim().to_owned()
    };
    let assume = format!(
        "aws sts assume-role-with-saml --role-arn {role} --principal-arn {provider} --saml-assertion file://response.b64"
    );
    lab.write("response.b64", &mint(&role));
    let saml = lab.json(&assume);
    assert_eq!(
        saml["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{account}:assumed-role/SamlRole/student")
    );
    assert_eq!(saml["Subject"], "student");
    assert_eq!(saml["SubjectType"], "persistent");
    assert_eq!(saml["Issuer"], "https://saml.awslab.localhost");
    assert_eq!(saml["Audience"], "https://signin.aws.amazon.com/saml");
    let who = lab.json_with(
        "aws sts get-caller-identity",
        &borrowed(&exports_of(&saml["Credentials"])),
    );
    assert_eq!(who["Arn"], saml["AssumedRoleUser"]["Arn"]);

    // Changed after it was signed: the subject becomes the admin.
    let xml = String::from_utf8(STANDARD.decode(mint(&role)).expect("base64")).expect("utf-8");
    lab.write(
        "response.b64",
        &STANDARD.encode(xml.replace(">student<", ">admin<")),
    );
    let stderr = lab.fails(&assume, "InvalidIdentityToken");
    assert!(stderr.contains("Response signature invalid"), "{stderr}");
    // A response for another role does not offer this one.
    lab.write(
        "response.b64",
        &mint(&format!("arn:aws:iam::{account}:role/Other")),
    );
    lab.fails(&assume, "AccessDenied");
    // Expired: five minutes and a second later on the sandbox clock.
    lab.write("response.b64", &mint(&role));
    let advanced = lab.awslab(&["sandbox", "clock", "advance", "301s"]);
    assert!(
        advanced.status.success(),
        "awslab sandbox clock advance failed"
    );
    lab.fails(&assume, "ExpiredTokenException");

    lab.ok("aws iam delete-role --role-name SamlRole");
    lab.ok(&format!(
        "aws iam delete-saml-provider --saml-provider-arn {provider}"
    ));
    assert_eq!(lab.status(), before);
}
