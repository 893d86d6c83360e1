//! Shared state on S3 (`--state s3://BUCKET/PREFIX`), on the sandbox, whose S3 holds
//! the state, and on moto (5.x answers S3 conditional writes: `If-None-Match: *` and
//! `If-Match` on `PutObject`, 412 `PreconditionFailed`): `up` in one folder, then `runs`
//! and `down` from another folder leave nothing; the S3 objects the run wrote hold no
//! secret; `env` elsewhere says the secrets stayed on their machine; two concurrent
//! `up`s of one run id: one wins, the other exits naming the holder, and the journal
//! stays whole; a damaged remote journal is reported as damage.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod support;

use std::io::BufRead as _;
use std::path::Path;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use support::{AWSLAB, Lab, Target, text};

const BUCKET: &str = "awslab-state";
const STATE: &str = "s3://awslab-state/ci";

const PLAN: &str = r#"
name: shared
description: A user with a key, run from one machine and torn down from another.
steps:
  user: { iam.user: { name: "sh-${run.id}", access_key: true } }
"#;

fn plan(lab: &Lab) -> String {
    let plan = lab.files.dir().join("shared.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    plan.to_str().unwrap().to_owned()
}

/// An S3 client on the lab's target (the sandbox in this process, or moto), as its
/// operator.
fn s3(lab: &Lab) -> aws_sdk_s3::Client {
    let builder = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            &lab.admin.access_key_id,
            &lab.admin.secret_access_key,
            None,
            None,
            "test",
        ))
        .force_path_style(true);
    let config = if let Some(url) = lab.endpoint_url() {
        let target = awslab_executor::Target::endpoint(url.to_owned(), "us-east-1", None);
        builder
            .endpoint_url(url)
            .http_client(target.http_client())
            .build()
    } else {
        let sandbox = awslab_sandbox::Sandbox::open(&lab.sandbox_dir()).unwrap();
        builder
            .endpoint_url(awslab_sandbox::IN_PROCESS_ENDPOINT)
            .http_client(sandbox.http_client())
            .build()
    };
    aws_sdk_s3::Client::from_conf(config)
}

async fn state_bucket(lab: &Lab) -> aws_sdk_s3::Client {
    let client = s3(lab);
    client.create_bucket().bucket(BUCKET).send().await.unwrap();
    client
}

/// Every object of the state bucket: key and bytes.
async fn objects(client: &aws_sdk_s3::Client) -> Vec<(String, Vec<u8>)> {
    let listed = client
        .list_objects_v2()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for object in listed.contents() {
        let key = object.key().unwrap().to_owned();
        let got = client
            .get_object()
            .bucket(BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        out.push((key, got.body.collect().await.unwrap().into_bytes().to_vec()));
    }
    out
}

/// `awslab ARGS` with the lab's environment but `state_dir` as the local state folder;
/// on moto, `AWS_ENDPOINT_URL` names it, so every command (and `--state`'s S3 client)
/// reaches it.
fn awslab_in(lab: &Lab, state_dir: &Path, args: &[&str]) -> std::process::Output {
    on_target(lab, state_dir).args(args).output().unwrap()
}

/// An `awslab` command with the lab's environment, `state_dir` as the local state
/// folder, and on moto `AWS_ENDPOINT_URL` naming it.
fn on_target(lab: &Lab, state_dir: &Path) -> std::process::Command {
    let mut command = lab.command(AWSLAB);
    command.env("AWSLAB_STATE_DIR", state_dir);
    if let Some(url) = lab.endpoint_url() {
        command.env("AWS_ENDPOINT_URL", url);
    }
    command
}

/// `up PLAN --run-id RUN --state STATE EXTRA` on the lab's target.
fn up_args<'a>(lab: &'a Lab, plan: &'a str, run: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut args: Vec<String> = ["up", plan, "--run-id", run, "--state", STATE]
        .iter()
        .map(|a| (*a).to_owned())
        .collect();
    args.extend(lab.up_args());
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// What the lab left, but the state bucket (it is the operator's, and holds the state).
fn left(lab: &Lab) -> Vec<String> {
    lab.inventory()
        .into_iter()
        .filter(|item| !item.contains(BUCKET))
        .collect()
}

async fn up_in_one_folder_then_runs_and_down_from_another_leave_nothing(lab: Lab) {
    let client = state_bucket(&lab).await;
    let plan = plan(&lab);
    let first = lab.files.dir().join("machine-a");
    let second = lab.files.dir().join("machine-b");

    let args = up_args(&lab, &plan, "shared1", &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let up = awslab_in(&lab, &first, &args);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let env = awslab_in(&lab, &first, &["env", "shared1", "user", "--state", STATE]);
    assert_eq!(env.status.code(), Some(0), "{}", text(&env));
    let exports = String::from_utf8_lossy(&env.stdout).into_owned();
    let secret = exports
        .lines()
        .find_map(|line| line.strip_prefix("export AWS_SECRET_ACCESS_KEY="))
        .expect("env prints the secret key")
        .trim_matches('\'')
        .to_owned();

    // Secrets never reach S3: every object the run wrote, read whole.
    let written = objects(&client).await;
    assert!(
        written
            .iter()
            .any(|(key, _)| key.starts_with("ci/runs/shared1/records/")),
        "{:?}",
        written.iter().map(|(key, _)| key).collect::<Vec<_>>()
    );
    for (key, bytes) in &written {
        assert!(
            !String::from_utf8_lossy(bytes).contains(&secret),
            "`{key}` holds the secret key"
        );
    }

    // Another machine: nothing local, everything from S3.
    let runs = awslab_in(&lab, &second, &["runs", "--state", STATE]);
    let out = text(&runs);
    assert_eq!(runs.status.code(), Some(0), "{out}");
    assert!(out.contains("State: s3://awslab-state/ci"), "{out}");
    assert!(
        out.contains("shared1") && out.contains("succeeded"),
        "{out}"
    );
    let env = awslab_in(&lab, &second, &["env", "shared1", "user", "--state", STATE]);
    let out = text(&env);
    assert_ne!(env.status.code(), Some(0), "{out}");
    assert!(out.contains("secrets never leave the machine"), "{out}");
    assert!(!out.contains(&secret), "{out}");

    let down = awslab_in(&lab, &second, &["down", "shared1", "--state", STATE]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(left(&lab), Vec::<String>::new());
    // The first machine sees the teardown too.
    let runs = awslab_in(&lab, &first, &["runs", "--state", STATE]);
    assert!(text(&runs).contains("torn down"), "{}", text(&runs));
    // No lock is left behind, and no object holds the secret.
    for (key, bytes) in objects(&client).await {
        assert!(!key.ends_with("/lock"), "`{key}` was left");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&secret),
            "`{key}`"
        );
    }
}

/// The test on each target: moto (with authorization off, see
/// [`Lab::on_moto_without_auth`]) and the sandbox.
macro_rules! on_moto_and_sandbox {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn moto() {
                let test = concat!(stringify!($name), "::moto");
                if let Some(lab) = super::Lab::on_moto_without_auth(test).await {
                    super::$name(lab).await;
                }
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn sandbox() {
                let test = concat!(stringify!($name), "::sandbox");
                let lab = super::Lab::on(super::Target::Sandbox, test).await;
                super::$name(lab.expect("the sandbox never skips")).await;
            }
        }
    };
}

on_moto_and_sandbox!(up_in_one_folder_then_runs_and_down_from_another_leave_nothing);

/// A user, then a verify that waits (denied where success is expected, retried until
/// the settle deadline on a sandbox with a propagation delay): a run that holds its
/// lock until it is interrupted.
const STUCK: &str = "name: stuck\nsteps:\n  user:\n    iam.user: { name: \"stuck-${run.id}\", access_key: true }\n  \
    waits:\n    verify: { as: user, call: s3.ListBuckets, expect: allow }\n";

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_ups_of_one_run_one_wins_and_the_journal_stays_whole() {
    let lab = Lab::on(Target::Sandbox, "shared_state_race").await.unwrap();
    let _client = state_bucket(&lab).await;
    let plan = lab.files.dir().join("stuck.yaml");
    std::fs::write(&plan, STUCK).unwrap();
    let plan = plan.to_str().unwrap();
    let first_dir = lab.files.dir().join("machine-a");
    let second_dir = lab.files.dir().join("machine-b");
    let up = [
        "up", plan, "--run-id", "race1", "--target", "sandbox", "--state", STATE,
    ];
    let mut first = lab.command(AWSLAB);
    first
        .env("AWSLAB_STATE_DIR", &first_dir)
        .args(up)
        .args(["--propagation-delay", "10ms", "--settle-timeout", "60"])
        .args(["--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut first = first.spawn().unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    // While the verify retries, the first `up` holds the run.
    for line in lines.by_ref() {
        if line
            .unwrap()
            .contains(r#""event":"retrying","step":"waits""#)
        {
            break;
        }
    }
    let second = awslab_in(&lab, &second_dir, &up);
    let out = text(&second);
    assert_ne!(second.status.code(), Some(0), "{out}");
    assert!(out.contains("run `race1` is in use by process"), "{out}");
    assert!(out.contains("(`awslab up`)"), "{out}");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    for _ in lines {}
    assert_eq!(first.wait().unwrap().code(), Some(130));

    // The journal is whole: a third folder reads it clean and tears the run down.
    let third = lab.files.dir().join("machine-c");
    let status = awslab_in(&lab, &third, &["status", "race1", "--state", STATE]);
    let out = text(&status);
    assert_eq!(status.status.code(), Some(0), "{out}");
    assert!(!out.to_lowercase().contains("damaged"), "{out}");
    assert!(out.contains("interrupted"), "{out}");
    let down = awslab_in(&lab, &third, &["down", "race1", "--state", STATE]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(left(&lab), Vec::<String>::new());
}

/// Sends `signal` (`-STOP`, `-CONT`) to process `pid`.
fn signal(signal: &str, pid: u32) {
    let sent = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} {pid}");
}

/// A process stopped with SIGSTOP, let go on again (SIGCONT) when this is dropped,
/// whether the test goes on or fails.
struct Paused(u32);

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0.to_string()])
            .status();
    }
}

/// The same race on moto, whose S3 answers conditional writes: the first `up` takes
/// the run's lock on S3 (a create with `If-None-Match: *`) and is paused (SIGSTOP after
/// its first event, which it prints once it holds the lock: no sleep, no timing); the
/// second exits naming the holder; the first, let go on, finishes, and the journal is
/// whole: a third folder reads it clean and tears the run down. (moto has no
/// propagation delay to keep a run waiting, as the sandbox variant does.)
#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_ups_of_one_run_on_moto_one_wins_and_the_journal_stays_whole() {
    let Some(lab) = Lab::on_moto_without_auth("shared_state_race_moto").await else {
        return;
    };
    let _client = state_bucket(&lab).await;
    let plan = plan(&lab);
    let args = up_args(&lab, &plan, "race3", &[]);
    let mut first = on_target(&lab, &lab.files.dir().join("machine-a"))
        .args(&args)
        .args(["--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = first.id();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    let event = lines.next().unwrap().unwrap();
    assert!(event.contains(r#""event""#), "{event}");
    signal("-STOP", pid);
    let paused = Paused(pid);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let second = awslab_in(&lab, &lab.files.dir().join("machine-b"), &args);
    let out = text(&second);
    assert_ne!(second.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("run `race3` is in use by process {pid}")),
        "{out}"
    );
    assert!(out.contains("(`awslab up`)"), "{out}");
    drop(paused);
    for _ in lines {}
    assert_eq!(first.wait().unwrap().code(), Some(0));

    let third = lab.files.dir().join("machine-c");
    let status = awslab_in(&lab, &third, &["status", "race3", "--state", STATE]);
    let out = text(&status);
    assert_eq!(status.status.code(), Some(0), "{out}");
    assert!(!out.to_lowercase().contains("damaged"), "{out}");
    assert!(out.contains("succeeded"), "{out}");
    let down = awslab_in(&lab, &third, &["down", "race3", "--state", STATE]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(left(&lab), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_or_raced_remote_journal_is_damage_never_clean() {
    let lab = Lab::on(Target::Sandbox, "shared_state_damage")
        .await
        .unwrap();
    let client = state_bucket(&lab).await;
    let plan = plan(&lab);
    let first = lab.files.dir().join("machine-a");
    let up = awslab_in(
        &lab,
        &first,
        &[
            "up", &plan, "--run-id", "dmg1", "--target", "sandbox", "--state", STATE,
        ],
    );
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    // A raced append: another writer's record 1 already exists, so the next writer of
    // that number is refused with 412 on a known key.
    let raced = client
        .put_object()
        .bucket(BUCKET)
        .key("ci/runs/dmg1/records/0000000001")
        .if_none_match("*")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"{}\n"))
        .send()
        .await;
    assert!(raced.is_err(), "record 1 was overwritten");
    // A lost record in the middle: a gap is damage.
    client
        .delete_object()
        .bucket(BUCKET)
        .key("ci/runs/dmg1/records/0000000001")
        .send()
        .await
        .unwrap();
    let second = lab.files.dir().join("machine-b");
    let runs = awslab_in(&lab, &second, &["runs", "--state", STATE]);
    let out = text(&runs);
    assert!(out.contains("DAMAGED journal"), "{out}");
    let down = awslab_in(&lab, &second, &["down", "dmg1", "--state", STATE]);
    let out = text(&down);
    assert_ne!(
        down.status.code(),
        Some(0),
        "a damaged journal never reads as clean: {out}"
    );
    assert!(out.to_lowercase().contains("damaged"), "{out}");
    // A bucket that does not exist: a clear error, and awslab does not create it.
    let missing = awslab_in(&lab, &second, &["runs", "--state", "s3://no-such-state/x"]);
    let out = text(&missing);
    assert_ne!(missing.status.code(), Some(0), "{out}");
    assert!(
        out.contains("awslab never creates the state bucket"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_lock_on_s3_refuses_and_an_expired_one_is_taken_over() {
    let lab = Lab::on(Target::Sandbox, "shared_state_lock").await.unwrap();
    let client = state_bucket(&lab).await;
    let plan = plan(&lab);
    let put_lock = |expires_at: i64| {
        client
            .put_object()
            .bucket(BUCKET)
            .key("ci/runs/lock1/lock")
            .body(aws_sdk_s3::primitives::ByteStream::from(
                format!(
                    r#"{{"host":"ci-runner-7","pid":4242,"command":"awslab up","expires_at":{expires_at}}}"#
                )
                .into_bytes(),
            ))
            .send()
    };
    // Another machine's `up` holds the run until 2100.
    put_lock(4_102_444_800).await.unwrap();
    let dir = lab.files.dir().join("machine-a");
    let args = [
        "up", &plan, "--run-id", "lock1", "--target", "sandbox", "--state", STATE,
    ];
    let refused = awslab_in(&lab, &dir, &args);
    let out = text(&refused);
    assert_ne!(refused.status.code(), Some(0), "{out}");
    assert!(
        out.contains("run `lock1` is in use by process 4242 on `ci-runner-7` (`awslab up`)"),
        "{out}"
    );
    assert!(
        objects(&client)
            .await
            .iter()
            .all(|(key, _)| !key.contains("/records/"))
    );
    // Its holder was killed and the lock expired: the next command takes it over.
    put_lock(1).await.unwrap();
    let up = awslab_in(&lab, &dir, &args);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let down = awslab_in(&lab, &dir, &["down", "lock1", "--state", STATE]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(left(&lab), Vec::<String>::new());
    assert!(
        objects(&client)
            .await
            .iter()
            .all(|(key, _)| !key.ends_with("/lock"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_append_that_loses_its_record_number_stops_and_leaves_the_winner_whole() {
    let lab = Lab::on(Target::Sandbox, "shared_state_raced_append")
        .await
        .unwrap();
    let client = state_bucket(&lab).await;
    let plan = lab.files.dir().join("stuck.yaml");
    std::fs::write(&plan, STUCK).unwrap();
    let plan = plan.to_str().unwrap();
    let mut first = lab.command(AWSLAB);
    first
        .env("AWSLAB_STATE_DIR", lab.files.dir().join("machine-a"))
        .args([
            "up", plan, "--run-id", "race2", "--target", "sandbox", "--state", STATE,
        ])
        .args(["--propagation-delay", "10ms", "--settle-timeout", "60"])
        .args(["--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut first = first.spawn().unwrap();
    let mut lines = std::io::BufReader::new(first.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line
            .unwrap()
            .contains(r#""event":"retrying","step":"waits""#)
        {
            break;
        }
    }
    // Another writer (a command that took the lock over) takes the next number first.
    let next = objects(&client)
        .await
        .iter()
        .filter(|(key, _)| key.starts_with("ci/runs/race2/records/"))
        .count();
    let key = format!("ci/runs/race2/records/{next:010}");
    let winner = b"{\"the other writer\":true}\n";
    client
        .put_object()
        .bucket(BUCKET)
        .key(&key)
        .if_none_match("*")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(winner))
        .send()
        .await
        .unwrap();
    // Ctrl-C: the interrupted `up` appends its `run_finished`, loses the number, stops.
    let sent = std::process::Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    for _ in lines {}
    let output = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("another command wrote the shared journal of run `race2` first"),
        "{stderr}"
    );
    let kept = objects(&client)
        .await
        .into_iter()
        .find(|(found, _)| *found == key)
        .unwrap();
    assert_eq!(kept.1, winner, "the winner's record was overwritten");
    assert!(
        objects(&client)
            .await
            .iter()
            .all(|(found, _)| found.as_str() <= key.as_str() || !found.contains("/records/")),
        "the loser wrote past the record it lost"
    );
}

/// The CI flow of `examples/github-actions.yml`: `up --state s3:// --ttl` on one
/// machine; on another, `sweep` knows the run from the shared journal, `reap` leaves it
/// while it has time left, and tears it down from that journal once the sandbox's clock
/// passes its expiry.
#[tokio::test(flavor = "multi_thread")]
async fn sweep_and_reap_on_another_machine_read_the_shared_journal() {
    let lab = Lab::on(Target::Sandbox, "shared_state_reap").await.unwrap();
    let _client = state_bucket(&lab).await;
    let plan = plan(&lab);
    let first = lab.files.dir().join("machine-a");
    let second = lab.files.dir().join("machine-b");
    let up = awslab_in(
        &lab,
        &first,
        &[
            "up", &plan, "--run-id", "ttl1", "--target", "sandbox", "--state", STATE, "--ttl", "1h",
        ],
    );
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));

    let sweep = awslab_in(&lab, &second, &["sweep", "--state", STATE]);
    let out = text(&sweep);
    assert_eq!(sweep.status.code(), Some(3), "{out}");
    assert!(out.contains("sh-ttl1"), "{out}");
    assert!(out.contains("known"), "{out}");
    assert!(!out.contains("no journal"), "{out}");

    let early = awslab_in(&lab, &second, &["reap", "--state", STATE]);
    let out = text(&early);
    assert_eq!(early.status.code(), Some(0), "{out}");
    assert!(out.contains("Nothing to reap"), "{out}");
    assert!(left(&lab).iter().any(|item| item.ends_with("sh-ttl1")));

    let advance = lab.awslab(&["sandbox", "clock", "advance", "2h"]);
    assert!(advance.status.success(), "{}", text(&advance));
    let reap = awslab_in(&lab, &second, &["reap", "--state", STATE, "--yes"]);
    let out = text(&reap);
    assert_eq!(reap.status.code(), Some(0), "{out}");
    assert!(
        out.contains("reap: run `ttl1` (journal): torn down"),
        "{out}"
    );
    assert_eq!(left(&lab), Vec::<String>::new(), "{out}");
    let runs = awslab_in(&lab, &first, &["runs", "--state", STATE]);
    assert!(text(&runs).contains("torn down"), "{}", text(&runs));
}
