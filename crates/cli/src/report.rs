//! Rendering diagnostics and messages for people: miette's graphical reports (colour
//! only on a terminal and never with `NO_COLOR`), `hint:` lines, and a summary.

use std::fmt::Write as _;
use std::io::IsTerminal;

use awslab_planner::{Diagnostic, LoadError, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme};

/// Whether stderr may carry colour.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn handler() -> GraphicalReportHandler {
    let theme = if color() {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
}

/// Renders one diagnostic with its snippet.
pub fn render_diagnostic(diagnostic: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    if handler().render_report(&mut out, diagnostic).is_err() {
        out = diagnostic.to_string();
    }
    out
}

/// Renders a plan's diagnostics followed by a one-line summary.
pub fn render_plan_diagnostics(path: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&render_diagnostic(d));
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if errors > 0 {
        let _ = writeln!(
            out,
            "error: `{path}` has {}{}",
            plural(errors, "error"),
            if warnings > 0 {
                format!(" and {}", plural(warnings, "warning"))
            } else {
                String::new()
            }
        );
    } else if warnings > 0 {
        let _ = writeln!(out, "warning: `{path}` has {}", plural(warnings, "warning"));
    }
    out
}

/// Renders a load error: every diagnostic, or the read error with its hint.
pub fn render_load_error(error: &LoadError) -> String {
    match error {
        LoadError::Invalid { path, diagnostics } => render_plan_diagnostics(path, diagnostics),
        LoadError::Read { .. } => render_diagnostic(error),
    }
}
