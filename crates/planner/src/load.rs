//! The planner's entry points: read, check and seal a plan, failing once with every
//! diagnostic sorted by position.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::checks;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::graph::{self, SealedPlan};
use crate::limits::MAX_PLAN_BYTES;
use crate::plan::{self, VarFile, include};
use crate::references;
use crate::source::{SourceFile, Span};

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

/// How to load a plan: `--var` and `--secret-var` values, and the folders besides the
/// plan's own from which it may read files (`--allow-files-from`).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE` overrides.
    pub overrides: Vec<(String, String)>,
    /// `--secret-var NAME=VALUE` overrides: the variable becomes secret (never printed,
    /// never journaled in clear).
    pub secret_overrides: Vec<(String, String)>,
    /// Folders outside the plan's own from which the plan may read templates, objects
    /// and token files.
    pub allowed_dirs: Vec<PathBuf>,
    /// `--var-file FILE` files, applied in order over `vars:` and before `overrides`.
    pub var_files: Vec<PathBuf>,
}

/// Reads, checks and seals the plan at `path`, with `--var` overrides.
pub fn load(path: &Path, overrides: &[(String, String)]) -> Result<SealedPlan, LoadError> {
    load_with(
        path,
        &LoadOptions {
            overrides: overrides.to_vec(),
            ..LoadOptions::default()
        },
    )
}

/// Reads, checks and seals the plan at `path`.
pub fn load_with(path: &Path, options: &LoadOptions) -> Result<SealedPlan, LoadError> {
    let file = read_plan_file(path)?;
    let mut var_files = Vec::with_capacity(options.var_files.len());
    for var_file in &options.var_files {
        var_files.push(VarFile::parse(read_yaml_file(var_file, "variable file")?));
    }
    check_with_var_files(file, options, var_files)
}

/// Reads, checks and seals the plan at `path` for a class: every step copied once per
/// learner (`STEP[NAME]`, see [`crate::plan::Class`]).
pub fn load_class(
    path: &Path,
    options: &LoadOptions,
    class: &plan::Class,
) -> Result<SealedPlan, LoadError> {
    let file = read_plan_file(path)?;
    let mut var_files = Vec::with_capacity(options.var_files.len());
    for var_file in &options.var_files {
        var_files.push(VarFile::parse(read_yaml_file(var_file, "variable file")?));
    }
    check_class(file, options, var_files, Some(class))
}

/// Reads a plan file: at most [`MAX_PLAN_BYTES`], and UTF-8 (a file that is not gets a
/// located error at its first bad byte).
pub fn read_plan_file(path: &Path) -> Result<SourceFile, LoadError> {
    read_yaml_file(path, "plan")
}

/// Reads a YAML file the plan uses (`what`: "plan", "variable file", "fragment") under
/// the plan's budgets: at most [`MAX_PLAN_BYTES`], and UTF-8. Its lines are never drawn
/// unless it is a plan or fragment.
pub fn read_yaml_file(path: &Path, what: &str) -> Result<SourceFile, LoadError> {
    let read_error = |error| LoadError::Read {
        path: path.display().to_string(),
        error,
    };
    // Look before opening: opening a pipe would wait for a writer, and a device such
    // as `/dev/zero` never ends.
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(read_error(std::io::Error::other(
            "not a regular file (a folder, device or pipe)",
        )));
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_PLAN_BYTES).unwrap_or(u64::MAX);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > MAX_PLAN_BYTES {
        bytes.truncate(MAX_PLAN_BYTES);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut diags = Diagnostics::new(SourceFile::new(path, text));
        diags
            .error(
                "plan::budget",
                Span::new(0, 0),
                format!(
                    "the {what} has {} bytes; a {what} may have at most {MAX_PLAN_BYTES}",
                    meta.len().max(limit + 1)
                ),
            )
            .help("a lab plan is a few kilobytes; move large content into files next to it")
            .emit();
        return Err(invalid(path, diags.into_sorted()));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            let bad = err.as_bytes().get(at).copied().unwrap_or_default();
            let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let mut diags = Diagnostics::new(SourceFile::new(path, text));
            let len = diags.file().text[at..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
            diags
                .error(
                    "plan::encoding",
                    Span::new(at, len),
                    format!("the {what} is not UTF-8 text: byte 0x{bad:02X} cannot start a character here"),
                )
                .label("not UTF-8")
                .help("save the file as UTF-8 (a Latin-1 `é` is the byte 0xE9; in UTF-8 it is 0xC3 0xA9)")
                .emit();
            Err(invalid(path, diags.into_sorted()))
        }
    }
}

/// Checks and seals a plan from its text.
pub fn check_source(
    file: SourceFile,
    overrides: &[(String, String)],
) -> Result<SealedPlan, LoadError> {
    check_source_with(
        file,
        &LoadOptions {
            overrides: overrides.to_vec(),
            ..LoadOptions::default()
        },
    )
}

/// Checks and seals a plan from its text, with every option.
pub fn check_source_with(file: SourceFile, options: &LoadOptions) -> Result<SealedPlan, LoadError> {
    let mut var_files = Vec::with_capacity(options.var_files.len());
    for var_file in &options.var_files {
        var_files.push(VarFile::parse(read_yaml_file(var_file, "variable file")?));
    }
    check_with_var_files(file, options, var_files)
}

/// Checks and seals a plan with its variable files parsed; their diagnostics come
/// first, each located in its own file, then those of included fragments.
pub fn check_with_var_files(
    file: SourceFile,
    options: &LoadOptions,
    var_files: Vec<VarFile>,
) -> Result<SealedPlan, LoadError> {
    check_class(file, options, var_files, None)
}

/// [`check_with_var_files`], for a class when `class` is given.
fn check_class(
    file: SourceFile,
    options: &LoadOptions,
    mut var_files: Vec<VarFile>,
    class: Option<&plan::Class>,
) -> Result<SealedPlan, LoadError> {
    let path = file.path().to_path_buf();
    let base_dir = path
        .parent()
        .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
    let mut context = include::Context {
        roots: crate::source::file_roots(&base_dir, &options.allowed_dirs),
        base_dir: base_dir.clone(),
        allowed_dirs: options.allowed_dirs.clone(),
        stack: std::fs::canonicalize(&path).into_iter().collect(),
        loader: Some(FRAGMENTS),
        ..include::Context::default()
    };
    let mut from_files = Vec::new();
    let (sealed, diags) = check_inner(
        file,
        &options.overrides,
        &options.secret_overrides,
        &mut var_files,
        &mut context,
        class,
    );
    let mut file_errors = context.failed;
    for var_file in var_files {
        file_errors |= var_file.has_errors();
        from_files.extend(var_file.into_diagnostics());
    }
    // A nested fragment is read both when its parent is checked alone and when it is
    // copied in: its diagnostics come twice.
    let mut included = context.diagnostics;
    included
        .sort_by(|a, b| (&a.location, a.code, &a.message).cmp(&(&b.location, b.code, &b.message)));
    included
        .dedup_by(|a, b| a.location == b.location && a.code == b.code && a.message == b.message);
    from_files.extend(included);
    match sealed {
        Some(sealed) if !file_errors && !diags.has_errors() => {
            Ok(sealed.with_warnings(diags.into_sorted()))
        }
        _ => {
            let mut sorted = diags.into_sorted();
            if class.is_some() {
                // Every learner's copy of a step has the step's mistakes: each is said once.
                let mut seen = std::collections::HashSet::new();
                sorted.retain(|d| seen.insert((d.location.clone(), d.code)));
            }
            from_files.extend(sorted);
            Err(invalid(&path, from_files))
        }
    }
}

/// Checks a fragment alone (`include:`), with the include's literal inputs, its files
/// resolved against the main plan's folder: what it declares, or its errors.
/// How `include:` reads and checks fragments: with this module's own entry points.
const FRAGMENTS: include::Loader = include::Loader {
    read: read_fragment,
    check: check_fragment,
};

fn read_fragment(path: &Path, what: &str) -> Result<SourceFile, include::Unreadable> {
    read_yaml_file(path, what).map_err(|error| match error {
        LoadError::Invalid { diagnostics, .. } => include::Unreadable::Invalid(diagnostics),
        other @ LoadError::Read { .. } => include::Unreadable::Other(other.to_string()),
    })
}

fn check_fragment(
    file: SourceFile,
    overrides: &[(String, String)],
    context: &mut include::Context,
) -> Result<include::Declared, Vec<Diagnostic>> {
    let (sealed, diags) = check_inner(file, overrides, &[], &mut [], context, None);
    match sealed {
        Some(sealed) if !diags.has_errors() => Ok(include::Declared {
            vars: sealed
                .plan
                .vars
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone()))
                .collect(),
            collections: sealed.plan.collections.clone(),
            secrets: sealed.plan.secrets.iter().cloned().collect(),
        }),
        _ => Err(diags.into_sorted()),
    }
}

/// The checks of one file (a plan or a fragment): its diagnostics, and the sealed plan
/// if it got that far.
fn check_inner(
    file: SourceFile,
    overrides: &[(String, String)],
    secret_overrides: &[(String, String)],
    var_files: &mut [VarFile],
    context: &mut include::Context,
    class: Option<&plan::Class>,
) -> (Option<SealedPlan>, Diagnostics) {
    let path = file.path().to_path_buf();
    let mut diags = Diagnostics::new(file);
    let plan = plan::read_with(
        &mut diags,
        overrides,
        secret_overrides,
        var_files,
        Some(context),
        class,
    );
    let Some(plan) = plan else {
        return (None, diags);
    };
    plan::check_accounts(&mut diags, &plan);
    plan::check_parent_accounts(&mut diags, &plan);
    references::check_vars(&mut diags, &plan);
    let dependencies = references::collect(&mut diags, &plan);
    checks::check_plan(&mut diags, &plan, &context.base_dir, &context.allowed_dirs);
    let Some((graph, index)) = graph::build(&mut diags, &plan, &dependencies) else {
        return (None, diags);
    };
    let sealed = SealedPlan::seal(plan, path, graph, index, Vec::new());
    checks::check_sealed(&mut diags, &sealed);
    (Some(sealed), diags)
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>) -> LoadError {
    LoadError::Invalid {
        path: path.display().to_string(),
        diagnostics,
    }
}
