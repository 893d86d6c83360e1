//! Logs: `tracing` events to stderr, at `warn` by default and more with each `-v`.
//! Other crates' logs (the AWS SDK's) show only errors by default: their warnings are
//! about things awslab handles itself (a config file named by `AWS_CONFIG_FILE` that
//! awslab is about to create) and would only puzzle a newcomer; `-v` shows them. They
//! never go past `warn` whatever `-v` says, because at debug level and beyond they
//! can include request and response bodies, and a response to `CreateAccessKey` or
//! `AssumeRole` holds a secret. `RUST_LOG` overrides everything (for debugging the
//! SDK itself, at your own risk).

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(verbose)));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::report::color())
        .with_target(verbose >= 2)
        .try_init();
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

#[cfg(test)]
mod tests {
    use super::directives;

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
}
