//! Logs: `tracing` events to stderr, at `warn` by default and more with each `-v`.
//! The AWS SDK's own logs stay at `warn` whatever `-v` says, because at debug level
//! and beyond they can include request and response bodies, and a response to
//! `CreateAccessKey` or `AssumeRole` holds a secret. `RUST_LOG` overrides everything
//! (for debugging the SDK itself, at your own risk).

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,awslab_cli={level},awslab_executor={level},awslab_planner={level},awslab_policy={level}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::report::color())
        .with_target(verbose >= 2)
        .try_init();
}
