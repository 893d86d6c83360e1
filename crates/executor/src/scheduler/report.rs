//! What the scheduler tells the outside: the [`Event`]s a renderer follows while a run
//! goes on, and the [`RunReport`] at its end, with an explicit [`CancelReason`]
//! whenever scheduling stopped early.

use std::fmt;
use std::time::Duration;

use super::StepOutcome;

/// Why the scheduler stopped starting steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelReason<Id> {
    /// `fail_fast` was set and this step failed.
    FailFast { step: Id },
    /// The run was interrupted (Ctrl-C).
    Interrupted,
    /// The runner could not go on after this step (its journal could not be written).
    Aborted { step: Id, message: String },
}

impl<Id: fmt::Debug> fmt::Display for CancelReason<Id> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FailFast { step } => write!(f, "fail-fast after step {step:?} failed"),
            Self::Interrupted => f.write_str("interrupted"),
            Self::Aborted { step, message } => write!(f, "aborted after step {step:?}: {message}"),
        }
    }
}

/// Progress of a run, for the renderer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<Id> {
    Started {
        step: Id,
    },
    /// Sent by a runner through [`super::StepContext::retrying`].
    Retrying {
        step: Id,
        attempt: u32,
        reason: String,
    },
    Finished {
        step: Id,
        outcome: StepOutcome,
        elapsed: Duration,
    },
    /// Not run because `because` failed (directly or through other skipped steps).
    Skipped {
        step: Id,
        because: Id,
    },
    /// Scheduling stopped; `running` are the steps still being awaited.
    Stopping {
        reason: CancelReason<Id>,
        running: Vec<Id>,
    },
    /// Never started because scheduling stopped.
    Cancelled {
        step: Id,
        reason: CancelReason<Id>,
    },
}

/// The final status of one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepStatus<Id> {
    Succeeded,
    Failed {
        message: String,
    },
    /// The runner stopped waiting when the run was cancelled.
    Cancelled {
        message: String,
    },
    Skipped {
        because: Id,
    },
    NotStarted {
        reason: CancelReason<Id>,
    },
}

/// One step's line in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport<Id> {
    pub step: Id,
    pub status: StepStatus<Id>,
    /// How long the runner took; `None` if it never ran.
    pub elapsed: Option<Duration>,
}

/// Every step's status, in the order the steps were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport<Id> {
    pub steps: Vec<StepReport<Id>>,
    /// Why scheduling stopped early, if it did.
    pub stopped: Option<CancelReason<Id>>,
}

impl<Id: PartialEq> RunReport<Id> {
    /// Whether every step succeeded.
    pub fn succeeded(&self) -> bool {
        self.steps
            .iter()
            .all(|step| step.status == StepStatus::Succeeded)
    }

    /// The status of `step`.
    pub fn status(&self, step: &Id) -> Option<&StepStatus<Id>> {
        self.steps
            .iter()
            .find(|report| &report.step == step)
            .map(|report| &report.status)
    }

    /// The headline of a failed run: the step the run was aborted after, else the
    /// first failed step in input order.
    pub fn first_failure(&self) -> Option<&StepReport<Id>> {
        if let Some(CancelReason::Aborted { step, .. }) = &self.stopped
            && let Some(report) = self.steps.iter().find(|report| &report.step == step)
        {
            return Some(report);
        }
        self.steps
            .iter()
            .find(|step| matches!(step.status, StepStatus::Failed { .. }))
    }
}
