//! Identifiers shaped like AWS's: access key ids (`AKIA...`/`ASIA...`), unique ids of
//! users and roles (`AIDA...`/`AROA...`), secrets, session tokens and request ids.

use rand::Rng as _;

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_from(alphabet: &[u8], length: usize) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A long-term access key id, `AKIA` and 16 characters.
pub fn long_term_key_id() -> String {
    format!("AKIA{}", random_from(BASE32, 16))
}

/// A temporary access key id, `ASIA` and 16 characters.
pub fn temporary_key_id() -> String {
    format!("ASIA{}", random_from(BASE32, 16))
}

/// A unique id with AWS's prefix (`AIDA` users, `AROA` roles, `ANPA` policies).
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(BASE32, 17))
}

/// A multipart upload id (64 URL-safe characters).
pub fn upload_id() -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._",
        64,
    )
}

/// A 40-character secret access key.
pub fn secret() -> String {
    random_from(SECRET, 40)
}

/// A session token (long, opaque; the sandbox keeps it to compare).
pub fn session_token() -> String {
    format!("IQoJb3JpZ2luX2Vj{}", random_from(SECRET, 340))
}

/// A request id, formatted as a UUID (`8-4-4-4-12` lowercase hex digits): 16 random
/// bytes written out in one pass (every request makes one).
pub fn request_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    let mut id = String::with_capacity(36);
    for (index, group) in [
        &bytes[..4],
        &bytes[4..6],
        &bytes[6..8],
        &bytes[8..10],
        &bytes[10..],
    ]
    .into_iter()
    .enumerate()
    {
        if index > 0 {
            id.push('-');
        }
        push_hex(&mut id, group);
    }
    id
}

/// Lowercase hex of `bytes`, appended to `out` in one pass (the `hex` crate's
/// `encode` collects characters one by one; every request writes a request id and
/// three `SigV4` hashes).
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_have_aws_shapes() {
        let key = super::long_term_key_id();
        assert!(key.starts_with("AKIA") && key.len() == 20, "{key}");
        assert!(super::temporary_key_id().starts_with("ASIA"));
        assert_eq!(super::secret().len(), 40);
        let id = super::request_id();
        assert_eq!(id.len(), 36);
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{id}"
        );
        assert_ne!(super::request_id(), super::request_id());
        assert_ne!(super::secret(), super::secret());
    }
}
