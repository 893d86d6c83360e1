//! The shapes of `models.json` and the tables they are read from. `build.rs` splits
//! the file into one small table a service: its header, and its operations and shapes
//! as `(name, JSON)` pairs sorted by name. Nothing is read until a call is looked up;
//! then that service's header is read, and each operation and shape on its first use
//! (a binary search and one small JSON read): a plan's verifies touch a handful of the
//! models' ~390 operations and ~1,900 shapes, and scanning the whole file for them was
//! most of the time `awslab up` spent loading a plan.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// One service of the generated tables (see `build.rs`).
pub(crate) struct GeneratedService {
    name: &'static str,
    /// The service's JSON without its operations and shapes.
    header: &'static str,
    /// `(name, JSON)`, sorted by name.
    operations: &'static [(&'static str, &'static str)],
    /// `(name, JSON)`, sorted by name.
    shapes: &'static [(&'static str, &'static str)],
}

include!(concat!(env!("OUT_DIR"), "/models.rs"));

/// Every service's model.
#[derive(Debug)]
pub struct Models {
    /// The botocore version the models were generated from.
    pub botocore: &'static str,
    pub services: IndexMap<&'static str, LazyService>,
}

/// A service whose model is read on first use.
pub struct LazyService {
    generated: &'static GeneratedService,
    read: OnceLock<Option<Service>>,
}

impl LazyService {
    /// The service's model (`None` only if the generated tables were unreadable, which
    /// a test rules out).
    pub fn get(&self) -> Option<&Service> {
        self.read
            .get_or_init(|| Service::read(self.generated))
            .as_ref()
    }
}

impl std::fmt::Debug for LazyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyService")
            .field("name", &self.generated.name)
            .field("read", &self.read.get().is_some())
            .finish()
    }
}

/// A table of `(name, JSON)` entries, each read into a `T` on first use.
struct Table<T> {
    entries: &'static [(&'static str, &'static str)],
    read: Box<[OnceLock<Option<T>>]>,
}

impl<T: DeserializeOwned> Table<T> {
    fn new(entries: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            entries,
            read: entries.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    fn at(&self, index: usize) -> Option<(&'static str, &T)> {
        let (name, json) = self.entries.get(index)?;
        let value = self.read.get(index)?;
        value
            .get_or_init(|| serde_json::from_str(json).ok())
            .as_ref()
            .map(|value| (*name, value))
    }

    fn get_key_value(&self, name: &str) -> Option<(&'static str, &T)> {
        let index = self
            .entries
            .binary_search_by(|(entry, _)| (*entry).cmp(name))
            .ok()?;
        self.at(index)
    }
}

/// A service's operations, by name, each read on first use.
pub struct Operations(Table<Operation>);

impl Operations {
    /// The operation named `name`.
    pub fn get(&self, name: &str) -> Option<&Operation> {
        self.0.get_key_value(name).map(|(_, operation)| operation)
    }

    /// The operation named `name`, with its name.
    pub fn get_key_value(&self, name: &str) -> Option<(&'static str, &Operation)> {
        self.0.get_key_value(name)
    }

    /// The operations' names, sorted, without reading any.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.0.entries.iter().map(|(name, _)| *name)
    }

    /// Every operation, sorted by name (reads each).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Operation)> {
        (0..self.0.entries.len()).filter_map(|index| self.0.at(index))
    }

    pub fn len(&self) -> usize {
        self.0.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.entries.is_empty()
    }
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// A service's header as `build.rs` writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    protocol: Protocol,
    api_version: String,
    signing_name: String,
    endpoint_prefix: String,
    global_endpoint: Option<String>,
    xml_namespace: Option<String>,
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

pub struct Service {
    pub protocol: Protocol,
    pub api_version: String,
    pub signing_name: String,
    pub endpoint_prefix: String,
    pub global_endpoint: Option<String>,
    pub xml_namespace: Option<String>,
    pub operations: Operations,
    shapes: Table<Shape>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("protocol", &self.protocol)
            .field("api_version", &self.api_version)
            .field("signing_name", &self.signing_name)
            .field("operations", &self.operations)
            .finish_non_exhaustive()
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

/// The models: a list of services, each read on its first use. A test proves the
/// generated tables read; were one ever unreadable, its service would have no calls
/// (and validate would say so for each).
pub fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| Models {
        botocore: BOTOCORE,
        services: SERVICES
            .iter()
            .map(|generated| {
                (
                    generated.name,
                    LazyService {
                        generated,
                        read: OnceLock::new(),
                    },
                )
            })
            .collect(),
    })
}

impl Models {
    /// The service named `name` (`iam`), read on first use.
    pub fn service(&self, name: &str) -> Option<(&'static str, &Service)> {
        let (name, lazy) = self.services.get_key_value(name)?;
        Some((*name, lazy.get()?))
    }

    /// Every service, in the models' order (reads each header).
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Service)> {
        self.services
            .iter()
            .filter_map(|(name, lazy)| Some((*name, lazy.get()?)))
    }
}

impl Service {
    fn read(generated: &'static GeneratedService) -> Option<Self> {
        let header: Header = serde_json::from_str(generated.header).ok()?;
        Some(Self {
            protocol: header.protocol,
            api_version: header.api_version,
            signing_name: header.signing_name,
            endpoint_prefix: header.endpoint_prefix,
            global_endpoint: header.global_endpoint,
            xml_namespace: header.xml_namespace,
            operations: Operations(Table::new(generated.operations)),
            shapes: Table::new(generated.shapes),
        })
    }

    /// The shape named `name`.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get_key_value(name).map(|(_, shape)| shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_tables_read() {
        let models = models();
        assert_eq!(
            models.services.keys().copied().collect::<Vec<_>>(),
            ["iam", "sts", "s3", "cloudformation"]
        );
        assert!(!models.botocore.is_empty());
        for generated in SERVICES {
            let (_, model) = models.service(generated.name).unwrap();
            // Sorted, so that a binary search finds every entry.
            for table in [generated.operations, generated.shapes] {
                assert!(
                    table.windows(2).all(|w| w[0].0 < w[1].0),
                    "{}",
                    generated.name
                );
            }
            // Every shape reads (they are read on first use, and one that did not
            // would be missing).
            for (name, json) in generated.shapes {
                serde_json::from_str::<Shape>(json)
                    .unwrap_or_else(|error| panic!("{}.{name}: {error}", generated.name));
                assert!(model.shape(name).is_some(), "{}.{name}", generated.name);
            }
            assert!(!model.operations.is_empty(), "{}", generated.name);
            assert_eq!(model.operations.iter().count(), model.operations.len());
            for (name, operation) in model.operations.iter() {
                for shape in operation.input.iter().chain(&operation.output) {
                    assert!(
                        model.shape(shape).is_some(),
                        "{}.{name}: {shape}",
                        generated.name
                    );
                }
            }
        }
        assert!(models.service("ec2").is_none());
    }

    fn read<T>(table: &[OnceLock<Option<T>>]) -> usize {
        table.iter().filter(|o| o.get().is_some()).count()
    }

    #[test]
    fn nothing_is_read_until_asked() {
        // A fresh list of services, apart from the shared one other tests read.
        let services: Vec<LazyService> = SERVICES
            .iter()
            .map(|generated| LazyService {
                generated,
                read: OnceLock::new(),
            })
            .collect();
        assert!(services.iter().all(|s| s.read.get().is_none()));
        let iam = services[0].get().unwrap();
        assert!(services[1..].iter().all(|s| s.read.get().is_none()));
        assert!(iam.operations.0.read.iter().all(|o| o.get().is_none()));
        assert!(iam.operations.get("GetUser").is_some());
        assert_eq!(read(&iam.operations.0.read), 1);
        assert!(iam.shape("GetUserResponse").is_some());
        assert_eq!(read(&iam.shapes.read), 1);
        assert!(iam.operations.get("NoSuchOperation").is_none());
    }
}
