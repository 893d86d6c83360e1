//! A damaged `sandbox.db` stops every command that opens the sandbox, with exit 2, the
//! file's name and what a reset would lose, and leaves the file byte for byte as it
//! was: an emptied file (which used to become a new world, so `down` called every
//! resource "already gone" and exited 0), garbled pages (`serve` used to say
//! "listening" and answer 500 to everything), a file that is not `SQLite`, and another
//! program's `SQLite` database. With the database restored, `down` tears the run down.

#![expect(clippy::expect_used, reason = "test helpers fail loudly")]

mod support;

use std::io::Read as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::{AWSLAB, Lab, Target, plans, text};

/// Writes another program's `SQLite` database at `path`.
fn write_foreign_database(path: &Path) {
    let _ = std::fs::remove_file(path);
    let connection = rusqlite::Connection::open(path).expect("create");
    connection
        .execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .expect("write");
}

/// Garbles the page that holds the root of the `entities` table (the world's rows), from
/// its page header on: a damage every read of the world meets. (Garbling the middle of
/// the file instead depended on its page count: on some runs the bytes fell in a page's
/// unused space, which no check can or should call damage.)
fn garble(path: &Path) {
    let (page_size, root) = {
        let connection =
            rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("open");
        let page_size: usize = connection
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .expect("page size");
        let root: usize = connection
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'entities'",
                [],
                |row| row.get(0),
            )
            .expect("the entities table");
        (page_size, root)
    };
    let mut bytes = std::fs::read(path).expect("read");
    let start = (root - 1) * page_size;
    assert!(
        root > 1 && start + page_size <= bytes.len(),
        "page {root} of {} bytes",
        bytes.len()
    );
    bytes[start..start + page_size].fill(0x5a);
    std::fs::write(path, bytes).expect("garble");
}

/// Runs `awslab sandbox serve` on a free port; it must exit by itself (a refusal)
/// within `limit`, else it is stopped and the test fails. Returns its exit code and
/// stdout and stderr.
fn serve(lab: &Lab, limit: Duration) -> (Option<i32>, String, String) {
    let mut child = lab
        .command(AWSLAB)
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let status =
        status.unwrap_or_else(|| panic!("serve kept running on a damaged database: {stdout}"));
    (status.code(), stdout, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_database_is_refused_by_every_command() {
    refused_by_every_command("emptied", |path| std::fs::write(path, b"").expect("empty")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn garbled_pages_are_refused_by_every_command() {
    refused_by_every_command("garbled", garble).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_is_not_sqlite_is_refused_by_every_command() {
    refused_by_every_command("not a database", |path| {
        std::fs::write(path, "not a database\n".repeat(1_000)).expect("write");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_programs_database_is_refused_by_every_command() {
    refused_by_every_command("another program's database", write_foreign_database).await;
}

/// Makes a run on the sandbox, applies `damage` to its database, and checks that every
/// command that opens the sandbox refuses it (exit 2, the file named, the file as it
/// was), `serve` included; then restores the database and tears the run down.
async fn refused_by_every_command(damage: &str, apply: fn(&Path)) {
    let plan = plans().join("sts-assume-role.yaml");
    let plan = plan.to_str().expect("utf-8 path");
    let foreign = damage == "another program's database";
    let lab = Lab::on(Target::Sandbox, "damaged_sandbox")
        .await
        .expect("the sandbox never skips");
    let up = lab.awslab(&["up", plan, "--run-id", "lab"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    let database = lab.sandbox_dir().join("sandbox.db");
    let good = std::fs::read(&database).expect("the database");
    apply(&database);
    let damaged = std::fs::read(&database).expect("the damaged file");
    let shown = database.display().to_string();

    // `serve` exits at once, and never says it listens.
    let (code, stdout, stderr) = serve(&lab, Duration::from_secs(30));
    assert_eq!(code, Some(2), "{damage}: serve\n{stdout}\n{stderr}");
    assert!(!stdout.contains("listening"), "{damage}: {stdout}");
    assert!(stderr.contains(&shown), "{damage}: {stderr}");
    assert_eq!(std::fs::read(&database).expect("still there"), damaged);

    let commands: [&[&str]; 8] = [
        &["sandbox", "status"],
        &["sandbox", "env"],
        &["sandbox", "clock"],
        &["sandbox", "clock", "advance", "1h"],
        &["sandbox", "explain"],
        &["sandbox", "token", "--sub", "s", "--aud", "a"],
        &["up", plan, "--run-id", "again"],
        &["down", "lab"],
    ];
    for args in commands {
        let output = lab.awslab(args);
        let out = text(&output);
        let context = format!("{damage}: awslab {}\n{out}", args.join(" "));
        assert_eq!(output.status.code(), Some(2), "{context}");
        assert!(out.contains(&shown), "the file is named: {context}");
        assert!(out.contains("is damaged"), "what is wrong: {context}");
        let advice = if foreign {
            "belongs to another program"
        } else {
            "which loses"
        };
        assert!(
            out.contains("awslab sandbox reset") && out.contains(advice),
            "what to do, what a reset loses: {context}"
        );
        assert!(
            !out.contains("already gone") && !out.contains("Nothing is left"),
            "{context}"
        );
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains("export AWS_SECRET"),
            "{context}"
        );
        assert_eq!(
            std::fs::read(&database).expect("still there"),
            damaged,
            "the file is as it was: {context}"
        );
    }
    if damage == "emptied" {
        let output = lab.awslab(&["sandbox", "status"]);
        let out = text(&output);
        assert!(out.contains("the accounts and their users"), "{out}");
    }

    // The database restored, the run is torn down for real.
    std::fs::write(&database, &good).expect("restore");
    let down = lab.awslab(&["down", "lab"]);
    assert_eq!(down.status.code(), Some(0), "{damage}: {}", text(&down));
    assert!(
        !String::from_utf8_lossy(&down.stdout).contains("already gone"),
        "{}",
        text(&down)
    );
    assert_eq!(lab.inventory(), Vec::<String>::new(), "{damage}");
}

/// A `serve` killed while it holds the database leaves its write-ahead log; the next
/// commands replay it and lose nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_log_left_by_a_killed_serve_still_opens() {
    let lab = Lab::on(Target::Sandbox, "a_log_left_by_a_killed_serve_still_opens")
        .await
        .expect("the sandbox never skips");
    let mut served = lab
        .command(AWSLAB)
        .args(["sandbox", "serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut first = [0_u8; 32];
    served
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("serve starts");
    assert!(String::from_utf8_lossy(&first).contains("listening"));
    let advance = lab.awslab(&["sandbox", "clock", "advance", "2h"]);
    assert_eq!(advance.status.code(), Some(0), "{}", text(&advance));
    served.kill().expect("kill serve");
    served.wait().expect("reap serve");
    let wal = lab.sandbox_dir().join("sandbox.db-wal");
    let frames = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
    assert!(
        frames > 32,
        "the log holds the last commit ({frames} bytes)"
    );
    let clock = lab.awslab(&["sandbox", "clock"]);
    assert_eq!(clock.status.code(), Some(0), "{}", text(&clock));
    assert!(
        String::from_utf8_lossy(&clock.stdout).contains("2h ahead"),
        "{}",
        text(&clock)
    );
}
