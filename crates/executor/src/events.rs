//! [`RunEvent`]: what `up` and `down` report, as one serializable type. The cli's
//! renderers (live lines for people, `--output json` lines, the summary table, the
//! `JUnit` report) all consume it, and [`Status`] defines every status word once.

use std::time::Duration;

use awslab_planner::StepId;
use serde::Serialize;

use crate::scheduler::{CancelReason, Event, StepOutcome, StepReport, StepStatus};

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Succeeded,
    Failed,
    Cancelled,
    Skipped,
    NotRun,
}

impl Status {
    /// The word people see in the summary and live lines.
    pub fn word(self) -> &'static str {
        match self {
            Self::Succeeded => "ok",
            Self::Failed => "FAILED",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
            Self::NotRun => "not run",
        }
    }

    pub fn of_outcome(outcome: &StepOutcome) -> Self {
        match outcome {
            StepOutcome::Succeeded => Self::Succeeded,
            StepOutcome::Failed { .. } | StepOutcome::Aborted { .. } => Self::Failed,
            StepOutcome::Cancelled { .. } => Self::Cancelled,
        }
    }

    pub fn of_status(status: &StepStatus<StepId>) -> Self {
        match status {
            StepStatus::Succeeded => Self::Succeeded,
            StepStatus::Failed { .. } => Self::Failed,
            StepStatus::Cancelled { .. } => Self::Cancelled,
            StepStatus::Skipped { .. } => Self::Skipped,
            StepStatus::NotStarted { .. } => Self::NotRun,
        }
    }
}

/// Why scheduling stopped, in words.
pub fn reason_text(reason: &CancelReason<StepId>) -> String {
    match reason {
        CancelReason::FailFast { step } => format!("--fail-fast after `{step}` failed"),
        CancelReason::Interrupted => "interrupted".to_owned(),
        CancelReason::Aborted { step, message } => {
            format!("the run stopped after `{step}`: {message}")
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// One step's line in a run's summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepSummary {
    pub step: String,
    pub kind: &'static str,
    pub status: Status,
    pub elapsed_ms: Option<u64>,
    /// What to say besides the status: the failure, the verdict, waits, expiry.
    pub note: String,
    /// How long the step waited for IAM to settle, if it had to.
    pub settle_ms: Option<u64>,
    pub expires: Option<String>,
    /// The request ids of the step's calls, oldest first; the last is the answer its
    /// outcome rests on (`awslab sandbox explain REQUEST-ID` on the sandbox).
    pub request_ids: Vec<String>,
    /// On the sandbox, for a verify that failed: how the sandbox decided the request
    /// its outcome rests on (every policy, statement and condition, the context, and
    /// the keys the request lacked), as `awslab sandbox explain` prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

impl StepSummary {
    /// The request id of the answer the step's outcome rests on.
    pub fn last_request_id(&self) -> Option<&str> {
        self.request_ids.last().map(String::as_str)
    }
}

/// A resource teardown left, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Left {
    pub resource: String,
    pub reason: String,
}

/// Everything `up` and `down` report while they run and when they end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A run starts (or resumes).
    Run {
        run_id: String,
        plan: String,
        resumed: bool,
        /// `aws`, an endpoint URL, or `sandbox`.
        target: String,
        region: String,
    },
    Started {
        step: String,
        kind: &'static str,
    },
    Retrying {
        step: String,
        attempt: u32,
        reason: String,
    },
    Finished {
        step: String,
        kind: &'static str,
        status: Status,
        elapsed_ms: u64,
        message: Option<String>,
    },
    Skipped {
        step: String,
        because: String,
    },
    Stopping {
        reason: String,
        running: Vec<String>,
    },
    NotRun {
        step: String,
        reason: String,
    },
    /// The end of `up`.
    Summary {
        run_id: String,
        succeeded: bool,
        steps: Vec<StepSummary>,
    },
    /// About to delete a resource.
    Deleting {
        resource: String,
    },
    /// Deleted it.
    Deleted {
        resource: String,
    },
    /// Nothing was deleted: it was gone already, or there was nothing to undo.
    Gone {
        resource: String,
        remark: String,
    },
    /// Left in place, with the reason.
    Left {
        resource: String,
        reason: String,
    },
    /// Someone else's resource, found where this run's was and left on purpose
    /// (`down --forget-foreign`, now or in an earlier teardown).
    LeftOnPurpose {
        resource: String,
        reason: String,
    },
    /// The end of `down`.
    Teardown {
        run_id: String,
        deleted: Vec<String>,
        gone: Vec<String>,
        left: Vec<Left>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        left_on_purpose: Vec<Left>,
        /// What is wrong with the run's journal: then nothing it says proves that
        /// nothing is left.
        #[serde(skip_serializing_if = "Option::is_none")]
        damaged_journal: Option<String>,
        /// Only part of the run was torn down (`down --learner`): what is not left is
        /// that part's, and the rest of the run is still there.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        partial: bool,
    },
}

impl RunEvent {
    /// The event for a scheduler event; `kind` gives a step's kind label.
    pub fn from_scheduler(event: &Event<StepId>, kind: impl Fn(&StepId) -> &'static str) -> Self {
        match event {
            Event::Started { step } => Self::Started {
                step: step.to_string(),
                kind: kind(step),
            },
            Event::Retrying {
                step,
                attempt,
                reason,
            } => Self::Retrying {
                step: step.to_string(),
                attempt: *attempt,
                reason: reason.clone(),
            },
            Event::Finished {
                step,
                outcome,
                elapsed,
            } => Self::Finished {
                step: step.to_string(),
                kind: kind(step),
                status: Status::of_outcome(outcome),
                elapsed_ms: millis(*elapsed),
                message: match outcome {
                    StepOutcome::Succeeded => None,
                    StepOutcome::Failed { message }
                    | StepOutcome::Cancelled { message }
                    | StepOutcome::Aborted { message } => Some(message.clone()),
                },
            },
            Event::Skipped { step, because } => Self::Skipped {
                step: step.to_string(),
                because: because.to_string(),
            },
            Event::Stopping { reason, running } => Self::Stopping {
                reason: reason_text(reason),
                running: running.iter().map(ToString::to_string).collect(),
            },
            Event::Cancelled { step, reason } => Self::NotRun {
                step: step.to_string(),
                reason: reason_text(reason),
            },
        }
    }
}

/// What a step's summary line says besides its status.
pub fn note_text(report: &StepReport<StepId>, note: Option<&crate::StepNote>) -> String {
    let mut parts = Vec::new();
    match &report.status {
        StepStatus::Failed { message } | StepStatus::Cancelled { message } => {
            parts.push(message.clone());
        }
        StepStatus::Skipped { because } => parts.push(format!("`{because}` did not succeed")),
        StepStatus::NotStarted { reason } => parts.push(reason_text(reason)),
        StepStatus::Succeeded => {
            if let Some(verdict) = note.and_then(|n| n.verdict.as_ref()) {
                parts.push(verdict.clone());
            }
        }
    }
    if let Some(note) = note {
        if let Some((waited, attempts)) = note.settled {
            parts.push(format!(
                "waited {} for AWS to settle ({attempts} attempts)",
                human_duration(waited)
            ));
        }
        if let Some(expires) = &note.expires {
            parts.push(format!("expires {expires}"));
        }
    }
    parts.join("; ")
}

/// A short duration for people: `12ms` under a second, `1.5s` above.
pub fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

impl StepSummary {
    pub fn new(
        report: &StepReport<StepId>,
        kind: &'static str,
        note: Option<&crate::StepNote>,
    ) -> Self {
        Self {
            step: report.step.to_string(),
            kind,
            status: Status::of_status(&report.status),
            elapsed_ms: report.elapsed.map(millis),
            note: note_text(report, note),
            settle_ms: note.and_then(|n| n.settled).map(|(w, _)| millis(w)),
            expires: note.and_then(|n| n.expires.clone()),
            request_ids: note.map(|n| n.request_ids.clone()).unwrap_or_default(),
            explanation: None,
        }
    }
}
