//! Plan diagnostics: every problem the planner finds, with a namespaced code, the
//! file, line and column, a label, and a `help` line where a fix can be named.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, SourceCode};

use crate::limits::shorten_message;
use crate::source::{PlanSource, SourceFile, Span};

/// How serious a diagnostic is: errors stop the plan, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a plan file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// A namespaced code such as `plan::cycle`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// `path:line:column` of the primary span.
    pub location: String,
    pub span: Span,
    /// Text under the primary span.
    pub label: Option<String>,
    /// Other places that matter (the first definition of a duplicate, ...).
    pub related: Vec<(Span, String)>,
    pub help: Option<String>,
    source: Arc<PlanSource>,
    /// False when the lines around the span are too long to draw; the location is
    /// then named in the help instead of a snippet.
    snippet: bool,
}

impl Diagnostic {
    pub fn line_column(&self) -> (usize, usize) {
        let mut parts = self.location.rsplitn(3, ':');
        let column = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
        let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
        (line, column)
    }

    /// A one-line rendering: `error[plan::cycle]: file:3:5: message`.
    pub fn one_line(&self) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!(
            "{severity}[{}]: {}: {}",
            self.code, self.location, self.message
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.then_some(&*self.source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), self.span);
        let related = self
            .related
            .iter()
            .map(|(span, text)| LabeledSpan::new_with_span(Some(text.clone()), *span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// Collects diagnostics for one source file.
#[derive(Debug)]
pub struct Diagnostics {
    file: SourceFile,
    source: Arc<PlanSource>,
    items: Vec<Diagnostic>,
    /// Diagnostics not kept once [`MAX_DIAGNOSTICS`] were: a hostile plan can have a
    /// problem in every one of 60,000 references, and nobody reads past the first few.
    dropped: usize,
    /// False for files that may hold secrets (`--var-file`): their lines are never
    /// drawn, only located.
    snippets: bool,
}

/// The most diagnostics kept for one plan.
pub const MAX_DIAGNOSTICS: usize = 200;

/// A diagnostic under construction; call [`Builder::emit`].
#[must_use]
pub struct Builder<'a> {
    /// Over [`MAX_DIAGNOSTICS`]: counted, not kept.
    dropped: bool,
    sink: &'a mut Diagnostics,
    diagnostic: Diagnostic,
    see: Vec<String>,
}

impl Builder<'_> {
    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.diagnostic.label = Some(text.into());
        self
    }
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.diagnostic.help = Some(text.into());
        self
    }
    pub fn maybe_help(mut self, text: Option<String>) -> Self {
        self.diagnostic.help = text;
        self
    }
    /// Another place that matters. Near the primary span it is drawn in the same
    /// snippet; far from it, it is named in a `see` line so that the snippet that
    /// comes first is always the one the message is about.
    pub fn related(mut self, span: Span, text: impl Into<String>) -> Self {
        if self.dropped {
            return self;
        }
        let file = self.sink.file();
        let (near, _) = file.line_column(self.diagnostic.span.offset);
        let (far, _) = file.line_column(span.offset);
        if near.abs_diff(far) <= 6 {
            self.diagnostic.related.push((span, text.into()));
        } else {
            self.see
                .push(format!("see {}: {}", file.locate(span), text.into()));
        }
        self
    }
    pub fn emit(mut self) {
        if self.dropped {
            self.sink.dropped += 1;
            return;
        }
        let file = self.sink.file();
        let snippets = self.sink.snippets;
        let d = &mut self.diagnostic;
        d.snippet = snippets
            && file.fits_snippet(d.span)
            && d.related.iter().all(|(span, _)| file.fits_snippet(*span));
        if !snippets {
            self.see.insert(0, format!("at {}", d.location));
            for (span, text) in d.related.drain(..) {
                self.see.push(format!("see {}: {text}", file.locate(span)));
            }
        } else if !d.snippet {
            self.see.insert(
                0,
                format!("at {} (the line is too long to show)", d.location),
            );
            d.related.clear();
        }
        d.message = shorten_message(&d.message);
        d.label = d.label.as_deref().map(shorten_message);
        if !self.see.is_empty() {
            let see = self.see.join("\n");
            self.diagnostic.help = Some(match self.diagnostic.help.take() {
                Some(help) => format!("{help}\n{see}"),
                None => see,
            });
        }
        self.diagnostic.help = self.diagnostic.help.as_deref().map(shorten_message);
        self.sink.items.push(self.diagnostic);
    }
}

impl Diagnostics {
    pub fn new(file: SourceFile) -> Self {
        let source = file.named_source();
        Diagnostics {
            file,
            source,
            items: Vec::new(),
            dropped: 0,
            snippets: true,
        }
    }

    /// Diagnostics for a file whose lines are never drawn (a variable file may hold
    /// secrets): each names its `file:line:column` only.
    #[must_use]
    pub fn without_snippets(mut self) -> Self {
        self.snippets = false;
        self
    }

    pub fn file(&self) -> &SourceFile {
        &self.file
    }

    fn make(
        &mut self,
        severity: Severity,
        code: &'static str,
        span: Span,
        message: String,
    ) -> Builder<'_> {
        let full = self.is_full();
        let diagnostic = Diagnostic {
            code,
            severity,
            message,
            // Locating costs a scan of the line; a dropped diagnostic skips it.
            location: if full {
                String::new()
            } else {
                self.file.locate(span)
            },
            span,
            label: None,
            related: Vec::new(),
            help: None,
            source: Arc::clone(&self.source),
            snippet: true,
        };
        Builder {
            dropped: full,
            sink: self,
            diagnostic,
            see: Vec::new(),
        }
    }

    pub fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Builder<'_> {
        self.make(Severity::Error, code, span, message.into())
    }

    pub fn warning(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
    ) -> Builder<'_> {
        self.make(Severity::Warning, code, span, message.into())
    }

    pub fn has_errors(&self) -> bool {
        self.dropped > 0 || self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// True once [`MAX_DIAGNOSTICS`] are kept: later ones are only counted, and
    /// loops over a hostile plan's many values may stop early (the plan has errors).
    pub fn is_full(&self) -> bool {
        self.items.len() >= MAX_DIAGNOSTICS
            && self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// The diagnostics sorted by position (errors before warnings at one place),
    /// without exact repeats.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (a.span.offset, a.severity, a.code, &a.message).cmp(&(
                b.span.offset,
                b.severity,
                b.code,
                &b.message,
            ))
        });
        self.items
            .dedup_by(|a, b| a.span == b.span && a.code == b.code && a.message == b.message);
        if self.dropped > 0 || self.is_full() {
            let last = self.items.last().map_or(Span::default(), |d| d.span);
            let message = if self.dropped > 0 {
                format!(
                    "{} more problems are not shown; fix these and check again",
                    self.dropped
                )
            } else {
                format!(
                    "checking stopped after {MAX_DIAGNOSTICS} problems; fix these and check again"
                )
            };
            self.items.truncate(MAX_DIAGNOSTICS - 1);
            self.dropped = 0;
            let location = self.file.locate(last);
            let snippet = self.snippets && self.file.fits_snippet(last);
            self.items.push(Diagnostic {
                code: "plan::too_many_problems",
                severity: Severity::Error,
                message,
                help: (!snippet).then(|| format!("at {location} (the line is too long to show)")),
                location,
                span: last,
                label: None,
                related: Vec::new(),
                source: Arc::clone(&self.source),
                snippet,
            });
        }
        self.items
    }
}

/// The closest of `candidates` to `word`, for "did you mean" hints.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate, if any is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}
