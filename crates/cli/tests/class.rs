//! A class at once (issue 21 §1): `up --learners N` / `--roster FILE` runs one copy of
//! the plan per learner in one graph, hands each a bundle (AWS CLI files 0600 in a
//! folder 0700, and a README without secrets), reports per learner (table, JSON,
//! `JUnit`, `status`), and one `down` (or `down --learner`) leaves nothing; a learner's
//! failure leaves the others their lab; a class killed at any instant is torn down from
//! its journal; no secret reaches an output.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use support::serve::serve;
use support::snapshot::{Secrets, stderr, stdout};
use support::{Lab, Target, plans, text};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn bundles(lab: &Lab, run: &str) -> PathBuf {
    lab.state_dir.join("runs").join(run).join("learners")
}

/// The `summary` object of `up --output json`.
fn summary(output: &std::process::Output) -> serde_json::Value {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", text(output)))
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_learners_get_thirty_bundles_every_claim_and_one_down_leaves_nothing() {
    let lab = Lab::on(Target::Sandbox, "class_of_thirty").await.unwrap();
    let plan = plans().join("sts-assume-role.yaml");
    let junit = lab.files.dir().join("junit.xml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--learners",
        "30",
        "--run-id",
        "c30",
        "--parallel",
        "8",
        "--output",
        "json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let summary = summary(&up);
    let learners = summary["learners"].as_array().unwrap();
    assert_eq!(learners.len(), 30);
    for learner in learners {
        assert_eq!(learner["succeeded"], true, "{learner}");
        assert_eq!(learner["steps_succeeded"], 10, "{learner}");
        assert_eq!(learner["verifies"], 5, "{learner}");
        assert_eq!(learner["verifies_passed"], 5, "{learner}");
    }
    assert_eq!(summary["steps"].as_array().unwrap().len(), 300);
    // A JUnit test suite a learner, each with the plan's five verifies.
    let report = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(report.matches("<testsuite ").count(), 30, "{report}");
    assert!(
        report.contains(r#"name="sts-assume-role[learner-17]""#),
        "{report}"
    );
    assert!(
        report.contains(r#"testcase name="whoami-assumed""#),
        "{report}"
    );
    assert!(!report.contains("<failure"), "{report}");

    // 30 bundles: a private folder each, with private AWS CLI files and a README.
    let dir = bundles(&lab, "c30");
    assert_eq!(mode(&dir), 0o700);
    for i in 1..=30 {
        let folder = dir.join(format!("learner-{i:02}"));
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        for file in ["config", "credentials", "README.md"] {
            assert_eq!(
                mode(&folder.join(file)),
                0o600,
                "{file} of {}",
                folder.display()
            );
        }
        let config = std::fs::read_to_string(folder.join("config")).unwrap();
        assert!(config.contains("[profile assumed]"), "{config}");
        assert!(
            config.contains("endpoint_url = http://127.0.0.1:4566"),
            "{config}"
        );
        let readme = std::fs::read_to_string(folder.join("README.md")).unwrap();
        assert!(
            readme.contains("aws sts get-caller-identity --profile assumed"),
            "{readme}"
        );
    }
    // The operator's own AWS CLI files got no profile.
    let config = std::fs::read_to_string(&lab.files.config).unwrap_or_default();
    assert!(!config.contains("assumed"), "{config}");
    assert!(lab.inventory().len() >= 60, "{:?}", lab.inventory());

    let status = lab.awslab(&["status", "c30"]);
    let out = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(out.contains("Learners (30)"), "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("learner-30")
            && l.contains("ok")
            && l.contains("10/10")
            && l.contains("5/5")),
        "{out}"
    );

    let down = lab.awslab(&["down", "c30"]);
    let out = String::from_utf8_lossy(&down.stdout);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(out.contains("Nothing is left."), "{out}");
    assert_eq!(
        out.matches("nothing left; bundle removed").count(),
        30,
        "{out}"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left after down");
    assert!(!dir.exists(), "bundles left: {}", dir.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_cli_with_a_learners_bundle_is_that_learners_assumed_role() {
    if !awslab_testkit::aws_cli_installed("a learner's bundle with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "class_bundle_aws_cli")
        .await
        .unwrap();
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--learners",
        "3",
        "--run-id",
        "cli",
        "--sandbox-port",
        &port,
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let folder = bundles(&lab, "cli").join("learner-02");
    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("http://127.0.0.1:{port}")),
        "{readme}"
    );
    // As the README says: from the bundle's folder, its two files, the profile.
    let who = lab
        .command("bash")
        .current_dir(&folder)
        .args([
            "-c",
            "export AWS_CONFIG_FILE=\"$PWD/config\" AWS_SHARED_CREDENTIALS_FILE=\"$PWD/credentials\" AWS_PAGER=''; aws sts get-caller-identity --profile assumed --output json",
        ])
        .output()
        .unwrap();
    assert!(who.status.success(), "{}", text(&who));
    let arn = serde_json::from_slice::<serde_json::Value>(&who.stdout).unwrap()["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        arn.starts_with("arn:aws:sts::111122223333:assumed-role/sts-lab-cli-learner-02-"),
        "{arn}"
    );
    assert!(arn.ends_with("/s3-sts-lab"), "{arn}");
    drop(serve);
    let down = lab.awslab(&["down", "cli"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// A lab whose policy takes its action from a roster column: a learner given the
/// wrong action is denied where the claim expects allow, so that learner's verify
/// fails and its dependent is skipped, while the others finish.
const ROSTER_PLAN: &str = r#"name: roster-lab
description: A user per learner, allowed the action the roster gives
steps:
  user:
    iam.user: { name: "${learner.name}-user", access_key: true }
  may-list:
    iam.user_policy:
      user: ${user.name}
      name: MayList
      document:
        Version: "2012-10-17"
        Statement: [{ Effect: Allow, Action: "${learner.vars.action}", Resource: "*" }]
  list-buckets:
    verify: { as: user, call: s3.ListBuckets, expect: allow }
    needs: [may-list]
  after:
    verify: { as: user, call: sts.GetCallerIdentity, expect: { Arn: "${user.arn}" } }
    needs: [list-buckets]
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_roster_with_a_failing_learner_gives_the_others_their_lab() {
    let lab = Lab::on(Target::Sandbox, "class_roster_failing")
        .await
        .unwrap();
    let dir = lab.files.dir();
    let plan = dir.join("roster-lab.yaml");
    std::fs::write(&plan, ROSTER_PLAN).unwrap();
    let roster = dir.join("class.csv");
    std::fs::write(
        &roster,
        "name,action\nada,s3:ListAllMyBuckets\nbob,s3:GetObject\ncyd,s3:ListAllMyBuckets\n",
    )
    .unwrap();
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--roster",
        roster.to_str().unwrap(),
        "--run-id",
        "ros",
    ]);
    let out = String::from_utf8_lossy(&up.stdout);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let row = |name: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"))
            .to_owned()
    };
    for ok in ["ada", "cyd"] {
        let line = row(ok);
        assert!(line.contains(" ok ") && line.contains("4/4"), "{line}");
    }
    let bob = row("bob");
    assert!(bob.contains("FAILED") && bob.contains("2/4"), "{bob}");
    // The reason names the step, what was expected and the request to explain.
    assert!(bob.contains("`list-buckets[bob]` FAILED"), "{bob}");
    assert!(bob.contains("expected success, got AccessDenied"), "{bob}");
    assert!(bob.contains("(request "), "{bob}");
    assert!(
        out.contains("2 of 3 learners have their whole lab."),
        "{out}"
    );

    let json = lab.awslab(&["status", "ros"]);
    let status = String::from_utf8_lossy(&json.stdout);
    assert!(
        status
            .lines()
            .any(|l| l.trim_start().starts_with("bob") && l.contains("FAILED")),
        "{status}"
    );
    // Each resource says whose it is.
    assert!(
        status
            .lines()
            .any(|l| l.contains("iam user bob-user (learner bob)")),
        "{status}"
    );
    let secret_steps = || -> Vec<String> {
        let path = lab.state_dir.join("runs/ros/secrets.json");
        let store: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        store.as_object().unwrap().keys().cloned().collect()
    };
    assert!(secret_steps().contains(&"user[bob]".to_owned()));

    // One learner torn down, then the rest; an unknown learner is named as such.
    let unknown = lab.awslab(&["down", "ros", "--learner", "eve"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        said.contains("`eve`") && said.contains("`ada`, `bob`, `cyd`"),
        "{said}"
    );
    let one = lab.awslab(&["down", "ros", "--learner", "bob"]);
    let out = String::from_utf8_lossy(&one.stdout);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    assert!(
        out.contains("bob: ") && out.contains("resources taken out, nothing left"),
        "{out}"
    );
    assert!(!out.contains("ada:"), "{out}");
    let items = lab.inventory().join("\n");
    assert!(!items.contains("bob-user"), "{items}");
    assert!(
        items.contains("ada-user") && items.contains("cyd-user"),
        "{items}"
    );
    assert!(!bundles(&lab, "ros").join("bob").exists());
    assert!(bundles(&lab, "ros").join("ada").exists());
    // The torn-down learner's credentials left the secrets file; the others' stay.
    let kept = secret_steps();
    assert!(!kept.iter().any(|step| step.ends_with("[bob]")), "{kept:?}");
    assert!(kept.contains(&"user[ada]".to_owned()), "{kept:?}");
    let rest = lab.awslab(&["down"]);
    assert_eq!(rest.status.code(), Some(0), "{}", text(&rest));
    assert_eq!(lab.inventory(), Vec::<String>::new());
    assert!(!bundles(&lab, "ros").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_classroom_plan_runs_for_three_learners_and_tears_down() {
    let lab = Lab::on(Target::Sandbox, "class_classroom").await.unwrap();
    let plan = plans().join("classroom.yaml");
    let plan = plan.to_str().unwrap();
    // Alone, the plan is for the class it names (`learners: 3`).
    let alone = lab.awslab(&["validate", plan]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone));
    assert!(
        String::from_utf8_lossy(&alone.stdout).contains("(classroom, 18 steps)"),
        "{}",
        text(&alone)
    );
    // Without `learners:`, a plan using `${learner.*}` says what to pass.
    let text_of_plan = std::fs::read_to_string(plan).unwrap();
    let unsized_plan = lab.files.dir().join("unsized.yaml");
    std::fs::write(&unsized_plan, text_of_plan.replace("learners: 3\n", "")).unwrap();
    let unsized_check = lab.awslab(&["validate", unsized_plan.to_str().unwrap()]);
    assert_eq!(
        unsized_check.status.code(),
        Some(2),
        "{}",
        text(&unsized_check)
    );
    assert!(
        String::from_utf8_lossy(&unsized_check.stderr).contains("pass `--learners N`"),
        "{}",
        text(&unsized_check)
    );
    let check = lab.awslab(&["validate", plan, "--learners", "3"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let sarif = lab.awslab(&["validate", plan, "--learners", "3", "--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(0), "{}", text(&sarif));
    let shown = lab.awslab(&["plan", plan, "--learners", "3"]);
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("user[learner-03]"),
        "{}",
        text(&shown)
    );
    let keep = lab.files.dir().join("handout");
    let up = lab.awslab(&[
        "up",
        plan,
        "--learners",
        "3",
        "--run-id",
        "room",
        "--bundle-dir",
        keep.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&up.stdout);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(
        out.contains("3 of 3 learners have their whole lab."),
        "{out}"
    );
    let items = lab.inventory().join("\n");
    assert!(items.contains("student-learner-02-room"), "{items}");
    let config = std::fs::read_to_string(keep.join("learner-03").join("config")).unwrap();
    assert!(config.contains("[profile classroom]"), "{config}");
    let down = lab.awslab(&["down", "room", "--keep-bundles"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
    // Kept: the folders and READMEs; the profiles went with the run.
    let readme = keep.join("learner-01").join("README.md");
    assert!(readme.exists(), "{}", readme.display());
    let credentials =
        std::fs::read_to_string(keep.join("learner-01").join("credentials")).unwrap_or_default();
    assert!(!credentials.contains("[classroom]"), "{credentials}");
}

/// Runs the seed lab for five learners and kills it (SIGKILL) right after the JSON
/// event `trigger`.
fn kill_class_after(lab: &Lab, run_id: &str, trigger: &str) -> Vec<String> {
    let plan = plans().join("sts-assume-role.yaml");
    let mut child = lab.spawn_up_json(
        &plan,
        &["--learners", "5", "--run-id", run_id, "--parallel", "4"],
    );
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let hit = line.contains(trigger);
        seen.push(line);
        if hit {
            child.kill().unwrap();
            break;
        }
    }
    let _ = child.wait();
    seen
}

async fn a_class_killed_at_any_instant_is_torn_down_from_its_journal(lab: Lab) {
    let points = [
        r#""event":"started","step":"user[learner-01]""#,
        r#""event":"finished","step":"user[learner-03]""#,
        r#""event":"started","step":"stack[learner-02]""#,
        r#""event":"finished","step":"stack[learner-05]""#,
        r#""event":"started","step":"may-assume[learner-04]""#,
        r#""event":"started","step":"assumed[learner-01]""#,
        r#""event":"started","step":"profile[learner-03]""#,
        r#""event":"finished","step":"profile[learner-05]""#,
    ];
    let points = if lab.target == Target::Moto {
        &points[..3]
    } else {
        &points[..]
    };
    for (index, trigger) in points.iter().enumerate() {
        let run_id = format!("ck{index}");
        let seen = kill_class_after(&lab, &run_id, trigger);
        assert!(
            seen.iter().any(|l| l.contains(trigger)),
            "{run_id}: never saw {trigger}: {seen:?}"
        );
        let status = lab.awslab(&["status", &run_id]);
        assert_eq!(status.status.code(), Some(0), "{}", text(&status));
        let down = lab.awslab(&["down", &run_id]);
        assert_eq!(
            down.status.code(),
            Some(0),
            "{run_id} (killed after {trigger}): {}",
            text(&down)
        );
        assert_eq!(
            lab.inventory(),
            Vec::<String>::new(),
            "{run_id} (killed after {trigger}) left the target changed"
        );
        assert!(
            !bundles(&lab, &run_id).exists(),
            "{run_id}: bundles left behind"
        );
    }
}
on_each_target!(a_class_killed_at_any_instant_is_torn_down_from_its_journal);

/// The secrets a run's store holds (secret keys and session tokens).
fn run_secrets(lab: &Lab, run: &str) -> Vec<String> {
    let store: serde_json::Value = serde_json::from_slice(
        &std::fs::read(lab.state_dir.join("runs").join(run).join("secrets.json")).unwrap(),
    )
    .unwrap();
    let mut secrets = Vec::new();
    for credentials in store.as_object().unwrap().values() {
        for key in ["secret_access_key", "session_token"] {
            if let Some(value) = credentials[key].as_str() {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets
}

async fn no_secret_of_a_class_reaches_any_output(lab: Lab) {
    let plan = plans().join("sts-assume-role.yaml");
    let plan = plan.to_str().unwrap();
    let junit = lab.files.dir().join("junit.xml");
    let mut seen = String::new();
    let mut record = |output: &std::process::Output| {
        seen.push_str(&String::from_utf8_lossy(&output.stdout));
        seen.push_str(&String::from_utf8_lossy(&output.stderr));
    };
    let up = lab.awslab(&[
        "-vvv",
        "up",
        plan,
        "--learners",
        "3",
        "--run-id",
        "s1",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    record(&up);
    let json = lab.awslab(&[
        "-vv",
        "up",
        plan,
        "--learners",
        "2",
        "--run-id",
        "s2",
        "--output",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(0), "{}", text(&json));
    record(&json);
    for args in [&["status", "s1"][..], &["plan", plan, "--learners", "3"]] {
        let output = lab.awslab(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output));
        record(&output);
    }
    let mut secrets = vec![lab.admin.secret_access_key.clone()];
    let mut files = String::new();
    for run in ["s1", "s2"] {
        let run_secrets = run_secrets(&lab, run);
        assert!(run_secrets.len() >= 4, "{run}: {}", run_secrets.len());
        secrets.extend(run_secrets);
        let dir = lab.state_dir.join("runs").join(run);
        for file in ["journal.jsonl", "summary.json", "class.json"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{run}/{file}");
            files.push_str(&std::fs::read_to_string(dir.join(file)).unwrap());
        }
        for entry in std::fs::read_dir(dir.join("learners")).unwrap() {
            let folder = entry.unwrap().path();
            files.push_str(&std::fs::read_to_string(folder.join("README.md")).unwrap());
            files.push_str(&std::fs::read_to_string(folder.join("config")).unwrap());
        }
    }
    files.push_str(&std::fs::read_to_string(&junit).unwrap());
    // The credentials files hold the sessions (and nothing else does).
    let credentials =
        std::fs::read_to_string(bundles(&lab, "s1").join("learner-02").join("credentials"))
            .unwrap();
    assert!(
        secrets.iter().any(|s| credentials.contains(s.as_str())),
        "the bundle holds no session"
    );
    for run in ["s1", "s2"] {
        let down = lab.awslab(&["-vvv", "down", run]);
        assert_eq!(down.status.code(), Some(0), "{}", text(&down));
        record(&down);
    }
    for secret in &secrets {
        assert!(
            !seen.contains(secret.as_str()),
            "a secret reached an output"
        );
        assert!(
            !files.contains(secret.as_str()),
            "a secret reached a report or README"
        );
    }
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
on_each_target!(
    no_secret_of_a_class_reaches_any_output,
    and_under_rust_log_trace
);

/// What a person sees of a class of two, one step at a time: `up`, `status`, `down` of
/// one learner, then of the rest.
#[tokio::test(flavor = "multi_thread")]
async fn class_up_status_down_as_a_person_sees_them() {
    let lab = Lab::on(Target::Sandbox, "class_snapshots").await.unwrap();
    for file in [&lab.files.config, &lab.files.credentials] {
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--learners",
        "2",
        "--run-id",
        "snap",
        "--parallel",
        "1",
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let secrets = Secrets::of_run(
        &lab,
        "snap",
        &[
            "user[learner-01]",
            "assumed[learner-01]",
            "user[learner-02]",
            "assumed[learner-02]",
        ],
    );
    let temps: &[&Path] = &[lab.files.dir(), &plans()];
    snapshot!(secrets, "class_up_stdout", temps, stdout(&up));
    snapshot!(secrets, "class_up_stderr", temps, stderr(&up));
    let status = lab.awslab(&["status", "snap"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    snapshot!(secrets, "class_status_stdout", temps, stdout(&status));
    let one = lab.awslab(&["down", "snap", "--learner", "learner-01"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    snapshot!(secrets, "class_down_one_stdout", temps, stdout(&one));
    let rest = lab.awslab(&["down", "snap"]);
    assert_eq!(rest.status.code(), Some(0), "{}", text(&rest));
    snapshot!(secrets, "class_down_rest_stdout", temps, stdout(&rest));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
