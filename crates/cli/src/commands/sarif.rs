//! `awslab validate --format sarif`: every plan error and warning as one SARIF 2.1.0
//! log on stdout, for code-scanning annotations (GitHub's `upload-sarif`). A result
//! per diagnostic, its rule id the diagnostic's stable code (`plan::cycle`), its level
//! `error` or `warning`, its location the plan file (a URI relative to the working
//! folder, as code scanning expects of paths in the repository) with line and column
//! (counted in characters: `columnKind` says so). The exit status is `validate`'s.

use std::fmt::Write as _;
use std::path::Path;

use awslab_planner::{Diagnostic, LoadError, Severity};
use serde_json::{Value, json};

use crate::cli::ValidateArgs;
use crate::exit::Status;

/// The SARIF schema the log names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// One problem, in SARIF's terms.
struct Finding {
    rule: String,
    level: &'static str,
    message: String,
    uri: String,
    /// Line and column from 1; `None` when the problem has no place in the file (it
    /// cannot be read).
    region: Option<(usize, usize)>,
}

pub fn validate(args: &ValidateArgs) -> Status {
    let mut findings = Vec::new();
    let mut status = Status::Success;
    for path in &args.plans {
        let uri = uri_of(path);
        match super::plan_file::load_for(path, &args.vars, &args.class) {
            Ok(sealed) => {
                findings.extend(sealed.warnings.iter().map(|d| finding(d, &uri)));
            }
            Err(LoadError::Invalid { diagnostics, .. }) => {
                status = Status::Invalid;
                findings.extend(diagnostics.iter().map(|d| finding(d, &uri)));
            }
            Err(error @ LoadError::Read { .. }) => {
                status = Status::Invalid;
                let help = miette::Diagnostic::help(&error)
                    .map(|help| format!("\nhelp: {help}"))
                    .unwrap_or_default();
                findings.push(Finding {
                    rule: "plan::read".to_owned(),
                    level: "error",
                    message: format!("{error}{help}"),
                    uri,
                    region: None,
                });
            }
        }
    }
    let log = log(&findings);
    println!("{}", serde_json::to_string_pretty(&log).unwrap_or_default());
    status
}

fn finding(diagnostic: &Diagnostic, uri: &str) -> Finding {
    let (line, column) = diagnostic.line_column();
    let help = diagnostic
        .help
        .as_deref()
        .map(|help| format!("\nhelp: {help}"))
        .unwrap_or_default();
    Finding {
        rule: diagnostic.code.to_owned(),
        level: match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        message: format!("{}{help}", diagnostic.message),
        uri: uri.to_owned(),
        region: (line > 0).then_some((line, column.max(1))),
    }
}

/// The SARIF log of `findings`: one run of the `awslab` tool, its rules (one per code
/// seen, in order of first appearance) and results.
fn log(findings: &[Finding]) -> Value {
    let mut rules: Vec<&str> = Vec::new();
    for finding in findings {
        if !rules.contains(&finding.rule.as_str()) {
            rules.push(&finding.rule);
        }
    }
    let rule_objects: Vec<Value> = rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule,
                "name": rule.replace("::", "/"),
                "shortDescription": { "text": format!("awslab plan check `{rule}`") },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let mut physical = json!({
                "artifactLocation": { "uri": finding.uri, "uriBaseId": "%SRCROOT%" },
            });
            if let Some((line, column)) = finding.region {
                physical["region"] = json!({ "startLine": line, "startColumn": column });
            }
            json!({
                "ruleId": finding.rule,
                "ruleIndex": rules.iter().position(|rule| *rule == finding.rule),
                "level": finding.level,
                "message": { "text": finding.message },
                "locations": [ { "physicalLocation": physical } ],
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [ {
            "tool": { "driver": {
                "name": "awslab",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rule_objects,
            } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        } ],
    })
}

/// A path as a URI reference: relative to the working folder when it is inside it
/// (code scanning resolves it against the repository's root), `/`-separated, with
/// characters outside RFC 3986's unreserved set and `/` percent-encoded; an absolute
/// path elsewhere becomes a `file://` URI.
fn uri_of(path: &Path) -> String {
    let relative = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
    } else {
        Some(path.to_path_buf())
    };
    let (prefix, path) = match relative {
        Some(relative) => ("", relative),
        None => ("file://", path.to_path_buf()),
    };
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut encoded = String::from(prefix);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02X}");
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(
            uri_of(Path::new("./plans/my lab.yaml")),
            "plans/my%20lab.yaml"
        );
        assert_eq!(uri_of(Path::new("plans/ä.yaml")), "plans/%C3%A4.yaml");
        assert_eq!(
            uri_of(Path::new("/nowhere/else/lab.yaml")),
            "file:///nowhere/else/lab.yaml"
        );
    }

    #[test]
    fn rules_are_listed_once_and_results_point_at_them() {
        let finding = |rule: &str, level| Finding {
            rule: rule.to_owned(),
            level,
            message: "m".to_owned(),
            uri: "lab.yaml".to_owned(),
            region: Some((3, 5)),
        };
        let log = log(&[
            finding("plan::cycle", "error"),
            finding("plan::unused_var", "warning"),
            finding("plan::cycle", "error"),
        ]);
        let run = &log["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(run["results"][2]["ruleIndex"], 0);
        assert_eq!(run["results"][1]["level"], "warning");
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"],
            5
        );
    }
}
