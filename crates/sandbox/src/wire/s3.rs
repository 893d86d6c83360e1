//! S3's REST-XML: path-style and virtual-hosted addressing, the method and
//! sub-resource that name the operation, aws-chunked bodies, and the XML answers and
//! error bodies S3 sends.

use super::xml::{all_texts, element, escape, first_text};
use super::{HttpRequest, HttpResponse, chunked, decode, s3_multipart};
use crate::services::ApiError;
use crate::services::s3::{Listing, S3Operation, S3Output};
use std::fmt::Write as _;

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
        Some(bucket) => (bucket, decode(path)),
        None => match path.split_once('/') {
            Some((bucket, key)) => (decode(bucket), decode(key)),
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
                name: format!("{method}Service"),
            },
        });
    }
    if key.is_empty() {
        let body = String::from_utf8_lossy(&request.body).into_owned();
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
                keys: all_texts(&body, "Key"),
            },
            (method, bucket) => S3Operation::Unsupported {
                name: format!(
                    "{}Bucket{}",
                    method.to_ascii_lowercase(),
                    query
                        .first()
                        .map(|(key, _)| key.clone())
                        .unwrap_or_default()
                ),
                bucket: Some(bucket),
            },
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
        method => S3Operation::Unsupported {
            name: format!(
                "{}Object{}",
                method.to_ascii_lowercase(),
                query
                    .first()
                    .map(|(key, _)| key.clone())
                    .unwrap_or_default()
            ),
            bucket: Some(bucket),
        },
    })
}

const LIST_PARAMETERS: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "marker",
    "start-after",
    "continuation-token",
    "encoding-type",
    "fetch-owner",
    "x-id",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

fn listing(bucket: String, get: &dyn Fn(&str) -> Option<String>) -> Result<Listing, ApiError> {
    let v2 = get("list-type").as_deref() == Some("2");
    let max_keys = match get("max-keys") {
        Some(text) => text.parse::<usize>().map_err(|_| {
            ApiError::new(
                400,
                "InvalidArgument",
                "Provided max-keys not an integer or within integer range",
            )
        })?,
        None => 1000,
    }
    .min(1000);
    let continuation_token = get("continuation-token");
    let after = if v2 {
        continuation_token
            .as_deref()
            .map(decode_token)
            .or_else(|| get("start-after"))
    } else {
        get("marker")
    };
    Ok(Listing {
        bucket,
        v2,
        prefix: get("prefix").unwrap_or_default(),
        delimiter: get("delimiter"),
        max_keys,
        after,
        continuation_token,
    })
}

fn encode_token(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn decode_token(token: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// The object bytes: aws-chunked bodies decoded, others as sent.
pub(super) fn payload(request: &HttpRequest) -> Result<Vec<u8>, ApiError> {
    let chunked = request
        .header("content-encoding")
        .is_some_and(|encoding| encoding.contains("aws-chunked"))
        || request
            .header("x-amz-content-sha256")
            .is_some_and(|hash| hash.starts_with("STREAMING-"));
    if !chunked {
        return Ok(request.body.clone());
    }
    chunked::decode(&request.body)
        .map(|decoded| decoded.payload)
        .ok_or_else(|| {
            ApiError::new(
                400,
                "IncompleteBody",
                "The request body terminated unexpectedly",
            )
        })
}

pub(super) fn iso(seconds: i64) -> String {
    crate::services::timestamp(seconds).replace('Z', ".000Z")
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
            let mut response = HttpResponse::new(
                if range.is_some() { 206 } else { 200 },
                content_type.as_deref().unwrap_or("binary/octet-stream"),
                if head { Vec::new() } else { body },
            )
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

fn listing_body(
    request: &Listing,
    objects: &[(String, usize, String, i64)],
    prefixes: &[String],
    next: Option<&str>,
) -> String {
    let mut body = format!("<ListBucketResult xmlns=\"{NAMESPACE}\">");
    element(&mut body, "Name", &request.bucket);
    element(&mut body, "Prefix", &request.prefix);
    if request.v2 {
        element(
            &mut body,
            "KeyCount",
            &(objects.len() + prefixes.len()).to_string(),
        );
        if let Some(token) = &request.continuation_token {
            element(&mut body, "ContinuationToken", token);
        }
        if let Some(next) = next {
            element(&mut body, "NextContinuationToken", &encode_token(next));
        }
    } else {
        element(
            &mut body,
            "Marker",
            request.after.as_deref().unwrap_or_default(),
        );
        if let (Some(next), Some(_)) = (next, &request.delimiter) {
            element(&mut body, "NextMarker", next);
        }
    }
    element(&mut body, "MaxKeys", &request.max_keys.to_string());
    if let Some(delimiter) = &request.delimiter {
        element(&mut body, "Delimiter", delimiter);
    }
    element(
        &mut body,
        "IsTruncated",
        if next.is_some() { "true" } else { "false" },
    );
    for (key, size, etag, modified) in objects {
        body.push_str("<Contents>");
        element(&mut body, "Key", key);
        element(&mut body, "LastModified", &iso(*modified));
        let _ = write!(body, "<ETag>&quot;{etag}&quot;</ETag>");
        element(&mut body, "Size", &size.to_string());
        element(&mut body, "StorageClass", "STANDARD");
        body.push_str("</Contents>");
    }
    for prefix in prefixes {
        body.push_str("<CommonPrefixes>");
        element(&mut body, "Prefix", prefix);
        body.push_str("</CommonPrefixes>");
    }
    body.push_str("</ListBucketResult>");
    body
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
