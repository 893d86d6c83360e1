//! Rendering diagnostics and messages for people: miette's graphical reports (colour
//! only on a terminal and never with `NO_COLOR`), `hint:` lines, and a summary.
//!
//! Whatever a diagnostic quotes comes from a file someone else may have written, so
//! two things hold for every diagnostic rendered here, whichever command made it:
//! - a snippet is shown only when each line it would show is at most
//!   [`MAX_SNIPPET_LINE_BYTES`] long; otherwise the diagnostic says where it is and
//!   that "the line is too long to show" (miette cannot pad past column 65,535, and a
//!   10,000-column snippet helps nobody);
//! - control characters (an `ESC ]0;...BEL` would retitle the terminal) are shown
//!   escaped, as `\u{1b}`, never written raw: see [`terminal_safe`].

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use awslab_planner::{Diagnostic, LoadError, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};

/// The longest line a snippet shows (the planner's own snippets use the same bound).
pub const MAX_SNIPPET_LINE_BYTES: usize = 1_000;

/// Whether stderr may carry colour.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1)
}

/// Renders one diagnostic with its snippet, or, when a line it would show is too long,
/// with where it is instead; control characters escaped.
pub fn render_diagnostic(diagnostic: &dyn miette::Diagnostic) -> String {
    match too_long_to_show(diagnostic) {
        Some(location) => render_safely(&WithoutSnippet {
            inner: diagnostic,
            location,
        }),
        None => render_safely(diagnostic),
    }
}

/// Renders without colour first: if that text holds a control character, it is
/// returned escaped (colour would mix miette's own escapes with the file's); if not,
/// it is rendered again in colour when stderr takes colour.
fn render_safely(diagnostic: &dyn miette::Diagnostic) -> String {
    let render = |color: bool| {
        let mut out = String::new();
        if handler(color).render_report(&mut out, diagnostic).is_err() {
            out = diagnostic.to_string();
        }
        out
    };
    let plain = render(false);
    match terminal_safe(&plain) {
        Cow::Owned(escaped) => escaped,
        Cow::Borrowed(_) if color() => render(true),
        Cow::Borrowed(_) => plain,
    }
}

/// Whether `c` may not be written to a terminal as it is: C0 and C1 controls but line
/// feed and tab, DEL, and the bidirectional overrides and isolates (which reorder what
/// a person reads).
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal would act on (see [`is_unsafe`]) written as
/// an escape (`\u{1b}`); borrowed when there is none.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Where the first label of `diagnostic` is (`NAME:LINE:COLUMN`, columns in
/// characters) when a line holding one of its labels is longer than
/// [`MAX_SNIPPET_LINE_BYTES`]; `None` when its snippet can be shown.
fn too_long_to_show(diagnostic: &dyn miette::Diagnostic) -> Option<String> {
    let source = diagnostic.source_code()?;
    let labels: Vec<LabeledSpan> = diagnostic.labels()?.collect();
    let mut first = None;
    let mut too_long = false;
    for label in &labels {
        // What the handler would show: the label's lines and one line either side.
        if let Ok(shown) = source.read_span(label.inner(), 1, 1) {
            too_long |= shown
                .data()
                .split(|&b| b == b'\n')
                .any(|line| line.len() > MAX_SNIPPET_LINE_BYTES);
        }
        let Ok(contents) = source.read_span(label.inner(), 0, 0) else {
            continue;
        };
        let data = contents.data();
        if first.is_none() {
            let at = label
                .offset()
                .saturating_sub(contents.span().offset())
                .min(data.len());
            let line_start = data[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |newline| newline + 1);
            let chars = String::from_utf8_lossy(&data[line_start..at])
                .chars()
                .count();
            let column = if line_start == 0 {
                contents.column() + chars
            } else {
                chars
            } + 1;
            let line = contents.line() + 1 + data[..line_start].split(|&b| b == b'\n').count() - 1;
            first = Some(match contents.name() {
                Some(name) => format!("{name}:{line}:{column}"),
                None => format!("line {line}, column {column}"),
            });
        }
    }
    if too_long { first } else { None }
}

/// A diagnostic shown without its source: the same code, message, severity and help,
/// with where it is added to the help.
struct WithoutSnippet<'a> {
    inner: &'a dyn miette::Diagnostic,
    location: String,
}

impl fmt::Debug for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.inner, f)
    }
}

impl fmt::Display for WithoutSnippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.inner, f)
    }
}

impl std::error::Error for WithoutSnippet<'_> {}

impl miette::Diagnostic for WithoutSnippet<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.inner.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let at = format!("at {} (the line is too long to show)", self.location);
        Some(Box::new(match self.inner.help() {
            Some(help) => format!("{help}\n{at}"),
            None => at,
        }))
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.inner.url()
    }

    fn diagnostic_source(&self) -> Option<&dyn miette::Diagnostic> {
        self.inner.diagnostic_source()
    }
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
