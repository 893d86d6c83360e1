//! A damaged state database is refused, never replaced by a new world: an empty file,
//! one cut short, garbled pages, a file that is not `SQLite`, another program's
//! `SQLite` database. The refusal names the file and what a reset would lose, and the
//! file is byte for byte what it was. A write-ahead log left by a killed process is no
//! damage, and `reset` replaces a damaged file.
#![expect(clippy::expect_used, reason = "test helpers fail loudly")]

mod common;

use std::path::{Path, PathBuf};

use awslab_sandbox::Sandbox;
use awslab_sandbox::state::StoreError;
use common::{ACCOUNT, Keys, iam, s3};

/// A state folder whose world has 3 users of its own and a bucket with 2 objects.
async fn lived_in() -> (tempfile::TempDir, PathBuf, Keys) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    for name in ["ada", "grace", "edsger"] {
        iam(&sandbox, &operator)
            .create_user()
            .user_name(name)
            .send()
            .await
            .expect("create user");
    }
    let client = s3(&sandbox, &operator, true);
    client
        .create_bucket()
        .bucket("lab")
        .send()
        .await
        .expect("create bucket");
    for key in ["a", "b"] {
        client
            .put_object()
            .bucket("lab")
            .key(key)
            .body(vec![b'x'; 20_000].into())
            .send()
            .await
            .expect("put object");
    }
    drop(sandbox);
    let path = dir.path().join("sandbox.db");
    (dir, path, operator)
}

/// Opens `dir`, which must be refused as damaged with `problem` in the message, and
/// leaves the file as it was; returns the advice.
fn refused(dir: &Path, problem: &str) -> String {
    let path = dir.join("sandbox.db");
    let before = std::fs::read(&path).ok();
    let error = Sandbox::open(dir).expect_err("a damaged database is refused");
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains(problem),
        "{message}"
    );
    assert!(
        matches!(
            error,
            awslab_sandbox::SandboxError::Store(StoreError::Damaged { .. })
        ),
        "{error:?}"
    );
    let help = miette::Diagnostic::help(&error)
        .expect("advice")
        .to_string();
    assert!(help.contains("awslab sandbox reset"), "{help}");
    assert_eq!(std::fs::read(&path).ok(), before, "the file is unchanged");
    // Still refused: nothing was "repaired" on the way.
    assert!(Sandbox::open(dir).is_err());
    help
}

#[tokio::test]
async fn an_emptied_database_is_refused_not_made_a_new_world() {
    let (dir, path, _) = lived_in().await;
    std::fs::write(&path, b"").expect("empty it");
    let help = refused(dir.path(), "empty (0 bytes)");
    // Nothing can be counted: what a reset loses is listed by kind.
    assert!(help.contains("the accounts and their users"), "{help}");
    assert_eq!(std::fs::metadata(&path).expect("still there").len(), 0);
}

#[tokio::test]
async fn a_database_cut_short_is_refused() {
    let (dir, path, _) = lived_in().await;
    let bytes = std::fs::read(&path).expect("read");
    for length in [50, bytes.len() / 2] {
        std::fs::write(&path, &bytes[..length]).expect("cut it");
        refused(dir.path(), "cut short");
    }
}

#[tokio::test]
async fn garbled_pages_are_refused() {
    let (dir, path, _) = lived_in().await;
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() >= 16_384, "{} bytes", bytes.len());
    let middle = bytes.len() / 2;
    bytes[middle - 2_000..middle + 2_000].fill(0x5a);
    std::fs::write(&path, &bytes).expect("garble it");
    refused(dir.path(), "integrity check fails");
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused() {
    let (dir, path, _) = lived_in().await;
    std::fs::write(&path, "accounts:\n  - 111122223333\n".repeat(100)).expect("write");
    refused(dir.path(), "not an SQLite database");
}

#[test]
fn another_programs_sqlite_database_is_refused_and_not_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sandbox.db");
    {
        let connection = rusqlite::Connection::open(&path).expect("create");
        connection
            .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("write");
    }
    let help = refused(dir.path(), "not an awslab sandbox (its tables: `notes`)");
    assert!(help.contains("another program"), "{help}");
    let connection = rusqlite::Connection::open(&path).expect("open");
    let tables: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .expect("count");
    assert_eq!(tables, 1, "no awslab table was added");
}

#[tokio::test]
async fn a_refusal_counts_what_reset_would_lose_when_rows_can_be_read() {
    let (dir, path, _) = lived_in().await;
    {
        let connection = rusqlite::Connection::open(&path).expect("open");
        connection
            .execute("DELETE FROM meta", [])
            .expect("lose the meta row");
    }
    let help = refused(dir.path(), "`meta` row is missing");
    for counted in [
        "3 accounts",
        "6 users",
        "3 access keys",
        "1 bucket",
        "2 objects",
    ] {
        assert!(help.contains(counted), "{counted}: {help}");
    }
}

#[tokio::test]
async fn a_log_left_by_a_killed_process_is_replayed_not_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    iam(&sandbox, &operator)
        .create_user()
        .user_name("in-the-log")
        .send()
        .await
        .expect("create user");
    // What a kill leaves while the sandbox is open: the database and its log, whose
    // frames hold the last commits (not yet copied into the database).
    for name in ["sandbox.db", "sandbox.db-wal"] {
        std::fs::copy(dir.path().join(name), copy.path().join(name)).expect("copy");
    }
    let wal = std::fs::metadata(copy.path().join("sandbox.db-wal")).expect("log");
    assert!(wal.len() > 32, "the log holds frames");
    let reopened = Sandbox::open(copy.path()).expect("a log is no damage");
    let users = &reopened.status().expect("status").accounts[0].users;
    assert!(users.iter().any(|user| user == "in-the-log"), "{users:?}");
    assert_eq!(Keys::operator(&reopened, ACCOUNT).id, operator.id);
}

#[tokio::test]
async fn reset_replaces_a_damaged_database_and_its_log() {
    let (dir, path, operator) = lived_in().await;
    std::fs::write(&path, b"").expect("empty it");
    std::fs::write(dir.path().join("sandbox.db-wal"), vec![7; 4096]).expect("stale log");
    refused(dir.path(), "empty");
    let reset = Sandbox::open_reset(dir.path()).expect("reset");
    assert_ne!(Keys::operator(&reset, ACCOUNT).id, operator.id);
    let reopened = Sandbox::open(dir.path()).expect("open after reset");
    assert_eq!(
        Keys::operator(&reopened, ACCOUNT).id,
        Keys::operator(&reset, ACCOUNT).id
    );
    let users = &reopened.status().expect("status").accounts[0].users;
    assert_eq!(users.len(), 1, "a new world: {users:?}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.contains(".new-"))
        .collect();
    assert!(names.is_empty(), "no temporary file left: {names:?}");
}

#[test]
fn a_new_world_is_put_in_place_whole_and_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        names.iter().all(|name| name.starts_with("sandbox.db")),
        "no temporary file left: {names:?}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("sandbox.db"))
            .expect("db")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the database holds secrets");
    }
    drop(sandbox);
    // A missing database beside its log is damage too (the log is not a world).
    std::fs::copy(dir.path().join("sandbox.db"), dir.path().join("kept.db")).expect("copy");
    std::fs::remove_file(dir.path().join("sandbox.db")).expect("remove");
    std::fs::write(dir.path().join("sandbox.db-wal"), vec![7; 4096]).expect("log");
    let error = Sandbox::open(dir.path()).expect_err("refused");
    assert!(error.to_string().contains("missing"), "{error}");
    assert!(!dir.path().join("sandbox.db").exists());
}

#[tokio::test]
async fn a_store_that_fails_after_startup_answers_internal_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = Sandbox::open(dir.path()).expect("open");
    let operator = Keys::operator(&sandbox, ACCOUNT);
    // Another writer leaves a row this awslab cannot read: the next request's reload
    // fails.
    {
        let connection = rusqlite::Connection::open(dir.path().join("sandbox.db")).expect("open");
        connection
            .execute_batch(
                "UPDATE meta SET version = version + 1;
                 INSERT INTO entities (kind, scope, key, version, data)
                     SELECT 'unknown', '', 'x', version, '{}' FROM meta;",
            )
            .expect("write");
    }
    let error = iam(&sandbox, &operator)
        .list_users()
        .send()
        .await
        .expect_err("the store fails");
    let service = error.as_service_error().expect("an AWS error");
    assert_eq!(
        aws_sdk_iam::error::ProvideErrorMetadata::code(service),
        Some("InternalFailure"),
        "{error:?}"
    );
}

#[test]
fn a_temporary_database_left_by_a_killed_builder_is_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Sandbox::open(dir.path()).expect("a world"));
    let stale = dir.path().join(".sandbox.db.new-killed");
    let fresh = dir.path().join(".sandbox.db.new-building");
    for path in [&stale, &fresh] {
        std::fs::write(path, b"a world that never was").expect("write");
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_hours(1);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .and_then(|file| file.set_modified(old))
        .expect("age it");
    let _sandbox = Sandbox::open(dir.path()).expect("open");
    assert!(!stale.exists(), "the killed builder's file is removed");
    assert!(fresh.exists(), "a builder at work keeps its file");
}
