//! What a YAML text becomes once its aliases are expanded, measured from the event
//! stream before anything is built: every anchor remembers the nodes, scalar bytes and
//! height it stands for (aliases inside it included), and each alias is charged that
//! whole size. One linear pass, one small record per anchor; a chain of anchors that
//! doubles at each step (an "alias bomb") is refused at the alias that crosses a
//! budget, long before any tree, string or copy is made. Plans and the
//! `CloudFormation` templates they name are both measured here, each with its own
//! [`Limits`].

use std::collections::HashMap;

use serde_saphyr::granit_parser::Event;

/// The budgets one text is measured against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nodes (scalars, maps, lists) after alias expansion.
    pub nodes: u64,
    /// Bytes of scalar text (keys and values) after alias expansion.
    pub bytes: u64,
    /// Nesting of maps and lists after alias expansion.
    pub depth: usize,
}

/// The budget an event crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overrun {
    Nodes,
    Bytes,
    Depth,
}

/// What one node expands to.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: u64,
    bytes: u64,
    /// Levels of maps and lists in the node (0 for a scalar).
    height: usize,
}

/// A map or list not yet closed: where the totals stood when it opened.
struct Open {
    anchor: usize,
    nodes: u64,
    bytes: u64,
    /// The height of its tallest child so far.
    tallest: usize,
}

/// The running totals of one text.
pub struct Expansion {
    limits: Limits,
    nodes: u64,
    bytes: u64,
    open: Vec<Open>,
    anchors: HashMap<usize, Size>,
}

fn len(text: &str) -> u64 {
    u64::try_from(text.len()).unwrap_or(u64::MAX)
}

impl Expansion {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            nodes: 0,
            bytes: 0,
            open: Vec::new(),
            anchors: HashMap::new(),
        }
    }

    /// Charges one parser event; the first budget it crosses, if any. Once an event
    /// is refused the totals are past a budget and the text should not be read on.
    pub fn event(&mut self, event: &Event<'_>) -> Result<(), Overrun> {
        match event {
            Event::Scalar(text, _, anchor, _) => {
                let size = Size {
                    nodes: 1,
                    bytes: len(text),
                    height: 0,
                };
                self.charge(size)?;
                if *anchor != 0 {
                    self.anchors.insert(*anchor, size);
                }
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if self.open.len() >= self.limits.depth {
                    return Err(Overrun::Depth);
                }
                self.open.push(Open {
                    anchor: *anchor,
                    nodes: self.nodes,
                    bytes: self.bytes,
                    tallest: 0,
                });
                self.add(1, 0)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.open.pop() {
                    let size = Size {
                        nodes: self.nodes - open.nodes,
                        bytes: self.bytes - open.bytes,
                        height: open.tallest + 1,
                    };
                    self.note_height(size.height);
                    if open.anchor != 0 {
                        self.anchors.insert(open.anchor, size);
                    }
                }
            }
            Event::Alias(id) => {
                // An alias of no anchor is the parser's error to report; count it as one.
                let size = self.anchors.get(id).copied().unwrap_or(Size {
                    nodes: 1,
                    bytes: 0,
                    height: 0,
                });
                if self.open.len() + size.height > self.limits.depth {
                    return Err(Overrun::Depth);
                }
                self.charge(size)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Adds a whole node (a scalar or an alias's expansion) to the open map or list.
    fn charge(&mut self, size: Size) -> Result<(), Overrun> {
        self.note_height(size.height);
        self.add(size.nodes, size.bytes)
    }

    fn note_height(&mut self, height: usize) {
        if let Some(parent) = self.open.last_mut() {
            parent.tallest = parent.tallest.max(height);
        }
    }

    fn add(&mut self, nodes: u64, bytes: u64) -> Result<(), Overrun> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > self.limits.nodes {
            return Err(Overrun::Nodes);
        }
        if self.bytes > self.limits.bytes {
            return Err(Overrun::Bytes);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_saphyr::granit_parser::Parser;
    use std::fmt::Write as _;

    const LIMITS: Limits = Limits {
        nodes: 1_000,
        bytes: 100_000,
        depth: 8,
    };

    /// Measures `text`; the overrun and the line it happened on.
    fn measure(text: &str) -> Result<(u64, u64), (Overrun, usize)> {
        let mut expansion = Expansion::new(LIMITS);
        let mut parser = Parser::new_from_str(text);
        while let Some(Ok((event, span))) = parser.next_event() {
            expansion
                .event(&event)
                .map_err(|overrun| (overrun, span.start.line()))?;
        }
        Ok((expansion.nodes, expansion.bytes))
    }

    /// `levels` anchors over a string of `width` bytes, each a list of two aliases of
    /// the one before (the shape of the 41 KB template).
    fn doubling(width: usize, levels: usize) -> String {
        let mut text = format!("a0: &a0 {}\n", "x".repeat(width));
        for level in 1..=levels {
            let _ = writeln!(text, "a{level}: &a{level} [*a{p}, *a{p}]", p = level - 1);
        }
        text
    }

    #[test]
    fn counts_what_aliases_expand_to() {
        // Keys: a, b, c (3 bytes, 3 nodes); value of a: list + 2 scalars "xy" "z";
        // b: one alias of it (3 nodes, 3 bytes); c: a list of two (1 + 6 nodes, 6 bytes).
        assert_eq!(
            measure("a: &l [xy, z]\nb: *l\nc: [*l, *l]\n"),
            Ok((1 + 3 + 3 + 3 + 7, 3 + 3 + 3 + 6))
        );
    }

    #[test]
    fn refuses_a_byte_bomb_at_the_alias_that_crosses_the_budget() {
        // 10,000 bytes doubled: a2 is 40,000, and the first `*a2` (line 4) brings the
        // total past 100,000.
        assert_eq!(measure(&doubling(10_000, 30)), Err((Overrun::Bytes, 4)));
    }

    #[test]
    fn refuses_a_node_bomb() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..6 {
            let p = level - 1;
            let _ = writeln!(
                text,
                "a{level}: &a{level} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        assert!(matches!(measure(&text), Err((Overrun::Nodes, _))));
    }

    #[test]
    fn an_alias_carries_its_height() {
        let text = "a: &deep [[[[[x]]]]]\nb: [[[[*deep]]]]\n";
        assert_eq!(measure(text), Err((Overrun::Depth, 2)));
    }

    #[test]
    fn anchors_redefined_use_the_latest() {
        assert_eq!(
            measure("a: &x big\nb: &x s\nc: *x\n"),
            Ok((7, 3 + 3 + 1 + 1))
        );
    }
}
