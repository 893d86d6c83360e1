//! An operation's decoded input, whatever the protocol: named members holding text,
//! lists or structures. The wire's codecs build it (the query protocol's
//! `Tags.member.1.Key` becomes a `Tags` list of structures); services read members by
//! name and never see an encoding.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::body::Payload;
use super::error::ApiError;

/// The most items a list member is read to (AWS's lists are far shorter).
pub const MAX_LIST_ITEMS: usize = 1000;

/// One member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    Text(String),
    /// Items by their 1-based position as sent; read from 1 up to the first gap.
    List(BTreeMap<usize, Field>),
    Struct(Input),
}

/// The decoded input of an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    fields: IndexMap<String, Field>,
    /// The verdict on the input's policy document, reached before the world was
    /// locked (see `iam::precheck`): the AWS principals it names, or IAM's error.
    document: Option<Result<Vec<String>, ApiError>>,
    /// The bytes of a streaming body member (S3's `PutObject` `Body`), as the request
    /// brought them: in memory when small, spooled otherwise, never read whole here.
    body: Option<Payload>,
}

impl Input {
    /// An input of these members.
    pub fn from_fields(fields: IndexMap<String, Field>) -> Self {
        Self {
            fields,
            document: None,
            body: None,
        }
    }

    /// The input with its streaming body.
    #[must_use]
    pub fn with_body(mut self, body: Payload) -> Self {
        self.body = Some(body);
        self
    }

    /// The streaming body, if the request had one.
    pub fn body(&self) -> Option<&Payload> {
        self.body.as_ref()
    }

    /// Structure member `name`.
    pub fn child(&self, name: &str) -> Option<&Input> {
        match self.fields.get(name)? {
            Field::Struct(input) => Some(input),
            Field::Text(_) | Field::List(_) => None,
        }
    }

    /// The input with text member `name` set.
    #[must_use]
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields
            .insert(name.to_owned(), Field::Text(value.into()));
        self
    }

    /// The input with member `name` set to `field`.
    #[must_use]
    pub fn field(mut self, name: &str, field: Field) -> Self {
        self.fields.insert(name.to_owned(), field);
        self
    }

    /// The members, in the order decoded.
    pub fn fields(&self) -> &IndexMap<String, Field> {
        &self.fields
    }

    /// Member `name`, mutably, inserted as `empty` when absent.
    pub fn entry(&mut self, name: &str, empty: impl FnOnce() -> Field) -> &mut Field {
        self.fields.entry(name.to_owned()).or_insert_with(empty)
    }

    /// The input with its policy document's verdict, reached outside the lock.
    #[must_use]
    pub fn with_document_verdict(mut self, verdict: Result<Vec<String>, ApiError>) -> Self {
        self.document = Some(verdict);
        self
    }

    /// The verdict on the policy document, if it was reached before the lock.
    pub fn document_verdict(&self) -> Option<&Result<Vec<String>, ApiError>> {
        self.document.as_ref()
    }

    /// Text member `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        match self.fields.get(name)? {
            Field::Text(text) => Some(text),
            Field::List(_) | Field::Struct(_) => None,
        }
    }

    /// A required member, or AWS's validation message for a null one.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| {
            let mut member = name.to_owned();
            if let Some(first) = member.get_mut(..1) {
                first.make_ascii_lowercase();
            }
            ApiError::validation(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// An optional integer member.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|text| {
                text.parse().map_err(|_| {
                    ApiError::validation(format!("Value '{text}' for `{name}` is not an integer"))
                })
            })
            .transpose()
    }

    /// The items of list `name`, from the first up to a gap.
    fn items(&self, name: &str) -> impl Iterator<Item = &Field> {
        self.items_up_to(name, MAX_LIST_ITEMS)
    }

    /// The items of list `name`, from the first up to a gap or `max` items.
    fn items_up_to(&self, name: &str, max: usize) -> impl Iterator<Item = &Field> {
        let list = match self.fields.get(name) {
            Some(Field::List(items)) => Some(items),
            _ => None,
        };
        (1..=max).map_while(move |index| list?.get(&index))
    }

    /// The structure items of list `name`, up to `max` of them (a list the wire
    /// bounded itself, as S3's up to 10,000 parts of an upload).
    pub fn structs_up_to(&self, name: &str, max: usize) -> Vec<&Input> {
        self.items_up_to(name, max)
            .map_while(|item| match item {
                Field::Struct(input) => Some(input),
                Field::Text(_) | Field::List(_) => None,
            })
            .collect()
    }

    /// The text items of list `name`.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.items(name)
            .map_while(|item| match item {
                Field::Text(text) => Some(text.as_str()),
                Field::List(_) | Field::Struct(_) => None,
            })
            .collect()
    }

    /// The structure items of list `name`.
    pub fn structs(&self, name: &str) -> Vec<&Input> {
        self.items(name)
            .map_while(|item| match item {
                Field::Struct(input) => Some(input),
                Field::Text(_) | Field::List(_) => None,
            })
            .collect()
    }

    /// Key/value pairs of list `name` (`Tags`: each item's `Key` and `Value`), up to
    /// the first item without `key`.
    pub fn pairs(&self, name: &str, key: &str, value: &str) -> Vec<(String, String)> {
        self.structs(name)
            .into_iter()
            .map_while(|item| {
                let found = item.get(key)?;
                Some((
                    found.to_owned(),
                    item.get(value).unwrap_or_default().to_owned(),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Field, Input};

    fn tag(key: &str, value: &str) -> Field {
        Field::Struct(Input::default().text("Key", key).text("Value", value))
    }

    #[test]
    fn lists_are_read_from_the_first_item_to_a_gap() {
        let names = BTreeMap::from([
            (1, Field::Text("a".into())),
            (2, Field::Text("b".into())),
            (4, Field::Text("d".into())),
        ]);
        let tags = BTreeMap::from([(1, tag("team", "red")), (2, tag("env", ""))]);
        let input = Input::default()
            .text("UserName", "alice")
            .field("Names", Field::List(names))
            .field("Tags", Field::List(tags));
        assert_eq!(input.get("UserName"), Some("alice"));
        assert_eq!(input.get("Names"), None);
        assert_eq!(input.list("Names"), ["a", "b"]);
        assert_eq!(
            input.pairs("Tags", "Key", "Value"),
            [
                ("team".to_owned(), "red".to_owned()),
                ("env".to_owned(), String::new())
            ]
        );
        assert_eq!(input.structs("Tags").len(), 2);
        assert!(input.list("Missing").is_empty());
        assert!(input.required("Missing").is_err());
    }
}
