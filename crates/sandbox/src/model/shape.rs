//! What an operation answers: a [`Shape`] (the fields of a structure, in order) of
//! [`Value`]s, which the wire encodes in the service's protocol (query XML lists are
//! `member`s); with AWS's timestamp and tag-list forms.

/// A structured answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Struct(Shape),
    List(Vec<Value>),
}

/// The fields of a structure, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    pub fields: Vec<(&'static str, Value)>,
}

impl Shape {
    pub fn new() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn text(mut self, name: &'static str, value: impl std::fmt::Display) -> Self {
        self.fields.push((name, Value::Text(value.to_string())));
        self
    }

    #[must_use]
    pub fn maybe(self, name: &'static str, value: Option<impl std::fmt::Display>) -> Self {
        match value {
            Some(value) => self.text(name, value),
            None => self,
        }
    }

    #[must_use]
    pub fn child(mut self, name: &'static str, shape: Shape) -> Self {
        self.fields.push((name, Value::Struct(shape)));
        self
    }

    #[must_use]
    pub fn list(mut self, name: &'static str, items: Vec<Value>) -> Self {
        self.fields.push((name, Value::List(items)));
        self
    }
}

/// An ISO 8601 timestamp as AWS writes them (`2026-11-30T23:14:05Z`).
pub fn timestamp(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| {
            at.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// Tags as AWS lists them.
pub fn tag_list(tags: &[(String, String)]) -> Vec<Value> {
    tags.iter()
        .map(|(key, value)| Value::Struct(Shape::new().text("Key", key).text("Value", value)))
        .collect()
}
