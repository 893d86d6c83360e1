//! Reading a policy document as strictly as IAM reads it, beyond its grammar: a key
//! given twice at any depth (JSON parsers keep the last, so `"Effect": "Deny"` then
//! `"Effect": "Allow"` in one statement would silently become an `Allow`). One pass
//! over the text, each object's keys in a hash set, so the check is linear in the
//! document. The size quotas live in `limits.rs`.

use std::collections::HashMap;

use miette::SourceSpan;

use crate::error::PolicyError;

/// Every key given twice in an object of valid JSON `text`, at any depth, with its
/// path and the span of the repeat. Keys are compared after unescaping, so
/// `"Eff\u0065ct"` repeats `"Effect"`.
pub fn duplicate_keys(text: &str) -> Vec<PolicyError> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let start = skip_whitespace(bytes, 0);
    // Valid JSON is assumed (checked before); a malformed tail only ends the scan.
    let _ = walk(text, start, "", 0, &mut out);
    out
}

/// `serde_json` refuses nesting deeper than 128, so valid input never recurses further.
const MAX_DEPTH: usize = 200;

fn walk(
    text: &str,
    position: usize,
    path: &str,
    depth: usize,
    out: &mut Vec<PolicyError>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    if depth > MAX_DEPTH {
        return None;
    }
    match bytes.get(position)? {
        b'{' => {
            let mut keys: HashMap<String, usize> = HashMap::new();
            let mut at = skip_whitespace(bytes, position + 1);
            while bytes.get(at)? != &b'}' {
                let key_start = at;
                let key_end = skip_string(bytes, at)?;
                let key: String = serde_json::from_str(text.get(key_start..key_end)?).ok()?;
                at = skip_whitespace(bytes, key_end);
                if bytes.get(at)? != &b':' {
                    return None;
                }
                let child = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                if let Some(first) = keys.get(&key) {
                    out.push(PolicyError::DuplicateKey {
                        key: key.clone(),
                        first: *first,
                        path: child.clone(),
                        span: Some(SourceSpan::from(key_start..key_end)),
                    });
                } else {
                    keys.insert(key, key_start);
                }
                at = skip_whitespace(bytes, at + 1);
                at = skip_whitespace(bytes, walk(text, at, &child, depth + 1, out)?);
                if bytes.get(at)? == &b',' {
                    at = skip_whitespace(bytes, at + 1);
                }
            }
            Some(at + 1)
        }
        b'[' => {
            let mut at = skip_whitespace(bytes, position + 1);
            let mut index = 0usize;
            while bytes.get(at)? != &b']' {
                let child = format!("{path}/{index}");
                at = skip_whitespace(bytes, walk(text, at, &child, depth + 1, out)?);
                if bytes.get(at)? == &b',' {
                    at = skip_whitespace(bytes, at + 1);
                }
                index += 1;
            }
            Some(at + 1)
        }
        b'"' => skip_string(bytes, position),
        _ => {
            let mut at = position;
            while bytes
                .get(at)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                at += 1;
            }
            Some(at)
        }
    }
}

fn skip_whitespace(bytes: &[u8], mut position: usize) -> usize {
    while bytes.get(position).is_some_and(u8::is_ascii_whitespace) {
        position += 1;
    }
    position
}

fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start)? != &b'"' {
        return None;
    }
    let mut position = start + 1;
    loop {
        match bytes.get(position)? {
            b'\\' => position += 2,
            b'"' => return Some(position + 1),
            _ => position += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_key_given_twice_in_a_statement() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Effect":"Allow"}]}"#;
        let errors = duplicate_keys(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path(), "/Statement/0/Effect");
        let span = errors[0].span().unwrap_or_else(|| panic!("no span"));
        assert_eq!(span.offset(), text.rfind("\"Effect\"").unwrap_or_default());
    }

    #[test]
    fn compares_keys_after_unescaping() {
        let text = r#"{"Statement":{"Effect":"Deny","Eff\u0065ct":"Allow"}}"#;
        assert_eq!(duplicate_keys(text).len(), 1);
    }

    #[test]
    fn accepts_the_same_key_in_different_objects() {
        let text = r#"{"Statement":[{"Effect":"Allow"},{"Effect":"Deny"}],"Version":"2012-10-17"}"#;
        assert!(duplicate_keys(text).is_empty());
    }
}
