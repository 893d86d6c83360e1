//! Issue 19 §1, §3 and §4 on the sandbox: every resource of a run carries awslab's tags
//! and the plan's; `sweep` finds a run whose state folder is gone (a dry run deletes
//! nothing), removes it with `--yes`, and keeps an untagged namesake, a resource
//! retagged by hand to another run, and everything when `--account` is not the
//! caller's; its JSON plan is in AWS's prerequisite order; `reap` ignores a run that has
//! not expired and tears it down (from its journal, or by tags when the journal is
//! gone) once `sandbox clock advance` passes its `--ttl`.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::process::Output;

use support::{Lab, Target, plans, text};

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

/// An IAM client of the lab sandbox's operator, in this process (out of band, as a
/// person with the console would act).
fn iam(lab: &Lab) -> aws_sdk_iam::Client {
    let sandbox = awslab_sandbox::Sandbox::open(&lab.sandbox_dir()).unwrap();
    let account = sandbox.accounts().unwrap()[0].clone();
    let operator = sandbox.operator(&account).unwrap();
    let target = awslab_executor::Target::in_process(
        awslab_sandbox::IN_PROCESS_ENDPOINT,
        sandbox.http_client(),
        "us-east-1",
        None,
    );
    let config = awslab_executor::config_for_static(
        &target,
        &operator.access_key_id,
        &awslab_executor::Secret::new(operator.secret_access_key),
        None,
    );
    awslab_executor::iam_client(&config)
}

fn up(lab: &Lab, run: &str, extra: &[&str]) -> Output {
    let plan = plans().join("tagged-lab.yaml");
    let mut args = vec!["up", plan.to_str().unwrap(), "--run-id", run];
    args.extend_from_slice(extra);
    let output = lab.awslab(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    output
}

fn user_exists(lab: &Lab, name: &str) -> bool {
    lab.inventory()
        .iter()
        .any(|item| item.contains("users") && item.ends_with(name))
}

async fn tags_of_user(iam: &aws_sdk_iam::Client, name: &str) -> Vec<(String, String)> {
    iam.list_user_tags()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_resource_carries_the_run_and_plan_tags_and_the_lab_tears_down() {
    let lab = sandbox_lab("every_resource_carries_the_run_and_plan_tags").await;
    let out = text(&up(&lab, "tg1", &["--ttl", "2h"]));
    assert!(out.contains("verifications passed"), "{out}");
    let tags = tags_of_user(&iam(&lab), "tagged-learner-tg1").await;
    let get = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    assert_eq!(get("awslab:run").as_deref(), Some("tg1"), "{tags:?}");
    assert_eq!(
        get("awslab:plan").as_deref(),
        Some("tagged-lab"),
        "{tags:?}"
    );
    assert_eq!(get("course").as_deref(), Some("iam-101"), "{tags:?}");
    assert_eq!(get("team").as_deref(), Some("red"), "{tags:?}");
    let created = get("awslab:created-at").unwrap();
    let expires = get("awslab:expires-at").unwrap();
    assert!(expires > created, "{created} then {expires}");
    // `status` and `runs` show the expiry.
    let status = text(&lab.awslab(&["status", "tg1"]));
    assert!(status.contains(&format!("Expires: {expires}")), "{status}");
    let runs = text(&lab.awslab(&["runs"]));
    assert!(runs.contains(&format!("expires {expires}")), "{runs}");
    // The stack's role carries the stack's tags (CloudFormation passes them on).
    let sweep = lab.awslab(&["sweep", "--run", "tg1", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&sweep.stdout).unwrap();
    let kinds: Vec<&str> = plan["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    // The stack's own role and bucket go with the stack: listed once, as the stack.
    assert_eq!(
        kinds,
        ["iam_user", "iam_policy", "s3_bucket", "cfn_stack"],
        "{plan}"
    );
    assert!(
        plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["in_journal"] == true),
        "{plan}"
    );
    let down = lab.awslab(&["down", "tg1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_finds_a_run_whose_state_folder_is_deleted_and_keeps_an_untagged_namesake() {
    let lab = sandbox_lab("sweep_finds_a_run_whose_state_folder_is_deleted").await;
    up(&lab, "sw1", &[]);
    std::fs::remove_dir_all(&lab.state_dir).unwrap();
    let before = lab.inventory();
    // A dry run lists it, marks it unknown to any journal, and deletes nothing.
    let dry = lab.awslab(&["sweep"]);
    let out = text(&dry);
    assert_eq!(dry.status.code(), Some(3), "{out}");
    assert!(out.contains("tagged-learner-sw1"), "{out}");
    assert!(out.contains("no journal"), "{out}");
    assert!(out.contains("nothing was deleted"), "{out}");
    assert_eq!(lab.inventory(), before, "a dry run changed something");
    // With --yes it is removed, and says only what it deleted.
    let swept = lab.awslab(&["sweep", "--yes"]);
    let out = text(&swept);
    assert_eq!(swept.status.code(), Some(0), "{out}");
    assert!(
        out.contains("deleted  iam_user tagged-learner-sw1"),
        "{out}"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "{out}");
    // A same-named user made out of band, untagged, is never swept.
    iam(&lab)
        .create_user()
        .user_name("tagged-learner-sw1")
        .send()
        .await
        .unwrap();
    let again = lab.awslab(&["sweep", "--yes"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        user_exists(&lab, "tagged-learner-sw1"),
        "{:?}",
        lab.inventory()
    );
    let listed = text(&lab.awslab(&["sweep"]));
    assert!(!listed.contains("tagged-learner-sw1"), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_never_touches_a_resource_retagged_by_hand_to_another_run() {
    let lab = sandbox_lab("sweep_never_touches_a_resource_retagged").await;
    up(&lab, "hx1", &[]);
    let iam = iam(&lab);
    iam.tag_user()
        .user_name("tagged-learner-hx1")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("awslab:run")
                .value("someone-else")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    std::fs::remove_dir_all(&lab.state_dir).unwrap();
    let swept = lab.awslab(&["sweep", "--run", "hx1", "--yes"]);
    let out = text(&swept);
    assert!(!out.contains("iam_user tagged-learner-hx1"), "{out}");
    assert!(user_exists(&lab, "tagged-learner-hx1"), "{out}");
    let tags = tags_of_user(&iam, "tagged-learner-hx1").await;
    assert!(tags.contains(&("awslab:run".to_owned(), "someone-else".to_owned())));
    // The rest of run hx1 went (the policy attached to the user goes after the user,
    // so it stays attached: a delete that fails is reported, never forced).
    let listed = text(&lab.awslab(&["sweep", "--run", "hx1"]));
    assert!(!listed.contains("s3_bucket"), "{listed}");
    assert!(!listed.contains("cfn_stack"), "{listed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_with_another_account_touches_nothing() {
    let lab = sandbox_lab("sweep_with_another_account_touches_nothing").await;
    up(&lab, "ac1", &[]);
    let before = lab.inventory();
    let swept = lab.awslab(&["sweep", "--account", "999999999999", "--yes"]);
    let out = text(&swept);
    assert_eq!(swept.status.code(), Some(2), "{out}");
    assert!(out.contains("nothing was touched"), "{out}");
    assert!(out.contains("Target: the sandbox"), "{out}");
    assert_eq!(lab.inventory(), before);
    // Filters: another plan, or only what is older than an hour, find nothing.
    for filter in [&["--plan", "another-lab"][..], &["--older-than", "1h"][..]] {
        let mut args = vec!["sweep", "--yes"];
        args.extend_from_slice(filter);
        let swept = lab.awslab(&args);
        assert_eq!(swept.status.code(), Some(0), "{filter:?}: {}", text(&swept));
    }
    assert_eq!(lab.inventory(), before);
    let listed = lab.awslab(&["sweep", "--plan", "tagged-lab", "--older-than", "0s"]);
    assert_eq!(listed.status.code(), Some(3), "{}", text(&listed));
    let down = lab.awslab(&["down", "ac1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
}

#[tokio::test(flavor = "multi_thread")]
async fn sweep_json_plan_is_in_prerequisite_order_and_holds_no_secret() {
    let mut lab = sandbox_lab("sweep_json_plan_is_in_prerequisite_order").await;
    up(&lab, "js1", &[]);
    up(&lab, "js2", &[]);
    lab.rust_log = Some("trace");
    let sweep = lab.awslab(&["sweep", "--output", "json"]);
    assert_eq!(sweep.status.code(), Some(3), "{}", text(&sweep));
    let all = text(&sweep);
    assert!(
        !all.contains(&lab.admin.secret_access_key),
        "a secret in sweep's output"
    );
    let plan: serde_json::Value = serde_json::from_slice(&sweep.stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    let rank = |kind: &str| {
        [
            "iam_virtual_mfa_device",
            "iam_user",
            "iam_role",
            "iam_policy",
            "iam_oidc_provider",
            "iam_saml_provider",
            "s3_bucket",
            "cfn_stack",
        ]
        .iter()
        .position(|k| *k == kind)
        .unwrap()
    };
    let resources = plan["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 8, "{plan}");
    let orders: Vec<u64> = resources
        .iter()
        .map(|r| r["order"].as_u64().unwrap())
        .collect();
    assert_eq!(orders, (1..=8).collect::<Vec<u64>>());
    let ranks: Vec<usize> = resources
        .iter()
        .map(|r| rank(r["type"].as_str().unwrap()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{plan}");
    let user = &resources[0];
    assert_eq!(user["removes_first"][0], "access keys", "{plan}");
    let swept = lab.awslab(&["sweep", "--yes", "--output", "json"]);
    let all = text(&swept);
    assert_eq!(swept.status.code(), Some(0), "{all}");
    assert!(
        !all.contains(&lab.admin.secret_access_key),
        "a secret in sweep's output"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reap_ignores_an_unexpired_run_then_tears_it_down_after_clock_advance() {
    let lab = sandbox_lab("reap_ignores_an_unexpired_run").await;
    up(&lab, "rp1", &["--ttl", "2h"]);
    // Another run whose journal is gone: reap finds it by its tags.
    up(&lab, "rp2", &["--ttl", "1h"]);
    let journal = lab.state_dir.join("runs").join("rp2");
    std::fs::remove_dir_all(&journal).unwrap();
    // A run without a TTL is never reaped.
    up(&lab, "rp3", &[]);
    let early = lab.awslab(&["reap"]);
    let out = text(&early);
    assert_eq!(early.status.code(), Some(0), "{out}");
    assert!(out.contains("Nothing to reap"), "{out}");
    assert!(user_exists(&lab, "tagged-learner-rp1"));
    assert!(user_exists(&lab, "tagged-learner-rp2"));
    let advance = lab.awslab(&["sandbox", "clock", "advance", "3h"]);
    assert!(advance.status.success(), "{}", text(&advance));
    let reap = lab.awslab(&["reap", "--yes"]);
    let out = text(&reap);
    assert_eq!(reap.status.code(), Some(0), "{out}");
    assert!(
        out.contains("reap: run `rp1` (journal): torn down"),
        "{out}"
    );
    assert!(
        out.contains("reap: run `rp2` (no journal, by tags):"),
        "{out}"
    );
    assert!(!out.contains("rp3"), "{out}");
    assert!(!user_exists(&lab, "tagged-learner-rp1"), "{out}");
    assert!(!user_exists(&lab, "tagged-learner-rp2"), "{out}");
    assert!(user_exists(&lab, "tagged-learner-rp3"), "{out}");
    let down = lab.awslab(&["down", "rp3"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
