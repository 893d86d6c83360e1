//! A run killed with SIGKILL at any point can still be torn down from its journal:
//! `awslab down` then leaves nothing behind, on moto and on the sandbox (where the
//! kill also lands while the sandbox's own database is being written, in the same
//! process, and `down` must leave the sandbox as it was).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::{BufRead as _, BufReader};

use support::{Lab, Target, plans, text};

/// Runs the seed lab and kills it (SIGKILL) right after the JSON event `trigger`.
fn kill_after(lab: &Lab, run_id: &str, trigger: &str) -> Vec<String> {
    let plan = plans().join("sts-assume-role.yaml");
    let mut child = lab.spawn_up_json(&plan, &["--run-id", run_id, "--parallel", "1"]);
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let hit = line.contains(trigger);
        seen.push(line);
        if hit {
            child.kill().unwrap();
            break;
        }
    }
    let _ = child.wait();
    seen
}

/// The points to kill at: six on moto (each run costs a second there); on the
/// sandbox, after every event a whole run of the seed lab reports.
fn kill_points(lab: &Lab) -> Vec<String> {
    let six = [
        r#""event":"started","step":"user""#,
        r#""event":"started","step":"stack""#,
        r#""event":"finished","step":"stack""#,
        r#""event":"started","step":"assumed""#,
        r#""event":"started","step":"profile""#,
        r#""event":"finished","step":"profile""#,
    ];
    if lab.target == Target::Moto {
        return six.map(str::to_owned).to_vec();
    }
    let plan = plans().join("sts-assume-role.yaml");
    let whole = lab.awslab(&[
        "up",
        plan.to_str().unwrap(),
        "--output",
        "json",
        "--run-id",
        "whole",
        "--parallel",
        "1",
    ]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole));
    let down = lab.awslab(&["down", "whole"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    let mut points: Vec<String> = Vec::new();
    for line in String::from_utf8_lossy(&whole.stdout).lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if let (Some(kind), Some(step)) = (event["event"].as_str(), event["step"].as_str()) {
            let point = format!(r#""event":"{kind}","step":"{step}""#);
            if !points.contains(&point) {
                points.push(point);
            }
        }
    }
    assert!(
        six.iter().all(|p| points.iter().any(|q| q == p)),
        "{points:?}"
    );
    points
}

async fn killed_run_is_torn_down_from_its_journal(lab: Lab) {
    let points = kill_points(&lab);
    for (index, trigger) in points.iter().enumerate() {
        let run_id = format!("k{index}");
        let run_id = run_id.as_str();
        let seen = kill_after(&lab, run_id, trigger);
        assert!(
            seen.iter().any(|l| l.contains(trigger.as_str())),
            "{run_id}: never saw {trigger}: {seen:?}"
        );
        let status = lab.awslab(&["status", run_id]);
        assert_eq!(status.status.code(), Some(0), "{}", text(&status));
        let down = lab.awslab(&["down", run_id]);
        assert_eq!(
            down.status.code(),
            Some(0),
            "{run_id} (killed after {trigger}): {}",
            text(&down)
        );
        assert_eq!(
            lab.inventory(),
            Vec::<String>::new(),
            "{run_id} (killed after {trigger}) left the target changed"
        );
        let config = std::fs::read_to_string(&lab.files.config).unwrap();
        assert!(
            !config.contains("[profile assumed]"),
            "{run_id}: profile left behind:\n{config}"
        );
    }
}
on_each_target!(
    killed_run_is_torn_down_from_its_journal,
    and_under_rust_log_trace
);

async fn killed_run_resumes_with_up_and_finishes(lab: Lab) {
    kill_after(&lab, "r1", r#""event":"finished","step":"stack""#);
    let plan = plans().join("sts-assume-role.yaml");
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "r1"]);
    let out = text(&up);
    assert_eq!(up.status.code(), Some(0), "{out}");
    assert!(out.contains("(resumed)"), "{out}");
    assert!(out.contains("5 of 5 verifications passed"), "{out}");
    let down = lab.awslab(&["down", "r1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
on_each_target!(killed_run_resumes_with_up_and_finishes);

async fn resume_after_a_call_cut_off_mid_create_says_what_to_do(lab: Lab) {
    let dir = lab.files.dir();
    let plan = dir.join("one-user.yaml");
    std::fs::write(
        &plan,
        "name: one-user\nsteps:\n  user:\n    iam.user: { name: \"cut-${run.id}\" }\n",
    )
    .unwrap();
    let up = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "cut1"]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    // As if killed after CreateUser was sent but before its result was journaled.
    let journal = lab.state_dir.join("runs/cut1/journal.jsonl");
    let kept: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter(|l| {
            !l.contains(r#""event":"created""#)
                && !l.contains(r#""event":"step_finished""#)
                && !l.contains(r#""event":"run_finished""#)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, kept.concat()).unwrap();
    let again = lab.awslab(&["up", plan.to_str().unwrap(), "--run-id", "cut1"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(
        text(&again).contains("this run may have created it before it was interrupted"),
        "{}",
        text(&again)
    );
    // The user carries the run's tag, so down deletes it although creation was never confirmed.
    let down = lab.awslab(&["down", "cut1"]);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(lab.inventory(), Vec::<String>::new());
}
on_each_target!(resume_after_a_call_cut_off_mid_create_says_what_to_do);
