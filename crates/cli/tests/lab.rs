//! End to end against moto: `awslab up` runs the seed labs and every verify passes,
//! the real `aws` CLI uses the profile awslab wrote, and `awslab down` leaves nothing.

mod support;

use support::{Lab, plans, text};

#[tokio::test(flavor = "multi_thread")]
async fn seed_lab_runs_verifies_and_tears_down_to_nothing() {
    let Some(lab) = Lab::start("seed_lab_runs_verifies_and_tears_down_to_nothing").await else {
        return;
    };
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "seed1",
        "--settle-timeout",
        "20",
    ]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(
        out.contains("10 of 10 steps succeeded; 5 of 5 verifications passed."),
        "{out}"
    );
    assert!(
        out.contains("expected AccessDenied, got AccessDenied"),
        "{out}"
    );
    assert!(out.contains(":assumed-role/sts-lab-seed1-"), "{out}");

    // The real aws CLI, given only the files awslab wrote, is the assumed role.
    if let Some(who) = lab.aws(&[
        "sts",
        "get-caller-identity",
        "--profile",
        "assumed",
        "--output",
        "json",
    ]) {
        assert!(who.status.success(), "{}", text(&who));
        let json: serde_json::Value = serde_json::from_slice(&who.stdout).unwrap();
        let arn = json["Arn"].as_str().unwrap();
        assert!(
            arn.starts_with("arn:aws:sts::123456789012:assumed-role/sts-lab-seed1-"),
            "{arn}"
        );
        assert!(arn.ends_with("/s3-sts-lab"), "{arn}");
    }
    assert!(!lab.inventory().is_empty(), "the run created nothing?");

    let down = lab.awslab(&["down", "seed1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(String::from_utf8_lossy(&down.stdout).contains("Nothing is left."));
    assert_eq!(
        lab.inventory(),
        Vec::<String>::new(),
        "left behind after down"
    );
    let config = std::fs::read_to_string(&lab.files.config).unwrap();
    assert!(
        !config.contains("assumed"),
        "profile left in config:\n{config}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_004_lab_with_trust_update_and_managed_policy_tears_down() {
    let Some(lab) =
        Lab::start("seed_004_lab_with_trust_update_and_managed_policy_tears_down").await
    else {
        return;
    };
    let plan = plans().join("assume-role-iam.yaml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--run-id",
        "s004",
        "--settle-timeout",
        "20",
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(
        String::from_utf8_lossy(&up.stdout).contains("3 of 3 verifications passed"),
        "{}",
        text(&up)
    );
    let down = lab.awslab(&["down", "s004"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_verify_exits_1_and_junit_records_it() {
    let Some(lab) = Lab::start("failed_verify_exits_1_and_junit_records_it").await else {
        return;
    };
    let dir = lab.files.dir();
    std::fs::write(
        dir.join("wrong.yaml"),
        "name: wrong\nsteps:\n  user:\n    iam.user: { name: \"wrong-${run.id}\", access_key: true }\n  \
         claims-allowed:\n    verify: { as: user, call: s3.ListBuckets, expect: allow }\n  \
         who:\n    verify: { as: user, call: sts.GetCallerIdentity, expect: { Arn: \"*:user/wrong-*\" } }\n",
    )
    .unwrap();
    let junit = dir.join("report.xml");
    let up = lab.awslab(&[
        "up",
        dir.join("wrong.yaml").to_str().unwrap(),
        "--run-id",
        "w1",
        "--settle-timeout",
        "1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let report = std::fs::read_to_string(&junit).unwrap();
    assert!(
        report.contains("<testcase name=\"claims-allowed\""),
        "{report}"
    );
    assert!(report.contains("<failure"), "{report}");
    assert!(report.contains("<testcase name=\"who\""), "{report}");
    assert_eq!(report.matches("<failure").count(), 1, "{report}");
    let down = lab.awslab(&["down", "w1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn never_deletes_a_user_it_did_not_create() {
    let Some(lab) = Lab::start("never_deletes_a_user_it_did_not_create").await else {
        return;
    };
    let endpoint = lab.moto().endpoint_url().to_owned();
    let Some(made) = lab.aws(&[
        "--endpoint-url",
        &endpoint,
        "iam",
        "create-user",
        "--user-name",
        "someone-elses",
    ]) else {
        return;
    };
    assert!(made.status.success(), "{}", text(&made));
    let dir = lab.files.dir();
    std::fs::write(
        dir.join("clash.yaml"),
        "name: clash\nsteps:\n  user:\n    iam.user: { name: someone-elses }\n",
    )
    .unwrap();
    let up = lab.awslab(&[
        "up",
        dir.join("clash.yaml").to_str().unwrap(),
        "--run-id",
        "c1",
    ]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    assert!(
        text(&up).contains("already exists and this run did not create it"),
        "{}",
        text(&up)
    );
    let down = lab.awslab(&["down", "c1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), vec!["user:someone-elses".to_owned()]);
}
