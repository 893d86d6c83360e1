//! How many `SQLite` commits a request costs, counted in the write-ahead log itself
//! (`sandbox.db-wal`: a frame that ends a transaction carries the database's size),
//! never by the store counting itself: a request commits its change and the decision
//! `explain` reads in one transaction, and a request that changes nothing and decides
//! nothing writes no frame at all.

mod common;

use std::path::Path;

use aws_sdk_iam::operation::RequestId as _;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam};

/// The commits in the write-ahead log of `sandbox.db` in `dir`: frames of the log's
/// current generation (their salts match its header's) whose header names a database
/// size, which only a transaction's last frame does.
fn commits_in_log(dir: &Path) -> usize {
    let Ok(log) = std::fs::read(dir.join("sandbox.db-wal")) else {
        return 0;
    };
    if log.len() < 32 {
        return 0;
    }
    let word = |at: usize| u32::from_be_bytes([log[at], log[at + 1], log[at + 2], log[at + 3]]);
    let page_size = word(8) as usize;
    let salts = (word(16), word(20));
    let mut commits = 0;
    let mut at = 32;
    while at + 24 + page_size <= log.len() {
        if (word(at + 8), word(at + 12)) != salts {
            break;
        }
        if word(at + 4) != 0 {
            commits += 1;
        }
        at += 24 + page_size;
    }
    commits
}

#[tokio::test]
async fn a_request_commits_once_with_its_decision_and_a_refused_one_not_at_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    let client = iam(&sandbox, &operator);
    client
        .create_user()
        .user_name("learner")
        .send()
        .await
        .expect("create user");

    // A change: its rows and its decision, one commit.
    let before = commits_in_log(dir.path());
    let put = client
        .put_user_policy()
        .user_name("learner")
        .policy_name("list")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("put user policy");
    assert_eq!(commits_in_log(dir.path()) - before, 1);
    let request_id = put.request_id().expect("request id").to_owned();
    let explained = Sandbox::open(dir.path())
        .expect("another process")
        .explain(&request_id)
        .expect("explain")
        .expect("kept with the change");
    assert!(explained.contains("iam:PutUserPolicy"), "{explained}");

    // A read: nothing changes, its decision is one commit.
    let before = commits_in_log(dir.path());
    client
        .get_user()
        .user_name("learner")
        .send()
        .await
        .expect("get user");
    assert_eq!(commits_in_log(dir.path()) - before, 1);

    // Refused before any decision (a key the sandbox never issued): no commit at all.
    let before = commits_in_log(dir.path());
    let stranger = Keys {
        id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
        token: None,
    };
    iam(&sandbox, &stranger)
        .get_user()
        .send()
        .await
        .expect_err("unknown key");
    assert_eq!(commits_in_log(dir.path()), before);
}
