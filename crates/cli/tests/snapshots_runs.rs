#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

//! Snapshots of what `up`, `status` and `down` print (stdout and stderr, as text and
//! as `--output json`), on the in-process sandbox (no Python): the seed lab
//! `plans/sts-assume-role.yaml` from `up` to a `down` that leaves nothing, a run whose
//! verify fails and the `down` of what it made, and the `down` of a damaged journal.
//! Steps run one at a time (`--parallel 1`) so the progress lines come in one order;
//! what varies (run ids, times, dates, ids, temp paths) is redacted by
//! `support::snapshot`, and every snapshot is first checked to hold none of the run's
//! secrets (the operator's secret key, the user's secret key, the role session's
//! secret key and token).

mod support;

use std::path::Path;

use support::snapshot::{Secrets, stderr, stdout};
use support::{Lab, Target, plans, text};

/// A lab on the sandbox whose AWS CLI files are the operator's own (0600), as `up`
/// expects: its warning about files others may read would depend on the umask.
async fn lab(test: &str) -> Lab {
    let lab = Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips");
    for file in [&lab.files.config, &lab.files.credentials] {
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }
    lab
}

/// The run id `up` named in its closing line (`Tear down with: awslab down ID`) or in
/// its first JSON event.
fn run_id_of(up: &str) -> String {
    if let Some(id) = up
        .lines()
        .find_map(|line| line.strip_prefix("Tear down with: awslab down "))
    {
        return id.trim().to_owned();
    }
    let first: serde_json::Value = serde_json::from_str(up.lines().next().unwrap()).unwrap();
    first["run_id"].as_str().unwrap().to_owned()
}

/// The seed lab, as a person runs it: `up` with a generated run id, then `status` and
/// `down` of the latest run.
#[tokio::test(flavor = "multi_thread")]
async fn seed_lab_up_status_down() {
    let lab = lab("seed_lab_up_status_down").await;
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--parallel", "1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let run_id = run_id_of(&stdout(&up));
    let secrets = Secrets::of_run(&lab, &run_id, &["user", "assumed"]);
    assert_eq!(
        secrets.len(),
        4,
        "operator, user, and the session's key and token"
    );
    let temps: &[&Path] = &[lab.files.dir(), &plans()];
    snapshot!(secrets, "seed_up_stdout", temps, stdout(&up));
    snapshot!(secrets, "seed_up_stderr", temps, stderr(&up));

    let status = lab.awslab(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    snapshot!(secrets, "seed_status_stdout", temps, stdout(&status));
    assert_eq!(stderr(&status), "");

    let down = lab.awslab(&["down"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    snapshot!(secrets, "seed_down_stdout", temps, stdout(&down));
    snapshot!(secrets, "seed_down_stderr", temps, stderr(&down));

    let after = lab.awslab(&["status", &run_id]);
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    snapshot!(
        secrets,
        "seed_status_after_down_stdout",
        temps,
        stdout(&after)
    );
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// The seed lab with `--output json`: `up`'s event stream and `down`'s.
#[tokio::test(flavor = "multi_thread")]
async fn seed_lab_up_down_json() {
    let lab = lab("seed_lab_up_down_json").await;
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--parallel",
        "1",
        "--output",
        "json",
    ]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    for line in stdout(&up).lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
    }
    let run_id = run_id_of(&stdout(&up));
    let secrets = Secrets::of_run(&lab, &run_id, &["user", "assumed"]);
    let temps: &[&Path] = &[lab.files.dir(), &plans()];
    snapshot!(secrets, "seed_up_json_stdout", temps, stdout(&up));
    snapshot!(secrets, "seed_up_json_stderr", temps, stderr(&up));

    let down = lab.awslab(&["down", &run_id, "--output", "json"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    snapshot!(secrets, "seed_down_json_stdout", temps, stdout(&down));
    snapshot!(secrets, "seed_down_json_stderr", temps, stderr(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// A verify that fails: the user is not denied `sts:GetCallerIdentity` (nobody is), so
/// `up` fails (exit 1), explains the sandbox's decision, skips what depends on it, and
/// `down` removes the part of the run that was made.
const FAILING: &str = "\
name: failing-lab
description: A verify that cannot hold, for the snapshots of a failed run.
steps:
  user:
    iam.user: { name: \"snap-user-${run.id}\", access_key: true }
  not-me:
    verify: { as: user, call: sts.GetCallerIdentity, expect: AccessDenied }
  after:
    verify: { as: user, call: sts.GetCallerIdentity, expect: allow }
    needs: [not-me]
";

#[tokio::test(flavor = "multi_thread")]
async fn failed_verify_then_down_of_the_partial_run() {
    let lab = lab("failed_verify_then_down_of_the_partial_run").await;
    let plan = lab.files.dir().join("failing.yaml");
    std::fs::write(&plan, FAILING).unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--parallel", "1"]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let run_id = run_id_of(&stdout(&up));
    let secrets = Secrets::of_run(&lab, &run_id, &["user"]);
    let temps: &[&Path] = &[lab.files.dir()];
    snapshot!(secrets, "failed_up_stdout", temps, stdout(&up));
    snapshot!(secrets, "failed_up_stderr", temps, stderr(&up));

    let status = lab.awslab(&["status", &run_id]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    snapshot!(secrets, "failed_status_stdout", temps, stdout(&status));

    let down = lab.awslab(&["down"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    snapshot!(secrets, "failed_down_stdout", temps, stdout(&down));
    snapshot!(secrets, "failed_down_stderr", temps, stderr(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// `down` of a run whose journal has a byte flipped: exit 3, the damage named, the
/// tag to find what is left by, after deleting what it could read; then `sweep --run
/// --yes` removes the rest, as the hint says.
#[tokio::test(flavor = "multi_thread")]
async fn down_of_a_damaged_journal() {
    let lab = lab("down_of_a_damaged_journal").await;
    let plan = lab.files.dir().join("failing.yaml");
    std::fs::write(&plan, FAILING).unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "dmg1"]);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up));
    let secrets = Secrets::of_run(&lab, "dmg1", &["user"]);
    let journal = lab.state_dir.join("runs/dmg1/journal.jsonl");
    let before = std::fs::read_to_string(&journal).unwrap();
    // A byte of the second line (the first intent) flipped.
    let second = before.find('\n').unwrap() + 1;
    let at = second + before[second..].find("snap-user-dmg1").unwrap();
    let mut bytes = before.into_bytes();
    bytes[at] = b'S';
    std::fs::write(&journal, &bytes).unwrap();

    let down = lab.awslab(&["down", "dmg1"]);
    assert_eq!(down.status.code(), Some(3), "{}", text(&down));
    let temps: &[&Path] = &[lab.files.dir()];
    snapshot!(secrets, "damaged_down_stdout", temps, stdout(&down));
    snapshot!(secrets, "damaged_down_stderr", temps, stderr(&down));

    let sweep = lab.awslab(&["sweep", "--run", "dmg1", "--yes"]);
    assert_eq!(sweep.status.code(), Some(0), "{}", text(&sweep));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// The secret check fails on a text holding a secret, and does not print the secret.
#[test]
fn a_snapshot_holding_a_secret_fails_without_showing_it() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned();
    let secrets = Secrets::from_values(vec![secret.clone()]);
    secrets.assert_absent("clean", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
    let failed = std::panic::catch_unwind(|| {
        secrets.assert_absent("leaky", &format!("key={secret}"));
    });
    let message = failed.unwrap_err();
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("leaky holds secret number 0"), "{message}");
    assert!(!message.contains(&secret), "the failure shows the secret");
}

/// The shared redactions themselves: each varying value becomes its placeholder, and a
/// text with nothing varying is left alone.
#[test]
fn the_shared_filters_redact_what_varies() {
    let temp = Path::new("/tmp/.tmpAbC123");
    let cases = [
        ("/tmp/.tmpAbC123/state", "[TEMP]/state"),
        ("run 20261207-064912-dd8f", "run [RUN-ID]"),
        (
            "role/sts-lab-20261207-065305-6-StsRole",
            "role/sts-lab-[RUN-ID]-StsRole",
        ),
        ("started 2026-12-07T06:49:12.679551522Z", "started [DATE]"),
        (
            "request 6149946c-7afe-95d3-7404-a5505e549f27",
            "request [UUID]",
        ),
        ("key AKIAWRU6746O2J6NRDFG", "key [ACCESS-KEY-ID]"),
        ("user_id = AIDAVWQKLDLMQPG5BZ4EA", "user_id = [UNIQUE-ID]"),
        (
            "arn:aws:iam::111122223333:role/lab-StsRole-LUEFEU1UM1D1",
            "arn:aws:iam::[ACCOUNT]:role/lab-StsRole-[CFN-SUFFIX]",
        ),
        ("ok           59ms  ", "ok [TIME]  "),
        ("aws:epochtime = 1796626152", "aws:epochtime = [EPOCH]"),
        (
            r#"{"elapsed_ms":27,"request_ids":["a","b"]}"#,
            r#"{"elapsed_ms":"[MS]","request_ids":"[UUIDS]"}"#,
        ),
        ("http://127.0.0.1:4566", "http://127.0.0.1:[PORT]"),
        (
            r#""request_ids":["6149946c-7afe-95d3-7404-a5505e549f27"]"#,
            r#""request_ids":"[UUIDS]""#,
        ),
        ("Nothing is left.", "Nothing is left."),
    ];
    for (given, redacted) in cases {
        let mut text = given.to_owned();
        for (regex, replacement) in support::snapshot::filters(&[temp]) {
            text = regex_replace(&regex, &replacement, &text);
        }
        assert_eq!(text, redacted, "{given}");
    }
}

/// insta applies its filters with the regex crate, one after the other, each with
/// `replace_all`; this applies one the same way.
fn regex_replace(regex: &str, replacement: &str, text: &str) -> String {
    regex::Regex::new(regex)
        .unwrap()
        .replace_all(text, replacement)
        .into_owned()
}
