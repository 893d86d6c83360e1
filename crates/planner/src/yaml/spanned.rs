//! [`Sp`]: a value with the span of the node it was read from. The planner's own
//! deserializer recognizes it by a marker struct name and hands over the span.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::source::Span;

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

pub(super) const SPANNED_MARKER: &str = "__awslab_spanned";
pub(super) const SPANNED_FIELDS: &[&str] = &["start", "len", "value"];

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
