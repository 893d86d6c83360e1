//! S3's requests on its route table: path-style and virtual-hosted addressing, then
//! the operation a request names, from S3's rows of the catalog (botocore's model:
//! method, URI template, and the query parameters and headers that pick an operation,
//! such as `?uploads`, `uploadId` or `x-amz-copy-source`), then its input, each member
//! from where the model puts it (aws-chunked bodies decoded, bodies streamed).

use super::catalog::{self, Binding, Location, Operation};
use super::xml::{all_texts, first_text};
use super::{Catalog, HttpRequest, chunked, rest_routes, spool};
use crate::model::body::Payload;
use crate::model::{ApiError, Field, Input, S3Error, s3_actions as actions};

/// Hosts that address the service itself, not a bucket.
const SERVICE_HOSTS: &[&str] = &[
    "sandbox.awslab.localhost",
    "s3.amazonaws.com",
    "localhost",
    "127.0.0.1",
];

/// The bucket named by a virtual-hosted host, if any.
fn bucket_from_host(host: &str) -> Option<String> {
    if SERVICE_HOSTS.contains(&host) || host.starts_with("s3.") {
        return None;
    }
    for base in SERVICE_HOSTS {
        if let Some(bucket) = host.strip_suffix(&format!(".{base}")) {
            return Some(bucket.to_owned());
        }
    }
    host.split_once(".s3.").map(|(bucket, _)| bucket.to_owned())
}

/// An S3 request decoded: the operation S3's model names for it and its input,
/// each member taken from where the model says a client puts it.
#[derive(Debug)]
pub struct Decoded {
    /// The operation in S3's model (`PutObject`), or, for a request that names none,
    /// its shape (`GET /{Bucket}?nosuch`).
    pub operation: String,
    /// Whether S3's model has the operation.
    pub modeled: bool,
    /// `Bucket` and `Key` from the host or path, each query parameter and header by
    /// its member's `locationName`, and the body: streamed bytes for a blob payload
    /// ([`Input::body`]), text for a string, members for the XML structures the
    /// sandbox reads.
    pub input: Input,
}

/// Decodes `request` from S3's route table: the operations of S3's model in the
/// catalog (method, URI template with its query literals, and the required query
/// parameters and headers that tell operations of one template apart), the most
/// specific match winning, then one the registry answers (`emulated`).
pub fn decode(request: &HttpRequest, emulated: &dyn Catalog) -> Result<Decoded, ApiError> {
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = match bucket_from_host(request.host()) {
        Some(bucket) => (bucket, object_key(request, path)?),
        None => match path.split_once('/') {
            Some((bucket, key)) => (super::decode(bucket), object_key(request, key)?),
            None => (super::decode(path), String::new()),
        },
    };
    let query = request.query_pairs();
    let method = request.method.as_str();
    // A bucket's configuration is XML (its policy JSON), refused before anything else
    // if it declares a document type or is not UTF-8.
    let configuration = if !bucket.is_empty()
        && key.is_empty()
        && matches!(method, "PUT" | "POST")
        && !query.iter().any(|(name, _)| name == "policy")
    {
        Some(xml_body(request)?)
    } else {
        None
    };
    let Some(operation) = route(request, &bucket, &key, &query, emulated) else {
        return Ok(unnamed(method, &bucket, &key, &query));
    };
    let mut input = Input::default();
    if !bucket.is_empty() {
        input = input.text("Bucket", bucket);
    }
    if !key.is_empty() {
        input = input.text("Key", key);
    }
    for binding in operation.bindings() {
        let value = match binding.location {
            Location::Query => query
                .iter()
                .find(|(name, _)| name == binding.name)
                .map(|(_, value)| value.clone()),
            Location::Header => request
                .header(&binding.name.to_ascii_lowercase())
                .map(str::to_owned),
            Location::Payload => {
                input = with_payload(input, request, binding, configuration.as_deref())?;
                continue;
            }
        };
        if let Some(value) = value {
            input = input.text(binding.member, value);
        }
    }
    Ok(Decoded {
        operation: operation.name.to_owned(),
        modeled: true,
        input,
    })
}

/// The operation of S3's model that `request` names, if any.
fn route(
    request: &HttpRequest,
    bucket: &str,
    key: &str,
    query: &[(String, String)],
    emulated: &dyn Catalog,
) -> Option<&'static Operation> {
    // The path as S3's templates spell it (`/{Bucket}/{Key+}`), whatever the
    // addressing style and however many slashes the key holds.
    let path: Vec<&str> = [bucket, key]
        .into_iter()
        .take_while(|part| !part.is_empty())
        .collect();
    let service = catalog::service("s3")?;
    let mut best: Option<(Score, &'static Operation)> = None;
    for operation in &service.operations {
        if operation.method != request.method {
            continue;
        }
        let Some(template) = rest_routes::matches(operation.uri, &path, query) else {
            continue;
        };
        let Some(markers) = markers(request, operation, query) else {
            continue;
        };
        let score = (
            template,
            markers,
            emulated.answers("s3", operation.name),
            actions::action_of(operation.name).is_some(),
        );
        if best.as_ref().is_none_or(|(best, _)| score > *best) {
            best = Some((score, operation));
        }
    }
    best.map(|(_, operation)| operation)
}

/// How an operation matched: its template's specificity, its markers, whether the
/// sandbox answers it, whether its action is known.
type Score = ((usize, usize, bool), usize, bool, bool);

/// How many required query parameters and headers of `operation` the request has
/// (`None` if one is missing, or the query holds a parameter the operation does not
/// take: `GET /bucket?nosuch` is no listing).
fn markers(
    request: &HttpRequest,
    operation: &Operation,
    query: &[(String, String)],
) -> Option<usize> {
    let mut count = 0;
    for binding in operation.bindings().filter(|binding| binding.required) {
        let present = match binding.location {
            Location::Query => query.iter().any(|(name, _)| name == binding.name),
            Location::Header => request.header(&binding.name.to_ascii_lowercase()).is_some(),
            Location::Payload => continue,
        };
        if !present {
            return None;
        }
        count += 1;
    }
    let literals = operation.uri.split_once('?').map_or("", |(_, query)| query);
    let taken = |name: &str| {
        name == "x-id"
            || name.starts_with("X-Amz-")
            || literals
                .split('&')
                .any(|literal| literal.split('=').next() == Some(name))
            || operation
                .bindings()
                .any(|binding| binding.location == Location::Query && binding.name == name)
    };
    query.iter().all(|(name, _)| taken(name)).then_some(count)
}

/// A request that names no operation of S3's model, named by its shape and answered
/// `NotImplemented`.
fn unnamed(method: &str, bucket: &str, key: &str, query: &[(String, String)]) -> Decoded {
    let operation = if bucket.is_empty() {
        format!("{method} /")
    } else {
        let target = if key.is_empty() {
            "/{Bucket}"
        } else {
            "/{Bucket}/{Key}"
        };
        let parameters: Vec<&str> = query.iter().map(|(name, _)| name.as_str()).collect();
        format!("{method} {target}?{}", parameters.join("&"))
    };
    let mut input = Input::default();
    if !bucket.is_empty() {
        input = input.text("Bucket", bucket);
    }
    if !key.is_empty() {
        input = input.text("Key", key);
    }
    Decoded {
        operation,
        modeled: false,
        input,
    }
}

/// `input` with its body member, decoded as the model's payload kind says: bytes
/// streamed, text, or the members of the XML structures the sandbox reads (the others
/// are left unread: their operations are not emulated).
fn with_payload(
    input: Input,
    request: &HttpRequest,
    binding: Binding,
    configuration: Option<&str>,
) -> Result<Input, ApiError> {
    let xml = |request: &HttpRequest| match configuration {
        Some(text) => Ok(text.to_owned()),
        None => xml_body(request),
    };
    Ok(match binding.name {
        "blob" => input.with_body(payload(request)?),
        "string" => input.text(
            binding.member,
            String::from_utf8_lossy(&request.body).into_owned(),
        ),
        "CreateBucketConfiguration" | "VersioningConfiguration" => {
            let body = xml(request)?;
            let mut members = Input::default();
            for name in ["LocationConstraint", "Status"] {
                if let Some(text) = first_text(&body, name) {
                    members = members.text(name, text);
                }
            }
            input.field(binding.member, Field::Struct(members))
        }
        "Tagging" => {
            let body = xml(request)?;
            let keys = all_texts(&body, "Key");
            let values = all_texts(&body, "Value");
            let tags = keys.into_iter().zip(values).map(|(key, value)| {
                Field::Struct(Input::default().text("Key", key).text("Value", value))
            });
            let tagging = Input::default().field("TagSet", list(tags));
            input.field(binding.member, Field::Struct(tagging))
        }
        "Delete" => {
            let body = xml(request)?;
            let objects = objects_to_delete(&body)?
                .into_iter()
                .map(|key| Field::Struct(Input::default().text("Key", key)));
            let delete = Input::default().field("Objects", list(objects));
            input.field(binding.member, Field::Struct(delete))
        }
        "CompleteMultipartUpload" => {
            let body = xml(request)?;
            let parts = all_texts(&body, "Part")
                .iter()
                .take(MAX_COMPLETED_PARTS)
                .map(|part| {
                    let mut fields = Input::default();
                    for name in ["PartNumber", "ETag"] {
                        if let Some(text) = first_text(part, name) {
                            fields = fields.text(name, text);
                        }
                    }
                    Field::Struct(fields)
                })
                .collect::<Vec<_>>();
            let upload = Input::default().field("Parts", list(parts));
            input.field(binding.member, Field::Struct(upload))
        }
        _ => input,
    })
}

/// The most parts a `CompleteMultipartUpload` is read to: one past S3's highest part
/// number, so that a list too long is still refused as S3 refuses it.
pub const MAX_COMPLETED_PARTS: usize = 10_001;

/// A list member of `items`, numbered from 1.
fn list(items: impl IntoIterator<Item = Field>) -> Field {
    Field::List(
        items
            .into_iter()
            .enumerate()
            .map(|(index, item)| (index + 1, item))
            .collect(),
    )
}

/// The key of an object request, percent-decoded. S3 takes any UTF-8 (C0 controls,
/// NUL, U+FFFF included) up to 1,024 bytes, and refuses what does not decode to UTF-8
/// as `InvalidURI`, and a longer key as `KeyTooLongError`.
fn object_key(request: &HttpRequest, encoded: &str) -> Result<String, ApiError> {
    let key = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| {
            ApiError::of(S3Error::InvalidURI, "Couldn't parse the specified URI.")
                .with("URI", &request.path)
        })?
        .into_owned();
    if key.len() > MAX_KEY_BYTES {
        return Err(
            ApiError::of(S3Error::KeyTooLongError, "Your key is too long")
                .with("MaxSizeAllowed", &MAX_KEY_BYTES.to_string())
                .with("Size", &key.len().to_string()),
        );
    }
    Ok(key)
}

/// The longest object key S3 takes, in bytes of UTF-8.
const MAX_KEY_BYTES: usize = 1024;

/// The most keys one `DeleteObjects` request may name (S3 answers `MalformedXML` above).
pub const MAX_KEYS_PER_DELETE: usize = 1000;

fn malformed_xml() -> ApiError {
    ApiError::of(
        S3Error::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// The XML body of a configuration request, refused as `MalformedXML` if it declares
/// a document type or an entity (so nothing is ever expanded) or is not UTF-8.
fn xml_body(request: &HttpRequest) -> Result<String, ApiError> {
    if super::xml::declares_doctype(&request.body) {
        return Err(malformed_xml());
    }
    String::from_utf8(request.body.clone()).map_err(|_| malformed_xml())
}

/// The keys of a `DeleteObjects` body: at most [`MAX_KEYS_PER_DELETE`].
fn objects_to_delete(body: &str) -> Result<Vec<String>, ApiError> {
    let keys = all_texts(body, "Key");
    if keys.len() > MAX_KEYS_PER_DELETE {
        return Err(malformed_xml());
    }
    Ok(keys)
}

/// The object bytes: aws-chunked bodies decoded, others as sent; a spooled body as
/// it was spooled (decoded on the way).
fn payload(request: &HttpRequest) -> Result<Payload, ApiError> {
    if let Some(spooled) = &request.spooled {
        return Ok(spooled.payload.clone());
    }
    let chunked = spool::is_chunked(
        request.header("content-encoding"),
        request.header("x-amz-content-sha256"),
    );
    if !chunked {
        return Ok(Payload::from(request.body.clone()));
    }
    chunked::decode(&request.body)
        .map(|decoded| Payload::from(decoded.payload))
        .ok_or_else(|| {
            ApiError::of(
                S3Error::IncompleteBody,
                "The request body terminated unexpectedly",
            )
        })
}
