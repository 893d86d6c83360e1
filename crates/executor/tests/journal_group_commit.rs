//! Group commit of the journal: barrier records (intents, a step's result, the run's
//! header and end) are durable when their append returns, and one sync covers every
//! line written before it, so a run makes one sync per barrier, not one per record; a
//! record reported appended survives the process being killed the next instant; lines
//! appended from many threads at once all arrive whole and the syncs never outnumber
//! the records.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use awslab_executor::journal::{
    Durability, Journal, Record, ResourceRef, RunId, RunMeta, RunStatus, TargetInfo, replay,
    timestamp_now,
};
use awslab_executor::resources;
use indexmap::IndexMap;

fn meta(run_id: &str) -> RunMeta {
    RunMeta {
        run_id: RunId::parse(run_id).unwrap(),
        plan_path: "plans/sts-assume-role.yaml".into(),
        plan_name: "sts-assume-role".into(),
        target: TargetInfo {
            profile: None,
            accounts: IndexMap::new(),
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

fn intent(step: &str, name: &str) -> Record {
    Record::Intent {
        account: None,
        step: step.into(),
        resource: user(name),
    }
}

fn created(step: &str, name: &str) -> Record {
    Record::Created {
        account: None,
        step: step.into(),
        resource: user(name),
        outputs: IndexMap::new(),
    }
}

fn finished(step: &str) -> Record {
    Record::StepFinished {
        step: step.into(),
        outputs: IndexMap::new(),
    }
}

/// True unless `AWSLAB_JOURNAL_GROUP_COMMIT` switches group commit off for this
/// process (the counts below are those of group commit).
fn group_commit_on() -> bool {
    !std::env::var("AWSLAB_JOURNAL_GROUP_COMMIT")
        .is_ok_and(|value| matches!(value.trim(), "off" | "0" | "false" | "no"))
}

#[test]
fn which_records_are_barriers() {
    assert_eq!(intent("a", "u").durability(), Durability::Barrier);
    assert_eq!(finished("a").durability(), Durability::Barrier);
    assert_eq!(
        Record::RunFinished {
            status: RunStatus::Succeeded
        }
        .durability(),
        Durability::Barrier
    );
    assert_eq!(
        Record::DeleteIntent {
            resource: user("u"),
            account: None
        }
        .durability(),
        Durability::Barrier
    );
    assert_eq!(created("a", "u").durability(), Durability::Deferred);
    assert_eq!(
        Record::Deleted {
            resource: user("u"),
            account: None,
            already_gone: false
        }
        .durability(),
        Durability::Deferred
    );
}

#[test]
fn one_sync_per_barrier_record_not_per_record() {
    if !group_commit_on() {
        eprintln!("SKIPPED: AWSLAB_JOURNAL_GROUP_COMMIT is off in this environment");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    // Creating a journal syncs its staged header and the run's folder.
    assert_eq!(journal.stats().syncs, 2);
    // A step that makes a user and its key: intent (sync), created (written), intent
    // (sync, covering the created before it), created, step_finished (sync).
    journal.append(&intent("user", "a")).unwrap();
    journal.append(&created("user", "a")).unwrap();
    journal.append(&intent("user", "b")).unwrap();
    journal.append(&created("user", "b")).unwrap();
    journal.append(&finished("user")).unwrap();
    let stats = journal.stats();
    assert_eq!(stats.records, 5);
    assert_eq!(stats.syncs, 2 + 3, "{stats:?}");
    // A deferred record on its own is not synced, `sync` makes it durable, and a
    // second `sync` with nothing new costs nothing.
    journal.append(&created("user", "c")).unwrap();
    assert_eq!(journal.stats().syncs, 5);
    journal.sync().unwrap();
    assert_eq!(journal.stats().syncs, 6);
    journal.sync().unwrap();
    assert_eq!(journal.stats().syncs, 6);
    let replayed = replay(journal.path()).unwrap();
    assert!(replayed.damage.is_empty(), "{:?}", replayed.damage);
    assert_eq!(replayed.resources.len(), 3);
    assert_eq!(replayed.finished, vec!["user".to_owned()]);
}

#[test]
fn a_journal_closed_after_a_deferred_record_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let journal = Journal::create(dir.path(), meta("run-2")).unwrap();
        journal.append(&intent("user", "a")).unwrap();
        journal.append(&created("user", "a")).unwrap();
        journal.path().to_owned()
    };
    // Reopened: nothing to cut, the created record is there.
    let journal = Journal::open(dir.path(), &RunId::parse("run-2").unwrap()).unwrap();
    assert_eq!(journal.stats().syncs, 0);
    let state = replay(&path).unwrap();
    assert!(state.damage.is_empty(), "{:?}", state.damage);
    assert_eq!(
        state.resources[0].state,
        awslab_executor::journal::ResourceState::Exists
    );
}

#[test]
fn appends_from_many_threads_arrive_whole_and_share_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-3")).unwrap();
    let threads = 8;
    let each = 25;
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let journal = journal.clone();
            scope.spawn(move || {
                for index in 0..each {
                    let step = format!("t{thread}-{index}");
                    journal.append(&intent(&step, &step)).unwrap();
                    journal.append(&created(&step, &step)).unwrap();
                    journal.append(&finished(&step)).unwrap();
                }
            });
        }
    });
    let stats = journal.stats();
    let records = u64::try_from(threads * each * 3).unwrap();
    assert_eq!(stats.records, records);
    // At most one sync per barrier record (two of every three), and never more.
    assert!(stats.syncs <= 2 + records * 2 / 3, "{stats:?}");
    let replayed = replay(journal.path()).unwrap();
    assert!(replayed.damage.is_empty(), "{:?}", replayed.damage);
    assert_eq!(replayed.resources.len(), threads * each);
    assert!(
        replayed
            .resources
            .iter()
            .all(|r| r.state == awslab_executor::journal::ResourceState::Exists)
    );
    assert_eq!(replayed.finished.len(), threads * each);
}

/// The child half of [`a_record_reported_appended_survives_a_kill`]: appends records to
/// the journal in `AWSLAB_TEST_JOURNAL_CHILD` and prints `appended N` after each append
/// returns, until killed (or after 10,000 records). Does nothing in a normal test run.
#[test]
fn child_appends_until_killed() {
    let Ok(dir) = std::env::var("AWSLAB_TEST_JOURNAL_CHILD") else {
        return;
    };
    let dir = Path::new(&dir);
    let journal = Journal::create(dir, meta("killed")).unwrap();
    println!("appended 0");
    for index in 1..=10_000 {
        let step = format!("s{index}");
        // Deferred and barrier records alternate: both count as appended.
        let record = if index % 2 == 1 {
            intent(&step, &step)
        } else {
            created(&format!("s{}", index - 1), &format!("s{}", index - 1))
        };
        journal.append(&record).unwrap();
        println!("appended {index}");
    }
}

#[test]
fn a_record_reported_appended_survives_a_kill() {
    for kill_after in [1_u64, 2, 7, 40, 41] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_appends_until_killed", "--nocapture"])
            .env("AWSLAB_TEST_JOURNAL_CHILD", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut reported = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(number) = line.strip_prefix("appended ") {
                reported = number.trim().parse::<u64>().unwrap();
                if reported >= kill_after {
                    child.kill().unwrap();
                    break;
                }
            }
        }
        let _ = child.wait();
        assert!(reported >= kill_after, "the child stopped at {reported}");
        let path =
            Journal::run_dir(dir.path(), &RunId::parse("killed").unwrap()).join(Journal::FILE_NAME);
        let state = replay(&path).unwrap();
        assert!(
            state.damage.is_empty(),
            "killed after {kill_after}: {:?}",
            state.damage
        );
        assert!(state.meta.is_some());
        // Every record reported is there, in order, with no gap: intents of s1, s3, ...
        // and the created records of the ones before them.
        let intents = usize::try_from(reported.div_ceil(2)).unwrap();
        assert!(
            state.resources.len() >= intents,
            "killed after {kill_after}: {} resources, {reported} records reported",
            state.resources.len()
        );
        for (index, live) in state.resources.iter().enumerate() {
            assert_eq!(
                live.step.as_deref(),
                Some(format!("s{}", index * 2 + 1).as_str()),
                "killed after {kill_after}"
            );
        }
        let created = usize::try_from(reported / 2).unwrap();
        assert!(
            state
                .resources
                .iter()
                .take(created)
                .all(|r| r.state == awslab_executor::journal::ResourceState::Exists),
            "killed after {kill_after}: {:?}",
            state.resources
        );
    }
}
