//! A damaged journal is told apart from a run that created nothing: an emptied
//! journal, NUL bytes over its first records, a flipped byte, a missing journal are
//! damage (with the line); a torn last line is not; journals from before checksums
//! are still read. Also: the run lock, and resources left on purpose.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::fs;
use std::io::Write as _;

use awslab_executor::journal::{
    Damage, Journal, LineFault, Record, ResourceRef, RunId, RunLock, RunMeta, TargetInfo,
    list_runs, replay, timestamp_now,
};
use awslab_executor::resources;
use indexmap::IndexMap;

fn meta(run_id: &str) -> RunMeta {
    RunMeta {
        run_id: RunId::parse(run_id).unwrap(),
        plan_path: "plan.yaml".into(),
        plan_name: "plan".into(),
        target: TargetInfo {
            profile: None,
            accounts: indexmap::IndexMap::new(),
            endpoint: None,
            region: "us-east-1".into(),
            account: None,
            sandbox: None,
        },
        vars: IndexMap::new(),
        started_at: timestamp_now(),
        expires_at: None,
    }
}

fn user(name: &str) -> ResourceRef {
    ResourceRef::IamUser(resources::IamUser {
        name: name.into(),
        user_id: None,
    })
}

/// A run with three users created; returns the journal's path.
fn run_with_users(dir: &std::path::Path, run_id: &str) -> std::path::PathBuf {
    let journal = Journal::create(dir, meta(run_id)).unwrap();
    for name in ["a", "b", "c"] {
        journal
            .append(&Record::Intent {
                account: None,
                step: name.into(),
                resource: user(name),
            })
            .unwrap();
        journal
            .append(&Record::Created {
                account: None,
                step: name.into(),
                resource: user(name),
                outputs: IndexMap::new(),
            })
            .unwrap();
    }
    journal.path().to_owned()
}

#[test]
fn an_emptied_journal_is_damage_not_a_run_that_created_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    fs::write(&path, b"").unwrap();
    let state = replay(&path).unwrap();
    assert_eq!(state.damage, [Damage::Empty]);
    assert_eq!(state.damage_text(), "the journal is empty");
    let runs = list_runs(dir.path()).unwrap();
    assert_eq!(runs[0].damage.as_deref(), Some("the journal is empty"));
    assert!(runs[0].needs_teardown());
}

#[test]
fn nul_bytes_over_the_first_records_are_damage_and_later_records_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    let mut bytes = fs::read(&path).unwrap();
    let third_line = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0;
    bytes[..third_line].fill(0);
    fs::write(&path, &bytes).unwrap();
    let state = replay(&path).unwrap();
    assert!(state.is_damaged());
    assert!(
        state.damage.contains(&Damage::Line {
            number: 1,
            fault: LineFault::Unreadable
        }),
        "{:?}",
        state.damage
    );
    assert!(
        state.damage.contains(&Damage::NoHeader),
        "{:?}",
        state.damage
    );
    assert!(state.meta.is_none());
    // Users b and c are still named, and teardown will look for them.
    assert_eq!(state.resources.len(), 2);
}

#[test]
fn a_flipped_byte_in_the_middle_is_damage_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    let text = fs::read_to_string(&path).unwrap();
    // Line 4 is the intent for user `b`: make it name user `x` instead.
    let start: usize = text.lines().take(3).map(|l| l.len() + 1).sum();
    let at = start + text.lines().nth(3).unwrap().find(r#""name":"b""#).unwrap() + 8;
    let mut bytes = text.into_bytes();
    bytes[at] = b'x';
    fs::write(&path, &bytes).unwrap();
    let state = replay(&path).unwrap();
    assert_eq!(
        state.damage,
        [Damage::Line {
            number: 4,
            fault: LineFault::Checksum
        }]
    );
    assert_eq!(state.damage_text(), "line 4 does not match its checksum");
    assert!(state.meta.is_some());
}

#[test]
fn a_torn_last_line_is_not_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(br#"{"crc32":"0badf00d","record":{"event":"inte"#)
        .unwrap();
    drop(file);
    let state = replay(&path).unwrap();
    assert!(state.torn_tail);
    assert!(state.damage.is_empty(), "{:?}", state.damage);
    assert_eq!(state.resources.len(), 3);
}

#[test]
fn a_missing_journal_of_a_run_that_wrote_one_is_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    fs::remove_file(&path).unwrap();
    assert_eq!(replay(&path).unwrap().damage, [Damage::Missing]);
    assert_eq!(
        list_runs(dir.path()).unwrap()[0].damage.as_deref(),
        Some("the journal is missing")
    );
}

#[test]
fn a_journal_from_before_checksums_is_read_as_unchecked() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = Journal::run_dir(dir.path(), &RunId::parse("old").unwrap());
    fs::create_dir_all(&run_dir).unwrap();
    let lines = [
        serde_json::to_string(&Record::RunStarted(meta("old"))).unwrap(),
        serde_json::to_string(&Record::Intent {
            account: None,
            step: "a".into(),
            resource: user("a"),
        })
        .unwrap(),
    ];
    let path = run_dir.join(Journal::FILE_NAME);
    fs::write(&path, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let state = replay(&path).unwrap();
    assert!(state.damage.is_empty(), "{:?}", state.damage);
    assert_eq!(state.unchecked_records, 2);
    assert_eq!(state.resources.len(), 1);
}

#[test]
fn a_last_record_missing_only_its_line_break_is_kept_when_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    let mut bytes = fs::read(&path).unwrap();
    bytes.pop();
    fs::write(&path, &bytes).unwrap();
    assert_eq!(replay(&path).unwrap().resources.len(), 3);
    let journal = Journal::open(dir.path(), &RunId::parse("r1").unwrap()).unwrap();
    journal
        .append(&Record::Intent {
            account: None,
            step: "d".into(),
            resource: user("d"),
        })
        .unwrap();
    let state = replay(&path).unwrap();
    assert!(state.damage.is_empty(), "{:?}", state.damage);
    assert_eq!(state.resources.len(), 4);
}

#[test]
fn a_second_command_on_a_locked_run_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let run_id = RunId::parse("r1").unwrap();
    let held = RunLock::acquire(dir.path(), &run_id, "awslab up").unwrap();
    let error = RunLock::acquire(dir.path(), &run_id, "awslab down").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "run `r1` is in use by process {} (`awslab up`)",
            std::process::id()
        )
    );
    drop(held);
    RunLock::acquire(dir.path(), &run_id, "awslab down").unwrap();
}

#[test]
fn a_resource_left_on_purpose_is_no_longer_live() {
    let dir = tempfile::tempdir().unwrap();
    let path = run_with_users(dir.path(), "r1");
    let journal = Journal::open(dir.path(), &RunId::parse("r1").unwrap()).unwrap();
    journal
        .append(&Record::LeftOnPurpose {
            account: None,
            resource: user("b"),
            reason: "replaced".into(),
        })
        .unwrap();
    let state = replay(&path).unwrap();
    assert_eq!(state.resources.len(), 2);
    assert_eq!(state.left_on_purpose, [(user("b"), "replaced".to_owned())]);
}
