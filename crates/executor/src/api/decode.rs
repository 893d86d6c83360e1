//! A call's answer as a value tree (JSON values, members by their API names), read
//! from the XML of the query protocol or REST-XML's headers and body along the
//! operation's output shape; and an error answer's code, message and request id.

use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use awslab_apimodel::{Call, Location, Protocol, Service, Shape, ShapeType};
use serde_json::{Map, Value};

/// How deep an answer is read (output shapes are shallower).
const MAX_DEPTH: usize = 32;

/// The parts of an HTTP answer decoding needs.
pub struct Raw<'a> {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    pub head: bool,
}

impl Raw<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request id an answer carries in its body only (moto's query answers); the
    /// headers' ids are recorded by [`crate::request_ids::RecordRequestIds`].
    pub fn body_request_id(&self) -> Option<String> {
        if self.header("x-amzn-requestid").is_some() || self.header("x-amz-request-id").is_some() {
            return None;
        }
        self.request_id()
    }

    /// The request id the service gave the answer.
    pub fn request_id(&self) -> Option<String> {
        self.header("x-amzn-requestid")
            .or_else(|| self.header("x-amz-request-id"))
            .map(str::to_owned)
            .or_else(|| {
                std::str::from_utf8(self.body)
                    .ok()
                    .and_then(|body| element(body, "RequestId"))
            })
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    pub code: String,
    pub message: Option<String>,
}

/// The text of the first `<name>` element in `body` (error answers are small and flat).
fn element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    let mut document = Document::new(&body[start - open.len()..end + name.len() + 3]);
    let mut root = document.root_element().ok()?;
    try_data(&mut root).ok().map(std::borrow::Cow::into_owned)
}

/// The code and message of an error answer; a body-less one (a `HEAD`) is named by its
/// status as the SDKs name it.
pub fn error(raw: &Raw<'_>) -> ServiceError {
    let body = std::str::from_utf8(raw.body).unwrap_or_default();
    let code = element(body, "Code").or_else(|| raw.header("x-amz-error-code").map(str::to_owned));
    let message =
        element(body, "Message").or_else(|| raw.header("x-amz-error-message").map(str::to_owned));
    let code = code.unwrap_or_else(|| {
        match raw.status {
            301 => "PermanentRedirect",
            304 => "NotModified",
            400 => "BadRequest",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            412 => "PreconditionFailed",
            503 => "ServiceUnavailable",
            _ => "UnknownError",
        }
        .to_owned()
    });
    ServiceError { code, message }
}

/// The answer of a successful call.
pub fn answer(call: &Call, raw: &Raw<'_>) -> Result<Value, String> {
    let Some(shape) = call
        .operation
        .output
        .as_deref()
        .and_then(|s| call.service.shape(s))
    else {
        return Ok(Value::Object(Map::new()));
    };
    match call.service.protocol {
        Protocol::Query => {
            let body = std::str::from_utf8(raw.body).map_err(|_| "the answer is not UTF-8")?;
            let mut document = Document::new(body);
            let mut root = document.root_element().map_err(|e| e.to_string())?;
            let wrapper = call.operation.result_wrapper.as_deref();
            while let Some(mut tag) = root.next_tag() {
                if wrapper.is_some_and(|w| tag.start_el().matches(w)) {
                    return structure(call.service, shape, &mut tag, 0);
                }
            }
            Ok(Value::Object(Map::new()))
        }
        Protocol::RestXml => rest_xml(call.service, shape, raw),
    }
}

fn rest_xml(service: &Service, shape: &Shape, raw: &Raw<'_>) -> Result<Value, String> {
    let mut out = Map::new();
    let mut body_members = false;
    for (name, member) in &shape.members {
        let wire = member.location_name.as_deref().unwrap_or(name);
        let Some(member_shape) = service.shape(&member.shape) else {
            continue;
        };
        match member.location {
            Some(Location::Header) => {
                if let Some(value) = raw.header(wire) {
                    out.insert(name.clone(), scalar(value, member_shape));
                }
            }
            Some(Location::Headers) => {
                let prefix = wire.to_ascii_lowercase();
                let map: Map<String, Value> = raw
                    .headers
                    .iter()
                    .filter_map(|(k, v)| {
                        k.to_ascii_lowercase()
                            .strip_prefix(&prefix)
                            .map(|key| (key.to_owned(), Value::String(v.clone())))
                    })
                    .collect();
                if !map.is_empty() {
                    out.insert(name.clone(), Value::Object(map));
                }
            }
            Some(Location::StatusCode) => {
                out.insert(name.clone(), Value::from(raw.status));
            }
            Some(_) => {}
            None if shape.payload.as_deref() == Some(name.as_str()) => match member_shape.kind {
                ShapeType::Blob | ShapeType::String => {
                    out.insert(
                        name.clone(),
                        Value::String(String::from_utf8_lossy(raw.body).into_owned()),
                    );
                }
                ShapeType::Structure if !raw.body.is_empty() => {
                    let body =
                        std::str::from_utf8(raw.body).map_err(|_| "the answer is not UTF-8")?;
                    let mut document = Document::new(body);
                    let mut root = document.root_element().map_err(|e| e.to_string())?;
                    out.insert(
                        name.clone(),
                        structure(service, member_shape, &mut root, 0)?,
                    );
                }
                _ => {}
            },
            None => body_members = true,
        }
    }
    if body_members && !raw.body.is_empty() && !raw.head {
        let body = std::str::from_utf8(raw.body).map_err(|_| "the answer is not UTF-8")?;
        let mut document = Document::new(body);
        let mut root = document.root_element().map_err(|e| e.to_string())?;
        if let Value::Object(members) = structure(service, shape, &mut root, 0)? {
            for (k, v) in members {
                out.entry(k).or_insert(v);
            }
        }
    }
    Ok(Value::Object(out))
}

fn scalar(text: &str, shape: &Shape) -> Value {
    match shape.kind {
        ShapeType::Integer | ShapeType::Long => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.to_owned()), Value::from),
        ShapeType::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

/// Reads the children of `decoder` as `shape`'s members.
fn structure(
    service: &Service,
    shape: &Shape,
    decoder: &mut ScopedDecoder<'_, '_>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the answer nests too deep".into());
    }
    let mut out = Map::new();
    while let Some(mut tag) = decoder.next_tag() {
        let found = shape.members.iter().find(|(name, member)| {
            member.location.is_none()
                && tag
                    .start_el()
                    .matches(member.location_name.as_deref().unwrap_or(name))
        });
        let Some((name, member)) = found else {
            continue;
        };
        let Some(member_shape) = service.shape(&member.shape) else {
            continue;
        };
        if member_shape.kind == ShapeType::List && (member_shape.flattened || member.flattened) {
            // Each repetition of the element is one item.
            let Some(item) = &member_shape.member else {
                continue;
            };
            let Some(item_shape) = service.shape(&item.shape) else {
                continue;
            };
            let value = value(service, item_shape, &mut tag, depth + 1)?;
            if let Value::Array(items) = out
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                items.push(value);
            }
            continue;
        }
        let value = value(service, member_shape, &mut tag, depth + 1)?;
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

fn value(
    service: &Service,
    shape: &Shape,
    decoder: &mut ScopedDecoder<'_, '_>,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("the answer nests too deep".into());
    }
    match shape.kind {
        ShapeType::Structure => structure(service, shape, decoder, depth),
        ShapeType::List => {
            let mut items = Vec::new();
            let Some(item) = &shape.member else {
                return Ok(Value::Array(items));
            };
            let Some(item_shape) = service.shape(&item.shape) else {
                return Ok(Value::Array(items));
            };
            let tag_name = item.location_name.as_deref().unwrap_or("member");
            while let Some(mut tag) = decoder.next_tag() {
                if tag.start_el().matches(tag_name) {
                    items.push(value(service, item_shape, &mut tag, depth + 1)?);
                }
            }
            Ok(Value::Array(items))
        }
        ShapeType::Map => {
            let mut map = Map::new();
            let (Some(key), Some(item)) = (&shape.key, &shape.value) else {
                return Ok(Value::Object(map));
            };
            let Some(item_shape) = service.shape(&item.shape) else {
                return Ok(Value::Object(map));
            };
            let key_tag = key.location_name.as_deref().unwrap_or("key");
            let value_tag = item.location_name.as_deref().unwrap_or("value");
            while let Some(mut entry) = decoder.next_tag() {
                let (mut k, mut v) = (None, None);
                while let Some(mut part) = entry.next_tag() {
                    if part.start_el().matches(key_tag) {
                        k = try_data(&mut part).ok().map(std::borrow::Cow::into_owned);
                    } else if part.start_el().matches(value_tag) {
                        v = Some(value(service, item_shape, &mut part, depth + 1)?);
                    }
                }
                if let (Some(k), Some(v)) = (k, v) {
                    map.insert(k, v);
                }
            }
            Ok(Value::Object(map))
        }
        _ => {
            let text = try_data(decoder).map_err(|e| e.to_string())?;
            Ok(scalar(&text, shape))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use awslab_apimodel::find_call;
    use serde_json::json;

    fn raw<'a>(body: &'a str, headers: &[(&str, &str)]) -> Raw<'a> {
        Raw {
            status: 200,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes(),
            head: false,
        }
    }

    #[test]
    fn reads_a_query_answer() {
        let body = r#"<GetGroupResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetGroupResult>
  <Group><GroupName>g</GroupName><Arn>arn:aws:iam::1:group/g</Arn></Group>
  <Users><member><UserName>erin-1</UserName></member><member><UserName>erin-2</UserName></member></Users>
  <IsTruncated>false</IsTruncated></GetGroupResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetGroupResponse>"#;
        let value = answer(&find_call("iam.GetGroup").unwrap(), &raw(body, &[])).unwrap();
        assert_eq!(value["Group"]["Arn"], "arn:aws:iam::1:group/g");
        assert_eq!(value["Users"][1]["UserName"], "erin-2");
        assert_eq!(value["IsTruncated"], json!(false));
        assert_eq!(raw(body, &[]).request_id().as_deref(), Some("r-1"));
    }

    #[test]
    fn reads_a_rest_xml_answer_with_flattened_lists_and_headers() {
        let body = "<ListBucketResult><Name>b</Name><KeyCount>2</KeyCount><Contents><Key>a &amp; b</Key></Contents><Contents><Key>c</Key></Contents></ListBucketResult>";
        let value = answer(&find_call("s3.ListObjectsV2").unwrap(), &raw(body, &[])).unwrap();
        assert_eq!(value["KeyCount"], json!(2));
        assert_eq!(value["Contents"][0]["Key"], "a & b");
        assert_eq!(value["Contents"][1]["Key"], "c");
        let value = answer(
            &find_call("s3.GetObject").unwrap(),
            &raw(
                "hello",
                &[
                    ("ETag", "\"e\""),
                    ("Content-Type", "text/plain"),
                    ("x-amz-meta-team", "red"),
                ],
            ),
        )
        .unwrap();
        assert_eq!(value["Body"], "hello");
        assert_eq!(value["ETag"], "\"e\"");
        assert_eq!(value["ContentType"], "text/plain");
        assert_eq!(value["Metadata"]["team"], "red");
    }

    #[test]
    fn reads_errors() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no &lt;way&gt;</Message></Error><RequestId>x</RequestId></ErrorResponse>";
        let e = error(&Raw {
            status: 403,
            ..raw(body, &[])
        });
        assert_eq!(
            e,
            ServiceError {
                code: "AccessDenied".into(),
                message: Some("no <way>".into())
            }
        );
        let e = error(&Raw {
            status: 404,
            head: true,
            ..raw("", &[])
        });
        assert_eq!(e.code, "NotFound");
    }
}
