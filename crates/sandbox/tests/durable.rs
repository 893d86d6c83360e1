//! The durable store: a world shared by several openers of one state folder (each
//! its own `SQLite` connection, as separate processes are), committed atomically; the
//! database file is private; decisions are kept for `explain`.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_openers_of_one_folder_lose_no_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Sandbox::open(dir.path()).expect("open");
    let operator = Keys::operator(&first, ACCOUNT);
    let mut tasks = Vec::new();
    for index in 0..30 {
        let sandbox = Sandbox::open(dir.path()).expect("open again");
        let keys = operator.clone();
        tasks.push(tokio::spawn(async move {
            iam(&sandbox, &keys)
                .create_user()
                .user_name(format!("student-{index}"))
                .send()
                .await
                .map(|_| ())
        }));
    }
    for task in tasks {
        task.await.expect("join").expect("create user");
    }
    let reopened = Sandbox::open(dir.path()).expect("reopen");
    let users = &reopened.status().expect("status").accounts[0].users;
    assert_eq!(users.len(), 31, "{users:?}");
    assert_eq!(Keys::operator(&reopened, ACCOUNT).id, operator.id);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("sandbox.db"))
            .expect("db")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the database holds secrets");
    }
}

#[tokio::test]
async fn denials_are_explained_by_request_id_and_reset_forgets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let user = common::user_with_key(&sandbox, "learner").await;
    let denied = s3(&sandbox, &user, true)
        .list_buckets()
        .send()
        .await
        .expect_err("denied");
    let request_id = denied
        .meta()
        .extra("aws_request_id")
        .or_else(|| denied.meta().extra("s3_extended_request_id"))
        .expect("request id")
        .to_owned();
    let explanation = Sandbox::open(dir.path())
        .expect("another process")
        .explain(&request_id)
        .expect("explain")
        .expect("kept");
    assert!(
        explanation.contains("implicitDeny")
            && explanation.contains("arn:aws:iam::111122223333:user/learner"),
        "{explanation}"
    );
    assert!(!explanation.contains(&user.secret));

    let old = Keys::operator(&sandbox, ACCOUNT);
    sandbox.reset().expect("reset");
    assert_eq!(sandbox.explain(&request_id).expect("explain"), None);
    assert_ne!(Keys::operator(&sandbox, ACCOUNT).id, old.id);
    let stale = iam(&sandbox, &old)
        .list_users()
        .send()
        .await
        .expect_err("old key is gone");
    assert_eq!(stale.code(), Some("InvalidClientTokenId"));
}

#[test]
fn openers_racing_on_a_new_folder_agree_on_one_world() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new");
    let keys: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                scope.spawn(|| Keys::operator(&Sandbox::open(&path).expect("open"), ACCOUNT).id)
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("join"))
            .collect()
    });
    assert!(keys.windows(2).all(|pair| pair[0] == pair[1]), "{keys:?}");
}
