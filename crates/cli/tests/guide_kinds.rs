#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

//! `awslab guide`'s checks of the kinds beyond the seed lab's (issue 20 §2), with the
//! real aws CLI against `awslab sandbox serve`; each test ends with `awslab down` of
//! the guide's run and an empty sandbox, what was made by hand included:
//! - `iam.role` (`plans/assume-role-iam.yaml`): a trust policy naming a service, not
//!   the account, is not done ("does not name the account"), nor a one-hour session limit;
//!   fixed, `--check` adopts it; `iam.trust_policy` untouched "does not name `ali-R`";
//!   `--auto` does the rest with every claim held;
//! - `s3.bucket`, `s3.object`: a missing bucket, a bucket made by hand (adopted with
//!   the run's tag), an object with another body, then the lab's;
//! - `iam.group`, `iam.group_membership`, `iam.group_policy` (a lab written here): a
//!   group policy that does not allow what the lab's does, then fixed; `iam.access_key`
//!   missing, then made by `--auto`;
//! - `sts.get_session_token`, `sts.get_federation_token`: `--auto` does
//!   `plans/session-token.yaml` and `plans/federation-token.yaml` with no step left to
//!   awslab, and no adopted secret reaches the output.

mod support;

use std::io::Write as _;
use std::process::{Output, Stdio};

use support::serve::{learner, serve};
use support::snapshot::stdout;
use support::{Lab, Target, plans, text};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// `output` exited with `code` and its stdout says `text`.
fn says(output: &Output, code: i32, says: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", text(output));
    assert!(stdout(output).contains(says), "{}", text(output));
}

/// Runs `awslab guide ARGS` with `input` on stdin.
fn guide_with_input(lab: &Lab, args: &[&str], input: &str) -> Output {
    let mut child = lab
        .command(AWSLAB)
        .arg("guide")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn guide");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn role_by_hand_wrong_trust_then_right_then_auto_then_down() {
    if !awslab_testkit::aws_cli_installed("guide's role checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_kinds_role")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = plans().join("assume-role-iam.yaml").display().to_string();
    let run = ["--run-id", "k1", "--sandbox-port", port.as_str()];
    // awslab does the bucket, its object and the user.
    let mut args = vec![plan.as_str()];
    args.extend(run);
    let skipped = guide_with_input(&lab, &args, "skip\nskip\n");
    assert!(stdout(&skipped).contains("role"), "{}", text(&skipped));
    let check = || -> Output {
        learner(
            &lab,
            &serve,
            &format!("'{AWSLAB}' guide '{plan}' --run-id k1 --sandbox-port {port} --check"),
        )
    };
    let missing = check();
    says(
        &missing,
        1,
        "the role `S3PrivetAccessRole-k1` does not exist yet",
    );
    // By hand, trusting a service instead of the account.
    let made = learner(
        &lab,
        &serve,
        r#"aws iam create-role --role-name S3PrivetAccessRole-k1 --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}' >/dev/null"#,
    );
    assert!(made.status.success(), "{}", text(&made));
    let wrong = check();
    says(
        &wrong,
        1,
        "the trust policy of the role `S3PrivetAccessRole-k1` does not name the account",
    );
    // The trust fixed; the session duration is still the default hour.
    let fixed = learner(
        &lab,
        &serve,
        r#"ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
aws iam update-assume-role-policy --role-name S3PrivetAccessRole-k1 --policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::$ACCOUNT:root\"},\"Action\":\"sts:AssumeRole\"}]}""#,
    );
    assert!(fixed.status.success(), "{}", text(&fixed));
    let short = check();
    says(
        &short,
        1,
        "allows sessions of 3600 seconds, the lab's 14400",
    );
    let longer = learner(
        &lab,
        &serve,
        "aws iam update-role --role-name S3PrivetAccessRole-k1 --max-session-duration 14400\naws iam attach-role-policy --role-name S3PrivetAccessRole-k1 --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    );
    assert!(longer.status.success(), "{}", text(&longer));
    let done = check();
    says(&done, 0, "done: the role `S3PrivetAccessRole-k1` exists");

    // Up to `only-ali` by awslab, whose trust policy still names the account alone.
    let mut skip = vec!["guide", plan.as_str()];
    skip.extend(run);
    skip.push("--skip");
    let mut current = check();
    for _ in 0..4 {
        if stdout(&current).contains("`only-ali` (iam.trust_policy)") {
            break;
        }
        let skipped = lab.awslab(&skip);
        assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped));
        current = check();
    }
    says(
        &current,
        1,
        "the trust policy of the role `S3PrivetAccessRole-k1` does not name `ali-k1`",
    );

    let mut args = vec!["guide", plan.as_str()];
    args.extend(run);
    args.push("--auto");
    let auto = lab.awslab(&args);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    assert!(out.contains("claims seen to hold: 3 of 3"), "{out}");
    assert!(
        out.contains("role                     done by hand"),
        "{out}"
    );

    let down = lab.awslab(&["down", "k1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// `guide --auto` on `plan` with the aws CLI against `serve`: every step checked (none
/// is left to awslab), every claim held; then `down` leaves nothing.
async fn auto_then_down(test: &str, plan: &str, run: &str, claims: &str, identities: &[&str]) {
    if !awslab_testkit::aws_cli_installed("guide --auto with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, test)
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = plans().join(plan).display().to_string();
    let auto = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        run,
        "--sandbox-port",
        &port,
        "--auto",
    ]);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    assert!(out.contains(claims), "{out}");
    assert!(!out.contains("skipped"), "no step is left to awslab: {out}");
    // The credentials the checks adopted (kept for the claims) never reach the output.
    if !identities.is_empty() {
        let secrets = support::snapshot::Secrets::of_run(&lab, run, identities);
        assert_eq!(secrets.len(), 4, "operator, user, session key and token");
        secrets.assert_absent("guide --auto stdout", &out);
        secrets.assert_absent("guide --auto stderr", &support::snapshot::stderr(&auto));
    }
    let down = lab.awslab(&["down", run]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_session_token_lab_then_down() {
    auto_then_down(
        "guide_kinds_session",
        "session-token.yaml",
        "k2",
        "claims seen to hold: 3 of 3",
        &["user", "session"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_federation_token_lab_then_down() {
    auto_then_down(
        "guide_kinds_federation",
        "federation-token.yaml",
        "k3",
        "claims seen to hold: 3 of 3",
        &["user", "guest"],
    )
    .await;
}

/// A lab of the group kinds and an access key (no lab in `plans/` uses them yet).
const GROUPS_LAB: &str = r#"name: guide-groups
description: A user gets S3 listing through a group's inline policy, then an access key.
steps:
  team:
    iam.group: { name: "team-${run.id}" }
  member:
    iam.user: { name: "member-${run.id}" }
  joins:
    iam.group_membership: { group: "${team.name}", user: "${member.name}" }
  team-lists:
    iam.group_policy:
      group: ${team.name}
      name: ListBucketsPolicy
      document:
        Version: "2012-10-17"
        Statement:
          - { Effect: Allow, Action: s3:ListAllMyBuckets, Resource: "arn:aws:s3:::*" }
          - { Effect: Allow, Action: s3:ListBucket, Resource: "arn:aws:s3:::team-bucket" }
  key:
    iam.access_key: { user: "${member.name}" }
"#;

#[tokio::test(flavor = "multi_thread")]
async fn groups_by_hand_wrong_policy_then_fixed_then_auto_then_down() {
    if !awslab_testkit::aws_cli_installed("guide's group checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_kinds_groups")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = lab.files.dir().join("groups.yaml");
    std::fs::write(&plan, GROUPS_LAB).unwrap();
    let plan = plan.display().to_string();
    let check = || -> Output {
        learner(
            &lab,
            &serve,
            &format!("'{AWSLAB}' guide '{plan}' --run-id k4 --sandbox-port {port} --check"),
        )
    };
    let untouched = check();
    says(&untouched, 1, "does not exist yet");
    // By hand: the group, the user, the membership, and a policy that lists the wrong
    // bucket.
    let made = learner(
        &lab,
        &serve,
        r#"aws iam create-group --group-name team-k4 >/dev/null
aws iam create-user --user-name member-k4 >/dev/null
aws iam add-user-to-group --group-name team-k4 --user-name member-k4
aws iam put-group-policy --group-name team-k4 --policy-name ListBucketsPolicy --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::other-bucket"}]}'"#,
    );
    assert!(made.status.success(), "{}", text(&made));
    // `--check` adopts each step done right, and stops at the policy.
    let mut last = check();
    for _ in 0..4 {
        if last.status.code() != Some(0) {
            break;
        }
        last = check();
    }
    says(
        &last,
        1,
        "the policy `ListBucketsPolicy` of the group `team-k4` does not allow `s3:ListBucket` on `arn:aws:s3:::team-bucket`",
    );
    let fixed = learner(
        &lab,
        &serve,
        r#"aws iam put-group-policy --group-name team-k4 --policy-name ListBucketsPolicy --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListBucket"],"Resource":"*"}]}'"#,
    );
    assert!(fixed.status.success(), "{}", text(&fixed));
    let done = check();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    // The access key: none yet, then by `--auto`.
    let no_key = check();
    says(&no_key, 1, "the user `member-k4` has no access key yet");
    let auto = lab.awslab(&[
        "guide",
        &plan,
        "--run-id",
        "k4",
        "--sandbox-port",
        &port,
        "--auto",
    ]);
    assert_eq!(auto.status.code(), Some(0), "{}", text(&auto));
    let out = stdout(&auto);
    for step in ["team ", "member ", "joins ", "team-lists "] {
        let line = out.lines().find(|l| l.trim_start().starts_with(step));
        assert!(
            line.is_some_and(|l| l.contains("done by hand")),
            "{step}: {out}"
        );
    }
    let secrets = support::snapshot::Secrets::of_run(&lab, "k4", &["key"]);
    secrets.assert_absent("guide --auto stdout", &out);
    secrets.assert_absent("guide --auto stderr", &support::snapshot::stderr(&auto));
    let down = lab.awslab(&["down", "k4"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_and_object_by_hand_then_down_deletes_them() {
    if !awslab_testkit::aws_cli_installed("guide's S3 checks with the aws CLI") {
        return;
    }
    let lab = Lab::on(Target::Sandbox, "guide_kinds_s3")
        .await
        .expect("the sandbox never skips");
    let serve = serve(&lab);
    let port = serve.port.to_string();
    let plan = plans().join("assume-role-iam.yaml").display().to_string();
    // The learner's files go to the lab's temporary folder.
    let dir = lab.files.dir().display().to_string();
    let check = || -> Output {
        learner(
            &lab,
            &serve,
            &format!("'{AWSLAB}' guide '{plan}' --run-id k5 --sandbox-port {port} --check"),
        )
    };
    let missing = check();
    says(&missing, 1, "the bucket `privet-k5` does not exist yet");
    let made = learner(
        &lab,
        &serve,
        "aws s3api create-bucket --bucket privet-k5 >/dev/null",
    );
    assert!(made.status.success(), "{}", text(&made));
    let bucket = check();
    says(
        &bucket,
        0,
        "the bucket `privet-k5` exists (tagged awslab:run=k5)",
    );
    // The user and the role are awslab's; then the object, first with another body.
    let args = [
        "guide",
        plan.as_str(),
        "--run-id",
        "k5",
        "--sandbox-port",
        port.as_str(),
        "--skip",
    ];
    for _ in ["ali", "role"] {
        let skipped = lab.awslab(&args);
        assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped));
    }
    let wrong = learner(
        &lab,
        &serve,
        &format!(
            "cd '{dir}' && printf 'bye' > body.txt && aws s3api put-object --bucket privet-k5 --key hello.txt --body body.txt >/dev/null"
        ),
    );
    assert!(wrong.status.success(), "{}", text(&wrong));
    let differs = check();
    says(
        &differs,
        1,
        "the object `hello.txt` in `privet-k5` is not the lab's (3 bytes, the lab's body is 18 bytes)",
    );
    let right = learner(
        &lab,
        &serve,
        &format!(
            "cd '{dir}' && printf 'hello from awslab\\n' > body.txt && aws s3api put-object --bucket privet-k5 --key hello.txt --body body.txt >/dev/null"
        ),
    );
    assert!(right.status.success(), "{}", text(&right));
    let done = check();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done));
    let down = lab.awslab(&["down", "k5"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    drop(serve);
    assert_eq!(lab.inventory(), Vec::<String>::new());
}

/// `iam.policy` (a customer managed policy as a user's permissions boundary).
#[tokio::test(flavor = "multi_thread")]
async fn auto_permissions_boundary_lab_then_down() {
    auto_then_down(
        "guide_kinds_boundary",
        "permissions-boundary.yaml",
        "k6",
        "claims seen to hold: 5 of 5",
        &[],
    )
    .await;
}

/// `iam.role` with `iam.role_policy`, assumed by a user.
#[tokio::test(flavor = "multi_thread")]
async fn auto_read_not_write_lab_then_down() {
    auto_then_down(
        "guide_kinds_read_not_write",
        "read-not-write.yaml",
        "k7",
        "claims seen to hold: 4 of 4",
        &[],
    )
    .await;
}

/// Two roles, the first trusted by the second (a role ARN in a trust policy).
#[tokio::test(flavor = "multi_thread")]
async fn auto_role_chaining_lab_then_down() {
    auto_then_down(
        "guide_kinds_role_chaining",
        "role-chaining.yaml",
        "k8",
        "claims seen to hold: 3 of 3",
        &[],
    )
    .await;
}
