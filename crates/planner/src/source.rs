//! Source files and positions: byte spans, and their line and column for messages.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub const fn new(offset: usize, len: usize) -> Self {
        Span { offset, len }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new(span.offset.into(), span.len)
    }
}

/// A plan file's name (as the user gave it) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, column + 1)
    }

    /// Whether the lines a snippet of `span` shows (one line of context either side)
    /// are few and short enough to draw: miette cannot draw a column past 65,535, and
    /// a hostile plan can be one line of a megabyte.
    pub fn fits_snippet(&self, span: Span) -> bool {
        const MAX_LINE_BYTES: usize = 1_000;
        const MAX_LINES: usize = 200;
        let (first, _) = self.line_column(span.offset);
        let (last, _) = self.line_column(span.offset.saturating_add(span.len));
        if last.saturating_sub(first) > MAX_LINES {
            return false;
        }
        (first.saturating_sub(1).max(1)..=last.saturating_add(1)).all(|line| {
            let Some(&start) = self.line_starts.get(line - 1) else {
                return true;
            };
            let end = self
                .line_starts
                .get(line)
                .copied()
                .unwrap_or(self.text.len());
            end.saturating_sub(start) <= MAX_LINE_BYTES
        })
    }

    /// `path:line:column` of a span.
    pub fn locate(&self, span: Span) -> String {
        let (line, column) = self.line_column(span.offset);
        format!("{}:{line}:{column}", self.path.display())
    }

    /// A miette source for rendering snippets (shares the text).
    pub fn named_source(&self) -> Arc<PlanSource> {
        Arc::new(PlanSource {
            name: self.path.display().to_string(),
            text: Arc::clone(&self.text),
        })
    }

    /// The span of `needle` at or after `from`, if it occurs in the text; used to point
    /// at a `${...}` reference inside a longer string or a document.
    pub fn find_from(&self, from: usize, needle: &str) -> Option<Span> {
        let rest = self.text.get(from..)?;
        rest.find(needle).map(|i| Span::new(from + i, needle.len()))
    }
}

/// The plan's text as miette reads it, with columns counted in characters: miette
/// counts the column of a snippet's `file:line:column` header in bytes, which is off
/// on any line with a non-ASCII character before the span.
#[derive(Debug)]
pub struct PlanSource {
    name: String,
    text: Arc<str>,
}

impl miette::SourceCode for PlanSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        let start = contents.span().offset();
        let line_start = self
            .text
            .get(..start)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |i| i + 1);
        let column = if contents.column() == 0 {
            0
        } else {
            self.text
                .get(line_start..start)
                .map_or(contents.column(), |s| s.chars().count())
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

/// The folders files may come from: the plan's own, and those the person allowed,
/// each with symlinks resolved.
pub fn file_roots(base_dir: &Path, allowed: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(base_dir)
        .chain(allowed.iter().map(PathBuf::as_path))
        .filter_map(|dir| {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            std::fs::canonicalize(dir).ok()
        })
        .collect()
}
