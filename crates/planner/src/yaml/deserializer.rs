//! Reading typed values from the node tree with serde: [`NodeDeserializer`] and its
//! error, which carries the span it concerns. Unknown and repeated keys of a struct
//! are collected rather than failing, so every one of them is reported.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::spanned::{SPANNED_FIELDS, SPANNED_MARKER};
use super::{Key, Node, Value};
use crate::source::Span;

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
    match from_node_keeping(node) {
        (Some(value), errors) if errors.is_empty() => Ok(value),
        (_, errors) => Err(errors),
    }
}

/// Like [`from_node`], but a value whose only faults are unknown keys is returned
/// beside their errors: the keys are reported, and the rest of the value can still
/// be checked, so one misspelt key does not hide every other error of the plan.
pub fn from_node_keeping<T: for<'de> Deserialize<'de>>(node: &Node) -> (Option<T>, Vec<DeError>) {
    let unknown = RefCell::new(Vec::new());
    let result = T::deserialize(NodeDeserializer::new(node, &unknown));
    let mut errors = unknown.into_inner();
    match result {
        Ok(value) => (Some(value), errors),
        Err(err) => {
            errors.push(err.at(node.span));
            (None, errors)
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
