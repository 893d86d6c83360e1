//! The shapes of `models.json` and the one parsed copy of it. Each shape's JSON is
//! kept as written and read on its first use: a plan's verifies touch a handful of
//! the models' ~1,900 shapes, and reading every one of them was most of the time
//! `awslab up` spent loading a plan.

use std::collections::HashMap;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;

/// The checked-in model, generated from botocore (see the crate doc).
const MODELS_JSON: &str = include_str!("../models.json");

/// Every service's model.
#[derive(Debug, Default, Deserialize)]
pub struct Models {
    /// The botocore version the models were generated from.
    pub botocore: String,
    pub services: IndexMap<String, Service>,
}

/// How a service's requests and answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Protocol {
    /// Form-encoded POST, XML answers (IAM, STS, `CloudFormation`).
    #[serde(rename = "query")]
    Query,
    /// HTTP method, URI, headers and an XML body per operation (S3).
    #[serde(rename = "rest-xml")]
    RestXml,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub protocol: Protocol,
    pub api_version: String,
    pub signing_name: String,
    pub endpoint_prefix: String,
    pub global_endpoint: Option<String>,
    pub xml_namespace: Option<String>,
    pub operations: IndexMap<String, Operation>,
    shapes: HashMap<String, LazyShape>,
}

/// A shape's JSON, read into a [`Shape`] on first use.
#[derive(Debug)]
struct LazyShape {
    json: Box<serde_json::value::RawValue>,
    read: OnceLock<Option<Shape>>,
}

impl<'de> Deserialize<'de> for LazyShape {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            json: Deserialize::deserialize(deserializer)?,
            read: OnceLock::new(),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub method: String,
    /// The request URI template (`/{Bucket}/{Key+}?uploads`).
    pub uri: String,
    pub input: Option<String>,
    pub output: Option<String>,
    /// The element that wraps a query-protocol answer (`CreateUserResult`).
    pub result_wrapper: Option<String>,
    #[serde(default)]
    pub errors: Vec<String>,
    /// The request must carry a checksum of its body (S3's `DeleteObjects`, ...).
    #[serde(default)]
    pub checksum_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
    Blob,
    Double,
    Float,
}

impl ShapeType {
    /// The word a plan author knows the type by.
    pub fn word(self) -> &'static str {
        match self {
            ShapeType::Structure => "a map of members",
            ShapeType::List => "a list",
            ShapeType::Map => "a map",
            ShapeType::String | ShapeType::Blob => "a string",
            ShapeType::Integer | ShapeType::Long => "an integer",
            ShapeType::Boolean => "`true` or `false`",
            ShapeType::Timestamp => "a timestamp (ISO 8601)",
            ShapeType::Double | ShapeType::Float => "a number",
        }
    }
}

/// Where a REST-XML member goes in the request or comes from in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Uri,
    Querystring,
    Header,
    Headers,
    #[serde(rename = "statusCode")]
    StatusCode,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRef {
    pub shape: String,
    pub location: Option<Location>,
    pub location_name: Option<String>,
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub xml_attribute: bool,
    #[serde(default)]
    pub flattened: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default, rename = "enum")]
    pub values: Vec<String>,
    /// The member that is the HTTP body (REST-XML).
    pub payload: Option<String>,
    #[serde(default)]
    pub flattened: bool,
    pub location_name: Option<String>,
    #[serde(default)]
    pub streaming: bool,
    pub xml_namespace: Option<String>,
    #[serde(default)]
    pub members: IndexMap<String, MemberRef>,
    pub member: Option<MemberRef>,
    pub key: Option<MemberRef>,
    pub value: Option<MemberRef>,
}

/// The models, parsed on first use. A test proves the checked-in file parses; were it
/// ever unreadable, no call would be known (and validate would say so for each).
pub fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| serde_json::from_str(MODELS_JSON).unwrap_or_default())
}

impl Service {
    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        let lazy = self.shapes.get(name)?;
        lazy.read
            .get_or_init(|| serde_json::from_str(lazy.json.get()).ok())
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_models_parse() {
        serde_json::from_str::<Models>(MODELS_JSON).unwrap();
        let models = models();
        for service in ["iam", "sts", "s3", "cloudformation"] {
            let model = &models.services[service];
            // Every shape reads (they are read on first use, and one that did not
            // would be missing).
            for (name, lazy) in &model.shapes {
                serde_json::from_str::<Shape>(lazy.json.get())
                    .unwrap_or_else(|error| panic!("{service}.{name}: {error}"));
                assert!(model.shape(name).is_some(), "{service}.{name}");
            }
            assert!(!model.operations.is_empty(), "{service}");
            for (name, operation) in &model.operations {
                for shape in operation.input.iter().chain(&operation.output) {
                    assert!(model.shape(shape).is_some(), "{service}.{name}: {shape}");
                }
            }
        }
    }
}
