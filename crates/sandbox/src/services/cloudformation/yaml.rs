//! Template text to a JSON value: JSON templates through `serde_json`, YAML templates
//! through granit-parser's event stream, which keeps the short-form tags (`!Ref`,
//! `!GetAtt`, `!Sub`...) that a serde tree would drop. Each tag becomes its long form
//! (`{"Ref": ...}`, `{"Fn::GetAtt": [..]}`), so the engine sees one representation.
//! Errors are `CloudFormation`'s (`Template format error: YAML not well-formed. (line
//! L, column C)`); aliases are expanded under a node budget, duplicate keys refused.

use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};

/// At most this many nodes after alias expansion (an alias bomb stops here).
const NODE_BUDGET: usize = 200_000;

/// At most this deep after alias expansion: evaluation recurses over the tree, and
/// the durable store reads the world back with `serde_json`, which stops at 128.
pub const MAX_DEPTH: usize = 100;

/// Reads a template body as JSON (when it starts with `{`) or YAML.
pub fn parse(body: &str) -> Result<Value, String> {
    if body.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(body).map_err(|error| {
            format!(
                "Template format error: JSON not well-formed. (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
        if height(&value) > MAX_DEPTH {
            return Err(format!(
                "Template format error: JSON not well-formed: nested more than {MAX_DEPTH} levels deep"
            ));
        }
        return Ok(value);
    }
    Reader::new(body).document()
}

struct Reader<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    anchors: Vec<(usize, Value)>,
    nodes: usize,
    position: (usize, usize),
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

    fn count(&mut self, nodes: usize) -> Result<(), String> {
        self.nodes += nodes;
        if self.nodes > NODE_BUDGET {
            return Err(format!(
                "Template format error: YAML not well-formed. (line {}, column {}): more than {NODE_BUDGET} nodes after expanding aliases",
                self.position.0, self.position.1
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, depth: usize) -> Result<Value, String> {
        self.count(1)?;
        if depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        let (value, anchor, tag) = match event {
            Event::Scalar(text, style, anchor, tag) => {
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
                        Event::Scalar(text, ..) => text.into_owned(),
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
                let found = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, value)| value.clone())
                    .ok_or_else(|| self.error())?;
                self.count(size(&found))?;
                if depth + height(&found) > MAX_DEPTH {
                    return Err(self.too_deep());
                }
                return Ok(found);
            }
            _ => return Err(self.error()),
        };
        let value = match tag {
            Some(tag) => self.tagged(&tag, value)?,
            None => value,
        };
        if anchor != 0 {
            self.anchors.push((anchor, value.clone()));
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

fn size(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(size).sum::<usize>(),
        _ => 1,
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
mod tests {
    use super::parse;
    use serde_json::json;
    use std::fmt::Write as _;

    #[test]
    fn short_forms_become_long_forms() {
        let body = "A: !Ref X\nB: !GetAtt R.Arn\nC: !Sub 'a-${X}'\nD: !Join [',', [a, !Ref Y]]\nE: !If [Cond, 1, !Ref 'AWS::NoValue']\nF: !Condition C1\nG: !GetAZs ''\n";
        assert_eq!(
            parse(body).expect("parses"),
            json!({
                "A": {"Ref": "X"},
                "B": {"Fn::GetAtt": ["R", "Arn"]},
                "C": {"Fn::Sub": "a-${X}"},
                "D": {"Fn::Join": [",", ["a", {"Ref": "Y"}]]},
                "E": {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]},
                "F": {"Condition": "C1"},
                "G": {"Fn::GetAZs": ""}
            })
        );
    }

    #[test]
    fn plain_scalars_resolve_as_the_core_schema() {
        assert_eq!(
            parse("a: 3600\nb: true\nc: '3600'\nd: 2012-10-17\ne: ~\nf: 1.5\n").expect("parses"),
            json!({"a": 3600, "b": true, "c": "3600", "d": "2012-10-17", "e": null, "f": 1.5})
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        for (body, expected) in [
            (
                "a: [1, 2\n",
                "Template format error: YAML not well-formed. (line 1, column 4)",
            ),
            ("a: 1\na: 2\n", "duplicate key `a`"),
            ("a: !Bogus x\n", "unknown tag !Bogus"),
            (
                "{\"a\": }",
                "Template format error: JSON not well-formed. (line 1, column 7)",
            ),
        ] {
            let error = parse(body).expect_err(body);
            assert!(error.contains(expected), "{body:?}: {error}");
        }
    }

    #[test]
    fn aliases_cannot_nest_past_the_depth_limit() {
        let mut body = String::new();
        let _ = writeln!(body, "a0: &a0 {}x{}", "[".repeat(60), "]".repeat(60));
        let _ = writeln!(body, "a1: &a1 {}*a0{}", "[".repeat(60), "]".repeat(60));
        let error = parse(&body).expect_err("too deep");
        assert!(
            error.contains("nested more than 100 levels deep"),
            "{error}"
        );
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut body = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let previous = level - 1;
            let _ = writeln!(
                body,
                "a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]"
            );
        }
        let error = parse(&body).expect_err("a bomb");
        assert!(error.contains("nodes after expanding aliases"), "{error}");
    }
}
