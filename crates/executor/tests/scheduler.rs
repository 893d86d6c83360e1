//! Scheduling behaviour with a fake runner whose outcomes and delays are scripted, on
//! tokio's paused clock (virtual time: no wall-clock sleeps, no timing flakiness).
#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use awslab_executor::scheduler::{
    CancelReason, Event, RunReport, Scheduler, SchedulerError, StepContext, StepOutcome,
    StepRunner, StepStatus,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
enum Script {
    /// A mutating call: runs its whole delay whatever happens.
    Call(u64, StepOutcome),
    /// A poll: stops waiting when the run is cancelled.
    Poll(u64),
    Retry(u32),
    Panic,
}

#[derive(Default)]
struct FakeRunner {
    scripts: HashMap<&'static str, Script>,
    current: AtomicUsize,
    max: AtomicUsize,
    log: Mutex<Vec<String>>,
}

fn ok(seconds: u64) -> Script {
    Script::Call(seconds, StepOutcome::Succeeded)
}

fn fail(seconds: u64) -> Script {
    Script::Call(
        seconds,
        StepOutcome::Failed {
            message: "boom".into(),
        },
    )
}

impl FakeRunner {
    fn new(scripts: &[(&'static str, Script)]) -> Arc<Self> {
        Arc::new(Self {
            scripts: scripts.iter().cloned().collect(),
            ..Self::default()
        })
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl StepRunner<&'static str> for FakeRunner {
    async fn run(&self, step: &&'static str, context: StepContext<&'static str>) -> StepOutcome {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        self.log.lock().unwrap().push(format!("start {step}"));
        let outcome = match self.scripts.get(step).cloned().unwrap_or(ok(1)) {
            Script::Call(seconds, outcome) => {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                outcome
            }
            Script::Poll(seconds) => tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(seconds)) => StepOutcome::Succeeded,
                () = context.cancel_token().cancelled() => StepOutcome::Cancelled { message: "stopped polling".into() },
            },
            Script::Retry(attempts) => {
                for attempt in 1..=attempts {
                    context.retrying(attempt, "InvalidClientTokenId");
                }
                StepOutcome::Succeeded
            }
            Script::Panic => panic!("fake runner panicked"),
        };
        self.log.lock().unwrap().push(format!("end {step}"));
        self.current.fetch_sub(1, Ordering::SeqCst);
        outcome
    }
}

type Nodes = Vec<(&'static str, Vec<&'static str>)>;

fn statuses(report: &RunReport<&'static str>) -> Vec<(&'static str, StepStatus<&'static str>)> {
    report
        .steps
        .iter()
        .map(|step| (step.step, step.status.clone()))
        .collect()
}

fn failed() -> StepStatus<&'static str> {
    StepStatus::Failed {
        message: "boom".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn runs_independent_steps_concurrently_up_to_the_bound() {
    let nodes: Nodes = ["a", "b", "c", "d", "e"]
        .into_iter()
        .map(|id| (id, vec![]))
        .collect();
    let runner = FakeRunner::new(&[
        ("a", ok(10)),
        ("b", ok(10)),
        ("c", ok(10)),
        ("d", ok(10)),
        ("e", ok(10)),
    ]);
    let start = tokio::time::Instant::now();
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(2)
        .run(Arc::clone(&runner))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(runner.max.load(Ordering::SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert!(
        report
            .steps
            .iter()
            .all(|step| step.elapsed == Some(Duration::from_secs(10)))
    );
}

#[tokio::test(start_paused = true)]
async fn dependents_wait_for_their_dependencies() {
    let nodes: Nodes = vec![("a", vec![]), ("c", vec![]), ("b", vec!["a"])];
    let runner = FakeRunner::new(&[("a", ok(10)), ("c", ok(1)), ("b", ok(1))]);
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(4)
        .run(Arc::clone(&runner))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(
        runner.log(),
        ["start a", "start c", "end c", "end a", "start b", "end b"]
    );
}

#[tokio::test(start_paused = true)]
async fn skips_dependents_when_step_fails_but_not_siblings() {
    let nodes: Nodes = vec![
        ("a", vec![]),
        ("b", vec!["a"]),
        ("d", vec![]),
        ("c", vec!["b", "d"]),
        ("e", vec!["d"]),
    ];
    let runner = FakeRunner::new(&[("a", fail(1)), ("d", ok(5))]);
    let (events, mut received) = mpsc::unbounded_channel();
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(4)
        .events(events)
        .run(runner)
        .await
        .unwrap();
    assert_eq!(
        statuses(&report),
        [
            ("a", failed()),
            ("b", StepStatus::Skipped { because: "a" }),
            ("d", StepStatus::Succeeded),
            ("c", StepStatus::Skipped { because: "a" }),
            ("e", StepStatus::Succeeded),
        ]
    );
    assert_eq!(report.stopped, None);
    assert_eq!(report.first_failure().unwrap().step, "a");
    let mut skipped = Vec::new();
    while let Ok(event) = received.try_recv() {
        if let Event::Skipped { step, because } = event {
            skipped.push((step, because));
        }
    }
    assert_eq!(skipped, [("b", "a"), ("c", "a")]);
}

#[tokio::test(start_paused = true)]
async fn fail_fast_stops_new_work_and_awaits_running_steps() {
    let nodes: Nodes = vec![
        ("a", vec![]),
        ("b", vec![]),
        ("c", vec![]),
        ("d", vec!["a"]),
    ];
    let runner = FakeRunner::new(&[("a", fail(1)), ("b", ok(10)), ("c", ok(1))]);
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(2)
        .fail_fast(true)
        .run(Arc::clone(&runner))
        .await
        .unwrap();
    let fail_fast = CancelReason::FailFast { step: "a" };
    assert_eq!(
        statuses(&report),
        [
            ("a", failed()),
            ("b", StepStatus::Succeeded),
            (
                "c",
                StepStatus::NotStarted {
                    reason: fail_fast.clone()
                }
            ),
            ("d", StepStatus::Skipped { because: "a" }),
        ]
    );
    assert_eq!(report.stopped, Some(fail_fast));
    assert!(!runner.log().contains(&"start c".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn interrupt_awaits_in_flight_step_and_records_its_result() {
    let nodes: Nodes = vec![
        ("call", vec![]),
        ("poll", vec![]),
        ("after", vec!["call"]),
        ("later", vec![]),
    ];
    let runner = FakeRunner::new(&[("call", ok(10)), ("poll", Script::Poll(60))]);
    let interrupt = CancellationToken::new();
    let (events, mut received) = mpsc::unbounded_channel();
    let scheduler = Scheduler::new(nodes)
        .unwrap()
        .parallel(2)
        .interrupt(interrupt.clone())
        .events(events);
    let run = tokio::spawn(scheduler.run(Arc::clone(&runner)));
    tokio::time::sleep(Duration::from_secs(3)).await;
    interrupt.cancel();
    let report = run.await.unwrap().unwrap();

    assert_eq!(
        statuses(&report),
        [
            ("call", StepStatus::Succeeded),
            (
                "poll",
                StepStatus::Cancelled {
                    message: "stopped polling".into()
                }
            ),
            (
                "after",
                StepStatus::NotStarted {
                    reason: CancelReason::Interrupted
                }
            ),
            (
                "later",
                StepStatus::NotStarted {
                    reason: CancelReason::Interrupted
                }
            ),
        ]
    );
    assert_eq!(report.steps[0].elapsed, Some(Duration::from_secs(10)));
    assert_eq!(report.stopped, Some(CancelReason::Interrupted));
    assert!(runner.log().contains(&"end call".to_owned()));
    let mut stopping = None;
    while let Ok(event) = received.try_recv() {
        if let Event::Stopping { running, .. } = event {
            stopping = Some(running);
        }
    }
    assert_eq!(stopping, Some(vec!["call", "poll"]));
}

#[tokio::test(start_paused = true)]
async fn interrupt_before_start_runs_nothing() {
    let interrupt = CancellationToken::new();
    interrupt.cancel();
    let runner = FakeRunner::new(&[]);
    let report = Scheduler::new(vec![("a", vec![])])
        .unwrap()
        .interrupt(interrupt)
        .run(Arc::clone(&runner))
        .await
        .unwrap();
    assert_eq!(
        statuses(&report),
        [(
            "a",
            StepStatus::NotStarted {
                reason: CancelReason::Interrupted
            }
        )]
    );
    assert!(runner.log().is_empty());
}

#[tokio::test(start_paused = true)]
async fn reports_steps_in_input_order_whatever_the_completion_order() {
    let nodes: Nodes = vec![("slow", vec![]), ("fast", vec![]), ("middle", vec![])];
    let runner = FakeRunner::new(&[("slow", ok(30)), ("fast", ok(1)), ("middle", ok(5))]);
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(3)
        .run(runner)
        .await
        .unwrap();
    let order: Vec<_> = report.steps.iter().map(|step| step.step).collect();
    assert_eq!(order, ["slow", "fast", "middle"]);
}

#[tokio::test(start_paused = true)]
async fn forwards_retrying_events_from_runners() {
    let runner = FakeRunner::new(&[("key", Script::Retry(2))]);
    let (events, mut received) = mpsc::unbounded_channel();
    Scheduler::new(vec![("key", vec![])])
        .unwrap()
        .events(events)
        .run(runner)
        .await
        .unwrap();
    let mut all = Vec::new();
    while let Ok(event) = received.try_recv() {
        all.push(event);
    }
    assert_eq!(all[0], Event::Started { step: "key" });
    assert_eq!(
        all[1],
        Event::Retrying {
            step: "key",
            attempt: 1,
            reason: "InvalidClientTokenId".into()
        }
    );
    assert_eq!(
        all[2],
        Event::Retrying {
            step: "key",
            attempt: 2,
            reason: "InvalidClientTokenId".into()
        }
    );
    assert!(matches!(
        all[3],
        Event::Finished {
            step: "key",
            outcome: StepOutcome::Succeeded,
            ..
        }
    ));
}

#[tokio::test(start_paused = true)]
async fn a_panicking_runner_fails_its_step_only() {
    let runner = FakeRunner::new(&[("bad", Script::Panic)]);
    let nodes: Nodes = vec![("bad", vec![]), ("good", vec![]), ("child", vec!["bad"])];
    let report = Scheduler::new(nodes)
        .unwrap()
        .parallel(2)
        .run(runner)
        .await
        .unwrap();
    assert!(
        matches!(report.status(&"bad"), Some(StepStatus::Failed { message }) if message.contains("panicked"))
    );
    assert_eq!(report.status(&"good"), Some(&StepStatus::Succeeded));
    assert_eq!(
        report.status(&"child"),
        Some(&StepStatus::Skipped { because: "bad" })
    );
}

#[test]
fn rejects_graphs_whose_dependencies_are_not_earlier_steps() {
    let later: Nodes = vec![("a", vec!["b"]), ("b", vec![])];
    assert_eq!(
        Scheduler::new(later).unwrap_err(),
        SchedulerError::DependencyNotEarlier {
            step: "a",
            dependency: "b"
        }
    );
    let twice: Nodes = vec![("a", vec![]), ("a", vec![])];
    assert_eq!(
        Scheduler::new(twice).unwrap_err(),
        SchedulerError::DuplicateStep { step: "a" }
    );
}
