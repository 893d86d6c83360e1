//! The REST-XML of S3's multipart uploads: which method and sub-resource name each
//! operation (`POST ?uploads`, `PUT ?partNumber&uploadId`, `POST ?uploadId`,
//! `DELETE ?uploadId`, `GET ?uploadId`, bucket `GET ?uploads`), and their XML answers.

use std::fmt::Write as _;

use super::s3::{NAMESPACE, iso, payload, write_condition, xml, xml_body};
use super::s3_list::{field, url_encoded};
use super::xml::{all_texts, element, first_text};
use super::{HttpRequest, HttpResponse};
use crate::model::ApiError;
use crate::model::S3Error;
use crate::model::s3::{ListedUpload, MultipartOperation, MultipartOutput, S3Operation};

type Get<'a> = &'a dyn Fn(&str) -> Option<String>;

fn count(get: Get<'_>, name: &str, default: usize) -> Result<usize, ApiError> {
    match get(name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map(|n| n.min(default)).map_err(|_| {
            ApiError::of(
                S3Error::InvalidArgument,
                format!("Provided {name} not an integer or within integer range"),
            )
            .with("ArgumentName", name)
            .with("ArgumentValue", &text)
        }),
    }
}

/// A bucket-level multipart operation (`GET ?uploads`), if `method` and the query name one.
pub fn bucket_operation(
    method: &str,
    bucket: &str,
    get: Get<'_>,
) -> Option<Result<S3Operation, ApiError>> {
    if method != "GET" || get("uploads").is_none() {
        return None;
    }
    let listed = count(get, "max-uploads", 1000).and_then(|max_uploads| {
        Ok(S3Operation::Multipart(MultipartOperation::ListUploads {
            bucket: bucket.to_owned(),
            prefix: get("prefix").unwrap_or_default(),
            max_uploads,
            key_marker: get("key-marker").filter(|marker| !marker.is_empty()),
            upload_id_marker: get("upload-id-marker").filter(|marker| !marker.is_empty()),
            url_encoded: url_encoded(get)?,
        }))
    });
    Some(listed)
}

/// An object-level multipart operation, if the method and query name one.
pub fn object_operation(
    request: &HttpRequest,
    bucket: &str,
    key: &str,
    get: Get<'_>,
) -> Option<Result<S3Operation, ApiError>> {
    let bucket = bucket.to_owned();
    let key = key.to_owned();
    let upload_id = get("uploadId");
    let operation = match (request.method.as_str(), upload_id) {
        ("POST", None) if get("uploads").is_some() => Ok(MultipartOperation::Create {
            bucket,
            key,
            content_type: request.header("content-type").map(str::to_owned),
        }),
        ("PUT", Some(_)) if request.header("x-amz-copy-source").is_some() => {
            return Some(Ok(S3Operation::Unsupported {
                bucket: Some(bucket),
                key: Some(key),
                operation: "UploadPartCopy".to_owned(),
                action: Some("s3:PutObject"),
            }));
        }
        ("PUT", Some(upload_id)) => payload(request).map(|body| MultipartOperation::UploadPart {
            bucket,
            key,
            upload_id,
            part_number: get("partNumber").unwrap_or_default(),
            body,
            content_md5: request.header("content-md5").map(str::to_owned),
        }),
        ("POST", Some(upload_id)) => {
            let body = match xml_body(request) {
                Ok(body) => body,
                Err(error) => return Some(Err(error)),
            };
            let parts = all_texts(&body, "Part")
                .iter()
                .take(10_001)
                .map(|part| {
                    (
                        first_text(part, "PartNumber").unwrap_or_default(),
                        first_text(part, "ETag").unwrap_or_default(),
                    )
                })
                .collect();
            write_condition(request).map(|condition| MultipartOperation::Complete {
                bucket,
                key,
                upload_id,
                parts,
                condition,
            })
        }
        ("DELETE", Some(upload_id)) => Ok(MultipartOperation::Abort {
            bucket,
            key,
            upload_id,
        }),
        ("GET", Some(upload_id)) => count(get, "max-parts", 1000).and_then(|max_parts| {
            let marker = match get("part-number-marker") {
                None => 0,
                Some(text) => text.parse::<u32>().map_err(|_| {
                    ApiError::of(
                        S3Error::InvalidArgument,
                        "Provided part-number-marker not an integer or within integer range",
                    )
                })?,
            };
            Ok(MultipartOperation::ListParts {
                bucket,
                key,
                upload_id,
                max_parts,
                marker,
            })
        }),
        _ => return None,
    };
    Some(operation.map(S3Operation::Multipart))
}

fn principal(body: &mut String, tag: &str, id: &str) {
    let name = id.rsplit(['/', ':']).next().unwrap_or(id);
    let _ = write!(body, "<{tag}>");
    element(body, "ID", id);
    element(body, "DisplayName", name);
    let _ = write!(body, "</{tag}>");
}

fn upload_element(body: &mut String, upload: &ListedUpload, url: bool) {
    body.push_str("<Upload>");
    element(body, "Key", &field(url, &upload.key));
    element(body, "UploadId", &upload.upload_id);
    principal(body, "Initiator", &upload.initiator);
    principal(body, "Owner", &upload.owner);
    element(body, "StorageClass", "STANDARD");
    element(body, "Initiated", &iso(upload.initiated));
    body.push_str("</Upload>");
}

/// Encodes a multipart answer.
#[expect(clippy::too_many_lines, reason = "one arm per multipart answer")]
pub fn encode(output: MultipartOutput) -> HttpResponse {
    match output {
        MultipartOutput::Created {
            bucket,
            key,
            upload_id,
        } => {
            let mut body = format!("<InitiateMultipartUploadResult xmlns=\"{NAMESPACE}\">");
            element(&mut body, "Bucket", &bucket);
            element(&mut body, "Key", &key);
            element(&mut body, "UploadId", &upload_id);
            body.push_str("</InitiateMultipartUploadResult>");
            xml(200, &body)
        }
        MultipartOutput::PartStored { etag } => {
            HttpResponse::new(200, "application/xml", Vec::new())
                .header("etag", format!("\"{etag}\""))
        }
        MultipartOutput::Completed { bucket, key, etag } => {
            let mut body = format!("<CompleteMultipartUploadResult xmlns=\"{NAMESPACE}\">");
            element(
                &mut body,
                "Location",
                &format!("http://{bucket}.s3.amazonaws.com/{key}"),
            );
            element(&mut body, "Bucket", &bucket);
            element(&mut body, "Key", &key);
            element(&mut body, "ETag", &format!("\"{etag}\""));
            body.push_str("</CompleteMultipartUploadResult>");
            xml(200, &body)
        }
        MultipartOutput::Aborted => HttpResponse::new(204, "application/xml", Vec::new()),
        MultipartOutput::Parts {
            bucket,
            key,
            upload_id,
            initiator,
            owner,
            max_parts,
            marker,
            parts,
            next,
        } => {
            let mut body = format!("<ListPartsResult xmlns=\"{NAMESPACE}\">");
            element(&mut body, "Bucket", &bucket);
            element(&mut body, "Key", &key);
            element(&mut body, "UploadId", &upload_id);
            principal(&mut body, "Initiator", &initiator);
            principal(&mut body, "Owner", &owner);
            element(&mut body, "StorageClass", "STANDARD");
            element(&mut body, "PartNumberMarker", &marker.to_string());
            let last = next.or_else(|| parts.last().map(|(number, ..)| *number));
            element(
                &mut body,
                "NextPartNumberMarker",
                &last.unwrap_or(marker).to_string(),
            );
            element(&mut body, "MaxParts", &max_parts.to_string());
            element(
                &mut body,
                "IsTruncated",
                if next.is_some() { "true" } else { "false" },
            );
            for (number, etag, size, modified) in parts {
                body.push_str("<Part>");
                element(&mut body, "PartNumber", &number.to_string());
                element(&mut body, "LastModified", &iso(modified));
                element(&mut body, "ETag", &format!("\"{etag}\""));
                element(&mut body, "Size", &size.to_string());
                body.push_str("</Part>");
            }
            body.push_str("</ListPartsResult>");
            xml(200, &body)
        }
        MultipartOutput::Uploads {
            bucket,
            prefix,
            max_uploads,
            key_marker,
            upload_id_marker,
            url_encoded: url,
            uploads,
            next,
        } => {
            let mut body = format!("<ListMultipartUploadsResult xmlns=\"{NAMESPACE}\">");
            element(&mut body, "Bucket", &bucket);
            element(
                &mut body,
                "KeyMarker",
                &field(url, key_marker.as_deref().unwrap_or_default()),
            );
            element(
                &mut body,
                "UploadIdMarker",
                upload_id_marker.as_deref().unwrap_or_default(),
            );
            if let Some((key, id)) = &next {
                element(&mut body, "NextKeyMarker", &field(url, key));
                element(&mut body, "NextUploadIdMarker", id);
            }
            element(&mut body, "Prefix", &field(url, &prefix));
            element(&mut body, "MaxUploads", &max_uploads.to_string());
            if url {
                element(&mut body, "EncodingType", "url");
            }
            element(
                &mut body,
                "IsTruncated",
                if next.is_some() { "true" } else { "false" },
            );
            for upload in &uploads {
                upload_element(&mut body, upload, url);
            }
            body.push_str("</ListMultipartUploadsResult>");
            xml(200, &body)
        }
    }
}
