//! XML text: escaping, and writing a [`Shape`] as the query protocol does (lists as
//! `<member>` elements).

use crate::services::{Shape, Value};
use std::fmt::Write as _;

/// Escapes text for XML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(character),
        }
    }
    out
}

/// Appends `<name>text</name>`.
pub fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends the fields of `shape`.
pub fn write_shape(out: &mut String, shape: &Shape) {
    for (name, value) in &shape.fields {
        write_value(out, name, value);
    }
}

fn write_value(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Text(text) => element(out, name, text),
        Value::Struct(shape) => {
            let _ = write!(out, "<{name}>");
            write_shape(out, shape);
            let _ = write!(out, "</{name}>");
        }
        Value::List(items) => {
            let _ = write!(out, "<{name}>");
            for item in items {
                write_value(out, "member", item);
            }
            let _ = write!(out, "</{name}>");
        }
    }
}

/// The text of the first `<name>` element in `xml`, unescaped (for small S3 inputs).
pub fn first_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(&xml[start..end]))
}

/// The texts of every `<name>` element in `xml`.
pub fn all_texts(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
