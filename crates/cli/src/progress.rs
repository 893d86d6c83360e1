//! Live progress of a run: a spinner per running step with its elapsed time and
//! retries on a terminal, plain lines otherwise, or a JSON event stream. Never shows
//! secrets: events carry step ids, kinds, statuses and messages only.

use std::collections::HashMap;
use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use awslab_executor::{Event, StepOutcome};
use awslab_planner::{SealedPlan, StepId};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::OutputFormat;

/// Renders scheduler events as they come.
pub struct Progress {
    format: OutputFormat,
    multi: Option<MultiProgress>,
    bars: HashMap<StepId, ProgressBar>,
    kinds: HashMap<StepId, &'static str>,
}

fn mark(outcome: &StepOutcome) -> (&'static str, &'static str) {
    match outcome {
        StepOutcome::Succeeded => ("ok", "succeeded"),
        StepOutcome::Failed { .. } => ("FAILED", "failed"),
        StepOutcome::Cancelled { .. } => ("cancelled", "cancelled"),
    }
}

/// A short duration for people: `12ms` under a second, `1.5s` above.
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

impl Progress {
    pub fn new(format: OutputFormat, plan: &SealedPlan) -> Self {
        let live = format == OutputFormat::Human
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        let kinds = plan
            .plan
            .steps
            .values()
            .map(|s| (s.id.clone(), s.kind.label()))
            .collect();
        Progress {
            format,
            multi: live.then(MultiProgress::new),
            bars: HashMap::new(),
            kinds,
        }
    }

    /// Prints a JSON event line (JSON mode) with a timestamp.
    pub fn json(value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{value}");
        let _ = out.flush();
    }

    /// A line for people (stderr), above any spinners.
    pub fn line(&self, text: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    pub fn handle(&mut self, event: &Event<StepId>) {
        if self.format == OutputFormat::Json {
            Self::json(&event_json(event, &self.kinds));
            return;
        }
        match event {
            Event::Started { step } => {
                let kind = self.kinds.get(step).copied().unwrap_or("");
                if let Some(multi) = &self.multi {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix} {elapsed:>4} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(format!("{step} ({kind})"));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.bars.insert(step.clone(), bar);
                } else {
                    self.line(&format!("  start  {step} ({kind})"));
                }
            }
            Event::Retrying {
                step,
                attempt,
                reason,
            } => match self.bars.get(step) {
                Some(bar) => bar.set_message(format!("retry {attempt}: {reason}")),
                None => self.line(&format!("  retry  {step}: attempt {attempt}: {reason}")),
            },
            Event::Finished {
                step,
                outcome,
                elapsed,
            } => {
                let (word, _) = mark(outcome);
                let detail = match outcome {
                    StepOutcome::Succeeded => String::new(),
                    StepOutcome::Failed { message } | StepOutcome::Cancelled { message } => {
                        format!(": {message}")
                    }
                };
                if let Some(bar) = self.bars.remove(step) {
                    bar.finish_and_clear();
                }
                self.line(&format!("  {word:<6} {step} {}{detail}", seconds(*elapsed)));
            }
            Event::Skipped { step, because } => {
                self.line(&format!("  skip   {step}: `{because}` did not succeed"));
            }
            Event::Stopping { reason, running } => {
                let names: Vec<String> = running.iter().map(ToString::to_string).collect();
                let waiting = if names.is_empty() {
                    String::new()
                } else {
                    format!("; finishing calls in flight: {}", names.join(", "))
                };
                self.line(&format!("  stop   {}{waiting}", reason_text(reason)));
            }
            Event::Cancelled { step, reason } => {
                self.line(&format!("  not run {step}: {}", reason_text(reason)));
            }
        }
    }

    pub fn finish(&mut self) {
        for (_, bar) in self.bars.drain() {
            bar.finish_and_clear();
        }
    }
}

pub fn reason_text(reason: &awslab_executor::CancelReason<StepId>) -> String {
    match reason {
        awslab_executor::CancelReason::FailFast { step } => {
            format!("--fail-fast after `{step}` failed")
        }
        awslab_executor::CancelReason::Interrupted => "interrupted".to_owned(),
    }
}

fn event_json(event: &Event<StepId>, kinds: &HashMap<StepId, &'static str>) -> serde_json::Value {
    let kind = |step: &StepId| kinds.get(step).copied().unwrap_or("");
    match event {
        Event::Started { step } => {
            json!({"event": "started", "step": step.as_str(), "kind": kind(step)})
        }
        Event::Retrying {
            step,
            attempt,
            reason,
        } => {
            json!({"event": "retrying", "step": step.as_str(), "attempt": attempt, "reason": reason})
        }
        Event::Finished {
            step,
            outcome,
            elapsed,
        } => {
            let message = match outcome {
                StepOutcome::Succeeded => None,
                StepOutcome::Failed { message } | StepOutcome::Cancelled { message } => {
                    Some(message.as_str())
                }
            };
            json!({"event": "finished", "step": step.as_str(), "kind": kind(step), "status": mark(outcome).1, "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX), "message": message})
        }
        Event::Skipped { step, because } => {
            json!({"event": "skipped", "step": step.as_str(), "because": because.as_str()})
        }
        Event::Stopping { reason, running } => {
            json!({"event": "stopping", "reason": reason_text(reason), "running": running.iter().map(StepId::as_str).collect::<Vec<_>>()})
        }
        Event::Cancelled { step, reason } => {
            json!({"event": "not_run", "step": step.as_str(), "reason": reason_text(reason)})
        }
    }
}
