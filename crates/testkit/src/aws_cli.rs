//! Whether the real `aws` CLI can run here, for tests that drive it.

use std::process::Command;
use std::sync::OnceLock;

/// Whether `aws --version` runs. When it does not, `test` is skipped loudly (a line on
/// stderr), except under `CI=true`, where a missing CLI fails the test: CI installs it.
///
/// # Panics
/// Under `CI=true` when the CLI is missing.
pub fn aws_cli_installed(test: &str) -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        Command::new("aws")
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    });
    if installed {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the aws CLI is not installed; CI=true, so {test} cannot be skipped"
    );
    #[expect(clippy::print_stderr, reason = "a skipped test says so")]
    {
        eprintln!(
            "SKIPPED: the `aws` CLI is not installed (pip install awscli); {test} did not run"
        );
    }
    false
}
