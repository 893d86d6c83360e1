//! Issue 19 §1, §3 and §4 on the sandbox: every resource of a run carries awslab's tags
//! and the plan's; `sweep` finds a run whose state folder is gone (a dry run deletes
//! nothing), removes it with `--yes`, and keeps an untagged namesake, a resource
//! retagged by hand to another run, and everything when `--account` is not the
//! caller's; its JSON plan is in AWS's prerequisite order; `reap` ignores a run that has
//! not expired and tears it down (from its journal, or by tags when the journal is
//! gone) once `sandbox clock advance` passes its `--ttl`.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

#[macro_use]
mod support;

use std::process::Output;

use support::{Lab, Target, plans, text};

async fn sandbox_lab(test: &str) -> Lab {
    Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips")
}

/// An IAM client of the lab's operator (the sandbox's, in this process, or moto's
/// admin): out of band, as a person with the console would act.
fn iam(lab: &Lab) -> aws_sdk_iam::Client {
    let (target, key, secret) = if let Some(url) = lab.endpoint_url() {
        (
            awslab_executor::Target::endpoint(url.to_owned(), "us-east-1", None),
            lab.admin.access_key_id.clone(),
            lab.admin.secret_access_key.clone(),
        )
    } else {
        let sandbox = awslab_sandbox::Sandbox::open(&lab.sandbox_dir()).unwrap();
        let account = sandbox.accounts().unwrap()[0].clone();
        let operator = sandbox.operator(&account).unwrap();
        let target = awslab_executor::Target::in_process(
            awslab_sandbox::IN_PROCESS_ENDPOINT,
            sandbox.http_client(),
            "us-east-1",
            None,
        );
        (target, operator.access_key_id, operator.secret_access_key)
    };
    let config = awslab_executor::config_for_static(
        &target,
        &key,
        &awslab_executor::Secret::new(secret),
        None,
    );
    awslab_executor::iam_client(&config)
}

/// `awslab ARGS` on the lab's target: `up` goes there by itself; on moto the other
/// commands are told with `--endpoint-url` (they have no journal to follow).
fn on_target(lab: &Lab, args: &[&str]) -> Output {
    let mut args = args.to_vec();
    if let Some(url) = lab.endpoint_url()
        && args.first() != Some(&"up")
    {
        args.extend(["--endpoint-url", url]);
    }
    lab.awslab(&args)
}

/// `plans/tagged-lab.yaml`; on moto a copy without the verify `learner-reads-own-tags`
/// (moto's IAM authorization denies the learner's `iam:ListUserTags` on its own ARN,
/// which its policy allows, so the verify would wait out the settle deadline).
fn tagged_lab(lab: &Lab) -> std::path::PathBuf {
    let plan = plans().join("tagged-lab.yaml");
    if lab.endpoint_url().is_none() {
        return plan;
    }
    let text = std::fs::read_to_string(&plan).unwrap();
    let (kept, _) = text.split_once("\n  learner-reads-own-tags:").unwrap();
    let dir = lab.files.dir().join("moto-plans");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::copy(
        plans().join("templates/role-and-bucket.yaml"),
        dir.join("templates/role-and-bucket.yaml"),
    )
    .unwrap();
    let copy = dir.join("tagged-lab.yaml");
    std::fs::write(&copy, format!("{kept}\n")).unwrap();
    copy
}

fn up(lab: &Lab, run: &str, extra: &[&str]) -> Output {
    let plan = tagged_lab(lab);
    let mut args = vec!["up", plan.to_str().unwrap(), "--run-id", run];
    args.extend_from_slice(extra);
    let output = lab.awslab(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    output
}

fn user_exists(lab: &Lab, name: &str) -> bool {
    lab.inventory()
        .iter()
        .any(|item| (item.contains("users") || item.starts_with("user:")) && item.ends_with(name))
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

async fn sweep_finds_a_run_whose_state_folder_is_deleted_and_keeps_an_untagged_namesake(lab: Lab) {
    up(&lab, "sw1", &[]);
    std::fs::remove_dir_all(&lab.state_dir).unwrap();
    let before = lab.inventory();
    // A dry run lists it, marks it unknown to any journal, and deletes nothing.
    let dry = on_target(&lab, &["sweep"]);
    let out = text(&dry);
    assert_eq!(dry.status.code(), Some(3), "{out}");
    assert!(out.contains("tagged-learner-sw1"), "{out}");
    assert!(out.contains("no journal"), "{out}");
    assert!(out.contains("nothing was deleted"), "{out}");
    assert_eq!(lab.inventory(), before, "a dry run changed something");
    // With --yes it is removed, and says only what it deleted.
    let swept = on_target(&lab, &["sweep", "--yes"]);
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
    let again = on_target(&lab, &["sweep", "--yes"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        user_exists(&lab, "tagged-learner-sw1"),
        "{:?}",
        lab.inventory()
    );
    let listed = text(&on_target(&lab, &["sweep"]));
    assert!(!listed.contains("tagged-learner-sw1"), "{listed}");
}

on_each_target!(sweep_finds_a_run_whose_state_folder_is_deleted_and_keeps_an_untagged_namesake);

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

/// On moto, which lacks `ListMFADeviceTags` (it answers an HTML 500): a virtual MFA
/// device made out of band makes that kind unlistable. `sweep` names the kind, still
/// lists and removes the run it finds, and exits 3 (it cannot prove nothing is left);
/// its JSON plan lists the kind under `unlisted`. With `--run` naming a run whose
/// journal holds no MFA device the kind is out of scope: a note, and exit 0.
#[tokio::test(flavor = "multi_thread")]
async fn sweep_on_moto_names_a_kind_it_cannot_list_and_cannot_claim_nothing_is_left() {
    let Some(lab) = Lab::on(Target::Moto, "sweep_names_a_kind_it_cannot_list").await else {
        return;
    };
    up(&lab, "mf1", &[]);
    iam(&lab)
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("out-of-band")
        .send()
        .await
        .unwrap();
    let dry = on_target(&lab, &["sweep"]);
    let out = text(&dry);
    assert_eq!(dry.status.code(), Some(3), "{out}");
    assert!(
        out.contains("warning: cannot list `iam_virtual_mfa_device` resources"),
        "{out}"
    );
    assert!(out.contains("ListMFADeviceTags"), "{out}");
    assert!(out.contains("tagged-learner-mf1"), "{out}");
    let json = on_target(&lab, &["sweep", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        plan["unlisted"][0]["type"], "iam_virtual_mfa_device",
        "{plan}"
    );
    assert_eq!(plan["unlisted"].as_array().map(Vec::len), Some(1), "{plan}");

    let scoped = on_target(&lab, &["sweep", "--run", "mf1", "--yes"]);
    let out = text(&scoped);
    assert_eq!(scoped.status.code(), Some(0), "{out}");
    assert!(
        out.contains("note: cannot list `iam_virtual_mfa_device` resources")
            && out.contains("run `mf1`'s journal holds none"),
        "{out}"
    );
    assert!(
        out.contains("deleted  iam_user tagged-learner-mf1"),
        "{out}"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "{out}");
    // The whole account: nothing of awslab's is found, and still it cannot say so.
    let all = on_target(&lab, &["sweep", "--yes"]);
    let out = text(&all);
    assert_eq!(all.status.code(), Some(3), "{out}");
    assert!(out.contains("cannot prove nothing is left"), "{out}");
}

const SHORT: &str = "name: short-lived\nsteps:\n  user: { iam.user: { name: \"short-${run.id}\", access_key: true } }\n";

/// Rewrites the expiry that run `run`'s journal records to a past instant, each
/// rewritten line with its CRC-32 again (as if the run had been started long ago).
fn expire_journal(lab: &Lab, run: &str) {
    let id = awslab_executor::RunId::parse(run).unwrap();
    let path = awslab_executor::Journal::run_dir(&lab.state_dir, &id)
        .join(awslab_executor::Journal::FILE_NAME);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rewritten = 0;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
            let record = &mut value["record"];
            let text = record.to_string();
            if !text.contains("\"expires_at\":\"") {
                return line.to_owned();
            }
            let mut record: serde_json::Value = serde_json::from_str(&text).unwrap();
            set_expiry(&mut record);
            let json = serde_json::to_vec(&record).unwrap();
            rewritten += 1;
            format!(
                "{{\"crc32\":\"{:08x}\",\"record\":{}}}",
                crc32fast::hash(&json),
                String::from_utf8(json).unwrap()
            )
        })
        .collect();
    assert!(rewritten > 0, "no expiry in {text}");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn set_expiry(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key == "expires_at" && field.is_string() {
                    *field = serde_json::Value::String("2000-01-01T00:00:00Z".to_owned());
                } else {
                    set_expiry(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(set_expiry),
        _ => {}
    }
}

/// `reap` on moto, whose clock is the real one (there is no `sandbox clock advance`):
/// a run whose journal records an expiry already past is torn down from its journal;
/// a run whose journal is gone and whose `awslab:expires-at` tag is past is removed by
/// tags; a run with time left and a run without a TTL are kept. No sleeps.
#[tokio::test(flavor = "multi_thread")]
async fn reap_on_moto_tears_down_runs_past_their_expiry_and_keeps_the_rest() {
    let Some(lab) = Lab::on(Target::Moto, "reap_on_moto").await else {
        return;
    };
    let plan = lab.files.dir().join("short.yaml");
    std::fs::write(&plan, SHORT).unwrap();
    let plan = plan.to_str().unwrap();
    for (run, ttl) in [
        ("rm1", Some("2h")),
        ("rm2", Some("1m")),
        ("rm3", Some("1m")),
        ("rm4", None),
    ] {
        let mut args = vec!["up", plan, "--run-id", run];
        args.extend(ttl.iter().flat_map(|ttl| ["--ttl", *ttl]));
        let up = lab.awslab(&args);
        assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    }
    let early = on_target(&lab, &["reap"]);
    let out = text(&early);
    assert_eq!(early.status.code(), Some(0), "{out}");
    assert!(out.contains("Nothing to reap"), "{out}");
    // rm2's journal says it expired in 2000; rm3's journal is gone and its user's tag
    // says the same.
    expire_journal(&lab, "rm2");
    std::fs::remove_dir_all(lab.state_dir.join("runs").join("rm3")).unwrap();
    iam(&lab)
        .tag_user()
        .user_name("short-rm3")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("awslab:expires-at")
                .value("2000-01-01T00:00:00Z")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let reap = on_target(&lab, &["reap", "--yes"]);
    let out = text(&reap);
    assert_eq!(reap.status.code(), Some(0), "{out}");
    assert!(
        out.contains("reap: run `rm2` (journal): torn down"),
        "{out}"
    );
    assert!(
        out.contains("reap: run `rm3` (no journal, by tags): 1 deleted"),
        "{out}"
    );
    assert!(!out.contains("rm1") && !out.contains("rm4"), "{out}");
    assert!(!user_exists(&lab, "short-rm2"), "{out}");
    assert!(!user_exists(&lab, "short-rm3"), "{out}");
    assert!(user_exists(&lab, "short-rm1"), "{out}");
    assert!(user_exists(&lab, "short-rm4"), "{out}");
    for run in ["rm1", "rm4"] {
        let down = lab.awslab(&["down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    }
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
