//! Logs: `tracing` events to stderr, at `warn` by default and more with each `-v`.
//! Other crates' logs (the AWS SDK's) show only errors by default: their warnings are
//! about things awslab handles itself (a config file named by `AWS_CONFIG_FILE` that
//! awslab is about to create) and would only puzzle a newcomer; `-v` shows them.
//! `RUST_LOG` overrides the levels (for debugging the SDK itself).
//!
//! Secrets never reach the log, whatever the levels: the SDK's orchestrator writes
//! whole requests and responses (a `CreateAccessKey` or `AssumeRole` answer holds a
//! secret, a tagged resource a secret variable) at `trace`, so its `trace` events are
//! dropped even under `RUST_LOG=trace`; and every line passes through
//! [`awslab_executor::redaction::redact`] before it is written, which blanks every
//! secret the process knows and every value after a secret's wire name.

use std::io::{self, Write};

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt as _, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// The SDK module that logs whole requests and responses at `trace`.
const BODY_LOGGER: &str = "aws_smithy_runtime::client::orchestrator";

pub fn init(verbose: u8) {
    let levels =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(verbose)));
    let no_bodies = filter_fn(|meta| !logs_bodies(*meta.level(), meta.target()));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(RedactingStderr)
        .with_ansi(crate::report::color())
        .with_target(verbose >= 2)
        .with_filter(levels.and(no_bodies));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Whether an event at `level` from `target` may hold a whole request or response
/// (these are never logged, whatever `RUST_LOG` says).
fn logs_bodies(level: Level, target: &str) -> bool {
    level == Level::TRACE
        && target
            .strip_prefix(BODY_LOGGER)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// The filter for `-v` repeated `verbose` times.
fn directives(verbose: u8) -> String {
    let (level, others) = match verbose {
        0 => ("warn", "error"),
        1 => ("info", "warn"),
        2 => ("debug", "warn"),
        _ => ("trace", "warn"),
    };
    format!(
        "{others},awslab_cli={level},awslab_executor={level},awslab_planner={level},awslab_policy={level}"
    )
}

/// Makes one [`RedactedLine`] per event.
struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactedLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactedLine(Vec::new())
    }
}

/// One event's text, gathered whole (so a secret is never split between two writes),
/// then redacted and written to stderr when dropped.
struct RedactedLine(Vec<u8>);

impl Write for RedactedLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactedLine {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.0);
        let _ = io::stderr()
            .lock()
            .write_all(awslab_executor::redaction::redact(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::{directives, logs_bodies};

    #[test]
    fn sdk_warnings_only_with_verbose_and_sdk_bodies_never() {
        assert!(directives(0).starts_with("error,"));
        assert!(directives(1).starts_with("warn,"));
        assert!(directives(1).contains("awslab_executor=info"));
        for verbose in 2..=5 {
            assert!(
                directives(verbose).starts_with("warn,"),
                "{}",
                directives(verbose)
            );
        }
    }

    #[test]
    fn the_sdk_body_logger_is_silent_at_trace_whatever_rust_log_says() {
        use tracing::Level;
        assert!(logs_bodies(
            Level::TRACE,
            "aws_smithy_runtime::client::orchestrator"
        ));
        assert!(logs_bodies(
            Level::TRACE,
            "aws_smithy_runtime::client::orchestrator::http"
        ));
        assert!(!logs_bodies(
            Level::DEBUG,
            "aws_smithy_runtime::client::orchestrator"
        ));
        assert!(!logs_bodies(
            Level::TRACE,
            "aws_smithy_runtime::client::retries"
        ));
        assert!(!logs_bodies(Level::TRACE, "awslab_executor"));
    }
}
