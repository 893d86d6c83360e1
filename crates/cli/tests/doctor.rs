//! `awslab doctor` on each target (and at `RUST_LOG=trace`, with no secret in any
//! output), `doctor oidc` against a role made from the trust policy the docs and
//! examples/github-actions.yml show, with the sandbox's OIDC issuer standing in for
//! GitHub's (a GitHub-shaped token, a wrong `sub`, a wrong `aud`, an expired token),
//! and `validate --format sarif` checked against SARIF 2.1.0's required fields and
//! what GitHub's code-scanning upload reads.

#![expect(
    clippy::unwrap_used,
    clippy::too_many_lines,
    reason = "tests fail loudly; one end-to-end story"
)]

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Lab, Target, examples, text};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn everything(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn doctor_checks_the_target_and_shows_no_secret(lab: Lab) {
    let target = lab.up_args();
    let mut args: Vec<&str> = vec!["doctor"];
    args.extend(target.iter().map(String::as_str));
    let output = lab.awslab(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = stdout(&output);
    for check in [
        "ok    region: `us-east-1`",
        "ok    credentials: found",
        "ok    credentials accepted: `arn:aws:iam::",
        "ok    account: `",
        "ok    STS: answers",
        "ok    clock: ",
        "ok    IAM: answers",
        "ok    S3: answers",
        "ok    CloudFormation: answers",
    ] {
        assert!(
            report.contains(check),
            "no `{check}` in:\n{}",
            text(&output)
        );
    }
    let all = everything(&output);
    assert!(
        !all.contains(&lab.admin.secret_access_key),
        "the operator's secret key was printed:\n{all}"
    );

    // The account given must be the caller's.
    let account = report
        .lines()
        .find_map(|line| line.strip_prefix("ok    account: `"))
        .and_then(|rest| rest.split('`').next())
        .unwrap()
        .to_owned();
    let mut matching = args.clone();
    matching.extend(["--account", &account]);
    let output = lab.awslab(&matching);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        stdout(&output).contains("(matches --account)"),
        "{}",
        text(&output)
    );
    let other = if account == "999999999999" {
        "999999999998"
    } else {
        "999999999999"
    };
    let mut wrong = args.clone();
    wrong.extend(["--account", other]);
    let output = lab.awslab(&wrong);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        stdout(&output).contains(&format!(
            "fail  account: the operator is in account `{account}`, not `{other}` (--account)"
        )),
        "{}",
        text(&output)
    );
    assert!(!everything(&output).contains(&lab.admin.secret_access_key));
}

on_each_target!(
    doctor_checks_the_target_and_shows_no_secret,
    and_under_rust_log_trace
);

#[tokio::test(flavor = "multi_thread")]
async fn doctor_fails_with_status_4_when_the_target_does_not_answer() {
    let lab = Lab::on(Target::Sandbox, "doctor_unreachable")
        .await
        .unwrap();
    // A port nothing listens on; the operator's keys come from the lab's `[default]`.
    let output = lab.awslab(&["doctor", "--endpoint-url", "http://127.0.0.1:9"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    let report = stdout(&output);
    assert!(
        report.contains("ok    credentials: found"),
        "{}",
        text(&output)
    );
    assert!(
        report.contains("fail  credentials accepted: cannot reach `http://127.0.0.1:9`"),
        "{}",
        text(&output)
    );
    assert!(
        report.contains("do: is the server running"),
        "{}",
        text(&output)
    );
    assert!(!everything(&output).contains(&lab.admin.secret_access_key));

    // No credentials at all: a failed check with what to do, status 4.
    let output = lab
        .command(support::AWSLAB)
        .args(["doctor", "--target", "aws", "--profile", "missing"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(
        stdout(&output).contains("fail  credentials: profile `missing` is in neither"),
        "{}",
        text(&output)
    );
}

/// The documented trust policy, for the sandbox: its OIDC issuer for GitHub's, and the
/// sandbox's account for the example's.
fn sandbox_trust_policy() -> String {
    let text =
        std::fs::read_to_string(examples().join("github-actions-trust-policy.json")).unwrap();
    let value: Value = serde_json::from_str(
        &text
            .replace(
                "token.actions.githubusercontent.com",
                "oidc.awslab.localhost",
            )
            .replace("111122223333", "${account.id}"),
    )
    .unwrap();
    value.to_string()
}

fn token(
    lab: &Lab,
    sub: &str,
    aud: &str,
    duration: &str,
    file: &str,
) -> (std::path::PathBuf, String) {
    let output = lab.awslab(&[
        "sandbox",
        "token",
        "--sub",
        sub,
        "--aud",
        aud,
        "--duration",
        duration,
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let token = stdout(&output).trim().to_owned();
    let path = lab.files.dir().join(file);
    std::fs::write(&path, &token).unwrap();
    (path, token)
}

fn oidc(lab: &Lab, role: &str, token: &Path) -> std::process::Output {
    lab.awslab(&[
        "doctor",
        "oidc",
        "--role-arn",
        role,
        "--token-file",
        token.to_str().unwrap(),
        "--target",
        "sandbox",
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_oidc_explains_github_shaped_tokens_against_the_documented_trust_policy() {
    let mut lab = Lab::on(Target::Sandbox, "doctor_oidc").await.unwrap();
    // Every command at trace level: the token must not reach the logs either.
    lab.rust_log = Some("trace");
    let plan = lab.files.dir().join("github-oidc.yaml");
    std::fs::write(
        &plan,
        format!(
            "name: github-oidc\ndescription: the role of examples/github-actions.yml, trusting the sandbox's issuer\nsteps:\n  github:\n    iam.oidc_provider:\n      url: https://oidc.awslab.localhost\n      client_id_list: [sts.amazonaws.com]\n  role:\n    needs: [github]\n    iam.role:\n      name: awslab-ci\n      trust_policy: {}\n",
            sandbox_trust_policy()
        ),
    )
    .unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "gh"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let status = lab.awslab(&["status", "gh"]);
    let role = stdout(&status)
        .lines()
        .find_map(|line| line.trim().strip_prefix("role.arn = "))
        .unwrap_or_else(|| panic!("{}", text(&status)))
        .to_owned();

    // The documented claims: allowed.
    let (file, secret) = token(
        &lab,
        "repo:ORG/REPO:ref:refs/heads/main",
        "sts.amazonaws.com",
        "1h",
        "main.jwt",
    );
    let output = oidc(&lab, &role, &file);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = stdout(&output);
    for line in [
        "its signature is not checked",
        "ok    issuer: `https://oidc.awslab.localhost`",
        "ok    claims: sub = `repo:ORG/REPO:ref:refs/heads/main`, aud = `sts.amazonaws.com`",
        "ok    OIDC provider: exists",
        "ok    trusted issuer: the trust policy names `arn:aws:iam::",
        "ok    trust policy: allows sts:AssumeRoleWithWebIdentity for this token",
        "Condition matches: `StringEquals` `oidc.awslab.localhost:sub`",
    ] {
        assert!(report.contains(line), "no `{line}` in:\n{}", text(&output));
    }
    assert!(
        !everything(&output).contains(&secret),
        "the token was printed"
    );

    // Another branch: the `sub` condition fails, named with the value the token gave.
    let (file, secret) = token(
        &lab,
        "repo:ORG/REPO:ref:refs/heads/dev",
        "sts.amazonaws.com",
        "1h",
        "dev.jwt",
    );
    let output = oidc(&lab, &role, &file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = stdout(&output);
    assert!(
        report.contains("fail  condition: statement 0 `StringEquals` `oidc.awslab.localhost:sub` wants `repo:ORG/REPO:ref:refs/heads/main`; the token gives `repo:ORG/REPO:ref:refs/heads/dev`"),
        "{}",
        text(&output)
    );
    assert!(
        report.contains("AWS answers AccessDenied"),
        "{}",
        text(&output)
    );
    assert!(
        !everything(&output).contains(&secret),
        "the token was printed"
    );

    // Another audience: the provider does not list it, and the `aud` condition fails.
    let (file, secret) = token(
        &lab,
        "repo:ORG/REPO:ref:refs/heads/main",
        "other-audience",
        "1h",
        "aud.jwt",
    );
    let output = oidc(&lab, &role, &file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report = stdout(&output);
    assert!(
        report.contains("Incorrect token audience"),
        "{}",
        text(&output)
    );
    assert!(
        report.contains("`oidc.awslab.localhost:aud` wants `sts.amazonaws.com`; the token gives `other-audience`"),
        "{}",
        text(&output)
    );
    assert!(
        !everything(&output).contains(&secret),
        "the token was printed"
    );

    // A role that does not exist, a file that is not a token.
    let missing = role.replace("awslab-ci", "no-such-role");
    let output = oidc(&lab, &missing, &file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        stdout(&output).contains("the role does not exist"),
        "{}",
        text(&output)
    );
    let junk = lab.files.dir().join("junk.jwt");
    std::fs::write(&junk, "hello").unwrap();
    let output = oidc(&lab, &role, &junk);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("is not a JSON web token"),
        "{}",
        text(&output)
    );

    // An expired token, judged by the sandbox's clock: AWS would answer ExpiredTokenException.
    let (file, secret) = token(
        &lab,
        "repo:ORG/REPO:ref:refs/heads/main",
        "sts.amazonaws.com",
        "1m",
        "old.jwt",
    );
    let advance = lab.awslab(&["sandbox", "clock", "advance", "2m"]);
    assert!(advance.status.success(), "{}", text(&advance));
    let output = oidc(&lab, &role, &file);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        stdout(&output).contains("fail  expiry: the token expired at"),
        "{}",
        text(&output)
    );
    assert!(
        stdout(&output).contains("ExpiredTokenException"),
        "{}",
        text(&output)
    );
    assert!(
        !everything(&output).contains(&secret),
        "the token was printed"
    );

    let down = lab.awslab(&["down", "gh", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[test]
fn validate_sarif_has_what_sarif_and_code_scanning_require() {
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new(support::AWSLAB)
        .current_dir(&repository)
        .env("NO_COLOR", "1")
        .args([
            "validate",
            "examples/broken/session-too-long.yaml",
            "plans/sts-assume-role.yaml",
            "no/such/plan.yaml",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let log: Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    // SARIF 2.1.0: `version` and `runs` required; a run requires `tool.driver.name`.
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "awslab");
    assert!(["utf16CodeUnits", "unicodeCodePoints"].contains(&run["columnKind"].as_str().unwrap()));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(
            rule["id"].as_str().is_some_and(|id| !id.is_empty()),
            "{rule}"
        );
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 2, "{log:#}");
    for result in results {
        // A result requires `message` (with `text`); `level` is one of four values.
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{result}"
        );
        assert!(["none", "note", "warning", "error"].contains(&result["level"].as_str().unwrap()));
        let rule = result["ruleId"].as_str().unwrap();
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[index]["id"], rule);
        // Code scanning needs a physical location with a repository-relative URI.
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
        if rule != "plan::read" {
            assert!(
                physical["region"]["startLine"].as_u64().unwrap() >= 1,
                "{result}"
            );
            assert!(
                physical["region"]["startColumn"].as_u64().unwrap() >= 1,
                "{result}"
            );
        }
    }
    let broken: Vec<&Value> = results
        .iter()
        .filter(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "examples/broken/session-too-long.yaml"
        })
        .collect();
    assert!(
        !broken.is_empty() && broken.iter().all(|r| r["level"] == "error"),
        "{log:#}"
    );
    assert!(
        results.iter().any(|r| r["ruleId"] == "plan::read"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "no/such/plan.yaml"),
        "{log:#}"
    );
    // The same error kind has the same rule id as the human output's code.
    let human = std::process::Command::new(support::AWSLAB)
        .current_dir(&repository)
        .env("NO_COLOR", "1")
        .args(["validate", "examples/broken/session-too-long.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&human.stderr);
    for result in &broken {
        let rule = result["ruleId"].as_str().unwrap();
        assert!(stderr.contains(rule), "`{rule}` not in:\n{stderr}");
    }
}

#[test]
fn validate_sarif_never_carries_a_secret_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab.yaml"),
        "name: secret-lab\nvars:\n  pw: { value: placeholder, secret: true }\nsteps:\n  user:\n    iam.user: { name: \"u-${vars.pw}\" }\n",
    )
    .unwrap();
    let secret = "TopSecretValue123";
    let output = std::process::Command::new(support::AWSLAB)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "trace")
        .args([
            "validate",
            "lab.yaml",
            "--secret-var",
            &format!("pw={secret}"),
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        log["runs"][0]["results"][0]["ruleId"], "plan::secret_in_name",
        "{log:#}"
    );
    assert!(!everything(&output).contains(secret), "{}", text(&output));
}

/// `awslab sandbox serve` on a free port, killed (by its own handle) when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_measures_the_clock_of_a_served_sandbox_from_its_date_header() {
    use std::io::BufRead as _;
    let lab = Lab::on(Target::Sandbox, "doctor_served").await.unwrap();
    let mut child = lab
        .command(support::AWSLAB)
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let served = Served(child);
    let url = first.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    // The operator's keys are the lab's `[default]` profile.
    let output = lab.awslab(&["doctor", "--endpoint-url", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report = stdout(&output);
    assert!(
        report.contains("found through the default credential chain: static keys of a profile"),
        "{}",
        text(&output)
    );
    assert!(
        report.contains("ok    clock: this machine's clock")
            && report.contains("the target's (`Date` header)"),
        "{}",
        text(&output)
    );
    assert!(!everything(&output).contains(&lab.admin.secret_access_key));

    // Exported keys, every log line on: named as the source, never shown.
    let output = lab
        .command(support::AWSLAB)
        .args(["-vvv", "doctor", "--endpoint-url", &url])
        .env("RUST_LOG", "trace")
        .env("AWS_ACCESS_KEY_ID", &lab.admin.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &lab.admin.secret_access_key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        stdout(&output).contains("environment variables (AWS_ACCESS_KEY_ID)"),
        "{}",
        text(&output)
    );
    assert!(
        !everything(&output).contains(&lab.admin.secret_access_key),
        "the secret key reached the output at trace level"
    );
    drop(served);
}
