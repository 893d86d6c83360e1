//! aws-chunked bodies (`Content-Encoding: aws-chunked`): `hex-size[;chunk-signature=..]`
//! lines, data, and after the last (empty) chunk the trailing headers such as
//! `x-amz-checksum-crc32`. Decoding yields the payload and the trailers.

/// A decoded aws-chunked body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decoded {
    pub payload: Vec<u8>,
    pub trailers: Vec<(String, String)>,
}

/// Decodes `body`; `None` when it is not well-formed aws-chunked data.
pub fn decode(body: &[u8]) -> Option<Decoded> {
    let mut decoded = Decoded::default();
    let mut rest = body;
    loop {
        let line_end = find_crlf(rest)?;
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size_text = line.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        let chunk = rest.get(..size)?;
        decoded.payload.extend_from_slice(chunk);
        rest = rest.get(size..)?;
        rest = rest.strip_prefix(b"\r\n")?;
    }
    for line in String::from_utf8_lossy(rest).split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            decoded
                .trailers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    Some(decoded)
}

/// The chunks of a signed aws-chunked body with their `chunk-signature`s, the final
/// empty chunk included; `None` when a chunk is malformed or unsigned.
pub fn signed_chunks(body: &[u8]) -> Option<Vec<(String, &[u8])>> {
    let mut chunks = Vec::new();
    let mut rest = body;
    loop {
        let line_end = find_crlf(rest)?;
        let line = std::str::from_utf8(&rest[..line_end]).ok()?;
        let (size_text, signature) = line.split_once(";chunk-signature=")?;
        let size = usize::from_str_radix(size_text.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        let data = rest.get(..size)?;
        chunks.push((signature.trim().to_owned(), data));
        if size == 0 {
            return Some(chunks);
        }
        rest = rest.get(size..)?.strip_prefix(b"\r\n")?;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|pair| pair == b"\r\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_chunks_and_trailers() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n";
        let decoded = super::decode(body);
        assert_eq!(
            decoded.as_ref().map(|d| d.payload.as_slice()),
            Some(&b"hello world"[..])
        );
        assert_eq!(
            decoded.map(|d| d.trailers),
            Some(vec![("x-amz-checksum-crc32".to_owned(), "AAAA".to_owned())])
        );
        assert_eq!(super::decode(b"zz\r\n"), None);
        assert_eq!(super::decode(b"5\r\nhi"), None);
    }
}
