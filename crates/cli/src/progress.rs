//! Live progress of `up` and `down`: a spinner per running step with its elapsed time
//! and retries on a terminal, plain lines otherwise, or one JSON line per event
//! (`--output json`). Everything it shows comes from [`RunEvent`], which carries step
//! ids, kinds, statuses, resource labels and messages, never secrets.

use std::collections::HashMap;
use std::io::{IsTerminal, Write as _};
use std::time::Duration;

use awslab_executor::RunEvent;
use awslab_executor::events::human_duration;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::cli::OutputFormat;

/// Renders events as they come.
pub struct Progress {
    format: OutputFormat,
    multi: Option<MultiProgress>,
    bars: HashMap<String, ProgressBar>,
}

impl Progress {
    pub fn new(format: OutputFormat) -> Self {
        let live = format == OutputFormat::Human
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Progress {
            format,
            multi: live.then(MultiProgress::new),
            bars: HashMap::new(),
        }
    }

    /// Prints one JSON line (JSON mode).
    pub fn json(value: &impl Serialize) {
        let mut out = std::io::stdout().lock();
        if let Ok(text) = serde_json::to_string(value) {
            let _ = writeln!(out, "{text}");
        }
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

    /// A line for people on stdout (teardown's receipt lines).
    fn out(text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    pub fn handle(&mut self, event: &RunEvent) {
        if self.format == OutputFormat::Json {
            Self::json(event);
            return;
        }
        match event {
            RunEvent::Run {
                run_id,
                plan,
                resumed,
                ..
            } => self.line(&format!(
                "Run `{run_id}` of plan `{plan}`{}",
                if *resumed { " (resumed)" } else { "" }
            )),
            RunEvent::Started { step, kind } => {
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
            RunEvent::Retrying {
                step,
                attempt,
                reason,
            } => match self.bars.get(step) {
                Some(bar) => bar.set_message(format!("retry {attempt}: {reason}")),
                None => self.line(&format!("  retry  {step}: attempt {attempt}: {reason}")),
            },
            RunEvent::Finished {
                step,
                status,
                elapsed_ms,
                message,
                ..
            } => {
                let detail = message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                if let Some(bar) = self.bars.remove(step) {
                    bar.finish_and_clear();
                }
                let took = human_duration(Duration::from_millis(*elapsed_ms));
                self.line(&format!("  {:<6} {step} {took}{detail}", status.word()));
            }
            RunEvent::Skipped { step, because } => {
                self.line(&format!("  skip   {step}: `{because}` did not succeed"));
            }
            RunEvent::Stopping { reason, running } => {
                let waiting = if running.is_empty() {
                    String::new()
                } else {
                    format!("; finishing calls in flight: {}", running.join(", "))
                };
                self.line(&format!("  stop   {reason}{waiting}"));
            }
            RunEvent::NotRun { step, reason } => self.line(&format!("  not run {step}: {reason}")),
            RunEvent::Summary { .. } => {}
            RunEvent::Deleting { resource } => {
                if resource.starts_with("cloudformation stack") {
                    self.line(&format!(
                        "  deleting {resource} (waiting for CloudFormation)"
                    ));
                }
            }
            RunEvent::Deleted { resource } => Self::out(&format!("  deleted  {resource}")),
            RunEvent::Gone { resource, remark } => {
                Self::out(&format!("  gone     {resource} ({remark})"));
            }
            RunEvent::Left { resource, reason } => {
                Self::out(&format!("  LEFT     {resource}: {reason}"));
            }
            RunEvent::LeftOnPurpose { resource, reason } => {
                Self::out(&format!(
                    "  kept     {resource}: left on purpose, not this run's: {reason}"
                ));
            }
            RunEvent::Teardown {
                run_id,
                left,
                left_on_purpose,
                damaged_journal,
                partial,
                ..
            } => Self::teardown_end(
                run_id,
                (left, left_on_purpose),
                damaged_journal.as_deref(),
                *partial,
            ),
        }
    }

    /// The last line of `down`: nothing is left only when a sound journal says so.
    fn teardown_end(
        run_id: &str,
        (left, left_on_purpose): (
            &[awslab_executor::events::Left],
            &[awslab_executor::events::Left],
        ),
        damaged_journal: Option<&str>,
        partial: bool,
    ) {
        if damaged_journal.is_some() {
            Self::out("The journal is damaged: what this run left cannot be told from it.");
        } else if left.is_empty() && left_on_purpose.is_empty() && partial {
            Self::out(&format!(
                "Nothing of what this down was given is left; the rest of the run is still there (`awslab down {run_id}` tears it down)."
            ));
        } else if left.is_empty() && left_on_purpose.is_empty() {
            Self::out("Nothing is left.");
        } else if left.is_empty() {
            Self::out(&format!(
                "Nothing of this run is left; {} resource(s) of someone else's were left on purpose.",
                left_on_purpose.len()
            ));
        } else {
            Self::out(&format!(
                "{} resource(s) left; fix the cause and run `awslab down {run_id}` again.",
                left.len()
            ));
            if left.iter().any(|l| l.reason.starts_with("not ours")) {
                Self::out(&format!(
                    "What is someone else's stays; `awslab down {run_id} --forget-foreign` records that it is left on purpose."
                ));
            }
        }
    }

    pub fn finish(&mut self) {
        for (_, bar) in self.bars.drain() {
            bar.finish_and_clear();
        }
    }
}
