//! `down`, `status` and `runs` on a damaged journal, on the sandbox: an emptied
//! journal, NUL bytes over its first records and a flipped byte are damage (exit 3,
//! the file and line, the run's tag to find what remains, never "Nothing is left.");
//! a torn last line is still only a torn write (exit 0).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::path::PathBuf;

use support::{Lab, Target, text};

const PLAN: &str = r#"
name: damaged
steps:
  user: { iam.user: { name: "dmg-${run.id}" } }
  group: { iam.group: { name: "dmg-${run.id}" } }
"#;

async fn lab() -> Lab {
    Lab::on(Target::Sandbox, "damaged_journal").await.unwrap()
}

/// Runs the plan as `run_id` and returns its journal's path.
fn up(lab: &Lab, run_id: &str) -> PathBuf {
    let plan = lab.files.dir().join("damaged.yaml");
    std::fs::write(&plan, PLAN).unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", run_id]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    lab.state_dir
        .join("runs")
        .join(run_id)
        .join("journal.jsonl")
}

/// `down RUN` fails with exit 3, names the damage and the tag; `status` and `runs`
/// show the run as damaged.
fn assert_damaged(lab: &Lab, run_id: &str, damage: &str) {
    let down = lab.awslab(&["down", run_id]);
    let out = text(&down);
    assert_eq!(down.status.code(), Some(3), "{out}");
    assert!(!out.contains("Nothing is left"), "{out}");
    assert!(
        out.contains(&format!("the journal of run `{run_id}` is damaged")),
        "{out}"
    );
    assert!(out.contains("journal.jsonl"), "{out}");
    assert!(out.contains(damage), "{out}");
    assert!(out.contains(&format!("`awslab:run={run_id}`")), "{out}");
    // Issue 19: the hint names the command that finds a run by its tag.
    assert!(
        out.contains(&format!("`awslab sweep --run {run_id}` lists it")),
        "{out}"
    );
    // Every later `down` says the same: the damage does not go away.
    let again = lab.awslab(&["down", run_id]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    let status = lab.awslab(&["status", run_id]);
    assert!(
        text(&status).contains("DAMAGED journal"),
        "{}",
        text(&status)
    );
    let runs = lab.awslab(&["runs"]);
    let line = String::from_utf8_lossy(&runs.stdout)
        .lines()
        .find(|l| l.starts_with(run_id))
        .unwrap()
        .to_owned();
    assert!(line.contains("DAMAGED journal"), "{line}");
    assert!(!line.contains("torn down"), "{line}");
    assert!(line.trim_end().ends_with('?'), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_journal_makes_down_fail_and_name_the_tag() {
    let lab = lab().await;
    let journal = up(&lab, "empty1");
    std::fs::write(&journal, b"").unwrap();
    // Without a run named, `down` still finds the damaged run.
    let bare = lab.awslab(&["down"]);
    assert_eq!(bare.status.code(), Some(3), "{}", text(&bare));
    assert_damaged(&lab, "empty1", "the journal is empty");
    // A damaged run is not resumed either.
    let plan = lab.files.dir().join("damaged.yaml");
    let resume = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "empty1"]);
    assert_eq!(resume.status.code(), Some(2), "{}", text(&resume));
    assert!(
        text(&resume).contains("cannot be resumed"),
        "{}",
        text(&resume)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_over_the_first_records_make_down_fail() {
    let lab = lab().await;
    let journal = up(&lab, "nul1");
    let mut bytes = std::fs::read(&journal).unwrap();
    let cut = bytes.len() / 2;
    bytes[..cut].fill(0);
    std::fs::write(&journal, &bytes).unwrap();
    assert_damaged(&lab, "nul1", "line 1 is not a journal record");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flipped_byte_in_the_middle_makes_down_fail_after_deleting_what_it_can_read() {
    let lab = lab().await;
    let journal = up(&lab, "flip1");
    let text_before = std::fs::read_to_string(&journal).unwrap();
    // Flip a byte inside the second line (the first intent).
    let second = text_before.find('\n').unwrap() + 1;
    let at = second + text_before[second..].find("dmg-flip1").unwrap();
    let mut bytes = text_before.into_bytes();
    bytes[at] = b'D';
    std::fs::write(&journal, &bytes).unwrap();
    assert_damaged(&lab, "flip1", "line 2 does not match its checksum");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_last_line_is_still_torn_down_cleanly() {
    let lab = lab().await;
    let journal = up(&lab, "torn1");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    std::io::Write::write_all(&mut file, br#"{"crc32":"00000000","record":{"event":"del"#).unwrap();
    drop(file);
    let down = lab.awslab(&["down", "torn1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert!(String::from_utf8_lossy(&down.stdout).contains("Nothing is left."));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
