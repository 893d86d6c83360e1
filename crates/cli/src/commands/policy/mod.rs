//! `awslab policy simulate` (the offline counterpart of `aws iam simulate-custom-policy`,
//! in `simulate.rs`) and `awslab policy check` (the structural checks the planner
//! applies to embedded policies, in `check.rs`): read policy files, run
//! `awslab-policy`, and render the decision as text or JSON, or the malformed-policy
//! diagnostics with miette. Their arguments are in `crate::cli::policy`.

mod check;
mod simulate;

use std::fmt::Write as _;
use std::path::Path;

use awslab_policy::{PolicyDocument, PolicyError, PolicyKind};

use crate::cli::policy::PolicyCommand;
use crate::exit::Status;

/// Runs a `policy` subcommand and returns its exit status.
pub fn run(command: PolicyCommand) -> Status {
    match command {
        PolicyCommand::Simulate(args) => simulate::simulate(&args),
        PolicyCommand::Check(args) => check::check(&args),
    }
}

/// A usage or input problem, already reported; the exit code is 2.
pub(super) struct Failed;

/// Reads and parses one policy file, reporting problems on stderr.
pub(super) fn load(path: &Path, kind: Option<PolicyKind>) -> Result<PolicyDocument, Failed> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{}`: {error}", path.display());
        Failed
    })?;
    let parsed = match kind {
        Some(kind) => PolicyDocument::parse_as(&text, kind),
        None => PolicyDocument::parse(&text),
    };
    parsed.map_err(|errors| {
        eprint!("{}", render_errors(path, &text, errors));
        Failed
    })
}

/// Renders parse errors with miette: file, line, column and the offending text.
fn render_errors(path: &Path, text: &str, errors: Vec<PolicyError>) -> String {
    let mut out = String::new();
    // The planner's source counts columns in characters (miette counts bytes); one copy
    // of the text, shared by every error.
    let source = awslab_planner::SourceFile::new(path, text.to_owned()).named_source();
    for error in errors {
        let report = miette::Report::new(error).with_source_code(std::sync::Arc::clone(&source));
        let _ = writeln!(out, "{}", crate::report::render_diagnostic(report.as_ref()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_policies_render_with_file_line_and_column() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}";
        let errors = PolicyDocument::parse_as(text, PolicyKind::Identity)
            .err()
            .unwrap_or_default();
        let rendered = render_errors(Path::new("user.json"), text, errors);
        assert!(rendered.contains("policy::unknown_effect"), "{rendered}");
        assert!(rendered.contains("user.json:3:18"), "{rendered}");
    }
}
