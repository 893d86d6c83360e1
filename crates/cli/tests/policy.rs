//! `awslab policy simulate` and `awslab policy check` run as the built binary against the
//! files in `examples/policy/`: a caller with no identity-based policy, the per-statement
//! explanation (human and JSON), the service rules, the owner taken from the resource
//! ARN, and trust policies IAM would reject. Colour is off and HOME and the AWS files
//! point into a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LAB_USER: &str = "arn:aws:iam::123456789012:user/sts-lab-user";
const LAB_ROLE: &str = "arn:aws:iam::123456789012:role/sts-lab-role";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policy")
}

fn awslab(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    Command::new(env!("CARGO_BIN_EXE_awslab"))
        .args(args)
        .current_dir(examples())
        .env("NO_COLOR", "1")
        .env("HOME", home.path())
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env_remove("AWS_PROFILE")
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run awslab: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assume_as(principal: &str, format: &str) -> Output {
    awslab(&[
        "policy",
        "simulate",
        "--resource-policy",
        "lab-role-trust.json",
        "--action",
        "sts:AssumeRole",
        "--resource",
        LAB_ROLE,
        "--principal",
        principal,
        "--output",
        format,
    ])
}

#[test]
fn simulates_a_caller_without_identity_policies_from_the_trust_policy_alone() {
    let output = assume_as(LAB_USER, "human");
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.starts_with("Decision: allowed\n"), "{text}");
    assert!(
        text.contains("Policy `lab-role-trust.json` (trust policy): allows"),
        "{text}"
    );
    assert!(
        text.contains("    Principal matches: `Principal` names the caller"),
        "{text}"
    );
}

#[test]
fn names_the_element_that_failed_in_human_output() {
    let output = assume_as("arn:aws:iam::123456789012:user/intruder", "human");
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!("simulate_denied_trust_human", text);
}

#[test]
fn json_output_carries_the_explanation_per_policy_and_statement() {
    let output = assume_as("arn:aws:iam::123456789012:user/intruder", "json");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value["decision"], "implicitDeny");
    let policy = &value["explanation"]["policies"][0];
    assert_eq!(policy["name"], "lab-role-trust.json");
    assert_eq!(policy["policyType"], "trust");
    assert_eq!(policy["outcome"], "noMatch");
    let statement = &policy["statements"][0];
    assert_eq!(statement["sid"], "LabUserMayAssume");
    assert_eq!(statement["applies"], false);
    assert_eq!(statement["failed"], "Principal");
    assert_eq!(statement["action"]["matched"], true);
    assert_eq!(statement["principal"]["matched"], false);
    assert_eq!(value["request"]["resourceOwner"], "123456789012");
    assert_eq!(value["request"]["resourceOwnerSource"], "resource ARN");
}

#[test]
fn get_caller_identity_is_allowed_under_an_explicit_deny() {
    let output = awslab(&[
        "policy",
        "simulate",
        "--policy",
        "deny-all.json",
        "--action",
        "sts:GetCallerIdentity",
        "--resource",
        "*",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(text.starts_with("Decision: allowed\n"), "{text}");
    assert!(
        text.contains("Service rule: sts:GetCallerIdentity needs no permission"),
        "{text}"
    );
}

#[test]
fn the_owner_comes_from_the_resource_arn_unless_given() {
    let simulate = |owner: Option<&str>| {
        let mut args = vec![
            "policy",
            "simulate",
            "--policy",
            "deny-all.json",
            "--action",
            "iam:CreatePolicyVersion",
            "--resource",
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "--output",
            "json",
        ];
        if let Some(owner) = owner {
            args.extend(["--resource-owner", owner]);
        }
        let output = awslab(&args);
        serde_json::from_slice::<serde_json::Value>(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)))
    };
    let managed = simulate(None);
    assert_eq!(managed["decision"], "explicitDeny");
    assert_eq!(
        managed["explanation"]["reason"]["serviceRule"],
        "awsManagedPolicy"
    );
    assert_eq!(
        managed["request"]["resourceOwnerSource"],
        "caller's account"
    );
    let given = simulate(Some("444455556666"));
    assert_eq!(given["request"]["resourceOwner"], "444455556666");
    assert_eq!(given["request"]["resourceOwnerSource"], "given");
}

#[test]
fn a_trust_policy_with_a_resource_is_rejected_with_its_position() {
    let output = awslab(&[
        "policy",
        "simulate",
        "--resource-policy",
        "trust-with-resource.json",
        "--action",
        "sts:AssumeRole",
        "--resource",
        LAB_ROLE,
        "--principal",
        LAB_USER,
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("policy::prohibited_field"), "{text}");
    assert!(text.contains("trust-with-resource.json:8:7"), "{text}");
    assert!(stdout(&output).is_empty());
    let checked = awslab(&["policy", "check", "trust-with-resource.json"]);
    assert_eq!(checked.status.code(), Some(2), "{}", stderr(&checked));
}

#[test]
fn a_resource_policy_without_principal_is_rejected_not_ignored() {
    let output = awslab(&[
        "policy",
        "simulate",
        "--resource-policy",
        "deny-all.json",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::sts-lab-bucket/key",
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("policy::missing_field"), "{text}");
}

/// A resource policy of `statements` statements, each about 100 bytes.
fn bucket_policy(statements: usize) -> String {
    let statements: Vec<String> = (0..statements)
        .map(|i| {
            format!(
                r#"{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::lab-bucket/prefix-number-{i:05}/*"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

#[test]
fn check_refuses_policies_over_the_limits_the_sandbox_refuses() {
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let big = folder.path().join("bucket-policy.json");
    std::fs::write(&big, bucket_policy(250)).unwrap_or_else(|e| panic!("{e}"));
    let small = folder.path().join("small-bucket-policy.json");
    std::fs::write(&small, bucket_policy(10)).unwrap_or_else(|e| panic!("{e}"));
    let path = |p: &Path| p.to_string_lossy().into_owned();

    let refused = awslab(&["policy", "check", &path(&big)]);
    assert_eq!(refused.status.code(), Some(2), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("policy::quota") && stderr(&refused).contains("20480"),
        "{}",
        stderr(&refused)
    );
    let taken = awslab(&["policy", "check", &path(&small)]);
    assert_eq!(taken.status.code(), Some(0), "{}", stderr(&taken));
    assert!(
        stdout(&taken).contains("of the 20480 bytes allowed for a bucket policy"),
        "{}",
        stdout(&taken)
    );

    // With the quota known, a huge file is refused by its size before it is parsed:
    // one message, not a hundred thousand.
    let keys: Vec<String> = (0..100_000).map(|i| format!("\"k{i}\":\"v\"")).collect();
    let huge = folder.path().join("huge.json");
    std::fs::write(
        &huge,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
            keys.join(",")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let refused = awslab(&["policy", "check", "--quota", "user", &path(&huge)]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("policy::quota")
            && message.contains("2048")
            && !message.contains("invalid_condition_key"),
        "{message}"
    );
    // Without it, the file is parsed, and its problems are bounded.
    let keys: Vec<String> = (0..10_000).map(|i| format!("\"k{i}\":\"v\"")).collect();
    std::fs::write(
        &huge,
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
            keys.join(",")
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let parsed = awslab(&["policy", "check", &path(&huge)]);
    assert_eq!(parsed.status.code(), Some(2));
    let message = stderr(&parsed);
    assert!(
        message.contains("and 9900 more problems in this policy"),
        "{}",
        &message[message.len().saturating_sub(2_000)..]
    );
}
