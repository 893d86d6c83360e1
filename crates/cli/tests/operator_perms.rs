//! `awslab perms PLAN` on the sandbox: an operator holding only the policy it prints
//! runs `up` and `down` of each plan in `plans/` and leaves nothing (sufficient), and
//! for the seed plan, a policy without any one of its statements makes the run fail
//! (minimal). The least-privilege operator is a sandbox user made by an awslab plan of
//! its own (`operator.yaml`, as the sandbox's admin: the policy is a managed policy, as
//! an inline one holds at most 2,048 characters); its keys, from `awslab env`, are
//! the profile `least` that `--target sandbox --profile least` runs as.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::fmt::Write as _;
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
    make_operators(lab, &[(None, policy)], run);
}

/// Makes, as the admin under run `run`, one sandbox user per entry holding only that
/// entry's policy: for `(None, policy)` the user `perms-operator` in the sandbox's first
/// account, with its keys as the profile `least`; for `(Some(NAME), policy)` the user
/// `perms-operator-NAME` in the plan's account `NAME` (the sandbox's accounts in the
/// order `names` gives them), with its keys as the profile `least-NAME`.
fn make_operators(lab: &Lab, operators: &[(Option<&str>, &serde_json::Value)], run: &str) {
    let plan = lab.files.dir().join("operator.yaml");
    let names: Vec<&str> = operators.iter().filter_map(|(name, _)| *name).collect();
    let mut yaml = String::from("name: least-operator\n");
    if !names.is_empty() {
        yaml.push_str("accounts:\n");
        for name in &names {
            let _ = writeln!(yaml, "  {name}: {{}}");
        }
    }
    yaml.push_str("steps:\n");
    let mut profiles = Vec::new();
    for (name, policy) in operators {
        let document = serde_json::to_string(policy).expect("json");
        let (suffix, user, account) = match name {
            None => (String::new(), "perms-operator".to_owned(), String::new()),
            Some(name) => (
                format!("-{name}"),
                format!("perms-operator-{name}"),
                format!("    account: {name}\n"),
            ),
        };
        let _ = write!(
            yaml,
            "  least{suffix}:\n{account}    iam.user: {{ name: {user}, access_key: true }}\n  policy{suffix}:\n{account}    iam.policy:\n      name: awslab-perms-{run}{suffix}\n      document: {document}\n  attached{suffix}:\n{account}    iam.user_policy_attachment: {{ user: \"${{least{suffix}.name}}\", policy_arn: \"${{policy{suffix}.arn}}\" }}\n"
        );
        profiles.push(format!("least{suffix}"));
    }
    std::fs::write(&plan, yaml).expect("write operator plan");
    let up = lab.awslab(&["up", plan.to_str().expect("utf-8"), "--run-id", run]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    for profile in profiles {
        let env = lab.awslab(&["env", run, &profile]);
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
            .split(&format!("\n[{profile}]"))
            .next()
            .unwrap_or_default()
            .to_owned();
        std::fs::write(
            &lab.files.credentials,
            format!(
                "{credentials}\n[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                value("AWS_ACCESS_KEY_ID"),
                value("AWS_SECRET_ACCESS_KEY")
            ),
        )
        .expect("credentials");
    }
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

/// A plan of two accounts: `perms` prints a policy for each account's operator, and
/// `up` and `down` run with each account's operator a user of that account holding
/// only that account's policy (`--profile` for the first, `--account-profile b=...`
/// for the other); one account's policy alone does not do the other's steps.
#[tokio::test(flavor = "multi_thread")]
async fn perms_sufficient_for_each_account_of_cross_account() {
    let lab = sandbox_lab("perms_sufficient_for_each_account_of_cross_account").await;
    let plan = plans().join("cross-account.yaml");
    let plan_arg = plan.to_str().expect("utf-8");
    let out = lab.awslab(&["perms", plan_arg, "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let policies: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let keys: Vec<&String> = policies.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["a", "b"], "{policies:#}");
    // Each account's policy alone, as `--account NAME` prints it.
    for name in ["a", "b"] {
        assert_eq!(perms(&lab, &plan, &["--account", name]), policies[name]);
    }
    let human = lab.awslab(&["perms", plan_arg]);
    let human_text = String::from_utf8_lossy(&human.stdout);
    assert!(
        human_text.starts_with("# account `a`\n{") && human_text.contains("\n\n# account `b`\n{"),
        "{human_text}"
    );
    assert!(policies["a"].to_string().contains(":role/partner-access-*"));
    assert!(policies["b"].to_string().contains(":user/partner-*"));
    assert!(!policies["a"].to_string().contains(":user/partner-*"));

    let run_both = |run: &str, b_profile: &str| {
        let b = format!("b={b_profile}");
        let up = lab.awslab(&[
            "up",
            plan_arg,
            "--run-id",
            run,
            "--profile",
            "least",
            "--account-profile",
            &b,
        ]);
        let down = lab.awslab(&[
            "down",
            run,
            "--target",
            "sandbox",
            "--profile",
            "least",
            "--account-profile",
            &b,
            "--yes",
        ]);
        (up, down)
    };
    make_operators(
        &lab,
        &[(Some("a"), &policies["a"]), (Some("b"), &policies["b"])],
        "operators",
    );
    // The first account's operator is `least` (its keys are those of `least-a`).
    let credentials = std::fs::read_to_string(&lab.files.credentials).expect("credentials");
    let least_a = credentials
        .split("\n[least-a]")
        .nth(1)
        .expect("least-a")
        .to_owned();
    std::fs::write(
        &lab.files.credentials,
        format!("{credentials}\n[least]{least_a}"),
    )
    .expect("credentials");
    // b's operator given a's keys is refused before anything is made.
    let (wrong, _) = run_both("least0", "least-a");
    assert_eq!(wrong.status.code(), Some(2), "{}", text(&wrong));
    assert!(
        text(&wrong).contains("holds keys of sandbox account 111122223333"),
        "{}",
        text(&wrong)
    );
    let (up, down) = run_both("least1", "least-b");
    let cleanup = lab.awslab(&["down", "least1", "--target", "sandbox", "--yes"]);
    remove_operator(&lab, "operators");
    assert_eq!(
        up.status.code(),
        Some(0),
        "up as each account's perms operator\n{}\npolicies: {policies:#}",
        text(&up)
    );
    assert_eq!(
        down.status.code(),
        Some(0),
        "down as each account's perms operator\n{}\npolicies: {policies:#}",
        text(&down)
    );
    assert_eq!(cleanup.status.code(), Some(0), "{}", text(&cleanup));
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
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

/// The keys `awslab env RUN STEP` prints, written as the profile `profile` (with the
/// session token of a role session).
fn write_profile_from_env(lab: &Lab, run: &str, step: &str, profile: &str) {
    let env = lab.awslab(&["env", run, step]);
    assert_eq!(env.status.code(), Some(0), "{}", text(&env));
    let exports = String::from_utf8_lossy(&env.stdout);
    let value = |name: &str| {
        exports
            .lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_owned())
    };
    let mut section = format!(
        "\n[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        value("AWS_ACCESS_KEY_ID").expect("key id"),
        value("AWS_SECRET_ACCESS_KEY").expect("secret key")
    );
    if let Some(token) = value("AWS_SESSION_TOKEN") {
        let _ = writeln!(section, "aws_session_token = {token}");
    }
    let credentials = std::fs::read_to_string(&lab.files.credentials).unwrap_or_default();
    std::fs::write(&lab.files.credentials, format!("{credentials}{section}")).expect("credentials");
}

/// An operator that is a session of a role at path `/ci/`: the preflight simulates the
/// role's real ARN (`role/ci/deployer`, from `iam:GetRole`; the session's ARN has no
/// path), finds the whole policy, and the run goes on; without one statement it stops
/// with exit 4 and creates nothing.
#[tokio::test(flavor = "multi_thread")]
async fn preflight_simulates_a_role_session_as_its_role_under_a_path() {
    let lab = sandbox_lab("preflight_simulates_a_role_session_as_its_role_under_a_path").await;
    let plan = plans().join("sts-assume-role.yaml");
    let policy = perms(&lab, &plan, &[]);
    let preflight = serde_json::json!({
        "Sid": "Preflight",
        "Effect": "Allow",
        "Action": ["iam:GetRole", "iam:SimulatePrincipalPolicy"],
        "Resource": "arn:aws:iam::*:role/ci/deployer",
    });
    for (run, drop) in [("ci-whole", None), ("ci-fewer", Some("Stack1"))] {
        let mut document = policy.clone();
        let statements = document["Statement"].as_array_mut().expect("statements");
        if let Some(sid) = drop {
            statements.retain(|s| s["Sid"] != sid);
        }
        statements.push(preflight.clone());
        let document = serde_json::to_string(&document).expect("json");
        let operator = lab.files.dir().join("ci-operator.yaml");
        std::fs::write(
            &operator,
            format!(
                "name: ci-operator\nsteps:\n  caller:\n    iam.user: {{ name: ci-caller, access_key: true }}\n  policy:\n    iam.policy: {{ name: awslab-perms-ci, document: {document} }}\n  deployer:\n    iam.role:\n      name: deployer\n      path: /ci/\n      managed_policies: [\"${{policy.arn}}\"]\n      trust_policy:\n        Version: \"2012-10-17\"\n        Statement: [ {{ Effect: Allow, Principal: {{ AWS: \"${{caller.arn}}\" }}, Action: sts:AssumeRole }} ]\n  may-assume:\n    iam.user_policy:\n      user: ${{caller.name}}\n      name: AssumeDeployer\n      document: {{ Version: \"2012-10-17\", Statement: [ {{ Effect: Allow, Action: sts:AssumeRole, Resource: \"${{deployer.arn}}\" }} ] }}\n  session:\n    sts.assume_role: {{ as: caller, role_arn: \"${{deployer.arn}}\", session_name: ci }}\n    needs: [may-assume]\n"
            ),
        )
        .expect("write operator plan");
        let made = lab.awslab(&[
            "up",
            operator.to_str().expect("utf-8"),
            "--run-id",
            &format!("op-{run}"),
        ]);
        assert_eq!(made.status.code(), Some(0), "{}", text(&made));
        write_profile_from_env(&lab, &format!("op-{run}"), "session", run);
        let baseline = lab.inventory();
        let up = lab.awslab(&[
            "up",
            plan.to_str().expect("utf-8"),
            "--run-id",
            run,
            "--profile",
            run,
            "--preflight",
        ]);
        let down = lab.awslab(&[
            "down",
            run,
            "--target",
            "sandbox",
            "--profile",
            run,
            "--yes",
        ]);
        let after = lab.inventory();
        let cleanup = lab.awslab(&["down", run, "--target", "sandbox", "--yes"]);
        remove_operator(&lab, &format!("op-{run}"));
        let out = text(&up);
        let role = "`arn:aws:iam::111122223333:role/ci/deployer`";
        if drop.is_some() {
            assert_eq!(up.status.code(), Some(4), "{out}");
            assert!(out.contains(&format!("preflight: {role} lacks")), "{out}");
            assert!(out.contains("statement `Stack1`"), "{out}");
            assert_eq!(after, baseline, "preflight created something");
        } else {
            assert_eq!(up.status.code(), Some(0), "{out}");
            assert!(
                out.contains(&format!("preflight: {role} may take all")),
                "{out}"
            );
            assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        }
        // A run the preflight stopped has no journal: nothing to tear down.
        let expected = if drop.is_some() { 2 } else { 0 };
        assert_eq!(cleanup.status.code(), Some(expected), "{}", text(&cleanup));
        assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
    }
}

/// A plan of two accounts: the preflight checks each account's operator against its
/// account's policy; b's operator missing a statement is named with its account, and
/// nothing is created.
#[tokio::test(flavor = "multi_thread")]
async fn preflight_checks_each_accounts_operator() {
    let lab = sandbox_lab("preflight_checks_each_accounts_operator").await;
    let plan = plans().join("cross-account.yaml");
    let plan_arg = plan.to_str().expect("utf-8");
    let policy = |name: &str, user: &str, drop: Option<&str>| {
        let mut document = perms(&lab, &plan, &["--account", name]);
        let statements = document["Statement"].as_array_mut().expect("statements");
        if let Some(sid) = drop {
            statements.retain(|s| s["Sid"] != sid);
        }
        statements.push(serde_json::json!({
            "Sid": "Preflight",
            "Effect": "Allow",
            "Action": "iam:SimulatePrincipalPolicy",
            "Resource": format!("arn:aws:iam::*:user/{user}"),
        }));
        document
    };
    for (run, drop) in [("pre-whole", None), ("pre-fewer", Some("MayAssume"))] {
        let a = policy("a", "perms-operator-a", None);
        let b = policy("b", "perms-operator-b", drop);
        let operators = format!("op-{run}");
        make_operators(&lab, &[(Some("a"), &a), (Some("b"), &b)], &operators);
        let baseline = lab.inventory();
        let up = lab.awslab(&[
            "up",
            plan_arg,
            "--run-id",
            run,
            "--profile",
            "least-a",
            "--account-profile",
            "b=least-b",
            "--preflight",
        ]);
        let after = lab.inventory();
        let cleanup = lab.awslab(&["down", run, "--target", "sandbox", "--yes"]);
        remove_operator(&lab, &operators);
        let out = text(&up);
        assert!(
            out.contains("preflight: account `a`: `arn:aws:iam::111122223333:user/perms-operator-a` may take all"),
            "{out}"
        );
        if drop.is_some() {
            assert_eq!(up.status.code(), Some(4), "{out}");
            assert!(
                out.contains("preflight: account `b`: `arn:aws:iam::444455556666:user/perms-operator-b` lacks"),
                "{out}"
            );
            assert!(
                out.contains("iam:PutUserPolicy on arn:aws:iam::444455556666:user/partner-"),
                "{out}"
            );
            assert_eq!(after, baseline, "preflight created something");
        } else {
            assert_eq!(up.status.code(), Some(0), "{out}");
            assert!(out.contains("preflight: account `b`: `arn:aws:iam::444455556666:user/perms-operator-b` may take all"), "{out}");
        }
        // A run the preflight stopped has no journal: nothing to tear down.
        let expected = if drop.is_some() { 2 } else { 0 };
        assert_eq!(cleanup.status.code(), Some(expected), "{}", text(&cleanup));
        assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
    }
}
