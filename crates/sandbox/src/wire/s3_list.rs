//! The REST-XML of S3's listings (`ListObjects` v1 and v2, `ListObjectVersions`): the
//! `ListBucketResult` (`ListVersionsResult`) answer, with `encoding-type=url` applied to
//! every key, prefix, delimiter and marker as S3 applies it.

use std::fmt::Write as _;

use super::s3::{NAMESPACE, iso};
use super::xml::element;
use crate::model::s3::Listing;

/// A key (or prefix, delimiter, marker) as S3 writes it under `encoding-type=url`:
/// percent-encoded UTF-8, a space as `+` (botocore decodes with `unquote_plus`).
pub(super) fn encode_url(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `text` as the answer carries it: percent-encoded when `url` is set.
pub(super) fn field(url: bool, text: &str) -> String {
    if url {
        encode_url(text)
    } else {
        text.to_owned()
    }
}

fn encode_token(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(key)
}

pub(super) fn listing_body(
    request: &Listing,
    objects: &[(String, usize, String, i64)],
    prefixes: &[String],
    next: Option<&str>,
) -> String {
    if request.versions {
        return versions_body(request, objects, prefixes, next);
    }
    let url = request.url_encoded;
    let mut body = format!("<ListBucketResult xmlns=\"{NAMESPACE}\">");
    element(&mut body, "Name", &request.bucket);
    element(&mut body, "Prefix", &field(url, &request.prefix));
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
        if let Some(start_after) = &request.start_after {
            element(&mut body, "StartAfter", &field(url, start_after));
        }
    } else {
        element(
            &mut body,
            "Marker",
            &field(url, request.after.as_deref().unwrap_or_default()),
        );
        if let (Some(next), Some(_)) = (next, &request.delimiter) {
            element(&mut body, "NextMarker", &field(url, next));
        }
    }
    paging(&mut body, request, next);
    for (key, size, etag, modified) in objects {
        body.push_str("<Contents>");
        element(&mut body, "Key", &field(url, key));
        element(&mut body, "LastModified", &iso(*modified));
        let _ = write!(body, "<ETag>&quot;{etag}&quot;</ETag>");
        element(&mut body, "Size", &size.to_string());
        element(&mut body, "StorageClass", "STANDARD");
        body.push_str("</Contents>");
    }
    common_prefixes(&mut body, prefixes, url);
    body.push_str("</ListBucketResult>");
    body
}

/// The elements every listing has after its markers: `MaxKeys`, `Delimiter`,
/// `EncodingType` and `IsTruncated`.
fn paging(body: &mut String, request: &Listing, next: Option<&str>) {
    let url = request.url_encoded;
    element(body, "MaxKeys", &request.max_keys.to_string());
    if let Some(delimiter) = &request.delimiter {
        element(body, "Delimiter", &field(url, delimiter));
    }
    if url {
        element(body, "EncodingType", "url");
    }
    element(
        body,
        "IsTruncated",
        if next.is_some() { "true" } else { "false" },
    );
}

/// One `CommonPrefixes` element a prefix rolled up by the delimiter.
fn common_prefixes(body: &mut String, prefixes: &[String], url: bool) {
    for prefix in prefixes {
        body.push_str("<CommonPrefixes>");
        element(body, "Prefix", &field(url, prefix));
        body.push_str("</CommonPrefixes>");
    }
}

/// `ListVersionsResult`: every object is its one version, `null` and latest.
fn versions_body(
    request: &Listing,
    objects: &[(String, usize, String, i64)],
    prefixes: &[String],
    next: Option<&str>,
) -> String {
    let url = request.url_encoded;
    let mut body = format!("<ListVersionsResult xmlns=\"{NAMESPACE}\">");
    element(&mut body, "Name", &request.bucket);
    element(&mut body, "Prefix", &field(url, &request.prefix));
    element(
        &mut body,
        "KeyMarker",
        &field(url, request.after.as_deref().unwrap_or_default()),
    );
    element(&mut body, "VersionIdMarker", "");
    if let Some(next) = next {
        element(&mut body, "NextKeyMarker", &field(url, next));
        element(&mut body, "NextVersionIdMarker", "null");
    }
    paging(&mut body, request, next);
    for (key, size, etag, modified) in objects {
        body.push_str("<Version>");
        element(&mut body, "Key", &field(url, key));
        element(&mut body, "VersionId", "null");
        element(&mut body, "IsLatest", "true");
        element(&mut body, "LastModified", &iso(*modified));
        let _ = write!(body, "<ETag>&quot;{etag}&quot;</ETag>");
        element(&mut body, "Size", &size.to_string());
        element(&mut body, "StorageClass", "STANDARD");
        body.push_str("</Version>");
    }
    common_prefixes(&mut body, prefixes, url);
    body.push_str("</ListVersionsResult>");
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_encoding_is_what_botocore_unquote_plus_reverses() {
        assert_eq!(super::encode_url("a\u{1}b"), "a%01b");
        assert_eq!(super::encode_url("\u{0}"), "%00");
        assert_eq!(super::encode_url("a b+c/d"), "a+b%2Bc%2Fd");
        assert_eq!(super::encode_url("\u{ffff}"), "%EF%BF%BF");
        assert_eq!(super::encode_url("\u{7f}"), "%7F");
    }
}
