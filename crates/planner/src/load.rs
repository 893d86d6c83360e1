//! The planner's entry points: read, check and seal a plan, failing once with every
//! diagnostic sorted by position.

use std::path::Path;

use crate::checks;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::graph::{self, SealedPlan};
use crate::plan;
use crate::references;
use crate::source::SourceFile;

/// Why a plan could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read plan `{path}`: {}", io_reason(error))]
    #[diagnostic(
        code(plan::read),
        help("check the path; plans are YAML files such as `plans/sts-assume-role.yaml`")
    )]
    Read {
        path: String,
        /// Said in the message, not chained, so it is printed once.
        error: std::io::Error,
    },
    /// The plan has errors (and perhaps warnings), sorted by position.
    #[error("{} in `{path}`", count_errors(diagnostics))]
    #[diagnostic(code(plan::invalid))]
    Invalid {
        path: String,
        #[related]
        diagnostics: Vec<Diagnostic>,
    },
}

fn count_errors(diagnostics: &[Diagnostic]) -> String {
    let n = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if n == 1 {
        "1 error".to_owned()
    } else {
        format!("{n} errors")
    }
}

/// An I/O error in words, without the OS error number.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a folder".to_owned(),
        std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_owned(),
        _ => error.to_string(),
    }
}

/// Reads, checks and seals the plan at `path`, with `--var` overrides.
pub fn load(path: &Path, overrides: &[(String, String)]) -> Result<SealedPlan, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|error| LoadError::Read {
        path: path.display().to_string(),
        error,
    })?;
    check_source(SourceFile::new(path, text), overrides)
}

/// Checks and seals a plan from its text.
pub fn check_source(
    file: SourceFile,
    overrides: &[(String, String)],
) -> Result<SealedPlan, LoadError> {
    let path = file.path().to_path_buf();
    let base_dir = path
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
    let mut diags = Diagnostics::new(file);
    let Some(plan) = plan::read(&mut diags, overrides) else {
        return Err(invalid(&path, diags.into_sorted()));
    };
    references::check_vars(&mut diags, &plan);
    let dependencies = references::collect(&mut diags, &plan);
    checks::check_plan(&mut diags, &plan, &base_dir);
    let Some((graph, index)) = graph::build(&mut diags, &plan, &dependencies) else {
        return Err(invalid(&path, diags.into_sorted()));
    };
    let sealed = SealedPlan::seal(plan, path.clone(), graph, index, Vec::new());
    checks::check_sealed(&mut diags, &sealed);
    let has_errors = diags.has_errors();
    let diagnostics = diags.into_sorted();
    if has_errors {
        return Err(invalid(&path, diagnostics));
    }
    Ok(sealed.with_warnings(diagnostics))
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>) -> LoadError {
    LoadError::Invalid {
        path: path.display().to_string(),
        diagnostics,
    }
}
