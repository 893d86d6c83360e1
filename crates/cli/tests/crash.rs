//! A run killed with SIGKILL at any point can still be torn down from its journal:
//! `awslab down` then leaves nothing behind in moto.
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::io::{BufRead as _, BufReader};

use support::{Lab, plans, text};

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

#[tokio::test(flavor = "multi_thread")]
async fn killed_run_is_torn_down_from_its_journal() {
    let Some(lab) = Lab::start("killed_run_is_torn_down_from_its_journal").await else {
        return;
    };
    let points = [
        ("k1", r#""event":"started","step":"user""#),
        ("k2", r#""event":"started","step":"stack""#),
        ("k3", r#""event":"finished","step":"stack""#),
        ("k4", r#""event":"started","step":"assumed""#),
        ("k5", r#""event":"started","step":"profile""#),
        ("k6", r#""event":"finished","step":"profile""#),
    ];
    for (run_id, trigger) in points {
        let seen = kill_after(&lab, run_id, trigger);
        assert!(
            seen.iter().any(|l| l.contains(trigger)),
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
            "{run_id} (killed after {trigger}) left resources"
        );
        let config = std::fs::read_to_string(&lab.files.config).unwrap();
        assert!(
            !config.contains("[profile assumed]"),
            "{run_id}: profile left behind:\n{config}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_run_resumes_with_up_and_finishes() {
    let Some(lab) = Lab::start("killed_run_resumes_with_up_and_finishes").await else {
        return;
    };
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

#[tokio::test(flavor = "multi_thread")]
async fn resume_after_a_call_cut_off_mid_create_says_what_to_do() {
    let Some(lab) = Lab::start("resume_after_a_call_cut_off_mid_create_says_what_to_do").await
    else {
        return;
    };
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
