//! Journal behaviour: records survive a replay, a torn last line loses nothing earlier,
//! an intent without a result still counts for teardown, files are private.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use awslab_executor::journal::{
    Journal, Record, ResourceRef, ResourceState, RunId, RunMeta, RunStatus, TargetInfo, list_runs,
    replay, timestamp_now,
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
            accounts: indexmap::IndexMap::new(),
            endpoint: Some("http://127.0.0.1:5000".into()),
            region: "us-east-1".into(),
            account: None,
            sandbox: None,
        },
        vars: IndexMap::from([("user".to_owned(), "sts-lab-user".to_owned())]),
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

fn created(step: &str, resource: ResourceRef, outputs: &[(&str, &str)]) -> Record {
    let outputs = outputs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Record::Created {
        account: None,
        step: step.into(),
        resource,
        outputs,
    }
}

fn intent(step: &str, resource: ResourceRef) -> Record {
    Record::Intent {
        account: None,
        step: step.into(),
        resource,
    }
}

fn labels(path: &Path) -> Vec<(String, ResourceState)> {
    replay(path)
        .unwrap()
        .resources
        .into_iter()
        .map(|live| (live.resource.label(), live.state))
        .collect()
}

#[test]
fn replays_created_and_deleted_resources_with_outputs_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    journal
        .append(&intent("user", user("sts-lab-user")))
        .unwrap();
    journal
        .append(&created(
            "user",
            user("sts-lab-user"),
            &[("arn", "arn:aws:iam::123456789012:user/sts-lab-user")],
        ))
        .unwrap();
    let key_intent = ResourceRef::IamAccessKey(resources::IamAccessKey {
        user: "sts-lab-user".into(),
        access_key_id: String::new(),
    });
    let key = ResourceRef::IamAccessKey(resources::IamAccessKey {
        user: "sts-lab-user".into(),
        access_key_id: "AKIAEXAMPLE".into(),
    });
    journal.append(&intent("user", key_intent)).unwrap();
    journal
        .append(&created(
            "user",
            key.clone(),
            &[("access_key_id", "AKIAEXAMPLE")],
        ))
        .unwrap();
    journal
        .append(&intent(
            "bucket",
            ResourceRef::S3Bucket(resources::S3Bucket { name: "b".into() }),
        ))
        .unwrap();
    journal
        .append(&created(
            "bucket",
            ResourceRef::S3Bucket(resources::S3Bucket { name: "b".into() }),
            &[],
        ))
        .unwrap();
    journal
        .append(&Record::DeleteIntent {
            account: None,
            resource: ResourceRef::S3Bucket(resources::S3Bucket { name: "b".into() }),
        })
        .unwrap();
    journal
        .append(&Record::Deleted {
            account: None,
            resource: ResourceRef::S3Bucket(resources::S3Bucket { name: "b".into() }),
            already_gone: false,
        })
        .unwrap();
    journal
        .append(&Record::RunFinished {
            status: RunStatus::Succeeded,
        })
        .unwrap();

    let state = replay(journal.path()).unwrap();
    assert_eq!(state.meta, Some(meta_with_time(&state, "run-1")));
    assert_eq!(state.status, Some(RunStatus::Succeeded));
    assert!(!state.torn_tail);
    let resources: Vec<_> = state
        .resources
        .iter()
        .map(|live| (&live.resource, &live.state))
        .collect();
    assert_eq!(
        resources,
        [
            (&user("sts-lab-user"), &ResourceState::Exists),
            (&key, &ResourceState::Exists)
        ]
    );
    assert_eq!(
        state.outputs["user"]["arn"],
        "arn:aws:iam::123456789012:user/sts-lab-user"
    );
    assert_eq!(state.outputs["user"]["access_key_id"], "AKIAEXAMPLE");
}

fn meta_with_time(state: &awslab_executor::journal::JournalState, run_id: &str) -> RunMeta {
    RunMeta {
        started_at: state.meta.as_ref().unwrap().started_at.clone(),
        ..meta(run_id)
    }
}

#[test]
fn intent_without_result_counts_as_may_exist() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    journal.append(&intent("user", user("a"))).unwrap();
    journal.append(&created("user", user("a"), &[])).unwrap();
    let stack = ResourceRef::CfnStack(resources::CfnStack {
        name: "sts-lab".into(),
        stack_id: None,
    });
    journal.append(&intent("stack", stack)).unwrap();
    journal.append(&intent("other", user("b"))).unwrap();
    journal
        .append(&Record::CreateFailed {
            account: None,
            step: "other".into(),
            resource: user("b"),
            error: "EntityAlreadyExists".into(),
        })
        .unwrap();

    assert_eq!(
        labels(journal.path()),
        [
            ("iam user a".to_owned(), ResourceState::Exists),
            (
                "cloudformation stack sts-lab".to_owned(),
                ResourceState::MayExist
            )
        ]
    );
}

#[test]
fn result_with_assigned_id_fulfils_its_intent() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    journal
        .append(&intent(
            "stack",
            ResourceRef::CfnStack(resources::CfnStack {
                name: "s".into(),
                stack_id: None,
            }),
        ))
        .unwrap();
    let full = ResourceRef::CfnStack(resources::CfnStack {
        name: "s".into(),
        stack_id: Some("arn:aws:cloudformation:stack/s/1".into()),
    });
    journal
        .append(&created("stack", full.clone(), &[]))
        .unwrap();
    let state = replay(journal.path()).unwrap();
    assert_eq!(state.resources.len(), 1);
    assert_eq!(state.resources[0].resource, full);
    journal
        .append(&Record::DeleteFailed {
            account: None,
            resource: full.clone(),
            error: "DELETE_FAILED".into(),
        })
        .unwrap();
    assert_eq!(
        labels(journal.path())[0].1,
        ResourceState::DeleteFailed {
            error: "DELETE_FAILED".into()
        }
    );
}

#[test]
fn tolerates_a_torn_last_line_and_reopening_cuts_it() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    journal.append(&intent("user", user("a"))).unwrap();
    journal.append(&created("user", user("a"), &[])).unwrap();
    let path = journal.path().to_owned();
    drop(journal);
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(br#"{"event":"intent","step":"role","resource":{"type":"iam_ro"#)
        .unwrap();
    drop(file);

    let state = replay(&path).unwrap();
    assert!(state.torn_tail);
    assert!(state.damage.is_empty());
    assert_eq!(
        labels(&path),
        [("iam user a".to_owned(), ResourceState::Exists)]
    );

    let reopened = Journal::open(dir.path(), &RunId::parse("run-1").unwrap()).unwrap();
    reopened
        .append(&intent(
            "role",
            ResourceRef::IamRole(resources::IamRole {
                name: "r".into(),
                role_id: None,
            }),
        ))
        .unwrap();
    let state = replay(&path).unwrap();
    assert!(!state.torn_tail);
    assert!(state.damage.is_empty());
    assert_eq!(state.resources.len(), 2);
}

#[test]
fn creates_journal_with_mode_0600_in_a_0700_directory() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-1")).unwrap();
    let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(journal.path()), 0o600);
    assert_eq!(mode(journal.path().parent().unwrap()), 0o700);
}

#[test]
fn refuses_to_create_a_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    Journal::create(dir.path(), meta("run-1")).unwrap();
    let error = Journal::create(dir.path(), meta("run-1")).unwrap_err();
    assert_eq!(error.to_string(), "run `run-1` already exists");
}

#[test]
fn rejects_run_ids_that_could_escape_the_state_directory() {
    for bad in ["", "../x", ".hidden", "a/b"] {
        assert!(RunId::parse(bad).is_err(), "{bad}");
    }
    let generated = RunId::generate();
    assert_eq!(RunId::parse(generated.as_str()).unwrap(), generated);
}

#[test]
fn lists_runs_with_status_and_live_resource_count() {
    let dir = tempfile::tempdir().unwrap();
    assert!(list_runs(dir.path()).unwrap().is_empty());
    let first = Journal::create(
        dir.path(),
        RunMeta {
            started_at: "2026-01-01T00:00:00Z".into(),
            expires_at: None,
            ..meta("b-run")
        },
    )
    .unwrap();
    first.append(&intent("user", user("a"))).unwrap();
    first
        .append(&Record::RunFinished {
            status: RunStatus::Failed,
        })
        .unwrap();
    Journal::create(
        dir.path(),
        RunMeta {
            started_at: "2026-02-01T00:00:00Z".into(),
            expires_at: None,
            ..meta("a-run")
        },
    )
    .unwrap();

    let runs = list_runs(dir.path()).unwrap();
    let summary: Vec<_> = runs
        .iter()
        .map(|run| (run.run_id.as_str(), run.status, run.live_resources))
        .collect();
    assert_eq!(
        summary,
        [("b-run", Some(RunStatus::Failed), 1), ("a-run", None, 0)]
    );
    assert_eq!(runs[0].plan_name.as_deref(), Some("sts-assume-role"));
}

#[test]
fn records_serialize_with_event_and_type_tags() {
    let record = intent("user", user("sts-lab-user"));
    let json = serde_json::to_string(&record).unwrap();
    assert_eq!(
        json,
        r#"{"event":"intent","step":"user","resource":{"type":"iam_user","name":"sts-lab-user"}}"#
    );
}

/// A plan of several accounts journals each resource with its account: same-named
/// users in two accounts replay as two resources, a killed run's open intent keeps
/// its account (so teardown looks there), and a delete removes only its own account's.
#[test]
fn same_named_resources_of_two_accounts_replay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::create(dir.path(), meta("run-accounts")).unwrap();
    let in_b = |record: Record| match record {
        Record::Intent { step, resource, .. } => Record::Intent {
            step,
            resource,
            account: Some("b".into()),
        },
        Record::Created {
            step,
            resource,
            outputs,
            ..
        } => Record::Created {
            step,
            resource,
            outputs,
            account: Some("b".into()),
        },
        other => other,
    };
    journal.append(&intent("twin-a", user("twin"))).unwrap();
    journal
        .append(&created("twin-a", user("twin"), &[]))
        .unwrap();
    journal
        .append(&in_b(intent("twin-b", user("twin"))))
        .unwrap();
    // Killed here: b's user may exist.
    let state = replay(
        &dir.path()
            .join("runs/run-accounts")
            .join(Journal::FILE_NAME),
    )
    .unwrap();
    let seen: Vec<(Option<String>, ResourceState)> = state
        .resources
        .iter()
        .map(|live| (live.account.clone(), live.state.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (None, ResourceState::Exists),
            (Some("b".to_owned()), ResourceState::MayExist)
        ]
    );
    // A's user deleted: b's stays.
    journal
        .append(&Record::Deleted {
            resource: user("twin"),
            already_gone: false,
            account: None,
        })
        .unwrap();
    let state = replay(
        &dir.path()
            .join("runs/run-accounts")
            .join(Journal::FILE_NAME),
    )
    .unwrap();
    assert_eq!(state.resources.len(), 1);
    assert_eq!(state.resources[0].account.as_deref(), Some("b"));
    // The account is written only when there is one: old readers see what they knew.
    let text = fs::read_to_string(
        dir.path()
            .join("runs/run-accounts")
            .join(Journal::FILE_NAME),
    )
    .unwrap();
    assert_eq!(text.matches("\"account\":\"b\"").count(), 1, "{text}");
}
