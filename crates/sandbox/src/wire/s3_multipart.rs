//! The XML answers of S3's multipart uploads (each operation is routed by S3's route
//! table, `super::s3`).

use std::fmt::Write as _;

use super::HttpResponse;
use super::s3::{NAMESPACE, iso, xml};
use super::s3_list::field;
use super::xml::element;
use crate::model::s3::{ListedUpload, MultipartOutput};

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
