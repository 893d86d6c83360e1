//! The durable store's own tests: what a commit writes, what another opener sees,
//! migration of the first layout, and resets.

use super::{DecisionRecord, Outcome, SqliteStore, Store as _, StoreError, World};
use crate::state::blobs::{Body, Payload};
use crate::state::world::{Bucket, Object, User};

fn decision(request_id: &str, explanation: &str, denied: bool) -> DecisionRecord {
    DecisionRecord {
        request_id: request_id.to_owned(),
        at: 0,
        explanation: explanation.to_owned(),
        denied,
    }
}

/// An allowed request whose explanation speaks of denying, as
/// `sts:GetCallerIdentity`'s service rule does ("even under an explicit deny").
const ALLOWED_SPEAKING_OF_DENY: &str = "request b\nprincipal: u\naction: sts:GetCallerIdentity\ndecision: allowed (allowed by a service rule: answered even under an explicit deny)\ncontext: aws:username = Deny\n";
const DENIED: &str = "request a\nprincipal: u\naction: s3:ListAllMyBuckets\ndecision: implicitDeny (because no identity-based policy allows the s3:ListAllMyBuckets action)\n";

#[test]
fn the_latest_denial_is_found_behind_allowed_requests_that_mention_deny() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 0, 0);
    assert_eq!(store.latest_denial().unwrap(), None);
    store.record_decision(decision("a", DENIED, true)).unwrap();
    store
        .record_decision(decision("b", ALLOWED_SPEAKING_OF_DENY, false))
        .unwrap();
    assert_eq!(
        store
            .latest_denial()
            .unwrap()
            .map(|record| record.request_id),
        Some("a".to_owned())
    );
    assert!(!store.decision("b").unwrap().unwrap().denied);
}

/// Decisions recorded before the `denied` column existed are unknown, not guessed from
/// their text: `explain` of the latest denial skips them and their own explanation
/// says so.
#[test]
fn a_decisions_table_without_the_denied_column_gains_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 0, 0));
    {
        let connection = rusqlite::Connection::open(dir.path().join("sandbox.db")).unwrap();
        connection
            .execute_batch(
                "DROP TABLE decisions;
                 CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, explanation TEXT NOT NULL);",
            )
            .unwrap();
        for (id, text) in [("a", DENIED), ("b", ALLOWED_SPEAKING_OF_DENY)] {
            connection
                .execute(
                    "INSERT INTO decisions (request_id, at, explanation) VALUES (?1, 0, ?2)",
                    [id, text],
                )
                .unwrap();
        }
    }
    let store = open(dir.path(), 0, 0);
    assert_eq!(store.latest_denial().unwrap(), None);
    let old = store.decision("a").unwrap().unwrap();
    assert!(!old.denied);
    assert!(old.explanation.starts_with(DENIED), "{}", old.explanation);
    assert!(
        old.explanation.ends_with(super::decisions::UNKNOWN_DENIAL),
        "{}",
        old.explanation
    );
    store.record_decision(decision("c", DENIED, true)).unwrap();
    assert_eq!(
        store
            .latest_denial()
            .unwrap()
            .map(|record| record.request_id),
        Some("c".to_owned())
    );
}

fn user(name: &str) -> User {
    User {
        name: name.to_owned(),
        arn: format!("arn:aws:iam::111122223333:user/{name}"),
        ..User::default()
    }
}

/// An object for a world built outside a store (its body inline, moved to a blob
/// when the store writes the world).
fn object(body: &str) -> Object {
    Object {
        body: Body::inline(bytes::Bytes::from(body.as_bytes().to_vec())),
        etag: format!("\"{body}\""),
        ..Object::default()
    }
}

/// An object made in a transaction: its body staged in the world's ledger.
fn staged_object(world: &mut World, body: &str) -> Object {
    Object {
        body: world.blobs.stage(Payload::from(body.as_bytes().to_vec())),
        etag: format!("\"{body}\""),
        ..Object::default()
    }
}

/// A world of one account with `users` users and one bucket of `objects` objects.
fn world_of(users: usize, objects: usize) -> World {
    let mut world = crate::seed_world();
    let account = world.accounts.get_mut("111122223333").unwrap();
    for index in 0..users {
        account
            .users
            .insert(format!("user-{index}"), user(&format!("user-{index}")));
    }
    let mut bucket = Bucket {
        name: "lab".to_owned(),
        account: "111122223333".to_owned(),
        ..Bucket::default()
    };
    for index in 0..objects {
        bucket
            .objects
            .insert(format!("object-{index}"), object("body"));
    }
    world.buckets.insert("lab".to_owned(), bucket);
    world
}

fn open(dir: &std::path::Path, users: usize, objects: usize) -> SqliteStore {
    SqliteStore::open(dir, || world_of(users, objects)).unwrap()
}

fn read<T>(store: &SqliteStore, view: impl Fn(&World) -> T) -> T {
    let mut result = None;
    store
        .transact(&mut |world| {
            result = Some(view(world));
            Outcome::Discard
        })
        .unwrap();
    result.unwrap()
}

fn write(store: &SqliteStore, mut change: impl FnMut(&mut World)) {
    store
        .transact(&mut |world| {
            change(world);
            Outcome::Commit
        })
        .unwrap();
}

/// The whole world as JSON, to compare caches and databases.
fn snapshot(store: &SqliteStore) -> String {
    read(store, |world| serde_json::to_string(world).unwrap())
}

/// The single number `sql` answers in `store`'s database.
fn count(store: &SqliteStore, sql: &str) -> i64 {
    store
        .inner
        .lock()
        .unwrap()
        .connection
        .query_row(sql, [], |row| row.get(0))
        .unwrap()
}

/// Rows the database changed (inserted, updated, deleted) for `change`.
fn rows_changed_by(store: &SqliteStore, change: impl FnMut(&mut World)) -> u64 {
    let before = store.rows_changed();
    write(store, change);
    store.rows_changed() - before
}

fn rename_user(world: &mut World) {
    let account = world.accounts.get_mut("111122223333").unwrap();
    account.users.get_mut("user-3").unwrap().path = "/changed/".to_owned();
}

fn put_object(world: &mut World) {
    let object = staged_object(world, "new");
    let bucket = world.buckets.get_mut("lab").unwrap();
    bucket.objects.insert("object-3".to_owned(), object);
}

/// Puts an object over the size kept in its row: its body is a blob.
fn put_large_object(world: &mut World) {
    let body = "n".repeat(usize::try_from(crate::state::blobs::IN_ROW_BYTES).unwrap() + 1);
    let object = staged_object(world, &body);
    let bucket = world.buckets.get_mut("lab").unwrap();
    bucket.objects.insert("object-4".to_owned(), object);
}

#[test]
fn a_commit_writes_the_rows_it_changed_whatever_the_world_size() {
    let small = tempfile::tempdir().unwrap();
    let large = tempfile::tempdir().unwrap();
    let small = open(small.path(), 10, 10);
    let large = open(large.path(), 5_000, 5_000);
    // The account's or bucket's own row, the entity's row, the version (and a large
    // object's one chunk of body).
    for store in [&small, &large] {
        assert_eq!(rows_changed_by(store, rename_user), 3);
        assert_eq!(rows_changed_by(store, put_large_object), 4);
        // A small object's body is in its row: no chunk.
        assert_eq!(rows_changed_by(store, put_object), 3);
        assert_eq!(
            rows_changed_by(store, |world| {
                world.clock_offset_seconds += 60;
            }),
            2
        );
        // A transaction that changed nothing writes nothing.
        assert_eq!(rows_changed_by(store, |_| {}), 0);
    }
}

#[test]
fn a_multipart_part_is_a_row_of_its_own() {
    use crate::model::s3::{Part, Upload, part_key};
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 0, 0);
    let part = |world: &mut World, byte: u8| Part {
        body: world.blobs.stage(Payload::from(vec![byte; 100_000])),
        etag: "etag".to_owned(),
        modified: 0,
    };
    write(&store, |world| {
        let part = part(world, 1);
        let bucket = world.buckets.get_mut("lab").unwrap();
        bucket.uploads.insert("up".to_owned(), Upload::default());
        bucket.parts.insert(part_key("up", 1), part);
    });
    // The bucket's own row, the new part's row and its body's one chunk, the version:
    // whatever the upload holds.
    for number in 2..=4 {
        assert_eq!(
            rows_changed_by(&store, |world| {
                let part = part(world, 2);
                let bucket = world.buckets.get_mut("lab").unwrap();
                bucket.parts.insert(part_key("up", number), part);
            }),
            4
        );
    }
    let sizes: Vec<(String, i64)> = {
        let cached = store.inner.lock().unwrap();
        let mut statement = cached
            .connection
            .prepare("SELECT kind, length(data) FROM entities WHERE scope = 'lab' AND kind IN ('upload', 'part') ORDER BY kind, key")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    // Four part rows, each naming its own blob (the bytes are in `blob_chunks`, not in
    // the rows), and the upload's small row.
    assert_eq!(sizes.len(), 5, "{sizes:?}");
    assert!(
        sizes[..4]
            .iter()
            .all(|(kind, size)| kind == "part" && *size < 1_000),
        "{sizes:?}"
    );
    assert!(sizes[4].0 == "upload" && sizes[4].1 < 1_000, "{sizes:?}");
    assert_eq!(
        count(
            &store,
            "SELECT count(DISTINCT blob) FROM blob_chunks WHERE length(data) = 100000"
        ),
        4
    );
    // Another opener sees the parts; deleting the bucket deletes them.
    let other = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&other), snapshot(&store));
    write(&store, |world| {
        world.buckets.remove("lab");
    });
    read(&other, |world| assert!(!world.buckets.contains_key("lab")));
    let left = count(
        &store,
        "SELECT count(*) FROM entities WHERE kind = 'part' AND data IS NOT NULL",
    );
    assert_eq!(left, 0);
}

#[test]
fn another_opener_sees_creations_updates_and_deletions() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), 5, 5);
    let second = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&first), snapshot(&second));
    write(&first, |world| {
        let account = world.accounts.get_mut("111122223333").unwrap();
        account.users.insert("new".to_owned(), user("new"));
        account.users.remove("user-0");
        rename_user(world);
        put_object(world);
        world
            .buckets
            .get_mut("lab")
            .unwrap()
            .objects
            .remove("object-0");
        world.buckets.insert("other".to_owned(), Bucket::default());
        let object = staged_object(world, "x");
        world
            .buckets
            .get_mut("other")
            .unwrap()
            .objects
            .insert("x".to_owned(), object);
    });
    assert_eq!(snapshot(&first), snapshot(&second));
    read(&second, |world| {
        let users = &world.account("111122223333").unwrap().users;
        assert!(users.contains_key("new") && !users.contains_key("user-0"));
        assert_eq!(users.get("user-3").unwrap().path, "/changed/");
        let objects = &world.buckets.get("lab").unwrap().objects;
        let body = &objects.get("object-3").unwrap().body;
        assert_eq!(
            world.blobs.read_to_vec(body, 1024).unwrap().unwrap(),
            b"new"
        );
        assert!(!objects.contains_key("object-0"));
        assert!(
            world
                .buckets
                .get("other")
                .unwrap()
                .objects
                .contains_key("x")
        );
    });
    // A bucket removed with its objects, then made again empty, by the other.
    write(&second, |world| {
        world.buckets.remove("other");
        world.buckets.insert("other".to_owned(), Bucket::default());
    });
    assert_eq!(snapshot(&first), snapshot(&second));
    read(&first, |world| {
        assert!(world.buckets.get("other").unwrap().objects.is_empty());
    });
    // A third opener loads the same world whole.
    let third = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&first), snapshot(&third));
}

#[test]
fn a_discarded_transaction_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 5, 5);
    let before = snapshot(&store);
    let changed = store.rows_changed();
    store
        .transact(&mut |world| {
            rename_user(world);
            put_object(world);
            let account = world.accounts.get_mut("111122223333").unwrap();
            account.users.insert("ghost".to_owned(), user("ghost"));
            account.users.remove("user-1");
            world.buckets.remove("lab");
            world.buckets.insert("ghost".to_owned(), Bucket::default());
            world.clock_offset_seconds = 99;
            world.issuer_secret = "changed".to_owned();
            Outcome::Discard
        })
        .unwrap();
    assert_eq!(store.rows_changed(), changed, "nothing was written");
    assert_eq!(snapshot(&store), before, "the cache is the database again");
    let reopened = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&reopened), before);
}

#[test]
fn tombstones_are_dropped_and_an_old_cache_reloads_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 1, 0);
    let stale = open(dir.path(), 0, 0);
    let _ = snapshot(&stale);
    for round in 0..600 {
        write(&store, |world| {
            let account = world.accounts.get_mut("111122223333").unwrap();
            account.users.insert(format!("temp-{round}"), user("temp"));
            if round > 0 {
                account.users.remove(&format!("temp-{}", round - 1));
            }
        });
    }
    let tombstones = count(&store, "SELECT count(*) FROM entities WHERE data IS NULL");
    assert!(tombstones <= 2 * super::TOMBSTONE_VERSIONS, "{tombstones}");
    assert_eq!(snapshot(&stale), snapshot(&store));
    read(&stale, |world| {
        let users = &world.account("111122223333").unwrap().users;
        assert!(users.contains_key("temp-599") && !users.contains_key("temp-598"));
    });
}

/// Writes a database of the first layout: the world as one JSON document.
fn write_legacy(dir: &std::path::Path, data: &str) {
    let connection = rusqlite::Connection::open(dir.join("sandbox.db")).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE world (id INTEGER PRIMARY KEY CHECK (id = 0), version INTEGER NOT NULL, data TEXT NOT NULL);
             CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL, explanation TEXT NOT NULL);",
        )
        .unwrap();
    connection
        .execute(
            "INSERT INTO world (id, version, data) VALUES (0, 7, ?1)",
            [data],
        )
        .unwrap();
}

#[test]
fn the_one_document_layout_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let mut legacy = world_of(2, 2);
    legacy.clock_offset_seconds = 3600;
    // The first layout stored the world's serialization, maps as JSON objects.
    let data = serde_json::to_string(&legacy).unwrap();
    assert!(data.contains(r#""users":{"awslab-operator":"#));
    write_legacy(dir.path(), &data);
    let store = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&store), data);
    let tables = count(
        &store,
        "SELECT count(*) FROM sqlite_master WHERE name = 'world'",
    );
    assert_eq!(tables, 0, "the old table is gone");
    assert_eq!(snapshot(&open(dir.path(), 0, 0)), data);
    // Its decisions table, of the first layout too, takes new decisions.
    store.record_decision(decision("a", DENIED, true)).unwrap();
    assert!(store.latest_denial().unwrap().is_some());
}

#[test]
fn an_unreadable_old_document_is_an_error_and_reset_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    write_legacy(dir.path(), "{not json");
    let error = SqliteStore::open(dir.path(), World::default).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    let help = miette::Diagnostic::help(&error).unwrap().to_string();
    assert!(help.contains("awslab sandbox reset"), "{help}");
    // Still there for a look, until the user resets.
    let error = SqliteStore::open(dir.path(), World::default).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }));
    let store = SqliteStore::open_replacing(dir.path(), || world_of(1, 0)).unwrap();
    let again = open(dir.path(), 0, 0);
    assert_eq!(snapshot(&store), snapshot(&again));
    read(&again, |world| {
        assert!(
            world
                .account("111122223333")
                .unwrap()
                .users
                .contains_key("user-0")
        );
    });
}

#[test]
fn a_newer_layout_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 0, 0));
    let connection = rusqlite::Connection::open(dir.path().join("sandbox.db")).unwrap();
    connection
        .execute("UPDATE meta SET format = 99", [])
        .unwrap();
    let error = SqliteStore::open(dir.path(), World::default).unwrap_err();
    assert!(error.to_string().contains("layout 99"), "{error}");
}

#[test]
fn a_reset_is_seen_by_another_opener() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path(), 5, 5);
    let second = open(dir.path(), 0, 0);
    let _ = snapshot(&second);
    first.replace(world_of(1, 0)).unwrap();
    assert_eq!(snapshot(&first), snapshot(&second));
    let third = SqliteStore::open_replacing(dir.path(), || world_of(0, 1)).unwrap();
    assert_eq!(snapshot(&third), snapshot(&second));
    read(&first, |world| {
        assert_eq!(world.buckets.get("lab").unwrap().objects.len(), 1);
    });
}

/// How many rows `store`'s lazy cache read so far.
fn rows_read(store: &SqliteStore) -> u64 {
    store.inner.lock().unwrap().reader.rows_read()
}

#[test]
fn a_request_reads_only_the_rows_it_touches() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 2_000, 2_000));
    // Another process: its cache starts from the world's row alone.
    let store = SqliteStore::open(dir.path(), World::default).unwrap();
    let path = read(&store, |world| {
        let account = world.account("111122223333").unwrap();
        account.users.get("user-7").unwrap().path.clone()
    });
    assert_eq!(path, "");
    // The account's row and the user's row.
    assert_eq!(rows_read(&store), 2);
    assert!(read(&store, |world| world
        .accounts
        .get("111122223333")
        .unwrap()
        .users
        .get("nobody")
        .is_none()));
    // Read once: a second read of either is the cache's.
    read(&store, |world| {
        let account = world.account("111122223333").unwrap();
        assert!(account.users.get("user-7").is_some());
        assert!(account.users.get("nobody").is_none());
    });
    assert_eq!(rows_read(&store), 2);
    // Writing one object reads that bucket, not its objects.
    write(&store, put_object);
    assert!(rows_read(&store) <= 4, "{}", rows_read(&store));
    // Listing a table reads that table, in that scope.
    let users = read(&store, |world| {
        world.accounts.get("111122223333").unwrap().users.len()
    });
    assert_eq!(users, 2_001);
    assert!(rows_read(&store) < 2_010, "{}", rows_read(&store));
}

#[test]
fn a_listing_sees_the_transactions_own_changes() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 5, 0));
    let store = SqliteStore::open(dir.path(), World::default).unwrap();
    let names = std::cell::RefCell::new(Vec::new());
    store
        .transact(&mut |world| {
            let account = world.accounts.get_mut("111122223333").unwrap();
            account.users.insert("new".to_owned(), user("new"));
            account.users.remove("user-1");
            account.users.get_mut("user-2").unwrap().path = "/changed/".to_owned();
            *names.borrow_mut() = account
                .users
                .values()
                .map(|user| format!("{}{}", user.path, user.name))
                .collect();
            Outcome::Commit
        })
        .unwrap();
    let expected = [
        "/changed/user-2",
        "/awslab-operator",
        "new",
        "user-0",
        "user-3",
        "user-4",
    ];
    let mut names = names.into_inner();
    names.sort();
    let mut expected = expected.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(names, expected);
    // What it committed is what a cold cache reads.
    let cold = SqliteStore::open(dir.path(), World::default).unwrap();
    assert_eq!(snapshot(&cold), snapshot(&store));
}

#[test]
fn a_row_that_cannot_be_read_fails_the_transaction_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path(), 3, 0));
    {
        let connection = rusqlite::Connection::open(dir.path().join("sandbox.db")).unwrap();
        connection
            .execute(
                "UPDATE entities SET data = '{not json' WHERE kind = 'user' AND key = 'user-1'",
                [],
            )
            .unwrap();
    }
    let store = SqliteStore::open(dir.path(), World::default).unwrap();
    let error = store
        .transact(&mut |world| {
            let account = world.accounts.get_mut("111122223333").unwrap();
            account.users.insert("new".to_owned(), user("new"));
            let _ = account.users.get("user-1");
            Outcome::Commit
        })
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert_eq!(
        count(&store, "SELECT count(*) FROM entities WHERE key = 'new'"),
        0
    );
    // Other rows still serve.
    assert!(read(&store, |world| world
        .accounts
        .get("111122223333")
        .unwrap()
        .users
        .get("user-0")
        .is_some()));
}

/// A row this awslab cannot read fails every transaction that would apply it, again on
/// a retry, and a cache that starts cold, which never reads it, too.
#[test]
fn a_row_of_unknown_kind_fails_every_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 0, 0);
    read(&store, |world| world.accounts.len());
    {
        let connection = rusqlite::Connection::open(dir.path().join("sandbox.db")).unwrap();
        connection
            .execute_batch(
                "UPDATE meta SET version = version + 1;
                 INSERT INTO entities (kind, scope, key, version, data)
                     SELECT 'unknown', '', 'x', version, '{}' FROM meta;",
            )
            .unwrap();
    }
    for _retry in 0..2 {
        let error = store.transact(&mut |_| Outcome::Discard).unwrap_err();
        assert!(
            error.to_string().contains("unknown kind `unknown`"),
            "{error}"
        );
    }
    let cold = SqliteStore::open(dir.path(), World::default).unwrap();
    let error = cold.transact(&mut |_| Outcome::Discard).unwrap_err();
    assert!(
        error.to_string().contains("unknown kind `unknown`"),
        "{error}"
    );
}
