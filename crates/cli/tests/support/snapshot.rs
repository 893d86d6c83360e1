//! Snapshots of awslab's output (insta), with what varies from run to run redacted the
//! same way for every command: [`settings`] gives the insta filters, and [`Secrets`]
//! proves, before anything is snapshotted, that no secret is in the text. Every output
//! snapshot (`up`, `down`, `status`, and the commands to come) goes through here:
//!
//! ```ignore
//! let secrets = Secrets::of_run(&lab, &run_id, &["user", "assumed"]);
//! snapshot!(secrets, "up_stdout", &[lab.files.dir()], stdout(&up));
//! ```
//!
//! Redacted: temporary paths (`[TEMP]`), loopback ports, generated run ids
//! (`[RUN-ID]`), dates and times (`[DATE]`), durations (`[TIME]`, the padding of a
//! table's time column included), account ids (`[ACCOUNT]`), access key ids
//! (`[ACCESS-KEY-ID]`), IAM unique ids (`[UNIQUE-ID]`), UUIDs (request and stack ids,
//! `[UUID]`), the random suffix `CloudFormation` gives physical names (`-[CFN-SUFFIX]`),
//! the request context's `aws:epochtime` and JSON's `elapsed_ms`, `settle_ms` and
//! `request_ids`.

use std::path::Path;
use std::process::Output;

use super::Lab;

/// Escapes `text` for a regex.
fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// The filters, in order (insta applies them one after the other).
pub fn filters(temps: &[&Path]) -> Vec<(String, String)> {
    let mut filters: Vec<(String, String)> = temps
        .iter()
        .map(|temp| (regex_escape(&temp.to_string_lossy()), "[TEMP]".to_owned()))
        .collect();
    let fixed: &[(&str, &str)] = &[
        // JSON events: timings and request ids (their number follows retries).
        (r#""(elapsed_ms|settle_ms)":\d+"#, r#""${1}":"[MS]""#),
        (r#""request_ids":\[[^\]]*\]"#, r#""request_ids":"[UUIDS]""#),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        // `RunId::generate`: the date, the time and four hex digits (fewer where a
        // name that holds it is cut short, as CloudFormation's physical names are).
        (r"\b\d{8}-\d{6}(?:-[0-9a-f]{1,4})?\b", "[RUN-ID]"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})",
            "[DATE]",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", "[ACCESS-KEY-ID]"),
        (r"\bA(?:IDA|ROA|GPA|NPA|IPA)[A-Z0-9]{12,}\b", "[UNIQUE-ID]"),
        (r"\b\d{12}\b", "[ACCOUNT]"),
        (r"(aws:epochtime = )\d+", "${1}[EPOCH]"),
        (r"-[A-Z0-9]{12}\b", "-[CFN-SUFFIX]"),
        // Durations, with the padding that right-aligns them.
        (r" +\d+(?:\.\d+)?(?:ms|s)\b", " [TIME]"),
    ];
    filters.extend(
        fixed
            .iter()
            .map(|(regex, replacement)| ((*regex).to_owned(), (*replacement).to_owned())),
    );
    filters
}

/// insta settings with [`filters`].
pub fn settings(temps: &[&Path]) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (regex, replacement) in filters(temps) {
        settings.add_filter(&regex, replacement);
    }
    settings
}

/// The secrets a snapshot must never hold: the operator's secret key and each
/// credential-bearing step's secret key and session token, read with `awslab env`.
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// The operator's secret and those of `steps` of run `run_id` (each step must have
    /// credentials: a step without them is a mistake in the test).
    pub fn of_run(lab: &Lab, run_id: &str, steps: &[&str]) -> Secrets {
        let mut values = vec![lab.admin.secret_access_key.clone()];
        for step in steps {
            let output = lab.awslab(&["env", run_id, step]);
            assert!(output.status.success(), "{}", super::text(&output));
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
                if let Some(value) = stdout
                    .lines()
                    .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                {
                    values.push(value.trim_matches('\'').to_owned());
                }
            }
        }
        assert!(
            values.iter().all(|value| value.len() >= 16),
            "a secret too short to look for"
        );
        Secrets { values }
    }

    /// Exactly `values` (for a test of the check itself).
    pub fn from_values(values: Vec<String>) -> Secrets {
        Secrets { values }
    }

    /// How many secrets are looked for.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Fails if `text` holds one of the secrets (never printing the secret).
    pub fn assert_absent(&self, what: &str, text: &str) {
        for (index, secret) in self.values.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "{what} holds secret number {index} of the run"
            );
        }
    }
}

/// `snapshot!(secrets, NAME, TEMPS, TEXT)`: snapshots `TEXT` as `NAME` (in the calling
/// test file's `snapshots/`) with the shared [`filters`], after proving with `secrets`
/// (a [`Secrets`]) that it holds none of the run's secrets.
#[macro_export]
macro_rules! snapshot {
    ($secrets:expr, $name:expr, $temps:expr, $text:expr) => {{
        let text: &str = &$text;
        $secrets.assert_absent($name, text);
        $crate::support::snapshot::settings($temps).bind(|| insta::assert_snapshot!($name, text));
    }};
}

/// stdout of `output`, as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr of `output`, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
