//! The YAML layer: a plan file becomes a tree of [`Node`]s, each carrying the byte span
//! of its source, and typed values are read from that tree with serde.
//!
//! serde-saphyr parses the text (syntax errors, alias budgets, merge keys) and hands us
//! every node with its position; deserializing typed structs from the tree, instead of
//! from the text, lets the planner read each step on its own and so report every step's
//! mistakes at once, collect every unknown key instead of the first, and keep a span for
//! any value (see [`Sp`]). One cohesive module: the tree, its serde `Deserializer` and
//! the error type that carries spans belong together.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
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

    /// This node as JSON (map keys as strings, order kept).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
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
}

/// Parses YAML text into a [`Node`] tree. Duplicate keys are kept (the planner reports
/// them); merge keys (`<<`) are expanded; alias expansion is bounded.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    };
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|err| {
        let span = err.location().map(|location| {
            let span = location.span();
            let start = match span.byte_offset() {
                Some(byte) => usize::try_from(byte).unwrap_or(0),
                // A character offset: convert it to bytes.
                None => text
                    .char_indices()
                    .nth(usize::try_from(span.offset()).unwrap_or(0))
                    .map_or(text.len(), |(i, _)| i),
            };
            let mut start = start.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let len = text[start..].chars().next().map_or(0, char::len_utf8);
            Span::new(start, len)
        });
        let message = first_line(&err.to_string());
        SyntaxError { message, span }
    })
}

fn first_line(text: &str) -> String {
    // serde-saphyr renders a snippet under the message; the planner renders its own.
    let line = text.lines().next().unwrap_or("invalid YAML").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    line.split(" at line ").next().unwrap_or(line).to_owned()
}

/// A value together with the span of the node it was read from. Only the planner's
/// own [`NodeDeserializer`] can produce one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

const SPANNED_MARKER: &str = "__awslab_spanned";
const SPANNED_FIELDS: &[&str] = &["start", "len", "value"];

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for SpVisitor<T> {
            type Value = Sp<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value with a position")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sp<T>, A::Error> {
                let mut start = 0usize;
                let mut len = 0usize;
                let mut value = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "start" => start = map.next_value()?,
                        "len" => len = map.next_value()?,
                        _ => value = Some(map.next_value()?),
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                Ok(Sp {
                    value,
                    span: Span::new(start, len),
                })
            }
        }
        deserializer.deserialize_struct(
            SPANNED_MARKER,
            SPANNED_FIELDS,
            SpVisitor(std::marker::PhantomData),
        )
    }
}

/// What went wrong while reading a typed value from the tree.
#[derive(Debug, Clone, PartialEq)]
pub enum DeErrorKind {
    UnknownField {
        field: String,
        expected: &'static [&'static str],
    },
    MissingField(&'static str),
    UnknownVariant {
        variant: String,
        expected: &'static [&'static str],
    },
    Other(String),
}

/// An error from [`NodeDeserializer`], with the span it concerns once known.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub kind: DeErrorKind,
    pub span: Option<Span>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DeErrorKind::UnknownField { field, .. } => write!(f, "unknown key `{field}`"),
            DeErrorKind::MissingField(field) => write!(f, "missing key `{field}`"),
            DeErrorKind::UnknownVariant { variant, .. } => write!(f, "unknown value `{variant}`"),
            DeErrorKind::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            kind: DeErrorKind::Other(msg.to_string()),
            span: None,
        }
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            kind: DeErrorKind::UnknownField {
                field: field.to_owned(),
                expected,
            },
            span: None,
        }
    }
    fn missing_field(field: &'static str) -> Self {
        DeError {
            kind: DeErrorKind::MissingField(field),
            span: None,
        }
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError {
            kind: DeErrorKind::UnknownVariant {
                variant: variant.to_owned(),
                expected,
            },
            span: None,
        }
    }
}

impl DeError {
    fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }
}

/// Reads typed values from a [`Node`]. Unknown keys of structs are collected into
/// `unknown` instead of failing, so every one of them is reported.
pub struct NodeDeserializer<'a> {
    node: &'a Node,
    unknown: &'a RefCell<Vec<DeError>>,
}

impl<'a> NodeDeserializer<'a> {
    pub fn new(node: &'a Node, unknown: &'a RefCell<Vec<DeError>>) -> Self {
        NodeDeserializer { node, unknown }
    }
}

/// Reads a `T` from `node`; returns the value, or every error found (unknown keys and
/// the first type error).
pub fn from_node<T: for<'de> Deserialize<'de>>(node: &Node) -> Result<T, Vec<DeError>> {
    let unknown = RefCell::new(Vec::new());
    let result = T::deserialize(NodeDeserializer::new(node, &unknown));
    let mut errors = unknown.into_inner();
    match result {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(errors),
        Err(err) => {
            errors.push(err.at(node.span));
            Err(errors)
        }
    }
}

impl NodeDeserializer<'_> {
    fn invalid(&self, expected: &dyn de::Expected) -> DeError {
        let found = match &self.node.value {
            Value::Str(s) => de::Unexpected::Str(s),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Null => de::Unexpected::Unit,
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        };
        <DeError as de::Error>::invalid_type(found, expected).at(self.node.span)
    }

    fn scalar_text(&self) -> Option<String> {
        match &self.node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.node.span;
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(NodeSeq {
                items: items.iter(),
                unknown: self.unknown,
            }),
            Value::Map(entries) => visitor.visit_map(NodeMap::new(entries, self.unknown, None)),
        };
        result.map_err(|e| e.at(span))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.scalar_text() {
            Some(text) => visitor
                .visit_string(text)
                .map_err(|e: DeError| e.at(self.node.span)),
            None => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.value == Value::Null {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED_MARKER {
            return visitor.visit_map(SpannedAccess {
                node: Some(self.node),
                step: 0,
                unknown: self.unknown,
            });
        }
        match &self.node.value {
            Value::Map(entries) => visitor
                .visit_map(NodeMap::new(entries, self.unknown, Some(fields)))
                .map_err(|e| e.at(self.node.span)),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Str(s) => visitor
                .visit_enum(s.as_str().into_deserializer())
                .map_err(|e: DeError| e.at(self.node.span)),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit deserialize_seq deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }
}

struct NodeSeq<'a> {
    items: std::slice::Iter<'a, Node>,
    unknown: &'a RefCell<Vec<DeError>>,
}

impl<'de> SeqAccess<'de> for NodeSeq<'_> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(NodeDeserializer::new(node, self.unknown))
                .map(Some),
            None => Ok(None),
        }
    }
}

struct NodeMap<'a> {
    entries: std::slice::Iter<'a, (Key, Node)>,
    value: Option<&'a Node>,
    unknown: &'a RefCell<Vec<DeError>>,
    fields: Option<&'static [&'static str]>,
    seen: Vec<&'a str>,
}

impl<'a> NodeMap<'a> {
    fn new(
        entries: &'a [(Key, Node)],
        unknown: &'a RefCell<Vec<DeError>>,
        fields: Option<&'static [&'static str]>,
    ) -> Self {
        NodeMap {
            entries: entries.iter(),
            value: None,
            unknown,
            fields,
            seen: Vec::new(),
        }
    }
}

impl<'de> MapAccess<'de> for NodeMap<'_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        for (key, node) in self.entries.by_ref() {
            if let Some(fields) = self.fields
                && !fields.contains(&key.name.as_str())
            {
                let err = <DeError as de::Error>::unknown_field(&key.name, fields).at(key.span);
                self.unknown.borrow_mut().push(err);
                continue;
            }
            if self.fields.is_some() {
                if self.seen.contains(&key.name.as_str()) {
                    let err =
                        <DeError as de::Error>::custom(format!("`{}` is given twice", key.name))
                            .at(key.span);
                    self.unknown.borrow_mut().push(err);
                    continue;
                }
                self.seen.push(&key.name);
            }
            self.value = Some(node);
            let key_de: de::value::StrDeserializer<'_, DeError> =
                key.name.as_str().into_deserializer();
            return seed
                .deserialize(key_de)
                .map(Some)
                .map_err(|e| e.at(key.span));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value without a key"))?;
        seed.deserialize(NodeDeserializer::new(node, self.unknown))
            .map_err(|e| e.at(node.span))
    }
}

struct SpannedAccess<'a> {
    node: Option<&'a Node>,
    step: u8,
    unknown: &'a RefCell<Vec<DeError>>,
}

impl<'de> MapAccess<'de> for SpannedAccess<'_> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(field) = SPANNED_FIELDS.get(usize::from(self.step)) else {
            return Ok(None);
        };
        seed.deserialize(de::value::StrDeserializer::<DeError>::new(field))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .node
            .ok_or_else(|| de::Error::custom("spanned value without a node"))?;
        let step = self.step;
        self.step += 1;
        match step {
            0 => seed.deserialize(de::value::U64Deserializer::<DeError>::new(
                node.span.offset as u64,
            )),
            1 => seed.deserialize(de::value::U64Deserializer::<DeError>::new(
                node.span.len as u64,
            )),
            _ => seed.deserialize(NodeDeserializer::new(node, self.unknown)),
        }
    }
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
