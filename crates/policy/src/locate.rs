//! Maps a JSON-pointer-like path (`/Statement/0/Effect`) back to a byte span in the
//! source text, so errors found on a `serde_json::Value` can point into the file.
//! A small scanner over the text; it runs only when there are errors to report, and
//! locates all of them in one pass.

use std::collections::{HashMap, HashSet};

use miette::SourceSpan;

/// The spans of the elements at `pointers`, found in one walk over the text (so that
/// locating many errors costs one pass, not one pass each): for an object member, from
/// its key to the end of its value; for an array element or the root, the value
/// itself. Only containers on the way to a wanted pointer are entered. Pointers not in
/// the text are absent from the answer.
pub(crate) fn spans_of<'p>(
    text: &str,
    pointers: impl IntoIterator<Item = &'p str>,
) -> HashMap<String, SourceSpan> {
    let mut wanted = Wanted::default();
    for pointer in pointers {
        wanted.add(pointer);
    }
    let mut found = HashMap::new();
    if wanted.targets.is_empty() {
        return found;
    }
    let bytes = text.as_bytes();
    let start = skip_whitespace(bytes, 0);
    if wanted.targets.contains("")
        && let Some(end) = skip_value(bytes, start)
    {
        found.insert(String::new(), SourceSpan::from(start..end));
    }
    let mut pending = vec![(String::new(), start)];
    while let Some((pointer, open)) = pending.pop() {
        let mut visit = |child: String, span_start: usize, value_start: usize| {
            if wanted.targets.contains(child.as_str())
                && let Some(end) = skip_value(bytes, value_start)
            {
                found.insert(child.clone(), SourceSpan::from(span_start..end));
            }
            if wanted.prefixes.contains(child.as_str()) {
                pending.push((child, value_start));
            }
        };
        match bytes.get(open) {
            Some(b'{') => for_each_member(bytes, open, |key, key_start, value_start| {
                visit(format!("{pointer}/{}", escape(key)), key_start, value_start);
            }),
            Some(b'[') => for_each_element(bytes, open, |index, value_start| {
                visit(format!("{pointer}/{index}"), value_start, value_start);
            }),
            _ => {}
        }
    }
    found
}

/// The pointers asked for, and every proper prefix of them (the containers to enter).
#[derive(Default)]
struct Wanted {
    targets: HashSet<String>,
    prefixes: HashSet<String>,
}

impl Wanted {
    fn add(&mut self, pointer: &str) {
        if !self.targets.insert(pointer.to_owned()) {
            return;
        }
        let mut end = pointer.len();
        while let Some(slash) = pointer[..end].rfind('/') {
            if slash == 0 || !self.prefixes.insert(pointer[..slash].to_owned()) {
                break;
            }
            end = slash;
        }
        self.prefixes.insert(String::new());
    }
}

/// A key as a JSON-pointer segment (`~` as `~0`, `/` as `~1`).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The span of the element at `pointer` (see [`spans_of`]).
#[cfg(test)]
pub(crate) fn span_of(text: &str, pointer: &str) -> Option<SourceSpan> {
    spans_of(text, [pointer]).remove(pointer)
}

/// The byte offset of a 1-based line and column, as `serde_json` reports them.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            let within: usize = content
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            return (offset + within).min(text.len());
        }
        offset += content.len();
    }
    text.len()
}

fn skip_whitespace(bytes: &[u8], mut position: usize) -> usize {
    while bytes.get(position).is_some_and(u8::is_ascii_whitespace) {
        position += 1;
    }
    position
}

/// Calls `each` with (key, key start, value start) for every member of the object at
/// `open`, in order (a repeated key is visited again, so the last one wins, as in
/// `serde_json`). Stops quietly at malformed text.
fn for_each_member(bytes: &[u8], open: usize, mut each: impl FnMut(&str, usize, usize)) {
    let mut position = skip_whitespace(bytes, open + 1);
    while let Some(&byte) = bytes.get(position) {
        if byte == b'}' {
            return;
        }
        let key_start = position;
        let Some(key_end) = skip_string(bytes, position) else {
            return;
        };
        let Ok(key) = serde_json::from_slice::<String>(&bytes[key_start..key_end]) else {
            return;
        };
        position = skip_whitespace(bytes, key_end);
        if bytes.get(position) != Some(&b':') {
            return;
        }
        let value_start = skip_whitespace(bytes, position + 1);
        each(&key, key_start, value_start);
        let Some(value_end) = skip_value(bytes, value_start) else {
            return;
        };
        position = skip_whitespace(bytes, value_end);
        if bytes.get(position) == Some(&b',') {
            position = skip_whitespace(bytes, position + 1);
        }
    }
}

/// Calls `each` with (index, value start) for every element of the array at `open`.
fn for_each_element(bytes: &[u8], open: usize, mut each: impl FnMut(usize, usize)) {
    let mut position = skip_whitespace(bytes, open + 1);
    let mut index = 0;
    while let Some(&byte) = bytes.get(position) {
        if byte == b']' {
            return;
        }
        each(index, position);
        let Some(value_end) = skip_value(bytes, position) else {
            return;
        };
        position = skip_whitespace(bytes, value_end);
        if bytes.get(position) == Some(&b',') {
            position = skip_whitespace(bytes, position + 1);
        }
        index += 1;
    }
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

/// The end (exclusive) of the JSON value starting at `start`.
fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
    match bytes.get(start)? {
        b'"' => skip_string(bytes, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut position = start;
            loop {
                match bytes.get(position)? {
                    b'"' => {
                        position = skip_string(bytes, position)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(position + 1);
                        }
                    }
                    _ => {}
                }
                position += 1;
            }
        }
        _ => {
            let mut position = start;
            while bytes.get(position).is_some_and(|byte| {
                !matches!(byte, b',' | b'}' | b']') && !byte.is_ascii_whitespace()
            }) {
                position += 1;
            }
            Some(position)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": [\"s3:*\", \"x\"]}\n  ]\n}";

    fn slice(pointer: &str) -> &'static str {
        let span = span_of(TEXT, pointer).unwrap_or_else(|| panic!("no span for {pointer}"));
        &TEXT[span.offset()..span.offset() + span.len()]
    }

    #[test]
    fn locates_members_from_key_to_value() {
        assert_eq!(slice("/Statement/0/Effect"), "\"Effect\": \"Allow\"");
        assert_eq!(slice("/Version"), "\"Version\": \"2012-10-17\"");
    }

    #[test]
    fn locates_array_elements() {
        assert_eq!(slice("/Statement/0/Action/1"), "\"x\"");
    }

    #[test]
    fn returns_none_for_missing_paths() {
        assert!(span_of(TEXT, "/Statement/3").is_none());
        assert!(span_of(TEXT, "/Nope").is_none());
    }

    #[test]
    fn converts_line_and_column_to_offset() {
        assert_eq!(
            offset_of(TEXT, 2, 3),
            TEXT.find("\"Version").unwrap_or_default()
        );
    }
}
