//! A pass over the YAML events before anything is built from them: explicit tags
//! (`!!binary`, `!!python/object`, `!Ref`, ...) are refused, since the plan format
//! documents no use for one and serde would otherwise decode or drop them silently;
//! and the nodes, scalar bytes and nesting of the text, aliases expanded, are
//! measured against the plan's budgets ([`super::expansion`]). The pass is linear in
//! the text and allocates one small record per anchor, so an alias bomb is refused
//! here, before serde-saphyr builds anything.

use serde_saphyr::granit_parser::Parser;

use super::SyntaxError;
use super::expansion::{Expansion, Limits, Overrun};
use crate::limits::{MAX_DEPTH, MAX_EXPANDED_BYTES, MAX_NODES};
use crate::source::Span;

/// A plan's budgets, aliases expanded.
pub const PLAN_LIMITS: Limits = Limits {
    nodes: MAX_NODES as u64,
    bytes: MAX_EXPANDED_BYTES as u64,
    depth: MAX_DEPTH,
};

/// What the pass found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// An explicit tag, as written.
    Tag { tag: String, span: Span },
    /// More nested maps and lists than [`MAX_DEPTH`].
    TooDeep { span: Span },
    /// More nodes than [`MAX_NODES`], aliases expanded.
    TooManyNodes { span: Span },
    /// More bytes of scalar text than [`MAX_EXPANDED_BYTES`], aliases expanded.
    TooLarge { span: Span },
}

fn byte_offset(text: &str, marker: &serde_saphyr::granit_parser::Marker) -> usize {
    marker
        .byte_offset()
        .unwrap_or_else(|| {
            text.char_indices()
                .nth(marker.index())
                .map_or(text.len(), |(i, _)| i)
        })
        .min(text.len())
}

/// Scans `text`; stops at the first budget crossed, or at a syntax error (reported
/// by the parser proper).
pub fn prescan(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut expansion = Expansion::new(PLAN_LIMITS);
    while let Some(Ok((event, span))) = parser.next_event() {
        let at = byte_offset(text, &span.start);
        let here = || Span::new(at, text[at..].chars().next().map_or(0, char::len_utf8));
        if let Some(tag) = event.tag() {
            let start = span
                .tag_start
                .as_ref()
                .map_or(at, |marker| byte_offset(text, marker));
            let written = text[start..]
                .split(|c: char| c.is_whitespace() || c == ',' || c == ']' || c == '}')
                .next()
                .unwrap_or_default();
            let written = if written.starts_with('!') {
                written.to_owned()
            } else {
                tag.original()
            };
            findings.push(Finding::Tag {
                span: Span::new(start, written.len().max(1).min(text.len() - start)),
                tag: written,
            });
        }
        if let Err(overrun) = expansion.event(&event) {
            let span = here();
            findings.push(match overrun {
                Overrun::Depth => Finding::TooDeep { span },
                Overrun::Nodes => Finding::TooManyNodes { span },
                Overrun::Bytes => Finding::TooLarge { span },
            });
            break;
        }
    }
    findings
}

/// The first budget `text` crosses once its aliases are expanded, as a located error.
pub(super) fn over_budget(text: &str) -> Option<SyntaxError> {
    let limits = PLAN_LIMITS;
    prescan(text).into_iter().find_map(|finding| {
        let (message, span) = match finding {
            Finding::Tag { .. } => return None,
            Finding::TooDeep { span } => (
                format!(
                    "budget breached: maps and lists nest more than {} deep",
                    limits.depth
                ),
                span,
            ),
            Finding::TooManyNodes { span } => (
                format!(
                    "budget breached: more than {} values after aliases",
                    limits.nodes
                ),
                span,
            ),
            Finding::TooLarge { span } => (
                format!(
                    "budget breached: expands to more than {} bytes after aliases",
                    limits.bytes
                ),
                span,
            ),
        };
        Some(SyntaxError {
            message,
            span: Some(span),
            budget: true,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn finds_tags_where_they_are_written() {
        let text = "a: !!binary aGVsbG8=\nb: [!Ref x]\n";
        let findings = prescan(text);
        let tags: Vec<_> = findings
            .iter()
            .map(|f| match f {
                Finding::Tag { tag, span } => (tag.clone(), span.offset),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            tags,
            vec![
                ("!!binary".to_owned(), 3),
                ("!Ref".to_owned(), text.find("!Ref").unwrap_or_default())
            ]
        );
    }

    #[test]
    fn stops_at_the_depth_budget() {
        let text = format!("{}{}", "[".repeat(MAX_DEPTH + 5), "]".repeat(MAX_DEPTH + 5));
        let findings = prescan(&text);
        assert_eq!(
            findings,
            vec![Finding::TooDeep {
                span: Span::new(MAX_DEPTH, 1)
            }]
        );
    }

    #[test]
    fn stops_at_the_node_budget() {
        let text = format!("[{}]", "1,".repeat(MAX_NODES + 10));
        assert!(matches!(
            prescan(&text).as_slice(),
            [Finding::TooManyNodes { .. }]
        ));
    }

    #[test]
    fn stops_at_the_alias_that_expands_past_the_byte_budget() {
        // 10 KB doubled at each anchor: a chain of 30 would be 10 TB; the budget
        // stops it at the alias that first passes MAX_EXPANDED_BYTES.
        let mut text = format!("a0: &a0 {}\n", "x".repeat(10_000));
        for level in 1..30 {
            let _ = writeln!(text, "a{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
        }
        let findings = prescan(&text);
        let [Finding::TooLarge { span }] = findings.as_slice() else {
            panic!("{findings:?}");
        };
        assert!(
            text[span.offset..].starts_with("*a"),
            "{}",
            &text[span.offset..]
        );
    }

    #[test]
    fn refuses_an_alias_bomb_before_building_it() {
        // A 64 KiB string copied 2^7 times is 8 MiB, past the 4 MiB budget, in a
        // 66 KB text of a few hundred nodes: serde-saphyr's node budget lets it through.
        let mut text = format!("a0: &a0 {}\n", "x".repeat(64 * 1024));
        for level in 1..=7 {
            let _ = writeln!(text, "a{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
        }
        let err = super::super::parse(&text).unwrap_err();
        assert!(err.budget, "{err:?}");
        assert!(
            err.message
                .contains("more than 4194304 bytes after aliases"),
            "{}",
            err.message
        );
        let at = err.span.unwrap().offset;
        assert!(text[at..].starts_with("*a5"), "{}", &text[at..at + 10]);
    }

    #[test]
    fn accepts_plain_text_with_exclamation_marks() {
        assert!(prescan("a: hello!\nb: 'x !y'\n").is_empty());
    }
}
