//! XML text: escaping, and writing a [`Shape`] as the query protocol does (lists as
//! `<member>` elements).

use crate::model::{Shape, Value};
use std::fmt::Write as _;

/// Escapes text for XML content and attributes. Characters that XML 1.0 cannot carry
/// (C0 controls but tab and line feed, U+FFFE, U+FFFF) and carriage returns (which a
/// parser would turn into line feeds) are written as character references, as S3
/// writes them: `a\u{1}b` becomes `a&#x1;b`. A strict XML 1.0 parser refuses such a
/// reference, as it refuses S3's; `encoding-type=url` is the way to list such keys.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// [`escape`], appended to `out`: runs of plain text are copied whole.
pub fn escape_into(out: &mut String, text: &str) {
    let mut plain = 0;
    for (at, character) in text.char_indices() {
        let replacement = match character {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\t' | '\n' => continue,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => "",
            _ => continue,
        };
        out.push_str(&text[plain..at]);
        if replacement.is_empty() {
            let _ = write!(out, "&#x{:X};", u32::from(character));
        } else {
            out.push_str(replacement);
        }
        plain = at + character.len_utf8();
    }
    out.push_str(&text[plain..]);
}

/// Appends `<name>text</name>`.
pub fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, text);
    close(out, name);
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
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
            open(out, name);
            write_shape(out, shape);
            close(out, name);
        }
        Value::List(items) => {
            open(out, name);
            for item in items {
                write_value(out, "member", item);
            }
            close(out, name);
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

/// Whether `xml` declares a document type (`<!DOCTYPE`) or an entity (`<!ENTITY`): S3
/// refuses both as `MalformedXML`, so no entity is ever expanded.
pub fn declares_doctype(xml: &[u8]) -> bool {
    xml.windows(9).any(|window| {
        window.eq_ignore_ascii_case(b"<!DOCTYPE") || window[..8].eq_ignore_ascii_case(b"<!ENTITY")
    })
}

/// Replaces the five predefined entities and character references (`&#x1;`, `&#65;`);
/// anything else after `&` is kept as written (no other entity exists: a body that
/// declares one is refused before it is read).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let replaced = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .map_or_else(
                    || {
                        name.strip_prefix('#')
                            .and_then(|digits| digits.parse().ok())
                    },
                    |hex| u32::from_str_radix(hex, 16).ok(),
                )
                .and_then(char::from_u32),
        };
        if let Some(character) = replaced {
            out.push(character);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_writes_characters_xml_cannot_carry_as_references() {
        assert_eq!(super::escape("a\u{1}b"), "a&#x1;b");
        assert_eq!(super::escape("\u{0}"), "&#x0;");
        assert_eq!(super::escape("x\ry"), "x&#xD;y");
        assert_eq!(super::escape("\u{ffff}\u{fffe}"), "&#xFFFF;&#xFFFE;");
        assert_eq!(
            super::escape("tab\tline\n\u{7f}\u{1f600}"),
            "tab\tline\n\u{7f}\u{1f600}"
        );
        assert_eq!(super::escape("<&>"), "&lt;&amp;&gt;");
    }

    #[test]
    fn unescape_reads_entities_and_character_references() {
        assert_eq!(super::unescape("a&#x1;b&#65;&lt;&amp;lt;"), "a\u{1}bA<&lt;");
        assert_eq!(super::unescape("&unknown; & &#xZZ;"), "&unknown; & &#xZZ;");
        assert_eq!(super::unescape("&#xFFFF;"), "\u{ffff}");
    }

    #[test]
    fn finds_doctype_and_entity_declarations_in_any_case() {
        assert!(super::declares_doctype(
            b"<?xml?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>"
        ));
        assert!(super::declares_doctype(b"<!doctype x><x/>"));
        assert!(super::declares_doctype(b"<!EnTiTy a 'b'>"));
        assert!(!super::declares_doctype(
            b"<Delete><Object><Key>DOCTYPE</Key></Object></Delete>"
        ));
        assert!(!super::declares_doctype(b""));
    }
}
