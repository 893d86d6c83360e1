//! Reading a policy document as strictly as IAM reads it, beyond its grammar: a key
//! given twice at any depth (JSON parsers keep the last, so `"Effect": "Deny"` then
//! `"Effect": "Allow"` in one statement would silently become an `Allow`), and the
//! size quotas IAM and STS put on each kind of policy.
//!
//! Quotas, from "IAM and AWS STS quotas, name requirements, and character limits"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html>,
//! "IAM and STS character limits"): the aggregate of a user's inline policies may not
//! exceed 2,048 characters, a group's 5,120, a role's 10,240; a managed policy 6,144;
//! a role trust policy 2,048 by default (Service Quotas can raise it to 8,192). "IAM
//! does not count white space when calculating the size of a policy against these
//! limits." Session policies: "the plaintext that you use for both inline and managed
//! session policies can't exceed 2,048 characters" (the `Policy` parameter of STS
//! `AssumeRole`, `AssumeRoleWithWebIdentity` and `GetFederationToken`).

use miette::SourceSpan;
use serde_json::Value;

use crate::error::PolicyError;

/// Where a policy goes, which decides its size quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Inline policies of a user (their aggregate): 2,048.
    UserInline,
    /// Inline policies of a group (their aggregate): 5,120.
    GroupInline,
    /// Inline policies of a role (their aggregate): 10,240.
    RoleInline,
    /// A customer managed policy: 6,144.
    Managed,
    /// A role's trust policy: 2,048 by default, at most 8,192 once raised.
    Trust,
    /// A session policy passed to STS: 2,048.
    Session,
}

impl Quota {
    /// Every quota, in documentation order.
    pub const ALL: [Quota; 6] = [
        Quota::UserInline,
        Quota::GroupInline,
        Quota::RoleInline,
        Quota::Managed,
        Quota::Trust,
        Quota::Session,
    ];

    /// The limit in characters, whitespace not counted.
    pub fn limit(self) -> usize {
        match self {
            Quota::UserInline | Quota::Trust | Quota::Session => 2_048,
            Quota::GroupInline => 5_120,
            Quota::RoleInline => 10_240,
            Quota::Managed => 6_144,
        }
    }

    /// For a quota that Service Quotas can raise, the highest value it can take.
    pub fn adjustable_to(self) -> Option<usize> {
        matches!(self, Quota::Trust).then_some(8_192)
    }

    /// A stable lowercase label (`user`, `group`, `role`, `managed`, `trust`, `session`).
    pub fn label(self) -> &'static str {
        match self {
            Quota::UserInline => "user",
            Quota::GroupInline => "group",
            Quota::RoleInline => "role",
            Quota::Managed => "managed",
            Quota::Trust => "trust",
            Quota::Session => "session",
        }
    }

    /// Parses a label as [`Quota::label`] writes it.
    pub fn from_label(label: &str) -> Option<Quota> {
        Quota::ALL.into_iter().find(|quota| quota.label() == label)
    }

    /// What the quota applies to, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Quota::UserInline => "a user's inline policies",
            Quota::GroupInline => "a group's inline policies",
            Quota::RoleInline => "a role's inline policies",
            Quota::Managed => "a managed policy",
            Quota::Trust => "a role trust policy",
            Quota::Session => "a session policy",
        }
    }
}

/// The size of a policy as IAM counts it: characters of its JSON text, whitespace
/// not counted.
pub fn policy_size(value: &Value) -> usize {
    let text = serde_json::to_string(value).unwrap_or_default();
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// The size of a policy's JSON text as IAM counts it (whitespace not counted).
pub fn text_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// A policy over its quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "the policy has {size} characters (whitespace not counted); {} may have at most {limit}",
    quota.noun()
)]
#[diagnostic(
    code(policy::quota),
    help(
        "split it into several policies, or use wildcards to shorten repeated actions and resources \
         (IAM and AWS STS quotas: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)"
    )
)]
pub struct QuotaExceeded {
    pub quota: Quota,
    pub size: usize,
    pub limit: usize,
}

/// Checks a size against a quota.
pub fn check_quota(size: usize, quota: Quota) -> Result<usize, QuotaExceeded> {
    if size > quota.limit() {
        Err(QuotaExceeded {
            quota,
            size,
            limit: quota.limit(),
        })
    } else {
        Ok(size)
    }
}

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
            let mut keys: Vec<(String, usize)> = Vec::new();
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
                if let Some((_, first)) = keys.iter().find(|(name, _)| *name == key) {
                    out.push(PolicyError::DuplicateKey {
                        key: key.clone(),
                        first: *first,
                        path: child.clone(),
                        span: Some(SourceSpan::from(key_start..key_end)),
                    });
                } else {
                    keys.push((key, key_start));
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

    #[test]
    fn counts_size_without_whitespace() {
        let value: Value = serde_json::from_str(r#"{ "a" : "b c" }"#).unwrap_or_default();
        assert_eq!(policy_size(&value), r#"{"a":"bc"}"#.len());
        assert_eq!(text_size(" { } "), 2);
    }

    #[test]
    fn checks_each_quota() {
        assert!(check_quota(2_048, Quota::UserInline).is_ok());
        let over = check_quota(2_049, Quota::UserInline).err();
        assert_eq!(over.map(|e| e.limit), Some(2_048));
        assert!(check_quota(10_240, Quota::RoleInline).is_ok());
        assert!(check_quota(6_145, Quota::Managed).is_err());
        assert!(check_quota(5_121, Quota::GroupInline).is_err());
        assert_eq!(Quota::from_label("trust"), Some(Quota::Trust));
    }
}
