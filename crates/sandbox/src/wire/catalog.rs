//! The catalog of every service botocore ships (`data/services.tsv`, written by
//! `scripts/gen-sandbox-services.py` and checked current by `tests/services_table.rs`):
//! per service its protocols, API version, signing name, endpoint prefix, JSON target
//! prefix, XML namespace and the code IAM's denial carries; per operation its HTTP
//! binding (method, URI template, and where each input member goes: [`Binding`]),
//! whether it only reads, and what an empty answer holds. [`service`] reads only the
//! lines of the service it names, once (S3's router asks for `s3` on the first S3
//! request; reading all of the table's 18,000 lines for it was a large part of a short
//! lab's run); [`services`] reads the whole table once, on the first request to a
//! service the sandbox does not emulate.

use std::sync::OnceLock;

/// The table, as generated.
const TABLE: &str = include_str!("../../data/services.tsv");

/// A wire protocol, as botocore's models name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `json` (1.0 or 1.1: `X-Amz-Target`, `application/x-amz-json-1.x`).
    Json,
    /// `rest-json` (method and URI; `x-amzn-ErrorType`).
    RestJson,
    /// `rest-xml` (method and URI; `<ErrorResponse>`).
    RestXml,
    /// `query` (`Action` and `Version` in a form; `<XResponse><XResult>`).
    Query,
    /// `ec2` (the query protocol with EC2's answers and `<Response><Errors>`).
    Ec2,
    /// `smithy-rpc-v2-cbor`: listed, not spoken (botocore prefers each such service's
    /// JSON protocol).
    Cbor,
}

impl Protocol {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "json" => Self::Json,
            "rest-json" => Self::RestJson,
            "rest-xml" => Self::RestXml,
            "query" => Self::Query,
            "ec2" => Self::Ec2,
            "smithy-rpc-v2-cbor" => Self::Cbor,
            _ => return None,
        })
    }

    /// Whether requests are routed by method and URI template.
    pub fn is_rest(self) -> bool {
        matches!(self, Self::RestJson | Self::RestXml)
    }
}

/// One service of the catalog.
#[derive(Debug)]
pub struct Service {
    /// botocore's name (`lambda`, `route53`).
    pub name: &'static str,
    /// Its protocols, the one a client speaks first (botocore's priority).
    pub protocols: Vec<Protocol>,
    pub api_version: &'static str,
    /// The `SigV4` credential scope's service.
    pub signing_name: &'static str,
    pub endpoint_prefix: &'static str,
    /// The `X-Amz-Target` prefix of the JSON protocol (`DynamoDB_20120810`).
    pub target_prefix: Option<&'static str>,
    /// `1.0` or `1.1`.
    pub json_version: Option<&'static str>,
    pub xml_namespace: Option<&'static str>,
    /// The code of IAM's denial in this service's words (`AccessDeniedException`).
    pub denied_code: &'static str,
    pub denied_status: u16,
    /// Sorted by name.
    pub operations: Vec<Operation>,
}

impl Service {
    /// The protocol a client speaks to it.
    pub fn protocol(&self) -> Protocol {
        self.protocols.first().copied().unwrap_or(Protocol::Json)
    }

    pub fn speaks(&self, protocol: Protocol) -> bool {
        self.protocols.contains(&protocol)
    }

    /// The operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations
            .binary_search_by(|operation| operation.name.cmp(name))
            .ok()
            .and_then(|index| self.operations.get(index))
    }
}

/// One operation of a service.
#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub method: &'static str,
    /// The request URI template (`/2015-03-31/functions/{FunctionName}`, `?versions`).
    pub uri: &'static str,
    /// Whether it only reads (by AWS's naming: `Get`, `List`, `Describe`...).
    pub reads: bool,
    /// The query protocol's result wrapper, or REST-XML's root element.
    pub root: Option<&'static str>,
    /// The output's top-level lists, by their wire names.
    pub lists: Vec<&'static str>,
    /// Where a REST client puts the input's members ([`Binding`]), as generated
    /// (`UploadId=q:uploadId!,Body=p:blob`); read with [`Operation::bindings`].
    pub bindings: &'static str,
    /// The bindings read, on first use (S3's router reads them on every request).
    parsed: OnceLock<Vec<Binding>>,
}

/// Where a REST request carries one input member (the model's `location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The query string, under the model's `locationName`.
    Query,
    /// A header, under the model's `locationName`.
    Header,
    /// The body (the input's `payload`): `blob` (bytes, streamed), `string`, or a
    /// structure under this XML root element.
    Payload,
}

/// One input member a REST request carries outside its URI's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The member's name in the model (`UploadId`).
    pub member: &'static str,
    pub location: Location,
    /// The query parameter or header (`uploadId`), or the payload's kind.
    pub name: &'static str,
    /// Whether the model requires it: a required query parameter or header is a
    /// marker that tells operations of one method and URI template apart.
    pub required: bool,
}

impl Operation {
    /// The members carried in the query string, headers or body.
    pub fn bindings(&self) -> impl Iterator<Item = Binding> + '_ {
        self.parsed
            .get_or_init(|| self.read_bindings().collect())
            .iter()
            .copied()
    }

    fn read_bindings(&self) -> impl Iterator<Item = Binding> {
        self.bindings
            .split(',')
            .filter(|binding| !binding.is_empty() && *binding != "-")
            .filter_map(|binding| {
                let (member, place) = binding.split_once('=')?;
                let (location, name) = place.split_once(':')?;
                let location = match location {
                    "q" => Location::Query,
                    "h" => Location::Header,
                    "p" => Location::Payload,
                    _ => return None,
                };
                let (name, required) = name
                    .strip_suffix('!')
                    .map_or((name, false), |name| (name, true));
                Some(Binding {
                    member,
                    location,
                    name,
                    required,
                })
            })
    }

    /// The payload member and its kind, if the input has a body.
    pub fn payload(&self) -> Option<Binding> {
        self.bindings()
            .find(|binding| binding.location == Location::Payload)
    }
}

/// The whole catalog.
pub fn services() -> &'static [Service] {
    static SERVICES: OnceLock<Vec<Service>> = OnceLock::new();
    SERVICES.get_or_init(|| parse(TABLE))
}

/// The service botocore names `name`, read from its own lines of the table only.
pub fn service(name: &str) -> Option<&'static Service> {
    let block = blocks().iter().find(|block| block.name == name)?;
    block
        .read
        .get_or_init(|| parse(block.lines).into_iter().next())
        .as_ref()
}

/// One service's lines of the table (its `S` line and its `O` lines), read on first use.
struct Block {
    name: &'static str,
    lines: &'static str,
    read: OnceLock<Option<Service>>,
}

/// The table cut into services at each line that begins with `S` and a tab.
fn blocks() -> &'static [Block] {
    static BLOCKS: OnceLock<Vec<Block>> = OnceLock::new();
    BLOCKS.get_or_init(|| {
        let starts: Vec<usize> = TABLE
            .starts_with("S\t")
            .then_some(0)
            .into_iter()
            .chain(TABLE.match_indices("\nS\t").map(|(at, _)| at + 1))
            .collect();
        starts
            .iter()
            .enumerate()
            .map(|(index, &start)| {
                let end = starts.get(index + 1).copied().unwrap_or(TABLE.len());
                let lines = &TABLE[start..end];
                Block {
                    name: lines.split('\t').nth(1).unwrap_or_default(),
                    lines,
                    read: OnceLock::new(),
                }
            })
            .collect()
    })
}

fn optional(field: &'static str) -> Option<&'static str> {
    (field != "-").then_some(field)
}

/// Reads the table; a line it cannot read is skipped (the table is generated, and a
/// test checks every line is read).
fn parse(table: &'static str) -> Vec<Service> {
    let mut services: Vec<Service> = Vec::new();
    for line in table.lines() {
        let fields: Vec<&'static str> = line.split('\t').collect();
        match fields.as_slice() {
            [
                "S",
                name,
                protocols,
                api_version,
                signing_name,
                endpoint_prefix,
                target_prefix,
                json_version,
                xml_namespace,
                denied_code,
                denied_status,
            ] => services.push(Service {
                name,
                protocols: protocols.split(',').filter_map(Protocol::parse).collect(),
                api_version,
                signing_name,
                endpoint_prefix,
                target_prefix: optional(target_prefix),
                json_version: optional(json_version),
                xml_namespace: optional(xml_namespace),
                denied_code,
                denied_status: denied_status.parse().unwrap_or(403),
                operations: Vec::new(),
            }),
            ["O", name, method, uri, reads, root, lists, bindings] => {
                if let Some(service) = services.last_mut() {
                    service.operations.push(Operation {
                        name,
                        method,
                        uri,
                        reads: *reads == "R",
                        root: optional(root),
                        lists: optional(lists)
                            .map(|lists| lists.split(',').collect())
                            .unwrap_or_default(),
                        bindings,
                        parsed: OnceLock::new(),
                    });
                }
            }
            _ => {}
        }
    }
    for service in &mut services {
        service.operations.sort_by(|a, b| a.name.cmp(b.name));
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_read_alone_is_the_service_read_with_the_table() {
        assert_eq!(blocks().len(), services().len());
        for whole in services() {
            let alone = service(whole.name).unwrap();
            assert_eq!(alone.name, whole.name);
            assert_eq!(alone.protocols, whole.protocols);
            assert_eq!(alone.signing_name, whole.signing_name);
            assert_eq!(alone.denied_code, whole.denied_code);
            let names = |service: &Service| -> Vec<(&str, &str, &str)> {
                service
                    .operations
                    .iter()
                    .map(|o| (o.name, o.method, o.bindings))
                    .collect()
            };
            assert_eq!(names(alone), names(whole), "{}", whole.name);
        }
        assert!(service("no-such-service").is_none());
    }

    #[test]
    fn every_line_of_the_table_is_read() {
        let lines = TABLE.lines().filter(|line| !line.starts_with('#')).count();
        let read: usize = services()
            .iter()
            .map(|service| 1 + service.operations.len())
            .sum();
        assert_eq!(read, lines);
        assert!(services().len() > 400, "{}", services().len());
        assert!(
            services()
                .iter()
                .all(|service| !service.protocols.is_empty())
        );
    }

    #[test]
    fn the_catalog_knows_each_protocol_family() {
        let lambda = service("lambda").map(Service::protocol);
        assert_eq!(lambda, Some(Protocol::RestJson));
        let route53 = service("route53").map(Service::protocol);
        assert_eq!(route53, Some(Protocol::RestXml));
        let sns = service("sns").map(Service::protocol);
        assert_eq!(sns, Some(Protocol::Query));
        let ec2 = service("ec2").map(Service::protocol);
        assert_eq!(ec2, Some(Protocol::Ec2));
        let dynamodb = service("dynamodb");
        assert_eq!(dynamodb.map(Service::protocol), Some(Protocol::Json));
        assert_eq!(
            dynamodb.and_then(|service| service.target_prefix),
            Some("DynamoDB_20120810")
        );
        // CloudWatch: JSON first (botocore's priority), the query protocol still served.
        let cloudwatch = service("cloudwatch");
        assert_eq!(
            cloudwatch.map(Service::protocol),
            Some(Protocol::Json),
            "{cloudwatch:?}"
        );
        assert!(cloudwatch.is_some_and(|service| service.speaks(Protocol::Query)));
        let list = service("lambda").and_then(|service| service.operation("ListFunctions"));
        assert_eq!(
            list.map(|operation| operation.uri),
            Some("/2015-03-31/functions")
        );
        assert!(list.is_some_and(|operation| operation.reads));
        let part = service("s3").and_then(|service| service.operation("UploadPart"));
        let bindings: Vec<Binding> = part
            .map(|part| part.bindings().collect())
            .unwrap_or_default();
        assert!(bindings.contains(&Binding {
            member: "UploadId",
            location: Location::Query,
            name: "uploadId",
            required: true,
        }));
        assert_eq!(
            part.and_then(Operation::payload).map(|body| body.name),
            Some("blob")
        );
        assert_eq!(
            service("sns").map(|service| service.denied_code),
            Some("AuthorizationError")
        );
    }
}
