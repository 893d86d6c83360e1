//! The process's known secret values, so that whatever writes logs can blank them out.
//!
//! Every [`Secret`](crate::Secret) made in this process (a secret access key, a session
//! token, read back from a run's secrets store or received from AWS) is remembered
//! here, and so is every secret variable of a plan that the cli loads
//! ([`remember`]). [`redact`] replaces each remembered value in a text with `***`, and
//! also the value after the names AWS gives secrets on the wire (`SecretAccessKey`,
//! `SessionToken`, `aws_secret_access_key`, ...), which covers secrets seen in a
//! response before anything here knew them. The cli's log writer passes every line
//! through [`redact`], whatever `RUST_LOG` says.
//!
//! Bounded: at most [`MAX_KNOWN`] values of at most [`MAX_VALUE_BYTES`] bytes each are
//! kept (a run holds a handful; a class of learners a few hundred); values shorter than
//! [`MIN_VALUE_BYTES`] are not kept, since blanking every `1` or `ab` in a log would
//! make it unreadable and protect nothing.

use std::borrow::Cow;
use std::sync::{LazyLock, PoisonError, RwLock};

/// The most values kept; past it, the shortest is forgotten first.
pub const MAX_KNOWN: usize = 16_384;
/// The longest value kept whole; a longer one is kept by its first bytes.
pub const MAX_VALUE_BYTES: usize = 8192;
/// The shortest value worth blanking.
pub const MIN_VALUE_BYTES: usize = 4;

/// What replaces a secret.
pub const MASK: &str = "***";

/// The names secrets go by on the wire and in files: the value after one of these
/// (and its separator) is blanked even when nothing remembered it.
const SECRET_FIELDS: &[&str] = &[
    "SecretAccessKey",
    "SessionToken",
    "secret_access_key",
    "session_token",
    "aws_secret_access_key",
    "aws_session_token",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "x-amz-security-token",
    "X-Amz-Security-Token",
    "WebIdentityToken",
    "SAMLAssertion",
    // Virtual MFA devices: the seed (and its QR code) and the codes computed from it.
    "Base32StringSeed",
    "QRCodePNG",
    "base32_seed",
    "TokenCode",
    "AuthenticationCode1",
    "AuthenticationCode2",
];

static KNOWN: LazyLock<RwLock<Vec<Box<str>>>> = LazyLock::new(|| RwLock::new(Vec::new()));

/// Remembers a secret value, so that [`redact`] blanks it from now on.
pub fn remember(value: &str) {
    if value.len() < MIN_VALUE_BYTES {
        return;
    }
    let value = match value.char_indices().nth(MAX_VALUE_BYTES) {
        Some((end, _)) if end < value.len() => &value[..end],
        _ => value,
    };
    let mut known = KNOWN.write().unwrap_or_else(PoisonError::into_inner);
    if known.iter().any(|kept| &**kept == value) {
        return;
    }
    if known.len() >= MAX_KNOWN {
        known.pop();
    }
    // Longest first, so that a value that contains another is blanked whole.
    let at = known.partition_point(|kept| kept.len() >= value.len());
    known.insert(at, value.into());
}

/// `text` with every remembered secret, and every value after a secret's field name,
/// replaced by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    // Fields first: a remembered value that is also part of a field's name (a secret
    // variable `token`) must not hide the field from the pass that blanks its value.
    let mut out = if SECRET_FIELDS.iter().any(|field| text.contains(field)) {
        Cow::Owned(blank_fields(text))
    } else {
        Cow::Borrowed(text)
    };
    let known = KNOWN.read().unwrap_or_else(PoisonError::into_inner);
    for secret in known.iter() {
        if out.contains(&**secret) {
            out = Cow::Owned(out.replace(&**secret, MASK));
        }
    }
    out
}

/// Blanks the value after each field name of [`SECRET_FIELDS`]: after the name, any
/// of `>`, `=`, `:`, `"`, `'` and spaces, then the value up to the next delimiter.
fn blank_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, field)) = SECRET_FIELDS
        .iter()
        .filter_map(|field| rest.find(field).map(|at| (at, *field)))
        .min_by_key(|(at, field)| (*at, usize::MAX - field.len()))
    {
        let after = at + field.len();
        out.push_str(&rest[..after]);
        let tail = &rest[after..];
        let separator = tail
            .find(|c: char| !matches!(c, '>' | '=' | ':' | '"' | '\'' | ' ' | '\\'))
            .unwrap_or(tail.len());
        // Only a field followed by a separator names a value (`SessionToken>...`),
        // not a word that merely contains the name (`SessionTokens`).
        if separator == 0 {
            rest = tail;
            continue;
        }
        out.push_str(&tail[..separator]);
        let value = &tail[separator..];
        let end = value
            .find(|c: char| {
                matches!(c, '<' | '"' | '\'' | '&' | ',' | ';' | '}' | ')' | '\\')
                    || c.is_whitespace()
            })
            .unwrap_or(value.len());
        if end > 0 {
            out.push_str(MASK);
        }
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    // The remembered values are the process's: other tests of this binary add theirs
    // (`secret`, `token`), so these tests use values no other test uses, and test the
    // field pass on its own.
    use super::{MASK, blank_fields, redact, remember};

    #[test]
    fn blanks_remembered_values_longest_first() {
        remember("Zq9-remembered-secret-value");
        remember("Zq9-remembered");
        let text = "a Zq9-remembered-secret-value and Zq9-remembered here";
        assert_eq!(redact(text), format!("a {MASK} and {MASK} here"));
    }

    #[test]
    fn short_values_are_not_kept() {
        remember("q7");
        assert_eq!(redact("q7 xq7"), "q7 xq7");
    }

    #[test]
    fn blanks_values_after_the_wire_names_of_secrets() {
        for (text, expected) in [
            (
                "<SecretAccessKey>wJalr/K7+MDENG</SecretAccessKey><SessionToken>IQo=</SessionToken>",
                "<SecretAccessKey>***</SecretAccessKey><SessionToken>***</SessionToken>",
            ),
            (
                r#"{"SecretAccessKey":"abc/def","AccessKeyId":"ASIA1"}"#,
                r#"{"SecretAccessKey":"***","AccessKeyId":"ASIA1"}"#,
            ),
            (
                "aws_secret_access_key = abc\naws_session_token=def\n",
                "aws_secret_access_key = ***\naws_session_token=***\n",
            ),
            (
                "Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJ.a.b&RoleArn=x",
                "Action=AssumeRoleWithWebIdentity&WebIdentityToken=***&RoleArn=x",
            ),
            (
                r#"headers: {"x-amz-security-token": "IQoJb3JpZ2luX2VjE"}"#,
                r#"headers: {"x-amz-security-token": "***"}"#,
            ),
            ("no SessionTokens here", "no SessionTokens here"),
        ] {
            assert_eq!(blank_fields(text), expected, "{text}");
        }
    }

    #[test]
    fn a_remembered_word_in_a_field_name_does_not_hide_the_field() {
        remember("secret");
        assert_eq!(
            redact("aws_secret_access_key = wJalrXUtnFEMI"),
            format!("aws_{MASK}_access_key = {MASK}")
        );
    }

    #[test]
    fn text_without_secrets_is_not_copied() {
        assert!(matches!(
            redact("zq plain xq line"),
            std::borrow::Cow::Borrowed("zq plain xq line")
        ));
    }
}
