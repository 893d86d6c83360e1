//! The durable store: a world shared by several openers of one state folder (each
//! its own `SQLite` connection, as separate processes are), committed atomically; the
//! database file is private; decisions are kept for `explain`.

mod common;

use aws_sdk_iam::error::ProvideErrorMetadata as _;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3, sts};

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

    // An allowed request after it, whose explanation speaks of "an explicit deny"
    // (`sts:GetCallerIdentity` is answered even under one), hides no denial.
    sts(&sandbox, &user)
        .get_caller_identity()
        .send()
        .await
        .expect("who am I");
    let latest = sandbox
        .explain_latest_denial()
        .expect("explain")
        .expect("a denial");
    assert!(latest.contains(&request_id), "{latest}");

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

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one story told in order")]
async fn another_opener_sees_users_and_objects_created_changed_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let writer = Sandbox::open(dir.path()).expect("open");
    let reader = Sandbox::open(dir.path()).expect("another process");
    let operator = Keys::operator(&writer, ACCOUNT);
    let (write_iam, read_iam) = (iam(&writer, &operator), iam(&reader, &operator));
    let (write_s3, read_s3) = (s3(&writer, &operator, true), s3(&reader, &operator, true));
    // The reader has cached the world before the writer changes it.
    read_iam.list_users().send().await.expect("list users");

    write_iam
        .create_user()
        .user_name("student")
        .send()
        .await
        .expect("create user");
    write_s3
        .create_bucket()
        .bucket("lab")
        .send()
        .await
        .expect("bucket");
    write_s3
        .put_object()
        .bucket("lab")
        .key("notes.txt")
        .body(b"first".to_vec().into())
        .send()
        .await
        .expect("put");
    let user = read_iam
        .get_user()
        .user_name("student")
        .send()
        .await
        .expect("seen");
    assert_eq!(user.user().expect("user").path(), "/");
    let body = read_s3
        .get_object()
        .bucket("lab")
        .key("notes.txt")
        .send()
        .await
        .expect("seen")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert_eq!(&body[..], b"first");

    write_iam
        .tag_user()
        .user_name("student")
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("class")
                .value("a")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("tag user");
    write_s3
        .put_object()
        .bucket("lab")
        .key("notes.txt")
        .body(b"second".to_vec().into())
        .send()
        .await
        .expect("overwrite");
    let tags = read_iam
        .list_user_tags()
        .user_name("student")
        .send()
        .await
        .expect("seen");
    assert_eq!(tags.tags().len(), 1, "{tags:?}");
    assert_eq!(tags.tags()[0].value(), "a");
    let body = read_s3
        .get_object()
        .bucket("lab")
        .key("notes.txt")
        .send()
        .await
        .expect("seen")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert_eq!(&body[..], b"second");

    write_iam
        .delete_user()
        .user_name("student")
        .send()
        .await
        .expect("delete user");
    write_s3
        .delete_object()
        .bucket("lab")
        .key("notes.txt")
        .send()
        .await
        .expect("delete object");
    let gone = read_iam
        .get_user()
        .user_name("student")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), Some("NoSuchEntity"));
    let gone = read_s3
        .get_object()
        .bucket("lab")
        .key("notes.txt")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(gone.code(), Some("NoSuchKey"));
    // The reader's own change is seen by the writer too.
    read_s3
        .delete_bucket()
        .bucket("lab")
        .send()
        .await
        .expect("delete bucket");
    assert!(writer.status().expect("status").buckets.is_empty());
}

#[tokio::test]
async fn expired_sessions_answer_expired_token_then_are_forgotten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let user = common::user_with_key(&sandbox, "learner").await;
    let session = |sandbox: Sandbox, user: Keys| async move {
        let issued = sts(&sandbox, &user)
            .get_session_token()
            .duration_seconds(900)
            .send()
            .await
            .expect("session token");
        common::from_sts(issued.credentials().expect("credentials"))
    };
    let first = session(sandbox.clone(), user.clone()).await;
    assert_eq!(sandbox.status().expect("status").sessions, 1);

    // Expired for a day: AWS answers `ExpiredToken`, and so does the sandbox.
    sandbox.advance_clock(900 + 24 * 3600).expect("clock");
    let expired = sts(&sandbox, &first)
        .get_caller_identity()
        .send()
        .await
        .expect_err("expired");
    assert_eq!(expired.code(), Some("ExpiredToken"));
    session(sandbox.clone(), user.clone()).await;
    assert_eq!(sandbox.status().expect("status").sessions, 2, "still kept");

    // Expired for more than 36 hours: forgotten when the next session is issued.
    sandbox.advance_clock(13 * 3600).expect("clock");
    session(sandbox.clone(), user.clone()).await;
    let reopened = Sandbox::open(dir.path()).expect("another process");
    assert_eq!(reopened.status().expect("status").sessions, 2);
    let forgotten = sts(&reopened, &first)
        .get_caller_identity()
        .send()
        .await
        .expect_err("forgotten");
    assert_eq!(forgotten.code(), Some("InvalidClientTokenId"));
}
