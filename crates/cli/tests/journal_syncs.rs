//! How many times the seed lab's `up` and `down` sync their journal, counted by the
//! journal itself (its `journal closed` debug event), on the sandbox: with group commit
//! one sync per barrier record (an intent, a step's result, the run's header and end),
//! and with `AWSLAB_JOURNAL_GROUP_COMMIT=off` one per record as before. A change that
//! syncs more than group commit needs fails here, without strace.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::process::Output;

use support::{AWSLAB, Lab, Target, plans, text};

/// `records=R syncs=S` of the `journal closed` event in `output`'s stderr.
fn journal_counts(output: &Output) -> (u64, u64) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.contains("journal closed"))
        .unwrap_or_else(|| panic!("no `journal closed` event:\n{}", text(output)));
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("no `{name}` in `{line}`"))
    };
    (field("records="), field("syncs="))
}

fn run(lab: &Lab, group_commit: &str, args: &[&str]) -> Output {
    let mut command = lab.command(AWSLAB);
    command
        .env("RUST_LOG", "awslab_executor::journal=debug")
        .env("AWSLAB_JOURNAL_GROUP_COMMIT", group_commit)
        .args(args);
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    output
}

/// (up records, up syncs, down records, down syncs) of one seed lab.
fn seed_lab(lab: &Lab, run_id: &str, group_commit: &str) -> (u64, u64, u64, u64) {
    let plan = plans().join("sts-assume-role.yaml");
    let up = run(
        lab,
        group_commit,
        &[
            "up",
            plan.to_str().unwrap(),
            "--target",
            "sandbox",
            "--run-id",
            run_id,
            "--parallel",
            "1",
        ],
    );
    let down = run(lab, group_commit, &["down", run_id]);
    assert!(
        String::from_utf8_lossy(&down.stdout).contains("Nothing is left."),
        "{}",
        text(&down)
    );
    let (up_records, up_syncs) = journal_counts(&up);
    let (down_records, down_syncs) = journal_counts(&down);
    (up_records, up_syncs, down_records, down_syncs)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_lab_syncs_its_journal_once_per_barrier_record() {
    let lab = Lab::on(Target::Sandbox, "journal_syncs").await.unwrap();
    // `up`: the header (its staged file and the folder: 2 syncs), then 15
    // records: 5 intents and 4 step results are barriers, and so is the run's end; the
    // 5 `created` ride on the next barrier's sync.
    let (records, syncs, down_records, down_syncs) = seed_lab(&lab, "gc", "on");
    assert_eq!((records, syncs), (15, 2 + 10), "up with group commit");
    // `down`: 5 delete intents and the run's end; the 5 `deleted` are deferred.
    assert_eq!(
        (down_records, down_syncs),
        (11, 6),
        "down with group commit"
    );

    // Group commit off: every record synced, as before it.
    let (records, syncs, down_records, down_syncs) = seed_lab(&lab, "each", "off");
    assert_eq!((records, syncs), (15, 2 + 15), "up, one sync per record");
    assert_eq!(
        (down_records, down_syncs),
        (11, 11),
        "down, one sync per record"
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "left behind");
}
