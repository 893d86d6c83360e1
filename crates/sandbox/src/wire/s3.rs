//! S3's REST-XML: requests named and decoded by S3's route table
//! ([`super::s3_route`], re-exported here), and the XML answers and error bodies S3
//! sends.

use super::s3_list::listing_body;
use super::xml::{element, escape};
use super::{HttpResponse, s3_multipart};
use crate::model::ApiError;
use crate::model::body::Content;
use crate::model::s3::S3Output;

pub use super::s3_route::{Decoded, MAX_COMPLETED_PARTS, MAX_KEYS_PER_DELETE, decode};

pub(super) const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

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
