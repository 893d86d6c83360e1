//! The scheduler: runs a DAG of steps on tokio. Steps whose dependencies all
//! succeeded are ready; ready steps run concurrently under a semaphore bound; results
//! come back through a `JoinSet`; a failed step skips its dependents (transitively,
//! naming the failed step) and, with `fail_fast`, stops scheduling anything new.
//! Interrupt (Ctrl-C) also stops scheduling. Steps already running are always awaited
//! to completion: their [`StepContext`] token tells them to stop *waiting*, never to
//! drop a mutating call. Progress goes out as [`Event`]s; the end is a [`RunReport`] in
//! the order the steps were given. What a step does is the [`StepRunner`]'s business.

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod report;

pub use report::{CancelReason, Event, RunReport, StepReport, StepStatus};

/// What a step id must be: any cheap-to-clone, hashable, printable value.
pub trait StepKey: Clone + Eq + Hash + Debug + Send + Sync + 'static {}
impl<T: Clone + Eq + Hash + Debug + Send + Sync + 'static> StepKey for T {}

/// How a step ended, as its runner reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Succeeded,
    Failed {
        message: String,
    },
    /// The runner stopped waiting because the run was cancelled; anything it created
    /// is journaled. Its dependents are skipped.
    Cancelled {
        message: String,
    },
    /// The runner itself cannot go on (its journal cannot be written): the step failed
    /// and nothing new starts, whatever `fail_fast` says.
    Aborted {
        message: String,
    },
}

/// Runs one step. Implementations must finish any mutating call they started even when
/// [`StepContext::cancel_token`] fires; the token only ends waits and polls.
pub trait StepRunner<Id: StepKey>: Send + Sync + 'static {
    fn run(&self, step: &Id, context: StepContext<Id>) -> impl Future<Output = StepOutcome> + Send;
}

/// What a runner gets with its step: the cancellation token and the event sender.
#[derive(Clone, Debug)]
pub struct StepContext<Id> {
    step: Id,
    cancel: CancellationToken,
    events: Option<mpsc::UnboundedSender<Event<Id>>>,
}

impl<Id: StepKey> StepContext<Id> {
    /// Fires on abort (fail-fast) or interrupt: stop waiting, finish calls in flight.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Reports that the step is retrying (a backoff, a settle wait).
    pub fn retrying(&self, attempt: u32, reason: impl Into<String>) {
        let reason = reason.into();
        send(
            self.events.as_ref(),
            Event::Retrying {
                step: self.step.clone(),
                attempt,
                reason,
            },
        );
    }
}

fn send<Id>(events: Option<&mpsc::UnboundedSender<Event<Id>>>, event: Event<Id>) {
    if let Some(events) = events {
        // A renderer that went away must not stop the run.
        let _ = events.send(event);
    }
}

/// Errors that stop the scheduler itself (a step failing is a status, not an error).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchedulerError<Id: Debug> {
    #[error("step {step:?} depends on {dependency:?}, which is not an earlier step")]
    DependencyNotEarlier { step: Id, dependency: Id },
    #[error("step {step:?} is listed twice")]
    DuplicateStep { step: Id },
    #[error("steps {steps:?} were never scheduled")]
    Stalled { steps: Vec<Id> },
}

/// A validated graph of steps with its run options.
#[derive(Debug)]
pub struct Scheduler<Id: StepKey> {
    ids: Vec<Id>,
    dependencies: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    parallel: usize,
    fail_fast: bool,
    interrupt: CancellationToken,
    events: Option<mpsc::UnboundedSender<Event<Id>>>,
}

impl<Id: StepKey> Scheduler<Id> {
    /// Takes the steps in topological order, each with the ids it depends on; every
    /// dependency must be an earlier step (which also rules out cycles).
    pub fn new(nodes: Vec<(Id, Vec<Id>)>) -> Result<Self, SchedulerError<Id>> {
        let mut index: HashMap<Id, usize> = HashMap::with_capacity(nodes.len());
        let mut ids = Vec::with_capacity(nodes.len());
        let mut dependencies = Vec::with_capacity(nodes.len());
        let mut dependents = vec![Vec::new(); nodes.len()];
        for (position, (step, needs)) in nodes.into_iter().enumerate() {
            let mut own = Vec::with_capacity(needs.len());
            for dependency in needs {
                let Some(&earlier) = index.get(&dependency) else {
                    return Err(SchedulerError::DependencyNotEarlier { step, dependency });
                };
                if !own.contains(&earlier) {
                    own.push(earlier);
                    dependents[earlier].push(position);
                }
            }
            if index.insert(step.clone(), position).is_some() {
                return Err(SchedulerError::DuplicateStep { step });
            }
            ids.push(step);
            dependencies.push(own);
        }
        Ok(Self {
            ids,
            dependencies,
            dependents,
            parallel: 1,
            fail_fast: false,
            interrupt: CancellationToken::new(),
            events: None,
        })
    }

    /// At most `parallel` steps run at once (at least one).
    #[must_use]
    pub fn parallel(mut self, parallel: usize) -> Self {
        self.parallel = parallel.max(1);
        self
    }

    /// After the first failure, start nothing new.
    #[must_use]
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Cancel this token to interrupt the run (Ctrl-C). A second Ctrl-C is the
    /// caller's to handle (exit the process); never drop the future of
    /// [`Scheduler::run`], which would drop the calls in flight.
    #[must_use]
    pub fn interrupt(mut self, interrupt: CancellationToken) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// Where events go; an unbounded channel so a slow renderer never slows the run.
    #[must_use]
    pub fn events(mut self, events: mpsc::UnboundedSender<Event<Id>>) -> Self {
        self.events = Some(events);
        self
    }

    /// Runs every step it can and reports each one's status in input order.
    pub async fn run<R: StepRunner<Id>>(
        self,
        runner: Arc<R>,
    ) -> Result<RunReport<Id>, SchedulerError<Id>> {
        let count = self.ids.len();
        let mut remaining: Vec<usize> = self.dependencies.iter().map(Vec::len).collect();
        let mut statuses: Vec<Option<StepStatus<Id>>> = vec![None; count];
        let mut elapsed: Vec<Option<Duration>> = vec![None; count];
        let mut ready: VecDeque<usize> = (0..count).filter(|&step| remaining[step] == 0).collect();
        let mut running: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut tasks = JoinSet::new();
        let cancel = CancellationToken::new();
        let mut stopped: Option<CancelReason<Id>> = None;

        loop {
            if stopped.is_none() && self.interrupt.is_cancelled() {
                stopped = Some(self.stop(CancelReason::Interrupted, &cancel, &running));
            }
            // A step holds its slot until its outcome is recorded below, not only until its
            // task ends: a step that fails at once must stop `--fail-fast` from starting
            // the next one.
            while stopped.is_none() && running.len() < self.parallel {
                let Some(step) = ready.pop_front() else { break };
                let id = self.ids[step].clone();
                send(self.events.as_ref(), Event::Started { step: id.clone() });
                let context = StepContext {
                    step: id.clone(),
                    cancel: cancel.clone(),
                    events: self.events.clone(),
                };
                let runner = Arc::clone(&runner);
                let handle = tasks.spawn(async move {
                    let start = Instant::now();
                    let outcome = runner.run(&id, context).await;
                    (outcome, start.elapsed())
                });
                running.insert(handle.id(), step);
            }
            if tasks.is_empty() {
                break;
            }
            let joined = tokio::select! {
                biased;
                () = self.interrupt.cancelled(), if stopped.is_none() => {
                    stopped = Some(self.stop(CancelReason::Interrupted, &cancel, &running));
                    continue;
                }
                joined = tasks.join_next_with_id() => joined,
            };
            let Some(joined) = joined else { continue };
            let (task, (outcome, took)) = match joined {
                Ok(result) => result,
                Err(error) => (error.id(), (panic_outcome(error), Duration::ZERO)),
            };
            let Some(step) = running.remove(&task) else {
                continue;
            };
            elapsed[step] = Some(took);
            send(
                self.events.as_ref(),
                Event::Finished {
                    step: self.ids[step].clone(),
                    outcome: outcome.clone(),
                    elapsed: took,
                },
            );
            let aborted = match &outcome {
                StepOutcome::Aborted { message } => Some(message.clone()),
                _ => None,
            };
            let failed = self.record(step, outcome, &mut statuses, &mut remaining, &mut ready);
            if let Some(message) = aborted
                && stopped.is_none()
            {
                let reason = CancelReason::Aborted {
                    step: self.ids[step].clone(),
                    message,
                };
                stopped = Some(self.stop(reason, &cancel, &running));
            } else if failed && self.fail_fast && stopped.is_none() {
                let reason = CancelReason::FailFast {
                    step: self.ids[step].clone(),
                };
                stopped = Some(self.stop(reason, &cancel, &running));
            }
        }
        self.report(statuses, elapsed, stopped)
    }

    /// Records a finished step: a success readies the dependents whose dependencies
    /// all succeeded, anything else skips its dependents. Returns whether it failed.
    fn record(
        &self,
        step: usize,
        outcome: StepOutcome,
        statuses: &mut [Option<StepStatus<Id>>],
        remaining: &mut [usize],
        ready: &mut VecDeque<usize>,
    ) -> bool {
        if outcome == StepOutcome::Succeeded {
            statuses[step] = Some(StepStatus::Succeeded);
            for &dependent in &self.dependents[step] {
                remaining[dependent] -= 1;
                if remaining[dependent] == 0 && statuses[dependent].is_none() {
                    ready.push_back(dependent);
                }
            }
            return false;
        }
        let failed = matches!(
            outcome,
            StepOutcome::Failed { .. } | StepOutcome::Aborted { .. }
        );
        statuses[step] = Some(match outcome {
            StepOutcome::Failed { message } | StepOutcome::Aborted { message } => {
                StepStatus::Failed { message }
            }
            StepOutcome::Cancelled { message } => StepStatus::Cancelled { message },
            StepOutcome::Succeeded => StepStatus::Succeeded,
        });
        self.skip_dependents(step, statuses);
        failed
    }

    fn report(
        &self,
        statuses: Vec<Option<StepStatus<Id>>>,
        elapsed: Vec<Option<Duration>>,
        stopped: Option<CancelReason<Id>>,
    ) -> Result<RunReport<Id>, SchedulerError<Id>> {
        let mut steps = Vec::with_capacity(self.ids.len());
        let mut stalled = Vec::new();
        for (step, (status, took)) in statuses.into_iter().zip(elapsed).enumerate() {
            let id = self.ids[step].clone();
            let status = match (status, &stopped) {
                (Some(status), _) => status,
                (None, Some(reason)) => {
                    send(
                        self.events.as_ref(),
                        Event::Cancelled {
                            step: id.clone(),
                            reason: reason.clone(),
                        },
                    );
                    StepStatus::NotStarted {
                        reason: reason.clone(),
                    }
                }
                (None, None) => {
                    stalled.push(id);
                    continue;
                }
            };
            steps.push(StepReport {
                step: id,
                status,
                elapsed: took,
            });
        }
        if !stalled.is_empty() {
            return Err(SchedulerError::Stalled { steps: stalled });
        }
        Ok(RunReport { steps, stopped })
    }

    fn stop(
        &self,
        reason: CancelReason<Id>,
        cancel: &CancellationToken,
        running: &HashMap<tokio::task::Id, usize>,
    ) -> CancelReason<Id> {
        cancel.cancel();
        let mut in_flight: Vec<usize> = running.values().copied().collect();
        in_flight.sort_unstable();
        let running = in_flight
            .into_iter()
            .map(|step| self.ids[step].clone())
            .collect();
        tracing::info!(reason = %reason, "stopping: no new steps will start");
        send(
            self.events.as_ref(),
            Event::Stopping {
                reason: reason.clone(),
                running,
            },
        );
        reason
    }

    /// Marks every transitive dependent of `failed` that has no status yet as skipped
    /// because of `failed`, in input order.
    fn skip_dependents(&self, failed: usize, statuses: &mut [Option<StepStatus<Id>>]) {
        let mut stack: Vec<usize> = self.dependents[failed].clone();
        let mut skipped = Vec::new();
        while let Some(step) = stack.pop() {
            if statuses[step].is_none() {
                statuses[step] = Some(StepStatus::Skipped {
                    because: self.ids[failed].clone(),
                });
                skipped.push(step);
                stack.extend(&self.dependents[step]);
            }
        }
        skipped.sort_unstable();
        for step in skipped {
            let event = Event::Skipped {
                step: self.ids[step].clone(),
                because: self.ids[failed].clone(),
            };
            send(self.events.as_ref(), event);
        }
    }
}

fn panic_outcome(error: tokio::task::JoinError) -> StepOutcome {
    let detail = match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
        Err(error) => error.to_string(),
    };
    StepOutcome::Failed {
        message: format!("step runner panicked: {detail}"),
    }
}
