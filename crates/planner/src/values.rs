//! Value types shared by step kinds: templated text, durations, policy documents,
//! identities and verification expectations, each readable from YAML and described
//! in the JSON Schema.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::yaml::Sp;

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        scalars_as_text(&mut schema);
        schema
    }
}

/// A text field reads any scalar as its text (`DurationSeconds: 14400`, `KeyCount: 0`,
/// `Enabled: true`), so its schema takes numbers and booleans wherever it takes a
/// string: the schema accepts exactly what awslab accepts.
fn scalars_as_text(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let scalars = |types: &[&str]| {
        let mut out: Vec<serde_json::Value> = ["string", "number", "boolean"]
            .iter()
            .map(|t| serde_json::Value::from(*t))
            .collect();
        if types.contains(&"null") {
            out.push("null".into());
        }
        serde_json::Value::Array(out)
    };
    match object.get("type") {
        Some(serde_json::Value::String(t)) if t == "string" => {
            object.insert("type".to_owned(), scalars(&[]));
        }
        Some(serde_json::Value::Array(types))
            if types.iter().any(|t| t == "string")
                && types.iter().all(|t| t == "string" || t == "null") =>
        {
            let names: Vec<&str> = types.iter().filter_map(|t| t.as_str()).collect();
            let all = scalars(&names);
            object.insert("type".to_owned(), all);
        }
        _ => {}
    }
}

/// A string that may contain `${...}` references.
pub type Text = Sp<String>;

/// A duration in seconds, written as a number of seconds or as `1h`, `90m`, `4h30m`,
/// `900s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub fn seconds(self) -> u64 {
        self.0
    }

    /// Parses `1h`, `30m`, `4h30m`, `900s`, `900`.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<u64>() {
            return Ok(Duration(n));
        }
        if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "`{text}` is far too long a duration; STS sessions last at most 36h"
            ));
        }
        let mut total: u64 = 0;
        let mut number = String::new();
        let mut seen_unit = false;
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => {
                    return Err(format!(
                        "`{text}` is not a duration; write seconds (`3600`) or `1h`, `90m`, `4h30m`"
                    ));
                }
            };
            if number.is_empty() {
                return Err(format!(
                    "`{text}` is not a duration; a number must come before each unit"
                ));
            }
            let n: u64 = number.parse().map_err(|_| {
                format!("`{text}` is far too long a duration; STS sessions last at most 36h")
            })?;
            total = total.saturating_add(n.saturating_mul(unit));
            number.clear();
            seen_unit = true;
        }
        if !number.is_empty() || !seen_unit {
            return Err(format!(
                "`{text}` is not a duration; end it with a unit (`s`, `m`, `h`, `d`)"
            ));
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 % 3600 / 60, self.0 % 60);
        match (h, m, s) {
            (0, 0, s) => write!(f, "{s}s"),
            (h, 0, 0) => write!(f, "{h}h"),
            (0, m, 0) => write!(f, "{m}m"),
            (h, m, 0) => write!(f, "{h}h{m}m"),
            _ => write!(f, "{}s", self.0),
        }
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `3600`, `1h` or `90m`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                u64::try_from(v)
                    .map(Duration)
                    .map_err(|_| E::custom("a duration cannot be negative"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                Ok(Duration(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(if v > 1e9 {
                    format!("`{v}` is far too long a duration; STS sessions last at most 36h")
                } else {
                    format!("`{v}` is not a duration; write whole seconds (`3600`) or `1h`, `90m`")
                }))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Seconds, or a duration such as `1h`, `90m`, `4h30m`, `900s`",
            "oneOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^([0-9]+[dhms])+$" }
            ]
        })
    }
}

/// A JSON policy document, written as YAML or as a string of JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Document(pub Sp<serde_json::Value>);

impl Document {
    /// The document as JSON; a string is parsed as JSON text.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        match &self.0.value {
            serde_json::Value::String(text) => serde_json::from_str(text)
                .map_err(|e| format!("the policy document is not valid JSON: {e}")),
            other => Ok(other.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Sp::<serde_json::Value>::deserialize(deserializer).map(Document)
    }
}

impl JsonSchema for Document {
    fn schema_name() -> Cow<'static, str> {
        "PolicyDocument".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An IAM policy document (Version, Statement), as YAML or as a JSON string",
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "Version": { "enum": ["2012-10-17", "2008-10-17"] },
                        "Id": { "type": "string" },
                        "Statement": {
                            "oneOf": [ { "type": "object" }, { "type": "array", "items": { "type": "object" } } ]
                        }
                    },
                    "required": ["Statement"]
                },
                { "type": "string" }
            ]
        })
    }
}

/// Who makes a call: `operator` (whoever runs awslab) or a step that produced
/// credentials.
pub type IdentityName = Sp<String>;

/// The reserved identity name for whoever runs awslab.
pub const OPERATOR: &str = "operator";

/// What a verification expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The call succeeds.
    Allow,
    /// The call fails with this error code (`AccessDenied`, `NoSuchBucket`, ...).
    Error(String),
    /// The call fails with one of these error codes.
    AnyOf(Vec<String>),
    /// The call is refused by authorization: any of [`DENIAL_CODES`].
    Deny,
    /// The call succeeds and these fields of the answer match these patterns (`*`
    /// matches any run of characters).
    Fields(Vec<(String, String)>),
}

/// The error codes AWS services answer an authorization denial with: `expect: deny`
/// accepts any of them.
pub const DENIAL_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthorizationErrorException",
    "NotAuthorized",
    "Forbidden",
];

/// The most codes an `expect:` list may hold.
const MAX_EXPECTED_CODES: usize = 32;

fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 128
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

impl<'de> Deserialize<'de> for Expect {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpectVisitor;
        impl<'de> Visitor<'de> for ExpectVisitor {
            type Value = Expect;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`allow`, an error code such as `AccessDenied`, or a map of answer fields to patterns")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Expect, E> {
                match v {
                    "allow" | "allowed" | "Allow" => Ok(Expect::Allow),
                    "deny" | "denied" | "Deny" => Ok(Expect::Deny),
                    code if is_error_code(code) => Ok(Expect::Error(code.to_owned())),
                    other => Err(E::custom(format!(
                        "`{other}` is not an expectation; use `allow`, `deny`, an error code such as `AccessDenied`, a list of codes, or a map of fields"
                    ))),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Expect, A::Error> {
                let mut codes = Vec::new();
                while let Some(code) = seq.next_element::<String>()? {
                    if !is_error_code(&code) {
                        return Err(de::Error::custom(format!(
                            "`{code}` is not an error code; a list in `expect` holds codes such as `AccessDenied`, `NoSuchBucket`"
                        )));
                    }
                    if codes.len() >= MAX_EXPECTED_CODES {
                        return Err(de::Error::custom(format!(
                            "`expect` lists more than {MAX_EXPECTED_CODES} error codes"
                        )));
                    }
                    codes.push(code);
                }
                if codes.is_empty() {
                    return Err(de::Error::custom(
                        "`expect` lists no error codes; use `allow` to expect success",
                    ));
                }
                Ok(Expect::AnyOf(codes))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Expect, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    fields.push((k, v));
                }
                if fields.is_empty() {
                    return Err(de::Error::custom(
                        "`expect` names no fields; use `allow` to expect success",
                    ));
                }
                Ok(Expect::Fields(fields))
            }
        }
        deserializer.deserialize_any(ExpectVisitor)
    }
}

impl JsonSchema for Expect {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`allow`, `deny` (any authorization error), an AWS error code such as `AccessDenied` or a list of codes, or answer fields mapped to patterns (`*` matches anything)",
            "anyOf": [
                { "enum": ["allow", "deny"] },
                { "type": "string", "pattern": "^[A-Za-z0-9.]+$" },
                { "type": "array", "items": { "type": "string", "pattern": "^[A-Za-z0-9.]+$" }, "minItems": 1, "maxItems": 32 },
                { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] }, "minProperties": 1 }
            ]
        })
    }
}

/// Matches `text` against a pattern in which `*` matches any run of characters and
/// `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(Duration::parse("1h").unwrap().0, 3600);
        assert_eq!(Duration::parse("4h30m").unwrap().0, 16_200);
        assert_eq!(Duration::parse("900").unwrap().0, 900);
        assert!(Duration::parse("1x").is_err());
        assert!(Duration::parse("h").is_err());
        assert!(Duration::parse("10h5").is_err());
    }

    #[test]
    fn displays_durations() {
        assert_eq!(Duration(14_400).to_string(), "4h");
        assert_eq!(Duration(900).to_string(), "15m");
        assert_eq!(Duration(5400).to_string(), "1h30m");
    }

    #[test]
    fn matches_globs() {
        assert!(glob_match(
            "arn:aws:sts::*:assumed-role/*/s3-sts-lab",
            "arn:aws:sts::123:assumed-role/r/s3-sts-lab"
        ));
        assert!(!glob_match("arn:*:user/x", "arn:aws:iam::1:user/y"));
        assert!(glob_match("a?c", "abc"));
    }
}
