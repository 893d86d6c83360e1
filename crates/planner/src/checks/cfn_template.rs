//! A `cfn.stack`'s template, measured before the run: a YAML template whose aliases
//! expand past the template budgets ([`MAX_TEMPLATE_EXPANDED_BYTES`] bytes,
//! [`MAX_TEMPLATE_NODES`] nodes, [`MAX_TEMPLATE_DEPTH`] levels) is a `validate` error
//! naming the template's file, line and column, so an alias bomb never reaches the
//! target. The file has already passed the size check (at most 51,200 bytes); the
//! measure is one pass over its YAML events and builds nothing. A JSON template has no
//! aliases, and other mistakes in a template are the target's to report.

use std::path::Path;

use serde_saphyr::granit_parser::Parser;

use crate::diagnostics::Diagnostics;
use crate::limits::{MAX_TEMPLATE_DEPTH, MAX_TEMPLATE_EXPANDED_BYTES, MAX_TEMPLATE_NODES};
use crate::plan::Step;
use crate::source::Span;
use crate::yaml::expansion::{Expansion, Limits, Overrun};

/// A template's budgets, aliases expanded (the sandbox's own).
pub const TEMPLATE_LIMITS: Limits = Limits {
    nodes: MAX_TEMPLATE_NODES,
    bytes: MAX_TEMPLATE_EXPANDED_BYTES,
    depth: MAX_TEMPLATE_DEPTH,
};

/// Where a template crosses a budget: which one, and its 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub overrun: Overrun,
    pub line: usize,
    pub column: usize,
}

/// Measures a template's text; the first budget crossed, if any. A YAML syntax error
/// ends the measure (the target reports it with its own words).
pub fn measure(text: &str, limits: Limits) -> Option<Crossing> {
    if text.trim_start().starts_with('{') {
        return None;
    }
    let mut expansion = Expansion::new(limits);
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        if let Err(overrun) = expansion.event(&event) {
            return Some(Crossing {
                overrun,
                line: span.start.line(),
                column: span.start.col() + 1,
            });
        }
    }
    None
}

/// Reads the template at `resolved` (shown as `relative`) and reports a crossed
/// budget at the plan's `template` value.
pub fn check(diags: &mut Diagnostics, step: &Step, span: Span, relative: &str, resolved: &Path) {
    // Unreadable or not UTF-8: the executor reports it when it reads the file.
    let Ok(text) = std::fs::read_to_string(resolved) else {
        return;
    };
    let Some(Crossing {
        overrun,
        line,
        column,
    }) = measure(&text, TEMPLATE_LIMITS)
    else {
        return;
    };
    let what = match overrun {
        Overrun::Bytes => {
            format!("expands to more than {MAX_TEMPLATE_EXPANDED_BYTES} bytes after aliases")
        }
        Overrun::Nodes => format!("has more than {MAX_TEMPLATE_NODES} values after aliases"),
        Overrun::Depth => {
            format!("nests maps and lists more than {MAX_TEMPLATE_DEPTH} deep after aliases")
        }
    };
    diags
        .error(
            "plan::template_budget",
            span,
            format!(
                "the template of step `{}` {what}, at `{relative}:{line}:{column}`",
                step.id
            ),
        )
        .label("this template")
        .help("each alias (`*name`) copies its anchor's whole value; repeat less, or write the values out")
        .emit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// The issue's template: 30 anchors over a 40,000-character string, each a list
    /// of two aliases of the one before (41 KB of text, 40,000 × 2^30 bytes expanded).
    fn bomb() -> String {
        let mut text = format!("Resources:\n  A0: &a0 {}\n", "x".repeat(40_000));
        for level in 1..30 {
            let _ = writeln!(text, "  A{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
        }
        text
    }

    #[test]
    fn the_issues_bomb_is_refused_where_it_crosses_the_byte_budget() {
        let text = bomb();
        assert!(text.len() < 51_200);
        // a0..a5 hold 40,000 × 63 = 2,520,000 bytes and a5 alone 1,280,000; the
        // second `*a5` of `A6` (line 8, column 17) brings the total past 4 MiB.
        assert_eq!(
            measure(&text, TEMPLATE_LIMITS),
            Some(Crossing {
                overrun: Overrun::Bytes,
                line: 8,
                column: 17
            })
        );
    }

    #[test]
    fn real_templates_and_json_pass() {
        let yaml = "Resources:\n  Topic: &t\n    Type: AWS::SNS::Topic\n  Other: *t\n";
        assert_eq!(measure(yaml, TEMPLATE_LIMITS), None);
        assert_eq!(measure("{\"Resources\": {}}", TEMPLATE_LIMITS), None);
    }
}
