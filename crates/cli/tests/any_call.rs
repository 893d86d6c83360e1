//! `verify` calls any operation of the call table (issue 17 §1): the labs that need it
//! (`read-not-write`, `seed-004-demo2`) pass `up` and leave nothing after `down` on
//! each target, a verify that creates something is torn down, a denied one creates
//! nothing, an expected propagation symptom is accepted on a propagating target once
//! it is stable, and no secret of an answer reaches any output at any log level.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use support::{Lab, Target, plans, text};

fn up_and_down(lab: &Lab, plan: &str, run: &str, summary: &str) {
    let path = plans().join(plan);
    let up = lab.awslab(&[
        "up",
        path.to_str().unwrap(),
        "--run-id",
        run,
        "--settle-timeout",
        "40",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(out.contains(summary), "{out}");
    assert!(out.contains("expected a denial, got AccessDenied"), "{out}");
    let down = lab.awslab(&["down", run]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(
        String::from_utf8_lossy(&down.stdout).contains("Nothing is left."),
        "{}",
        text(&down)
    );
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "left behind after down"
    );
}

async fn read_not_write_lab_reads_is_denied_a_write_and_tears_its_own_write_down(lab: Lab) {
    up_and_down(
        &lab,
        "read-not-write.yaml",
        "rnw1",
        "11 of 11 steps succeeded; 4 of 4 verifications passed.",
    );
}
on_each_target!(read_not_write_lab_reads_is_denied_a_write_and_tears_its_own_write_down);

async fn seed_004_demo2_reads_but_cannot_write(lab: Lab) {
    up_and_down(
        &lab,
        "seed-004-demo2.yaml",
        "demo2",
        "12 of 12 steps succeeded; 5 of 5 verifications passed.",
    );
}
on_each_target!(seed_004_demo2_reads_but_cannot_write);

#[tokio::test(flavor = "multi_thread")]
async fn a_verify_that_creates_journals_it_and_down_removes_it_by_id() {
    let lab = Lab::on(Target::Sandbox, "any_call_creates").await.unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        "\
name: creates
steps:
  make-user:
    verify: { call: iam.CreateUser, params: { UserName: \"made-${run.id}\" }, expect: { User.UserName: \"made-*\", Arn: \"*:user/made-*\" } }
  make-policy:
    verify:
      call: iam.CreatePolicy
      params:
        PolicyName: \"p-${run.id}\"
        PolicyDocument: '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:ListBucket\",\"Resource\":\"*\"}]}'
      expect: allow
  user-key:
    verify: { call: iam.CreateAccessKey, params: { UserName: \"made-${run.id}\" }, expect: { AccessKey.AccessKeyId: \"AKIA*\", AccessKey.SecretAccessKey: \"***\" } }
    needs: [make-user]
",
    )
    .unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "c1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let journal =
        std::fs::read_to_string(lab.state_dir.join("runs/c1/journal.jsonl")).unwrap_or_default();
    let listed = lab.awslab(&["status", "c1"]);
    let listed = text(&listed);
    assert!(
        listed.contains("made-c1") || journal.contains("made-c1"),
        "{listed}\n{journal}"
    );
    let down = lab.awslab(&["down", "c1"]);
    let down_text = text(&down);
    assert_eq!(down.status.code(), Some(0), "{down_text}");
    for removed in ["iam user made-c1", "p-c1"] {
        assert!(down_text.contains(removed), "{down_text}");
    }
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "left behind after down"
    );
}

/// On a propagating target (the sandbox with `--propagation-delay`), an expected
/// `InvalidClientTokenId` (`GetSessionToken` credentials calling IAM) is also what a key
/// not yet in force answers: it is accepted once it has stayed the same for the settle
/// window, not at once and not never.
#[tokio::test(flavor = "multi_thread")]
async fn an_expected_propagation_symptom_is_accepted_once_stable() {
    let lab = Lab::on(Target::Sandbox, "any_call_settle").await.unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        "\
name: session-iam
steps:
  user:
    iam.user: { name: \"session-${run.id}\", access_key: true }
  session:
    sts.get_session_token: { as: user, duration: 15m }
  no-iam:
    verify: { as: session, call: iam.ListUsers, expect: InvalidClientTokenId }
  not-mine:
    verify: { as: user, call: s3.ListBuckets, expect: deny }
",
    )
    .unwrap();
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "s1",
        "--output",
        "json",
        "--propagation-delay",
        "100ms",
        "--settle-timeout",
        "4",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&up.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    for step in ["no-iam", "not-mine"] {
        assert!(
            events.iter().any(|e| e["event"] == "retrying"
                && e["step"] == step
                && e.to_string().contains("accepted once it stays so")),
            "{step}: {out}"
        );
    }
    assert_eq!(lab.awslab(&["down", "s1"]).status.code(), Some(0));
}

/// Maximal runs of key-like characters of exactly 40 with upper, lower and digits: the
/// shape of a secret access key.
fn secret_shaped(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '+'))
        .filter(|t| {
            t.len() == 40
                && t.chars().any(|c| c.is_ascii_uppercase())
                && t.chars().any(|c| c.is_ascii_lowercase())
                && t.chars().any(|c| c.is_ascii_digit())
        })
        .map(str::to_owned)
        .collect()
}

async fn no_secret_of_an_answer_reaches_any_output(lab: Lab) {
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(
        &plan,
        "\
name: answer-secrets
steps:
  user:
    iam.user: { name: \"sec-${run.id}\" }
  role:
    iam.role:
      name: \"sec-role-${run.id}\"
      trust_policy: { Version: \"2012-10-17\", Statement: { Effect: Allow, Principal: { AWS: \"arn:aws:iam::${account.id}:root\" }, Action: sts:AssumeRole } }
  key:
    verify: { call: iam.CreateAccessKey, params: { UserName: \"${user.name}\" }, expect: { AccessKey.SecretAccessKey: \"*\" } }
  session:
    verify: { call: sts.AssumeRole, params: { RoleArn: \"${role.arn}\", RoleSessionName: s }, expect: { Credentials.SessionToken: \"*\", Credentials.SecretAccessKey: \"*\" } }
  wrong:
    verify: { call: sts.AssumeRole, params: { RoleArn: \"${role.arn}\", RoleSessionName: s }, expect: { Credentials.SecretAccessKey: \"nothing-like-this\" } }
",
    )
    .unwrap();
    let junit = lab.files.dir().join("junit.xml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "sec1",
        "--output",
        "json",
        "--junit",
        junit.to_str().unwrap(),
        "--settle-timeout",
        "20",
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let human = lab.awslab(&["status", "sec1"]);
    let mut outputs = vec![text(&up), text(&human)];
    outputs.push(std::fs::read_to_string(&junit).unwrap());
    for entry in walk(&lab.state_dir) {
        if let Ok(content) = std::fs::read_to_string(&entry) {
            outputs.push(content);
        }
    }
    for output in &outputs {
        assert!(
            !output.contains("IQoJb3JpZ2luX2Vj"),
            "a session token leaked:\n{output}"
        );
        let found: Vec<String> = secret_shaped(output)
            .into_iter()
            .filter(|s| *s != lab.admin.secret_access_key)
            .collect();
        assert!(found.is_empty(), "secret-shaped {found:?} in:\n{output}");
    }
    assert!(text(&up).contains("got `***`"), "{}", text(&up));
    let down = lab.awslab(&["down", "sec1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}
on_each_target!(
    no_secret_of_an_answer_reaches_any_output,
    and_under_rust_log_trace
);

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else if path.file_name().is_some_and(|n| n != "secrets.json") {
                out.push(path);
            }
        }
    }
    out
}
