//! A call's request in its service's protocol, from the operation's input shape and
//! the verify's params (a JSON value tree whose strings are already rendered): the
//! query protocol's form (IAM, STS, `CloudFormation`) or REST-XML's method, URI,
//! headers and body (S3).

use std::fmt::Write as _;

use aws_smithy_xml::encode::{ScopeWriter, XmlWriter};
use awslab_apimodel::{Call, Location, MemberRef, Protocol, Service, Shape, ShapeType};
use base64::Engine as _;
use serde_json::Value;

/// A request before it is addressed and signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path and query, percent-encoded (`/bucket/key?uploads`).
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// How deep a value may nest (input shapes are shallower).
const MAX_DEPTH: usize = 32;

/// The scalar text of `value` as its shape is written on the wire.
fn scalar(value: &Value, shape: &Shape, query: bool) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => return Err("has no value".into()),
        Value::Array(_) | Value::Object(_) => {
            return Err(format!("takes {}, not a list or map", shape.kind.word()));
        }
    };
    match shape.kind {
        ShapeType::Integer | ShapeType::Long => text
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| format!("takes an integer, not `{text}`")),
        ShapeType::Boolean => match text.trim() {
            "true" | "false" => Ok(text.trim().to_owned()),
            _ => Err(format!("takes `true` or `false`, not `{text}`")),
        },
        ShapeType::Double | ShapeType::Float => text
            .trim()
            .parse::<f64>()
            .map(|_| text.trim().to_owned())
            .map_err(|_| format!("takes a number, not `{text}`")),
        // Blobs are base64 in a query form; raw in an S3 body or header.
        ShapeType::Blob if query => Ok(base64::engine::general_purpose::STANDARD.encode(text)),
        _ => Ok(text),
    }
}

/// Builds the request for `call` with `params` (a map, or null for none).
pub fn request(call: &Call, params: &Value) -> Result<Request, String> {
    let empty = serde_json::Map::new();
    let params = match params {
        Value::Object(map) => map,
        Value::Null => &empty,
        _ => return Err("`params` must be a map".into()),
    };
    match call.service.protocol {
        Protocol::Query => query(call, params),
        Protocol::RestXml => rest_xml(call, params),
    }
}

fn query(call: &Call, params: &serde_json::Map<String, Value>) -> Result<Request, String> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("Action", call.operation_name);
    form.append_pair("Version", &call.service.api_version);
    if let Some(shape) = call
        .operation
        .input
        .as_deref()
        .and_then(|s| call.service.shape(s))
    {
        let mut pairs = Vec::new();
        query_structure(call.service, shape, params, "", &mut pairs, 0)?;
        for (name, value) in pairs {
            form.append_pair(&name, &value);
        }
    }
    Ok(Request {
        method: "POST".into(),
        path_and_query: "/".into(),
        headers: vec![(
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        )],
        body: form.finish().into_bytes(),
    })
}

fn query_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn query_structure(
    service: &Service,
    shape: &Shape,
    params: &serde_json::Map<String, Value>,
    prefix: &str,
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<(), String> {
    for (name, value) in params {
        let member = shape
            .members
            .get(name)
            .ok_or_else(|| format!("has no parameter `{name}`"))?;
        let wire = member.location_name.as_deref().unwrap_or(name);
        query_value(
            service,
            member,
            value,
            &query_name(prefix, wire),
            out,
            depth + 1,
        )?;
    }
    Ok(())
}

fn query_value(
    service: &Service,
    member: &MemberRef,
    value: &Value,
    name: &str,
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("`{name}` nests too deep"));
    }
    let shape = service
        .shape(&member.shape)
        .ok_or_else(|| format!("`{name}` has an unknown shape"))?;
    match (shape.kind, value) {
        (ShapeType::Structure, Value::Object(map)) => {
            query_structure(service, shape, map, name, out, depth)
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(item) = &shape.member else {
                return Ok(());
            };
            if items.is_empty() {
                out.push((name.to_owned(), String::new()));
            }
            for (i, value) in items.iter().enumerate() {
                let item_name = if shape.flattened || member.flattened {
                    format!("{name}.{}", i + 1)
                } else {
                    format!(
                        "{name}.{}.{}",
                        item.location_name.as_deref().unwrap_or("member"),
                        i + 1
                    )
                };
                query_value(service, item, value, &item_name, out, depth + 1)?;
            }
            Ok(())
        }
        (ShapeType::Map, Value::Object(map)) => {
            let (Some(key), Some(item)) = (&shape.key, &shape.value) else {
                return Ok(());
            };
            for (i, (k, v)) in map.iter().enumerate() {
                let entry = if shape.flattened {
                    format!("{name}.{}", i + 1)
                } else {
                    format!("{name}.entry.{}", i + 1)
                };
                out.push((
                    format!("{entry}.{}", key.location_name.as_deref().unwrap_or("key")),
                    k.clone(),
                ));
                query_value(
                    service,
                    item,
                    v,
                    &format!(
                        "{entry}.{}",
                        item.location_name.as_deref().unwrap_or("value")
                    ),
                    out,
                    depth + 1,
                )?;
            }
            Ok(())
        }
        (ShapeType::Structure | ShapeType::List | ShapeType::Map, _) => {
            Err(format!("`{name}` takes {}", shape.kind.word()))
        }
        _ => {
            let text = scalar(value, shape, true).map_err(|e| format!("`{name}` {e}"))?;
            out.push((name.to_owned(), text));
            Ok(())
        }
    }
}

/// Percent-encodes a URI path segment (`greedy` keeps `/`), as S3 expects.
fn encode_path(text: &str, greedy: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b'/' if greedy => out.push('/'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

#[expect(
    clippy::too_many_lines,
    reason = "one pass over the members, one arm per location"
)]
fn rest_xml(call: &Call, params: &serde_json::Map<String, Value>) -> Result<Request, String> {
    let service = call.service;
    let shape = call
        .operation
        .input
        .as_deref()
        .and_then(|s| service.shape(s));
    let (path_template, literal_query) = call
        .operation
        .uri
        .split_once('?')
        .map_or((call.operation.uri.as_str(), ""), |(p, q)| (p, q));
    let mut path = path_template.to_owned();
    let mut query: Vec<(String, String)> = literal_query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (k, v) = q.split_once('=').unwrap_or((q, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let mut headers = Vec::new();
    let mut body = Vec::new();
    if let Some(shape) = shape {
        for (name, value) in params {
            let member = shape
                .members
                .get(name)
                .ok_or_else(|| format!("has no parameter `{name}`"))?;
            let member_shape = service
                .shape(&member.shape)
                .ok_or_else(|| format!("`{name}` has an unknown shape"))?;
            let wire = member.location_name.as_deref().unwrap_or(name);
            match member.location {
                Some(Location::Uri) => {
                    let text =
                        scalar(value, member_shape, false).map_err(|e| format!("`{name}` {e}"))?;
                    let greedy = format!("{{{wire}+}}");
                    if path.contains(&greedy) {
                        path = path.replace(&greedy, &encode_path(&text, true));
                    } else {
                        path = path.replace(&format!("{{{wire}}}"), &encode_path(&text, false));
                    }
                }
                Some(Location::Querystring) => match value {
                    Value::Array(items) => {
                        for item in items {
                            query.push((wire.to_owned(), scalar_any(item)?));
                        }
                    }
                    Value::Object(map) => {
                        for (k, v) in map {
                            query.push((k.clone(), scalar_any(v)?));
                        }
                    }
                    _ => query.push((
                        wire.to_owned(),
                        scalar(value, member_shape, false).map_err(|e| format!("`{name}` {e}"))?,
                    )),
                },
                Some(Location::Header) => headers.push((
                    wire.to_ascii_lowercase(),
                    match value {
                        Value::Array(items) => items
                            .iter()
                            .map(scalar_any)
                            .collect::<Result<Vec<_>, _>>()?
                            .join(","),
                        _ => scalar(value, member_shape, false)
                            .map_err(|e| format!("`{name}` {e}"))?,
                    },
                )),
                Some(Location::Headers) => {
                    let Value::Object(map) = value else {
                        return Err(format!("`{name}` takes a map"));
                    };
                    for (k, v) in map {
                        headers.push((
                            format!("{}{}", wire.to_ascii_lowercase(), k.to_ascii_lowercase()),
                            scalar_any(v)?,
                        ));
                    }
                }
                Some(Location::StatusCode) => {}
                None if shape.payload.as_deref() == Some(name.as_str()) => {
                    body = payload(service, member, member_shape, value, name)?;
                }
                None => return Err(format!("`{name}` has no place in the request")),
            }
        }
    }
    // An unset greedy or plain label is a missing required member (the planner says
    // so); an empty segment keeps the URI well formed.
    while let Some(start) = path.find('{') {
        let end = path[start..]
            .find('}')
            .map_or(path.len(), |e| start + e + 1);
        path.replace_range(start..end, "");
    }
    let mut path_and_query = path;
    if !query.is_empty() {
        let mut pairs = Vec::new();
        for (k, v) in &query {
            if v.is_empty() && literal_query.split('&').any(|q| q == k) {
                pairs.push(encode_path(k, false));
            } else {
                pairs.push(format!(
                    "{}={}",
                    encode_path(k, false),
                    encode_path(v, false)
                ));
            }
        }
        path_and_query.push('?');
        path_and_query.push_str(&pairs.join("&"));
    }
    if call.operation.checksum_required {
        let crc = crc32fast::hash(&body);
        headers.push((
            "x-amz-checksum-crc32".into(),
            base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes()),
        ));
        headers.push(("x-amz-sdk-checksum-algorithm".into(), "CRC32".into()));
    }
    Ok(Request {
        method: call.operation.method.clone(),
        path_and_query,
        headers,
        body,
    })
}

fn scalar_any(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err("a list or map item must be a string".into()),
    }
}

/// The body of a REST-XML request: a blob or string as is, a structure as XML.
fn payload(
    service: &Service,
    member: &MemberRef,
    shape: &Shape,
    value: &Value,
    name: &str,
) -> Result<Vec<u8>, String> {
    match shape.kind {
        ShapeType::Blob | ShapeType::String => Ok(scalar(value, shape, false)
            .map_err(|e| format!("`{name}` {e}"))?
            .into_bytes()),
        ShapeType::Structure => {
            let mut out = String::new();
            let mut writer = XmlWriter::new(&mut out);
            let root = member.location_name.as_deref().unwrap_or(name);
            let mut element = writer.start_el(root);
            if let Some(ns) = member
                .xml_namespace
                .as_deref()
                .or(service.xml_namespace.as_deref())
            {
                element = element.write_ns(ns, None);
            }
            let mut scope = element.finish();
            let Value::Object(map) = value else {
                return Err(format!("`{name}` takes a map of members"));
            };
            xml_structure(service, shape, map, &mut scope, 0)?;
            scope.finish();
            Ok(out.into_bytes())
        }
        _ => Err(format!("`{name}` cannot be a request body")),
    }
}

fn xml_structure(
    service: &Service,
    shape: &Shape,
    map: &serde_json::Map<String, Value>,
    scope: &mut ScopeWriter<'_, '_>,
    depth: usize,
) -> Result<(), String> {
    for (name, value) in map {
        let member = shape
            .members
            .get(name)
            .ok_or_else(|| format!("has no member `{name}`"))?;
        let tag = member.location_name.as_deref().unwrap_or(name);
        xml_value(service, member, value, tag, scope, depth + 1)?;
    }
    Ok(())
}

fn xml_value(
    service: &Service,
    member: &MemberRef,
    value: &Value,
    tag: &str,
    scope: &mut ScopeWriter<'_, '_>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("`{tag}` nests too deep"));
    }
    let shape = service
        .shape(&member.shape)
        .ok_or_else(|| format!("`{tag}` has an unknown shape"))?;
    match (shape.kind, value) {
        (ShapeType::Structure, Value::Object(map)) => {
            let mut inner = scope.start_el(tag).finish();
            xml_structure(service, shape, map, &mut inner, depth)?;
            inner.finish();
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(item) = &shape.member else {
                return Ok(());
            };
            if shape.flattened || member.flattened {
                for value in items {
                    xml_value(service, item, value, tag, scope, depth + 1)?;
                }
            } else {
                let mut inner = scope.start_el(tag).finish();
                let item_tag = item.location_name.as_deref().unwrap_or("member");
                for value in items {
                    xml_value(service, item, value, item_tag, &mut inner, depth + 1)?;
                }
                inner.finish();
            }
        }
        (ShapeType::Structure | ShapeType::List | ShapeType::Map, _) => {
            return Err(format!("`{tag}` takes {}", shape.kind.word()));
        }
        _ => {
            let text = scalar(value, shape, false).map_err(|e| format!("`{tag}` {e}"))?;
            let mut inner = scope.start_el(tag).finish();
            inner.data(&text);
            inner.finish();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use awslab_apimodel::find_call;
    use serde_json::json;

    fn build(call: &str, params: &Value) -> Request {
        request(&find_call(call).unwrap(), params).unwrap()
    }

    #[test]
    fn writes_a_query_form_with_lists_and_structures() {
        let r = build(
            "iam.CreateUser",
            &json!({ "UserName": "ann b", "Tags": [{ "Key": "k", "Value": "v" }] }),
        );
        assert_eq!(r.method, "POST");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "Action=CreateUser&Version=2010-05-08&UserName=ann+b&Tags.member.1.Key=k&Tags.member.1.Value=v"
        );
        let r = build(
            "sts.AssumeRole",
            &json!({ "RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "s", "DurationSeconds": 900 }),
        );
        assert!(
            String::from_utf8(r.body)
                .unwrap()
                .ends_with("DurationSeconds=900")
        );
    }

    #[test]
    fn writes_a_rest_xml_request() {
        let r = build(
            "s3.PutObject",
            &json!({ "Bucket": "b", "Key": "a dir/k+1.txt", "Body": "hi", "ContentType": "text/plain" }),
        );
        assert_eq!(
            (r.method.as_str(), r.path_and_query.as_str()),
            ("PUT", "/b/a%20dir/k%2B1.txt")
        );
        assert_eq!(r.body, b"hi");
        assert!(
            r.headers
                .contains(&("content-type".into(), "text/plain".into()))
        );
        let r = build(
            "s3.ListObjectsV2",
            &json!({ "Bucket": "b", "MaxKeys": 2, "Prefix": "a/" }),
        );
        assert_eq!(r.path_and_query, "/b?list-type=2&max-keys=2&prefix=a%2F");
        let r = build(
            "s3.CreateBucket",
            &json!({ "Bucket": "b", "CreateBucketConfiguration": { "LocationConstraint": "eu-west-1" } }),
        );
        let body = String::from_utf8(r.body).unwrap();
        assert!(
            body.starts_with(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            ),
            "{body}"
        );
        assert!(
            body.contains("<LocationConstraint>eu-west-1</LocationConstraint>"),
            "{body}"
        );
        let r = build(
            "s3.DeleteObjects",
            &json!({ "Bucket": "b", "Delete": { "Objects": [{ "Key": "a" }, { "Key": "b" }] } }),
        );
        assert_eq!(r.path_and_query, "/b?delete");
        assert!(
            String::from_utf8(r.body)
                .unwrap()
                .contains("<Object><Key>a</Key></Object><Object><Key>b</Key></Object>")
        );
        assert!(r.headers.iter().any(|(k, _)| k == "x-amz-checksum-crc32"));
    }

    #[test]
    fn refuses_values_of_the_wrong_type() {
        let call = find_call("s3.ListObjectsV2").unwrap();
        assert!(request(&call, &json!({ "Bucket": "b", "MaxKeys": "many" })).is_err());
        assert!(request(&call, &json!({ "Bucket": "b", "Nope": 1 })).is_err());
    }
}
