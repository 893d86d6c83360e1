//! S3's REST-XML: path-style and virtual-hosted addressing, the method and
//! sub-resource that name the operation, aws-chunked bodies, and the XML answers and
//! error bodies S3 sends.

use super::s3_list::{LIST_PARAMETERS, listing, listing_body};
use super::xml::{all_texts, element, escape, first_text};
use super::{HttpRequest, HttpResponse, chunked, decode, s3_multipart, spool};
use crate::model::S3Error;
use crate::model::body::{Content, Payload};
use crate::model::s3::{S3Operation, S3Output, WriteCondition};
use crate::model::{ApiError, s3_actions as actions};

pub(super) const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

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

/// Decodes the S3 operation of `request`.
#[expect(clippy::too_many_lines, reason = "one arm per operation")]
pub fn operation(request: &HttpRequest) -> Result<S3Operation, ApiError> {
    let path = request.path.trim_start_matches('/');
    let (bucket, key) = match bucket_from_host(request.host()) {
        Some(bucket) => (bucket, object_key(request, path)?),
        None => match path.split_once('/') {
            Some((bucket, key)) => (decode(bucket), object_key(request, key)?),
            None => (decode(path), String::new()),
        },
    };
    let query = request.query_pairs();
    let has = |name: &str| query.iter().any(|(key, _)| key == name);
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let method = request.method.as_str();
    if bucket.is_empty() {
        return Ok(match method {
            "GET" => S3Operation::ListBuckets,
            _ => S3Operation::Unsupported {
                bucket: None,
                key: None,
                operation: format!("{method} /"),
                action: None,
            },
        });
    }
    if key.is_empty() {
        let body = if matches!(method, "PUT" | "POST") && !has("policy") {
            xml_body(request)?
        } else {
            String::from_utf8_lossy(&request.body).into_owned()
        };
        if let Some(operation) = s3_multipart::bucket_operation(method, &bucket, &get) {
            return operation;
        }
        return Ok(match (method, bucket) {
            ("PUT", bucket) if has("policy") => S3Operation::PutBucketPolicy {
                bucket,
                policy: body,
            },
            ("PUT", bucket) if has("tagging") => {
                let keys = all_texts(&body, "Key");
                let values = all_texts(&body, "Value");
                S3Operation::PutBucketTagging {
                    bucket,
                    tags: keys.into_iter().zip(values).collect(),
                }
            }
            ("PUT", bucket) if query.is_empty() => S3Operation::CreateBucket {
                bucket,
                region: first_text(&body, "LocationConstraint"),
            },
            ("DELETE", bucket) if has("policy") => S3Operation::DeleteBucketPolicy { bucket },
            ("DELETE", bucket) if has("tagging") => S3Operation::DeleteBucketTagging { bucket },
            ("DELETE", bucket) if query.is_empty() => S3Operation::DeleteBucket { bucket },
            ("HEAD", bucket) => S3Operation::HeadBucket { bucket },
            ("GET", bucket) if has("location") => S3Operation::GetBucketLocation { bucket },
            ("GET", bucket) if has("policy") => S3Operation::GetBucketPolicy { bucket },
            ("GET", bucket) if has("tagging") => S3Operation::GetBucketTagging { bucket },
            ("GET", bucket) if has("versioning") => S3Operation::GetBucketVersioning { bucket },
            ("PUT", bucket) if has("versioning") => S3Operation::PutBucketVersioning {
                bucket,
                status: first_text(&body, "Status"),
            },
            ("GET", bucket)
                if query
                    .iter()
                    .all(|(key, _)| LIST_PARAMETERS.contains(&key.as_str())) =>
            {
                S3Operation::ListObjects(listing(bucket, &get)?)
            }
            ("POST", bucket) if has("delete") => S3Operation::DeleteObjects {
                bucket,
                keys: objects_to_delete(&body)?,
            },
            (method, bucket) => unemulated(method, bucket, None, &query),
        });
    }
    if let Some(operation) = s3_multipart::object_operation(request, &bucket, &key, &get) {
        return operation;
    }
    Ok(match method {
        "PUT" if query.is_empty() || has("x-id") => match request.header("x-amz-copy-source") {
            Some(source) => {
                let source = decode(source.trim_start_matches('/'));
                let (source_bucket, source_key) = source.split_once('/').unwrap_or((&source, ""));
                S3Operation::CopyObject {
                    bucket,
                    key,
                    source_bucket: source_bucket.to_owned(),
                    source_key: source_key.split('?').next().unwrap_or_default().to_owned(),
                }
            }
            None => S3Operation::PutObject {
                bucket,
                key,
                body: payload(request)?,
                content_type: request.header("content-type").map(str::to_owned),
                content_md5: request.header("content-md5").map(str::to_owned),
                condition: write_condition(request)?,
            },
        },
        "GET"
            if query.iter().all(|(name, _)| {
                name == "x-id" || name.starts_with("response-") || name.starts_with("X-Amz-")
            }) =>
        {
            S3Operation::GetObject {
                bucket,
                key,
                head: false,
                range: request.header("range").map(str::to_owned),
            }
        }
        "HEAD" => S3Operation::GetObject {
            bucket,
            key,
            head: true,
            range: request.header("range").map(str::to_owned),
        },
        "DELETE" if query.is_empty() || has("x-id") => S3Operation::DeleteObject { bucket, key },
        method => unemulated(method, bucket, Some(key), &query),
    })
}

/// A request the sandbox routes but does not emulate, named as S3 names it (and
/// authorized by its action) when S3 knows it, by its shape otherwise.
fn unemulated(
    method: &str,
    bucket: String,
    key: Option<String>,
    query: &[(String, String)],
) -> S3Operation {
    let has = |name: &str| query.iter().any(|(key, _)| key == name);
    let (operation, action) = if let Some(known) = actions::find(method, key.is_some(), &has) {
        (known.operation.to_owned(), Some(known.action))
    } else {
        let target = if key.is_some() {
            "/{Bucket}/{Key}"
        } else {
            "/{Bucket}"
        };
        let parameters: Vec<&str> = query.iter().map(|(name, _)| name.as_str()).collect();
        (format!("{method} {target}?{}", parameters.join("&")), None)
    };
    S3Operation::Unsupported {
        bucket: Some(bucket),
        key,
        operation,
        action,
    }
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

/// The precondition of a conditional write: `If-None-Match: *` or `If-Match: ETAG`
/// (either quoted or bare). S3 takes no other `If-None-Match` on a write and answers
/// `NotImplemented` naming the header.
pub(super) fn write_condition(request: &HttpRequest) -> Result<Option<WriteCondition>, ApiError> {
    if let Some(value) = request.header("if-none-match") {
        if value.trim() != "*" {
            return Err(ApiError::of(
                S3Error::NotImplemented,
                "A header you provided implies functionality that is not implemented",
            )
            .with("Header", "If-None-Match"));
        }
        return Ok(Some(WriteCondition::IfNoneMatch));
    }
    Ok(request
        .header("if-match")
        .map(|etag| WriteCondition::IfMatch(etag.trim().trim_matches('"').to_owned())))
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
pub(super) fn xml_body(request: &HttpRequest) -> Result<String, ApiError> {
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
pub(super) fn payload(request: &HttpRequest) -> Result<Payload, ApiError> {
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

pub(super) fn iso(seconds: i64) -> String {
    crate::model::timestamp(seconds).replace('Z', ".000Z")
}

fn http_date(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| {
            at.format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .ok()
        })
        .unwrap_or_default()
}

pub(super) fn xml(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        "application/xml",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}").into_bytes(),
    )
}

/// Encodes a successful answer.
#[expect(clippy::too_many_lines, reason = "one arm per answer shape")]
pub fn success(output: S3Output, request_id: &str) -> HttpResponse {
    let response = match output {
        S3Output::Empty(status) => HttpResponse::new(status, "application/xml", Vec::new()),
        S3Output::Buckets { owner, buckets } => {
            let mut body = format!(
                "<ListAllMyBucketsResult xmlns=\"{NAMESPACE}\"><Owner><ID>{owner}</ID><DisplayName>{owner}</DisplayName></Owner><Buckets>"
            );
            for (name, created, region) in buckets {
                body.push_str("<Bucket>");
                element(&mut body, "Name", &name);
                element(&mut body, "CreationDate", &iso(created));
                element(&mut body, "BucketRegion", &region);
                body.push_str("</Bucket>");
            }
            body.push_str("</Buckets></ListAllMyBucketsResult>");
            xml(200, &body)
        }
        S3Output::Location(region) => {
            let region = if region == "us-east-1" {
                String::new()
            } else {
                escape(&region)
            };
            xml(
                200,
                &format!("<LocationConstraint xmlns=\"{NAMESPACE}\">{region}</LocationConstraint>"),
            )
        }
        S3Output::Listing {
            request,
            objects,
            prefixes,
            next,
        } => xml(
            200,
            &listing_body(&request, &objects, &prefixes, next.as_deref()),
        ),
        S3Output::Put { etag } => HttpResponse::new(200, "application/xml", Vec::new())
            .header("etag", format!("\"{etag}\"")),
        S3Output::Object {
            body,
            etag,
            modified,
            content_type,
            head,
            size,
            range,
        } => {
            let length = range.map_or(size, |(first, last)| last - first + 1);
            let (bytes, stream) = match body {
                _ if head => (Vec::new(), None),
                Content::Bytes(bytes) => (bytes, None),
                Content::Streamed(streamed) => (Vec::new(), Some(streamed)),
            };
            let mut response = HttpResponse::new(
                if range.is_some() { 206 } else { 200 },
                content_type.as_deref().unwrap_or("binary/octet-stream"),
                bytes,
            );
            response.stream = stream;
            let mut response = response
                .header("etag", format!("\"{etag}\""))
                .header("last-modified", http_date(modified))
                .header("accept-ranges", "bytes");
            if let Some((first, last)) = range {
                response = response.header("content-range", format!("bytes {first}-{last}/{size}"));
            }
            if head {
                response = response.header("content-length", length.to_string());
            }
            response
        }
        S3Output::Deleted(keys) => {
            let mut body = format!("<DeleteResult xmlns=\"{NAMESPACE}\">");
            for key in keys {
                body.push_str("<Deleted>");
                element(&mut body, "Key", &key);
                body.push_str("</Deleted>");
            }
            body.push_str("</DeleteResult>");
            xml(200, &body)
        }
        S3Output::Copied { etag, modified } => xml(
            200,
            &format!(
                "<CopyObjectResult xmlns=\"{NAMESPACE}\"><LastModified>{}</LastModified><ETag>&quot;{etag}&quot;</ETag></CopyObjectResult>",
                iso(modified)
            ),
        ),
        S3Output::Policy(policy) => HttpResponse::new(200, "application/json", policy.into_bytes()),
        S3Output::Versioning(status) => {
            let mut body = format!("<VersioningConfiguration xmlns=\"{NAMESPACE}\">");
            if let Some(status) = status {
                element(&mut body, "Status", &status);
            }
            body.push_str("</VersioningConfiguration>");
            xml(200, &body)
        }
        S3Output::Multipart(output) => s3_multipart::encode(output),
        S3Output::Tags(tags) => {
            let mut body = format!("<Tagging xmlns=\"{NAMESPACE}\"><TagSet>");
            for (key, value) in tags {
                body.push_str("<Tag>");
                element(&mut body, "Key", &key);
                element(&mut body, "Value", &value);
                body.push_str("</Tag>");
            }
            body.push_str("</TagSet></Tagging>");
            xml(200, &body)
        }
    };
    response
        .header("x-amz-request-id", request_id)
        .header("x-amz-id-2", request_id)
}

/// Encodes an error (HEAD requests get no body).
pub fn error(error: &ApiError, request_id: &str, head: bool) -> HttpResponse {
    let mut body = String::from("<Error>");
    element(&mut body, "Code", &error.code);
    element(&mut body, "Message", &error.message);
    for (name, value) in &error.extra {
        element(&mut body, name, value);
    }
    element(&mut body, "RequestId", request_id);
    element(&mut body, "HostId", request_id);
    body.push_str("</Error>");
    let response = if head {
        HttpResponse::new(error.status, "application/xml", Vec::new())
    } else {
        xml(error.status, &body)
    };
    response
        .header("x-amz-request-id", request_id)
        .header("x-amz-id-2", request_id)
}
