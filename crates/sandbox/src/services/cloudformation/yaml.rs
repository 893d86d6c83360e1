//! Template text to a JSON value: JSON templates through `serde_json`, YAML templates
//! through granit-parser's event stream, which keeps the short-form tags (`!Ref`,
//! `!GetAtt`, `!Sub`...) that a serde tree would drop. Each tag becomes its long form
//! (`{"Ref": ...}`, `{"Fn::GetAtt": [..]}`), so the engine sees one representation.
//! Errors are `CloudFormation`'s (`Template format error: YAML not well-formed. (line
//! L, column C)`); aliases are expanded under a node and a byte budget, duplicate keys
//! refused. Each anchor remembers how many nodes and scalar bytes it stands for (its
//! own aliases included), so an alias is charged its full expansion before it is
//! copied: a chain of anchors that doubles at each step is refused at the step that
//! crosses a budget, never built.

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

/// At most this many nodes after alias expansion (an alias bomb stops here), and in
/// a JSON template.
const NODE_BUDGET: usize = 200_000;

/// At most this many bytes of scalar text (keys and values) after alias expansion:
/// four times the largest template `CloudFormation` reads (1 MB from S3, 51,200 bytes
/// inline), so no real template comes near it, while the tree built stays in the tens
/// of megabytes at worst.
pub const MAX_EXPANDED_BYTES: usize = 4 * 1024 * 1024;

/// At most this deep after alias expansion: evaluation recurses over the tree, and
/// the durable store reads the world back with `serde_json`, which stops at 128.
pub const MAX_DEPTH: usize = 100;

/// Reads a template body as JSON (when it starts with `{`) or YAML.
pub fn parse(body: &str) -> Result<Value, String> {
    if body.trim_start().starts_with('{') {
        return super::json::parse(body, NODE_BUDGET, MAX_DEPTH);
    }
    Reader::new(body).document()
}

struct Reader<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    anchors: Vec<Anchor>,
    nodes: usize,
    bytes: usize,
    position: (usize, usize),
}

/// An anchored value and what one alias of it costs: its nodes and scalar bytes,
/// with every alias inside it already expanded.
struct Anchor {
    id: usize,
    value: Value,
    nodes: usize,
    bytes: usize,
}

fn not_well_formed(line: usize, column: usize) -> String {
    format!("Template format error: YAML not well-formed. (line {line}, column {column})")
}

impl<'a> Reader<'a> {
    fn new(body: &'a str) -> Self {
        Self {
            events: Parser::new_from_str(body),
            anchors: Vec::new(),
            nodes: 0,
            bytes: 0,
            position: (1, 1),
        }
    }

    fn next(&mut self) -> Result<Event<'a>, String> {
        loop {
            match self.events.next() {
                None => return Ok(Event::StreamEnd),
                Some(Err(error)) => {
                    let mark = error.marker();
                    return Err(not_well_formed(mark.line(), mark.col() + 1));
                }
                Some(Ok((event, span))) => {
                    self.position = (span.start.line(), span.start.col() + 1);
                    match event {
                        Event::Scalar(..)
                        | Event::SequenceStart(..)
                        | Event::MappingStart(..)
                        | Event::SequenceEnd
                        | Event::MappingEnd
                        | Event::Alias(_)
                        | Event::DocumentEnd
                        | Event::StreamEnd => return Ok(event),
                        _ => {}
                    }
                }
            }
        }
    }

    fn error(&self) -> String {
        not_well_formed(self.position.0, self.position.1)
    }

    fn document(mut self) -> Result<Value, String> {
        let first = self.next()?;
        if matches!(first, Event::StreamEnd | Event::DocumentEnd) {
            return Err(
                "Template format error: At least one Resources member must be defined.".to_owned(),
            );
        }
        let value = self.node(first, 0)?;
        match self.next()? {
            Event::DocumentEnd | Event::StreamEnd => {}
            _ => return Err(self.error()),
        }
        Ok(value)
    }

    fn too_deep(&self) -> String {
        format!(
            "Template format error: YAML not well-formed. (line {}, column {}): nested more than {MAX_DEPTH} levels deep",
            self.position.0, self.position.1
        )
    }

    /// Charges `nodes` and `bytes` to the budgets, refusing once either is crossed.
    fn count(&mut self, nodes: usize, bytes: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.nodes > NODE_BUDGET {
            return Err(format!(
                "Template format error: YAML not well-formed. (line {}, column {}): more than {NODE_BUDGET} nodes after expanding aliases",
                self.position.0, self.position.1
            ));
        }
        if self.bytes > MAX_EXPANDED_BYTES {
            return Err(format!(
                "Template format error: YAML not well-formed. (line {}, column {}): the template expands to more than {MAX_EXPANDED_BYTES} bytes after aliases",
                self.position.0, self.position.1
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, depth: usize) -> Result<Value, String> {
        let (nodes_before, bytes_before) = (self.nodes, self.bytes);
        self.count(1, 0)?;
        if depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        let (value, anchor, tag) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(0, text.len())?;
                let value = if tag.is_none() && style == ScalarStyle::Plain {
                    plain(&text)
                } else {
                    Value::String(text.into_owned())
                };
                (value, anchor, tag.map(|tag| tag.suffix().to_owned()))
            }
            Event::SequenceStart(_, anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Event::SequenceEnd => break,
                        event => items.push(self.node(event, depth + 1)?),
                    }
                }
                (
                    Value::Array(items),
                    anchor,
                    tag.map(|tag| tag.suffix().to_owned()),
                )
            }
            Event::MappingStart(_, anchor, tag) => {
                let mut map = Map::new();
                loop {
                    let key = match self.next()? {
                        Event::MappingEnd => break,
                        Event::Scalar(text, ..) => {
                            self.count(1, text.len())?;
                            text.into_owned()
                        }
                        _ => return Err(self.error()),
                    };
                    let at = self.position;
                    let event = self.next()?;
                    let value = self.node(event, depth + 1)?;
                    if map.contains_key(&key) {
                        return Err(format!(
                            "Template format error: YAML not well-formed. (line {}, column {}): duplicate key `{key}`",
                            at.0, at.1
                        ));
                    }
                    map.insert(key, value);
                }
                (
                    Value::Object(map),
                    anchor,
                    tag.map(|tag| tag.suffix().to_owned()),
                )
            }
            Event::Alias(id) => {
                let index = self
                    .anchors
                    .iter()
                    .rposition(|anchor| anchor.id == id)
                    .ok_or_else(|| self.error())?;
                let (nodes, bytes) = (self.anchors[index].nodes, self.anchors[index].bytes);
                // The alias node itself was counted above; charge the rest before copying.
                self.count(nodes.saturating_sub(1), bytes)?;
                if depth + height(&self.anchors[index].value) > MAX_DEPTH {
                    return Err(self.too_deep());
                }
                return Ok(self.anchors[index].value.clone());
            }
            _ => return Err(self.error()),
        };
        let value = match tag {
            Some(tag) => self.tagged(&tag, value)?,
            None => value,
        };
        if anchor != 0 {
            self.anchors.push(Anchor {
                id: anchor,
                value: value.clone(),
                nodes: self.nodes - nodes_before,
                bytes: self.bytes - bytes_before,
            });
        }
        Ok(value)
    }

    /// A short-form tag as its long form.
    fn tagged(&self, tag: &str, value: Value) -> Result<Value, String> {
        let name = match tag {
            "Ref" | "Condition" => tag.to_owned(),
            "GetAtt" => {
                let value = match value {
                    Value::String(text) => match text.split_once('.') {
                        Some((resource, attribute)) => Value::Array(vec![
                            Value::String(resource.to_owned()),
                            Value::String(attribute.to_owned()),
                        ]),
                        None => {
                            return Err(format!(
                                "Template error: every Fn::GetAtt object requires two non-empty parameters ({text})"
                            ));
                        }
                    },
                    other => other,
                };
                return Ok(single("Fn::GetAtt", value));
            }
            "Sub" | "Join" | "Select" | "Split" | "If" | "Equals" | "And" | "Or" | "Not"
            | "FindInMap" | "GetAZs" | "Base64" | "ImportValue" | "Cidr" | "Length"
            | "ToJsonString" | "Transform" => format!("Fn::{tag}"),
            // Core-schema tags (`!!str`) and the like: keep the value.
            "str" | "int" | "float" | "bool" | "null" | "map" | "seq" | "binary" => {
                return Ok(value);
            }
            other => {
                return Err(format!(
                    "Template format error: YAML not well-formed. (line {}, column {}): unknown tag !{other}",
                    self.position.0, self.position.1
                ));
            }
        };
        Ok(single(&name, value))
    }
}

fn single(name: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(name.to_owned(), value);
    Value::Object(map)
}

fn height(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(height).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(height).max().unwrap_or(0),
        _ => 0,
    }
}

/// A plain scalar as the YAML core schema resolves it.
fn plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let numeric = text
        .trim_start_matches(['-', '+'])
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_digit() || first == '.');
    if numeric {
        if let Ok(integer) = text.parse::<i64>() {
            return Value::from(integer);
        }
        if let Ok(float) = text.parse::<f64>()
            && float.is_finite()
            && let Some(number) = serde_json::Number::from_f64(float)
        {
            return Value::Number(number);
        }
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
