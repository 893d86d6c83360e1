//! On the sandbox without a propagation delay every change is in force at once, so the
//! first answer to a call is final: a wrong `expect: allow` fails on its first answer
//! and says why AWS denied it, and an expected `InvalidClientTokenId` is judged, not
//! waited out. With `--propagation-delay` the same plan waits, as on AWS. Every
//! failure names the request it rests on, which `awslab sandbox explain` takes.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use support::{Lab, Target, text};

const PLAN: &str = "\
name: first-answer
steps:
  user:
    iam.user: { name: \"first-${run.id}\", access_key: true }
  list:
    verify: { as: user, call: s3.ListBuckets, expect: allow }
";

fn events(output: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_allow_fails_on_its_first_answer_and_says_why() {
    let lab = Lab::on(Target::Sandbox, "first_answer").await.unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    let plan = plan.to_str().unwrap();

    // (The settle deadline only bounds how long a regression takes to fail.)
    let up = lab.awslab(&[
        "up",
        plan,
        "--run-id",
        "f1",
        "--output",
        "json",
        "--settle-timeout",
        "5",
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let seen = events(&up);
    assert!(
        !seen.iter().any(|e| e["event"] == "retrying"),
        "nothing propagates on the sandbox, yet it retried: {}",
        text(&up)
    );
    let failed = seen
        .iter()
        .find(|e| e["event"] == "finished" && e["step"] == "list")
        .unwrap();
    let message = failed["message"].as_str().unwrap();
    assert!(
        message.starts_with("expected success, got AccessDenied: User: ")
            && message.contains("no identity-based policy allows the s3:ListAllMyBuckets action"),
        "{message}"
    );
    // The failure names its request: in the JSON summary, the JUnit report and the
    // table `status` prints, and `sandbox explain` takes it.
    let summary = seen.iter().find(|e| e["event"] == "summary").unwrap();
    let list = summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "list")
        .unwrap();
    let request = list["request_ids"]
        .as_array()
        .and_then(|ids| ids.last())
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("no request id: {list}"))
        .to_owned();
    let status = lab.awslab(&["status", "f1"]);
    assert!(
        String::from_utf8_lossy(&status.stdout).contains(&format!("(request {request})")),
        "{}",
        text(&status)
    );
    let explained = lab.awslab(&["sandbox", "explain", &request]);
    let explained_text = String::from_utf8_lossy(&explained.stdout);
    assert!(
        explained_text.contains("action: s3:ListAllMyBuckets")
            && explained_text.contains("implicitDeny"),
        "{}",
        text(&explained)
    );
    let junit = lab.files.dir().join("junit.xml");
    let again = lab.awslab(&[
        "up",
        plan,
        "--run-id",
        "f3",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit.contains("<property name=\"request_id\" value=\""),
        "{junit}"
    );
    for run in ["f1", "f3"] {
        assert_eq!(lab.awslab(&["down", run]).status.code(), Some(0));
    }

    // Where a change takes a while, the denial may be a policy not yet in force: the
    // same claim is retried until the settle deadline.
    let up = lab.awslab(&[
        "up",
        plan,
        "--run-id",
        "f2",
        "--output",
        "json",
        "--propagation-delay",
        "100ms",
        "--settle-timeout",
        "1",
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    assert!(
        events(&up)
            .iter()
            .any(|e| e["event"] == "retrying" && e["step"] == "list"),
        "{}",
        text(&up)
    );
    assert_eq!(lab.awslab(&["down", "f2"]).status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expected_invalid_client_token_is_judged_at_once() {
    let lab = Lab::on(Target::Sandbox, "first_answer_token")
        .await
        .unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    // GetSessionToken credentials cannot call IAM: AWS answers InvalidClientTokenId,
    // which elsewhere is also what a key not yet in force answers.
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
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(
        !events(&up).iter().any(|e| e["event"] == "retrying"),
        "{}",
        text(&up)
    );
    assert_eq!(lab.awslab(&["down", "s1"]).status.code(), Some(0));
}

/// A role whose trust policy needs an external id, and a user allowed to assume it
/// who does not give one: the verify's `expect: allow` is wrong.
const NO_EXTERNAL_ID: &str = "\
name: no-external-id
steps:
  user:
    iam.user: { name: \"caller-${run.id}\", access_key: true }
  role:
    iam.role:
      name: \"vendor-${run.id}\"
      trust_policy:
        Version: \"2012-10-17\"
        Statement:
          - Effect: Allow
            Principal: { AWS: \"${user.arn}\" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { \"sts:ExternalId\": \"shared-secret-id\" } }
  may-assume:
    iam.user_policy:
      user: ${user.name}
      name: AssumeVendor
      document:
        Version: \"2012-10-17\"
        Statement:
          - { Effect: Allow, Action: sts:AssumeRole, Resource: \"${role.arn}\" }
  assume:
    verify:
      as: user
      call: sts.AssumeRole
      params: { RoleArn: \"${role.arn}\", RoleSessionName: no-id }
      expect: allow
    needs: [may-assume]
";

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_verify_explains_the_sandboxs_decision_on_its_request() {
    let lab = Lab::on(Target::Sandbox, "first_answer_explained")
        .await
        .unwrap();
    let plan = lab.files.dir().join("plan.yaml");
    std::fs::write(&plan, NO_EXTERNAL_ID).unwrap();
    let plan = plan.to_str().unwrap();

    // The whole process, plan to verdict: the first answer is final, so a wrong
    // expectation fails at once (the settle deadline is left at its default, 120 s).
    let started = std::time::Instant::now();
    let up = lab.awslab(&["up", plan, "--run-id", "x1"]);
    let took = started.elapsed();
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    assert!(
        took < std::time::Duration::from_secs(5),
        "a wrong `expect: allow` took {took:?} to fail"
    );
    let table = String::from_utf8_lossy(&up.stdout);
    // AWS's own message, then the decision on that exact request: the trust
    // policy's statement, its condition with the value the request lacked, and what
    // was missing.
    for expected in [
        "expected success, got AccessDenied: User: ",
        "Why `assume` failed: the sandbox's decision on request ",
        "Policy `trust policy of arn:aws:iam::",
        "Condition does not match: `StringEquals` `sts:ExternalId` [`shared-secret-id`]; the request has no such key",
        "Missing: no `sts:ExternalId` in the request; statement 0 of `trust policy of",
        "context: sts:rolesessionname = no-id",
    ] {
        assert!(
            table.contains(expected),
            "no `{expected}` in:\n{}",
            text(&up)
        );
    }

    // The same explanation is in the JSON summary, on the failed verify only.
    let json = lab.awslab(&["up", plan, "--run-id", "x2", "--output", "json"]);
    assert_eq!(json.status.code(), Some(1), "{}", text(&json));
    let seen = events(&json);
    let summary = seen.iter().find(|e| e["event"] == "summary").unwrap();
    for step in summary["steps"].as_array().unwrap() {
        let explanation = step["explanation"].as_str();
        if step["step"] == "assume" {
            let explanation = explanation.unwrap_or_else(|| panic!("{step}"));
            assert!(
                explanation.contains("Missing: no `sts:ExternalId`"),
                "{explanation}"
            );
            let request = step["request_ids"].as_array().unwrap().last().unwrap();
            assert!(
                explanation.starts_with(&format!("request {}", request.as_str().unwrap())),
                "{explanation}"
            );
        } else {
            assert_eq!(explanation, None, "{step}");
        }
    }
    for run in ["x1", "x2"] {
        assert_eq!(lab.awslab(&["down", run]).status.code(), Some(0));
    }
}
