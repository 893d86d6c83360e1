//! Maps a JSON-pointer-like path (`/Statement/0/Effect`) back to a byte span in the
//! source text, so errors found on a `serde_json::Value` can point into the file.
//! A small scanner over the text; it runs only when there are errors to report.

use miette::SourceSpan;

/// The span of the element at `pointer`: for an object member, from its key to the end
/// of its value; for an array element or the root, the value itself.
pub(crate) fn span_of(text: &str, pointer: &str) -> Option<SourceSpan> {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    let bytes = text.as_bytes();
    let mut position = skip_whitespace(bytes, 0);
    let mut start = position;
    for segment in &segments {
        match bytes.get(position)? {
            b'{' => {
                let (key_start, value_start) = find_member(bytes, position, segment)?;
                start = key_start;
                position = value_start;
            }
            b'[' => {
                let index: usize = segment.parse().ok()?;
                position = find_element(bytes, position, index)?;
                start = position;
            }
            _ => return None,
        }
    }
    let end = skip_value(bytes, position)?;
    Some(SourceSpan::from(start..end))
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

/// Returns (key start, value start) of the last member named `name` (`serde_json` keeps
/// the last of duplicate keys).
fn find_member(bytes: &[u8], open: usize, name: &str) -> Option<(usize, usize)> {
    let mut position = skip_whitespace(bytes, open + 1);
    let mut found = None;
    while bytes.get(position)? != &b'}' {
        let key_start = position;
        let key_end = skip_string(bytes, position)?;
        let key: String = serde_json::from_slice(&bytes[key_start..key_end]).ok()?;
        position = skip_whitespace(bytes, key_end);
        if bytes.get(position)? != &b':' {
            return None;
        }
        let value_start = skip_whitespace(bytes, position + 1);
        if key == name {
            found = Some((key_start, value_start));
        }
        position = skip_whitespace(bytes, skip_value(bytes, value_start)?);
        if bytes.get(position)? == &b',' {
            position = skip_whitespace(bytes, position + 1);
        }
    }
    found
}

fn find_element(bytes: &[u8], open: usize, index: usize) -> Option<usize> {
    let mut position = skip_whitespace(bytes, open + 1);
    let mut current = 0;
    while bytes.get(position)? != &b']' {
        if current == index {
            return Some(position);
        }
        position = skip_whitespace(bytes, skip_value(bytes, position)?);
        if bytes.get(position)? == &b',' {
            position = skip_whitespace(bytes, position + 1);
        }
        current += 1;
    }
    None
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
