//! The YAML layer: a plan file becomes a tree of [`Node`]s, each carrying the byte span
//! of its source, and typed values are read from that tree with serde.
//!
//! serde-saphyr parses the text (syntax errors, alias budgets, merge keys) and hands us
//! every node with its position; deserializing typed structs from the tree, instead of
//! from the text, lets the planner read each step on its own and so report every step's
//! mistakes at once, collect every unknown key instead of the first, and keep a span for
//! any value (see [`Sp`]). This module holds the tree and the parser; `deserializer`
//! reads typed values from the tree and `spanned` is the [`Sp`] wrapper.

mod deserializer;
pub mod expansion;
mod prescan;
mod spanned;

pub use deserializer::{DeError, DeErrorKind, NodeDeserializer, from_node, from_node_keeping};
use prescan::over_budget;
pub use prescan::{Finding, PLAN_LIMITS, prescan};
pub use spanned::Sp;

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::source::Span;

/// A YAML node and where it stands in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// The value of a [`Node`]. Map entries keep their order and any duplicate keys, so
/// the planner can report duplicates with both positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Value {
    /// A short word for the kind of value, used in error messages.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

impl Node {
    /// The entries of a map node, or `None`.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text of a string node, or `None`.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

fn span_of(location: serde_saphyr::Location) -> Span {
    let span = location.span();
    let start = span.byte_offset().unwrap_or(span.offset());
    let len = span.byte_len().unwrap_or(span.len());
    Span::new(
        usize::try_from(start).unwrap_or(0),
        usize::try_from(len).unwrap_or(0),
    )
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<RawValue>::deserialize(deserializer)?;
        Ok(Node {
            span: span_of(spanned.referenced),
            value: spanned.value.0,
        })
    }
}

struct RawValue(Value);

struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar map key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = RawValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawValue, E> {
                Ok(RawValue(Value::Bool(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
                Ok(RawValue(Value::Int(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue(
                    i64::try_from(v).map_or(Value::Str(v.to_string()), Value::Int),
                ))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawValue, E> {
                Ok(RawValue(Value::Float(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue(Value::Str(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawValue, E> {
                Ok(RawValue(Value::Str(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue(Value::Null))
            }
            fn visit_none<E: de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue(Value::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
                RawValue::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawValue, A::Error> {
                let mut items = Vec::new();
                while let Some(node) = seq.next_element::<Node>()? {
                    items.push(node);
                }
                Ok(RawValue(Value::Seq(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawValue, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<serde_saphyr::Spanned<KeyText>>()? {
                    let value = map.next_value::<Node>()?;
                    let key = Key {
                        name: key.value.0,
                        span: span_of(key.referenced),
                    };
                    entries.push((key, value));
                }
                Ok(RawValue(Value::Map(entries)))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// A YAML syntax error: message and, when known, where.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub span: Option<Span>,
    /// The text crossed one of serde-saphyr's budgets (alias expansion, nodes, depth)
    /// rather than breaking YAML's grammar.
    pub budget: bool,
}

/// Parses YAML text into a [`Node`] tree. Duplicate keys are kept (the planner reports
/// them); merge keys (`<<`) are expanded; alias expansion is bounded: the text is
/// measured first ([`expansion`]), and a text whose aliases expand past
/// [`PLAN_LIMITS`] is refused before serde-saphyr builds or copies anything.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if let Some(error) = over_budget(text) {
        return Err(error);
    }
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        budget: serde_saphyr::budget! {
            max_nodes: crate::limits::MAX_NODES,
            max_depth: crate::limits::MAX_DEPTH + 1,
            max_reader_input_bytes: Some(crate::limits::MAX_PLAN_BYTES),
            max_total_scalar_bytes: crate::limits::MAX_PLAN_BYTES * 4,
        },
    };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|err| {
        // The error's line and column (1-based, in characters) are what serde-saphyr
        // reports reliably; its offsets can be in bytes or characters.
        let span = err.location().map(|location| {
            let line = usize::try_from(location.line()).unwrap_or(1).max(1);
            let column = usize::try_from(location.column()).unwrap_or(1).max(1);
            let line_start = text
                .split_inclusive('\n')
                .take(line - 1)
                .map(str::len)
                .sum::<usize>()
                .min(text.len());
            let start = text[line_start..]
                .char_indices()
                .take_while(|(_, c)| *c != '\n')
                .nth(column - 1)
                .map_or_else(
                    || {
                        line_start
                            + text[line_start..]
                                .find('\n')
                                .unwrap_or(text.len() - line_start)
                    },
                    |(i, _)| line_start + i,
                );
            let len = text[start..].chars().next().map_or(0, char::len_utf8);
            Span::new(start, len)
        });
        let message = first_line(&err.to_string());
        // The budget error can come wrapped (with a snippet); its text names it.
        let budget = matches!(err, serde_saphyr::Error::Budget { .. })
            || message.contains("budget breached");
        SyntaxError {
            message,
            span,
            budget,
        }
    })
}

fn first_line(text: &str) -> String {
    // serde-saphyr renders a snippet under the message; the planner renders its own.
    let line = text.lines().next().unwrap_or("invalid YAML").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = line.split(" at line ").next().unwrap_or(line);
    // `line 3 column 41: ...`: the planner gives the position itself.
    let line = match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, rest)) if position.contains(" column ") => rest,
        _ => line,
    };
    if line.starts_with("multiple YAML documents") {
        // serde-saphyr's advice names its own API; say what to do with the file.
        return "a plan is one YAML document, but this file has more (remove the second `---`)"
            .to_owned();
    }
    line.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: Sp<String>,
        count: Option<u32>,
        #[serde(default)]
        items: Vec<Sp<String>>,
    }

    #[test]
    fn parses_nodes_with_byte_spans() {
        let text = "a: 1\nb:\n  - x\n  - 'y'\n";
        let root = parse(text).unwrap();
        let map = root.as_map().unwrap();
        assert_eq!(map[0].0.name, "a");
        assert_eq!(map[0].0.span.offset, 0);
        assert_eq!(map[0].1.value, Value::Int(1));
        assert_eq!(map[0].1.span.offset, 3);
        let Value::Seq(items) = &map[1].1.value else {
            panic!("not a seq")
        };
        assert_eq!(&text[items[0].span.offset..=items[0].span.offset], "x");
        assert_eq!(&text[items[1].span.offset..=items[1].span.offset], "'");
    }

    #[test]
    fn keeps_duplicate_keys() {
        let root = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(root.as_map().unwrap().len(), 2);
    }

    #[test]
    fn reads_typed_values_with_spans() {
        let text = "name: hello\ncount: 3\nitems: [p, q]\n";
        let sample: Sample = from_node(&parse(text).unwrap()).unwrap();
        assert_eq!(sample.name.value, "hello");
        assert_eq!(sample.name.span.offset, 6);
        assert_eq!(sample.count, Some(3));
        assert_eq!(sample.items[1].span.offset, text.find('q').unwrap());
    }

    #[test]
    fn collects_every_unknown_key() {
        let text = "name: a\nnmae: b\ncuont: 1\n";
        let errors = from_node::<Sample>(&parse(text).unwrap()).unwrap_err();
        let fields: Vec<_> = errors
            .iter()
            .map(|e| match &e.kind {
                DeErrorKind::UnknownField { field, .. } => (field.clone(), e.span.unwrap().offset),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            fields,
            vec![("nmae".to_owned(), 8), ("cuont".to_owned(), 16)]
        );
    }

    #[test]
    fn reports_type_errors_at_the_value() {
        let text = "name: a\ncount: many\n";
        let errors = from_node::<Sample>(&parse(text).unwrap()).unwrap_err();
        assert_eq!(errors[0].span.unwrap().offset, text.find("many").unwrap());
    }

    #[test]
    fn reports_syntax_errors_with_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.span.is_some(), "{err:?}");
    }
}
