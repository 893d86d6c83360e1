//! A pass over the YAML events before anything is built from them: explicit tags
//! (`!!binary`, `!!python/object`, `!Ref`, ...) are refused, since the plan format
//! documents no use for one and serde would otherwise decode or drop them silently;
//! and the nodes and nesting of the text are counted against the plan's budgets.
//! The pass is linear in the text and allocates nothing per node. Aliases are
//! counted once here; their expansion is bounded by serde-saphyr's own budget.

use serde_saphyr::granit_parser::{Event, Parser};

use crate::limits::{MAX_DEPTH, MAX_NODES};
use crate::source::Span;

/// What the pass found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// An explicit tag, as written.
    Tag { tag: String, span: Span },
    /// More nested maps and lists than [`MAX_DEPTH`].
    TooDeep { span: Span },
    /// More nodes than [`MAX_NODES`].
    TooManyNodes { span: Span },
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
    let mut depth = 0usize;
    let mut nodes = 0usize;
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
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                nodes += 1;
                depth += 1;
                if depth > MAX_DEPTH {
                    findings.push(Finding::TooDeep { span: here() });
                    break;
                }
            }
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            Event::Scalar(..) | Event::Alias(..) => nodes += 1,
            _ => {}
        }
        if nodes > MAX_NODES {
            findings.push(Finding::TooManyNodes { span: here() });
            break;
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn accepts_plain_text_with_exclamation_marks() {
        assert!(prescan("a: hello!\nb: 'x !y'\n").is_empty());
    }
}
