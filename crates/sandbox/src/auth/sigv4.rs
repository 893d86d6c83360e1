//! `SigV4` verification by re-signing: parse the signature from the `Authorization`
//! header or a presigned query, rebuild the canonical request from the request as
//! received, and compute the signature the secret key would give. Payload modes:
//! a hex SHA-256, `UNSIGNED-PAYLOAD`, and the `STREAMING-*` modes of aws-chunked
//! bodies (the seed signature is checked; see `wire::chunked` for the body).

use hmac::{KeyInit as _, Mac as _};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::ids::push_hex;
use crate::wire::HttpRequest;

mod parse;

pub use parse::{Malformed, Placement, Signature, parse};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The hex SHA-256 of the request's body (computed once a request, before the world
/// is locked).
pub fn body_sha256(request: &HttpRequest) -> String {
    if let Some(spooled) = &request.spooled {
        // Hashed as it arrived.
        return spooled.sha256.clone();
    }
    hex_of(&Sha256::digest(&request.body))
}

fn hex_of(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Whether checking `signature` needs the body's hash: the payload is neither declared
/// unsigned nor streamed (whose chunks are checked on their own).
pub fn needs_body_sha256(request: &HttpRequest, signature: &Signature) -> bool {
    match request.header("x-amz-content-sha256") {
        Some(declared) => declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()),
        None => !(signature.placement == Placement::Query && signature.service == "s3"),
    }
}

/// The payload hash the signature covers; `body_sha256` is [`body_sha256`] of it.
pub fn payload_hash(request: &HttpRequest, signature: &Signature, body_sha256: &str) -> String {
    if let Some(declared) = request.header("x-amz-content-sha256") {
        return declared.to_owned();
    }
    if signature.placement == Placement::Query && signature.service == "s3" {
        return "UNSIGNED-PAYLOAD".to_owned();
    }
    body_sha256.to_owned()
}

/// The signature `secret` gives for `request` whose payload hash is `payload_hash`
/// ([`payload_hash`], or the declared `x-amz-content-sha256`, which the caller checks).
pub fn expected(
    request: &HttpRequest,
    signature: &Signature,
    secret: &str,
    payload_hash: &str,
) -> String {
    let canonical = canonical_request(request, signature, payload_hash);
    let mut string_to_sign = String::with_capacity(160);
    string_to_sign.push_str("AWS4-HMAC-SHA256\n");
    string_to_sign.push_str(&signature.amz_date);
    string_to_sign.push('\n');
    push_scope(&mut string_to_sign, signature);
    string_to_sign.push('\n');
    push_hex(&mut string_to_sign, &Sha256::digest(canonical.as_bytes()));
    with_signing_mac(secret, signature, |mut mac| {
        mac.update(string_to_sign.as_bytes());
        hex_of(&mac.finalize().into_bytes())
    })
}

fn push_scope(out: &mut String, signature: &Signature) {
    out.push_str(&signature.date);
    out.push('/');
    out.push_str(&signature.region);
    out.push('/');
    out.push_str(&signature.service);
    out.push_str("/aws4_request");
}

/// Signing keys by secret and scope: a key changes once a day per scope, and deriving
/// it takes four HMACs, more than checking the request itself. Each is kept as the
/// HMAC state already keyed with it (the key's inner and outer blocks hashed), so a
/// request hashes only its own string to sign. Bounded (cleared when full); kept in
/// this process only, like the secrets it is derived from. Looked up by borrowed
/// text: a request whose key is cached allocates nothing here.
#[derive(Default)]
struct KeyCache {
    /// Each secret's keys, one a scope (a few: days, regions and services).
    by_secret: HashMap<String, Vec<ScopedKey>>,
    len: usize,
}

struct ScopedKey {
    date: String,
    region: String,
    service: String,
    /// An HMAC-SHA256 keyed with the signing key, not yet fed.
    mac: HmacSha256,
}

impl ScopedKey {
    fn is_for(&self, signature: &Signature) -> bool {
        self.date == signature.date
            && self.region == signature.region
            && self.service == signature.service
    }
}

static SIGNING_KEYS: OnceLock<Mutex<KeyCache>> = OnceLock::new();
const SIGNING_KEYS_CAPACITY: usize = 1024;

/// `sign` given a fresh HMAC keyed with the signing key of `secret` for the
/// signature's scope.
fn with_signing_mac<T>(
    secret: &str,
    signature: &Signature,
    sign: impl FnOnce(HmacSha256) -> T,
) -> T {
    let cache = SIGNING_KEYS.get_or_init(Mutex::default);
    let mut cached = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = cached
        .by_secret
        .get(secret)
        .and_then(|keys| keys.iter().find(|scoped| scoped.is_for(signature)))
    {
        return sign(found.mac.clone());
    }
    // A signing key is 32 bytes, under SHA-256's 64-byte block: HMAC pads such a key
    // with zeros, so the padded block keys the same MAC, and keying it cannot fail.
    let derived = signing_key(secret, signature);
    let mut block = [0u8; 64];
    let used = derived.len().min(block.len());
    block[..used].copy_from_slice(&derived[..used]);
    let mac = HmacSha256::new(&block.into());
    let signed = sign(mac.clone());
    if cached.len >= SIGNING_KEYS_CAPACITY {
        cached.by_secret.clear();
        cached.len = 0;
    }
    cached.len += 1;
    cached
        .by_secret
        .entry(secret.to_owned())
        .or_default()
        .push(ScopedKey {
            date: signature.date.clone(),
            region: signature.region.clone(),
            service: signature.service.clone(),
            mac,
        });
    signed
}

/// The key derived from `secret` for the signature's scope (also signs chunks).
pub fn signing_key(secret: &str, signature: &Signature) -> Vec<u8> {
    let date = hmac(
        format!("AWS4{secret}").as_bytes(),
        signature.date.as_bytes(),
    );
    let region = hmac(&date, signature.region.as_bytes());
    let service = hmac(&region, signature.service.as_bytes());
    hmac(&service, b"aws4_request")
}

/// The signature of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body, chained
/// to the previous chunk's (the seed signature for the first).
#[cfg(test)]
pub fn chunk_signature(
    key: &[u8],
    amz_date: &str,
    scope: &str,
    previous: &str,
    data: &[u8],
) -> String {
    chunk_signature_of_hash(key, amz_date, scope, previous, &Sha256::digest(data).into())
}

/// [`chunk_signature`] of a chunk whose data hashed to `data_sha256` (a spooled body
/// keeps only the hash).
pub fn chunk_signature_of_hash(
    key: &[u8],
    amz_date: &str,
    scope: &str,
    previous: &str,
    data_sha256: &[u8; 32],
) -> String {
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{}\n{}",
        hex_of(&Sha256::digest(b"")),
        hex_of(data_sha256)
    );
    hex_of(&hmac(key, string_to_sign.as_bytes()))
}

pub fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn canonical_request(request: &HttpRequest, signature: &Signature, payload_hash: &str) -> String {
    let path = if request.path.is_empty() {
        "/"
    } else {
        &request.path
    };
    let mut out = String::with_capacity(256 + request.query.len());
    out.push_str(&request.method);
    out.push('\n');
    if signature.service == "s3" {
        out.push_str(path);
    } else {
        encode_into(&mut out, path, false);
    }
    out.push('\n');
    if !request.query.is_empty() {
        let mut pairs: Vec<(String, String)> = request
            .query_pairs()
            .into_iter()
            .filter(|(key, _)| {
                !(signature.placement == Placement::Query && key == "X-Amz-Signature")
            })
            .map(|(key, value)| (encode(&key, true), encode(&value, true)))
            .collect();
        pairs.sort();
        for (index, (key, value)) in pairs.iter().enumerate() {
            if index > 0 {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
    }
    out.push('\n');
    for name in &signature.signed_headers {
        out.push_str(name);
        out.push(':');
        let mut first = true;
        for (_, value) in request.headers.iter().filter(|(header, _)| header == name) {
            if !first {
                out.push(',');
            }
            first = false;
            let mut words = value.split_whitespace();
            if let Some(word) = words.next() {
                out.push_str(word);
            }
            for word in words {
                out.push(' ');
                out.push_str(word);
            }
        }
        out.push('\n');
    }
    out.push('\n');
    for (index, name) in signature.signed_headers.iter().enumerate() {
        if index > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    out.push_str(payload_hash);
    out
}

/// AWS's URI encoding: everything but unreserved characters (and `/` in paths).
pub fn encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    encode_into(&mut out, text, encode_slash);
    out
}

fn encode_into(out: &mut String, text: &str, encode_slash: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
}

/// Parses `YYYYMMDDTHHMMSSZ` into Unix seconds.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes.get(range)?.iter().try_fold(0u32, |sum, byte| {
            byte.is_ascii_digit()
                .then(|| sum * 10 + u32::from(byte - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?;
    let day = u8::try_from(number(6..8)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let at = date
        .with_hms(
            u8::try_from(number(9..11)?).ok()?,
            u8::try_from(number(11..13)?).ok()?,
            u8::try_from(number(13..15)?).ok()?,
        )
        .ok()?;
    Some(at.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_amz_dates_and_refuses_malformed_ones() {
        assert_eq!(
            super::parse_amz_date("20150830T123600Z"),
            Some(1_440_938_160)
        );
        assert_eq!(super::parse_amz_date("19700101T000000Z"), Some(0));
        for bad in [
            "",
            "20150830T123600",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150830T243600Z",
            "2015083AT123600Z",
            "20150830 123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(super::parse_amz_date(bad), None, "{bad}");
        }
    }

    /// The signature of AWS's worked example of a chunked upload (S3 API reference),
    /// its signed headers left for the test to name.
    fn example_signature() -> super::Signature {
        super::Signature {
            placement: super::Placement::Header,
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            date: "20130524".into(),
            region: "us-east-1".into(),
            service: "s3".into(),
            signed_headers: Vec::new(),
            signature: String::new(),
            amz_date: "20130524T000000Z".into(),
            expires: None,
            session_token: None,
        }
    }

    /// The seed signature of AWS's worked example of a chunked upload (below), by
    /// [`super::expected`] twice: once deriving the signing key, once from the cache
    /// of keyed MACs. Also the hex writer against the `hex` crate.
    #[test]
    fn seed_signature_matches_aws_worked_example_with_and_without_the_cache() {
        let header = |name: &str, value: &str| (name.to_owned(), value.to_owned());
        let request = crate::wire::HttpRequest {
            method: "PUT".into(),
            path: "/examplebucket/chunkObject.txt".into(),
            query: String::new(),
            headers: vec![
                header("host", "s3.amazonaws.com"),
                header("x-amz-date", "20130524T000000Z"),
                header("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                header("content-encoding", "aws-chunked"),
                header("x-amz-decoded-content-length", "66560"),
                header("content-length", "66824"),
            ],
            body: Vec::new(),
            source_ip: None,
            spooled: None,
        };
        let mut signature = example_signature();
        signature.signed_headers = [
            "content-encoding",
            "content-length",
            "host",
            "x-amz-content-sha256",
            "x-amz-date",
            "x-amz-decoded-content-length",
            "x-amz-storage-class",
        ]
        .map(str::to_owned)
        .to_vec();
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        assert_eq!(super::expected(&request, &signature, secret, payload), seed);
        assert_eq!(super::expected(&request, &signature, secret, payload), seed);
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(super::hex_of(&bytes), hex::encode(&bytes));
    }

    /// AWS's worked example of a chunked upload (S3 API reference, "Signature
    /// calculations for the Authorization header: transferring payload in multiple
    /// chunks"): 65,536 and 1,024 bytes of `a`, then the final chunk.
    #[test]
    fn chunk_signatures_match_aws_worked_example() {
        let signature = example_signature();
        let key = super::signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &signature);
        let scope = "20130524/us-east-1/s3/aws4_request";
        let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
        let first =
            super::chunk_signature(&key, &signature.amz_date, scope, seed, &vec![b'a'; 65536]);
        assert_eq!(
            first,
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
        );
        let second =
            super::chunk_signature(&key, &signature.amz_date, scope, &first, &vec![b'a'; 1024]);
        assert_eq!(
            second,
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
        );
        let last = super::chunk_signature(&key, &signature.amz_date, scope, &second, b"");
        assert_eq!(
            last,
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
        );
    }
}
