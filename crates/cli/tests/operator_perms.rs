//! `awslab perms PLAN` on the sandbox: an operator holding only the policy it prints
//! runs `up` and `down` of each plan in `plans/` and leaves nothing (sufficient), and
//! for the seed plan, a policy without any one of its statements makes the run fail
//! (minimal). The least-privilege operator is a sandbox user made by an awslab plan of
//! its own (`operator.yaml`, as the sandbox's admin: the policy is a managed policy, as
//! an inline one holds at most 2,048 characters); its keys, from `awslab env`, are
//! the profile `least` that `--target sandbox --profile least` runs as.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::path::{Path, PathBuf};

use support::{Lab, Target, plans, text};

/// The policy `awslab perms` prints for `plan` (its notes go to stderr).
fn perms(lab: &Lab, plan: &Path, extra: &[&str]) -> serde_json::Value {
    let out = lab.awslab(&[&["perms", plan.to_str().expect("utf-8")], extra].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    serde_json::from_slice(&out.stdout).expect("perms prints JSON")
}

/// Makes the sandbox user `perms-operator` holding only `policy`, as the admin, under
/// run `run`, and writes its keys as the profile `least`.
fn make_operator(lab: &Lab, policy: &serde_json::Value, run: &str) {
    let plan = lab.files.dir().join("operator.yaml");
    let document = serde_json::to_string(policy).expect("json");
    std::fs::write(
        &plan,
        format!(
            "name: least-operator\nsteps:\n  least:\n    iam.user: {{ name: perms-operator, access_key: true }}\n  policy:\n    iam.policy:\n      name: awslab-perms-{run}\n      document: {document}\n  attached:\n    iam.user_policy_attachment: {{ user: \"${{least.name}}\", policy_arn: \"${{policy.arn}}\" }}\n"
        ),
    )
    .expect("write operator plan");
    let up = lab.awslab(&["up", plan.to_str().expect("utf-8"), "--run-id", run]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let env = lab.awslab(&["env", run, "least"]);
    assert_eq!(env.status.code(), Some(0), "{}", text(&env));
    let exports = String::from_utf8_lossy(&env.stdout);
    let value = |name: &str| {
        exports
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
            .expect("env prints the operator's keys")
    };
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap_or_default();
    let credentials = credentials
        .split("\n[least]")
        .next()
        .unwrap_or_default()
        .to_owned();
    std::fs::write(
        &lab.files.credentials,
        format!(
            "{credentials}\n[least]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            value("AWS_ACCESS_KEY_ID"),
            value("AWS_SECRET_ACCESS_KEY")
        ),
    )
    .expect("credentials");
}

/// Removes the operator (as the admin).
fn remove_operator(lab: &Lab, run: &str) {
    let down = lab.awslab(&["down", run, "--target", "sandbox", "--yes"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}

/// `up` then `down` of `plan` as the profile `least`; the two outputs.
fn up_and_down(
    lab: &Lab,
    plan: &Path,
    run: &str,
    vars: &[&str],
) -> (std::process::Output, std::process::Output) {
    let plan = plan.to_str().expect("utf-8");
    let up = lab.awslab(&[&["up", plan, "--run-id", run, "--profile", "least"], vars].concat());
    let down = lab.awslab(&[
        "down",
        run,
        "--target",
        "sandbox",
        "--profile",
        "least",
        "--yes",
    ]);
    (up, down)
}

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

async fn sufficient_for(file: &str) {
    let lab = sandbox_lab(&format!("perms_sufficient::{file}")).await;
    let plan: PathBuf = plans().join(file);
    let policy = perms(&lab, &plan, &[]);
    make_operator(&lab, &policy, "operator");
    let (up, down) = up_and_down(&lab, &plan, "least1", &[]);
    // Whatever happened, the admin cleans up before judging.
    let cleanup = lab.awslab(&["down", "least1", "--target", "sandbox", "--yes"]);
    remove_operator(&lab, "operator");
    assert_eq!(
        up.status.code(),
        Some(0),
        "up as the perms operator\n{}\npolicy: {policy:#}",
        text(&up)
    );
    assert_eq!(
        down.status.code(),
        Some(0),
        "down as the perms operator\n{}\npolicy: {policy:#}",
        text(&down)
    );
    assert_eq!(cleanup.status.code(), Some(0), "{}", text(&cleanup));
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
}

macro_rules! sufficient {
    ($($test:ident => $file:literal),* $(,)?) => {
        mod perms_sufficient {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $test() {
                    super::sufficient_for($file).await;
                }
            )*
        }
    };
}

sufficient! {
    abac_tags => "abac-tags.yaml",
    assume_role_iam => "assume-role-iam.yaml",
    cross_account => "cross-account.yaml",
    federation_token => "federation-token.yaml",
    mfa_session_token => "mfa-session-token.yaml",
    permissions_boundary => "permissions-boundary.yaml",
    read_not_write => "read-not-write.yaml",
    role_chaining => "role-chaining.yaml",
    saml => "saml.yaml",
    seed_004_demo1 => "seed-004-demo1.yaml",
    seed_004_demo2 => "seed-004-demo2.yaml",
    session_token => "session-token.yaml",
    sts_assume_role => "sts-assume-role.yaml",
    teams => "teams.yaml",
    web_identity => "web-identity.yaml",
}

/// Removing any one statement of the seed plan's policy makes its run fail.
#[tokio::test(flavor = "multi_thread")]
async fn perms_policy_is_minimal_for_the_seed_plan() {
    let lab = sandbox_lab("perms_policy_is_minimal_for_the_seed_plan").await;
    let plan = plans().join("sts-assume-role.yaml");
    let policy = perms(&lab, &plan, &[]);
    let statements = policy["Statement"].as_array().expect("statements").clone();
    assert!(statements.len() >= 3, "{policy:#}");
    for (index, statement) in statements.iter().enumerate() {
        let mut fewer = policy.clone();
        fewer["Statement"]
            .as_array_mut()
            .expect("statements")
            .remove(index);
        let operator = format!("operator{index}");
        make_operator(&lab, &fewer, &operator);
        let run = format!("minus{index}");
        let (up, down) = up_and_down(&lab, &plan, &run, &[]);
        let cleanup = lab.awslab(&["down", &run, "--target", "sandbox", "--yes"]);
        remove_operator(&lab, &operator);
        assert!(
            up.status.code() != Some(0) || down.status.code() != Some(0),
            "the run succeeded without statement {statement:#}\n{}\n{}",
            text(&up),
            text(&down)
        );
        assert_eq!(cleanup.status.code(), Some(0), "{}", text(&cleanup));
        assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
    }
}

/// The policy never grants every action, and scopes the seed plan's resources.
#[tokio::test(flavor = "multi_thread")]
async fn perms_policy_scopes_to_the_plans_names() {
    let lab = sandbox_lab("perms_policy_scopes_to_the_plans_names").await;
    let plan = plans().join("sts-assume-role.yaml");
    let policy = perms(
        &lab,
        &plan,
        &["--account", "123456789012", "--region", "us-east-1"],
    );
    let text = policy.to_string();
    assert!(
        text.contains("arn:aws:iam::123456789012:user/sts-lab-user-*"),
        "{policy:#}"
    );
    assert!(
        text.contains("arn:aws:cloudformation:us-east-1:123456789012:stack/sts-lab-*/*"),
        "{policy:#}"
    );
    for statement in policy["Statement"].as_array().expect("statements") {
        for action in statement["Action"].as_array().expect("actions") {
            let action = action.as_str().expect("action");
            assert!(!action.contains('*'), "{action}");
        }
        assert_ne!(
            statement["Resource"],
            serde_json::json!(["*"]),
            "{statement:#}"
        );
    }
    let bad = lab.awslab(&["perms", plan.to_str().expect("utf-8"), "--account", "12ab"]);
    assert_eq!(bad.status.code(), Some(2), "{}", support::text(&bad));
}

/// `up --preflight` as an operator missing one statement (and allowed to simulate
/// itself) lists the missing actions with the statement that grants them, exits 4 and
/// creates nothing; with the whole policy it goes on.
#[tokio::test(flavor = "multi_thread")]
async fn preflight_lists_what_the_operator_lacks_and_creates_nothing() {
    let lab = sandbox_lab("preflight_lists_what_the_operator_lacks_and_creates_nothing").await;
    let plan = plans().join("sts-assume-role.yaml");
    let policy = perms(&lab, &plan, &[]);
    let simulate = serde_json::json!({
        "Sid": "Preflight",
        "Effect": "Allow",
        "Action": "iam:SimulatePrincipalPolicy",
        "Resource": "arn:aws:iam::*:user/perms-operator",
    });
    let mut fewer = policy.clone();
    let statements = fewer["Statement"].as_array_mut().expect("statements");
    let removed = statements
        .iter()
        .position(|s| s["Sid"] == "Stack1")
        .expect("the stack's role statement");
    statements.remove(removed);
    statements.push(simulate.clone());
    make_operator(&lab, &fewer, "operator");
    let baseline = lab.inventory();
    let up = lab.awslab(&[
        "up",
        plan.to_str().expect("utf-8"),
        "--run-id",
        "pre1",
        "--profile",
        "least",
        "--preflight",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(4), "{out}");
    assert!(out.contains("iam:CreateRole on arn:aws:iam::"), "{out}");
    assert!(out.contains("statement `Stack1`"), "{out}");
    assert!(out.contains("\"Sid\": \"Stack1\""), "{out}");
    assert!(!out.contains("iam:CreateUser on"), "{out}");
    assert_eq!(lab.inventory(), baseline, "preflight created something");
    remove_operator(&lab, "operator");

    let mut whole = policy.clone();
    whole["Statement"]
        .as_array_mut()
        .expect("statements")
        .push(simulate);
    make_operator(&lab, &whole, "operator2");
    let (up, down) = {
        let plan = plan.to_str().expect("utf-8");
        let up = lab.awslab(&[
            "up",
            plan,
            "--run-id",
            "pre2",
            "--profile",
            "least",
            "--preflight",
        ]);
        let down = lab.awslab(&[
            "down",
            "pre2",
            "--target",
            "sandbox",
            "--profile",
            "least",
            "--yes",
        ]);
        (up, down)
    };
    remove_operator(&lab, "operator2");
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(
        text(&up).contains("preflight: `arn:aws:iam::"),
        "{}",
        text(&up)
    );
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
}
