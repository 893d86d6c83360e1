//! The size limits AWS puts on policy documents, in one table that the planner,
//! `awslab policy check` and the sandbox all read: for each kind of policy, its limit,
//! whether the limit covers one document or the aggregate of an entity's inline
//! policies, and how AWS counts a document's size against it.
//!
//! IAM and STS, from "IAM and AWS STS quotas" (`reference_iam-quotas.html`, "IAM and
//! STS character limits"): the aggregate of a user's inline policies may not exceed
//! 2,048 characters, a group's 5,120, a role's 10,240; a managed policy 6,144; a role
//! trust policy 2,048 by default (Service Quotas can raise it to 8,192). "IAM does not
//! count white space when calculating the size of a policy against these limits."
//! Session policies: "the plaintext that you use for both inline and managed session
//! policies can't exceed 2,048 characters". Whatever the quota, IAM's API refuses a
//! `PolicyDocument` longer than 131,072 characters before reading it
//! ([`DOCUMENT_MAX_LENGTH`], the `policyDocumentType` of IAM's service model).
//!
//! S3 (`add-bucket-policy.html`): "Bucket policies are limited to 20 KB in size",
//! counted on the policy as sent with its whitespace left out.

use serde_json::Value;

/// The longest policy document IAM's API takes at all (`policyDocumentType`).
pub const DOCUMENT_MAX_LENGTH: usize = 131_072;

/// Where a policy goes, which decides its size limit.
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
    /// An S3 bucket policy: 20 KB.
    Bucket,
}

/// How AWS counts a policy's size against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// IAM and STS: characters, whitespace not counted.
    Characters,
    /// S3: bytes, whitespace not counted.
    Bytes,
}

/// One row of the table.
struct Row {
    quota: Quota,
    label: &'static str,
    noun: &'static str,
    limit: usize,
    adjustable_to: Option<usize>,
    counting: Counting,
    aggregate: bool,
}

const fn row(quota: Quota, label: &'static str, noun: &'static str, limit: usize) -> Row {
    Row {
        quota,
        label,
        noun,
        limit,
        adjustable_to: None,
        counting: Counting::Characters,
        aggregate: false,
    }
}

/// The table, in documentation order.
const TABLE: [Row; 7] = [
    Row {
        aggregate: true,
        ..row(Quota::UserInline, "user", "a user's inline policies", 2_048)
    },
    Row {
        aggregate: true,
        ..row(
            Quota::GroupInline,
            "group",
            "a group's inline policies",
            5_120,
        )
    },
    Row {
        aggregate: true,
        ..row(
            Quota::RoleInline,
            "role",
            "a role's inline policies",
            10_240,
        )
    },
    row(Quota::Managed, "managed", "a managed policy", 6_144),
    Row {
        adjustable_to: Some(8_192),
        ..row(Quota::Trust, "trust", "a role trust policy", 2_048)
    },
    row(Quota::Session, "session", "a session policy", 2_048),
    Row {
        counting: Counting::Bytes,
        ..row(Quota::Bucket, "bucket", "a bucket policy", 20_480)
    },
];

impl Quota {
    /// Every quota, in documentation order.
    pub const ALL: [Quota; 7] = [
        Quota::UserInline,
        Quota::GroupInline,
        Quota::RoleInline,
        Quota::Managed,
        Quota::Trust,
        Quota::Session,
        Quota::Bucket,
    ];

    fn row(self) -> &'static Row {
        // Every quota has its row; the index keeps the lookup constant.
        let row = &TABLE[self as usize];
        debug_assert_eq!(row.quota, self);
        row
    }

    /// The limit, counted as [`Quota::counting`] says.
    pub fn limit(self) -> usize {
        self.row().limit
    }

    /// For a quota that Service Quotas can raise, the highest value it can take.
    pub fn adjustable_to(self) -> Option<usize> {
        self.row().adjustable_to
    }

    /// How AWS counts a document's size against this quota.
    pub fn counting(self) -> Counting {
        self.row().counting
    }

    /// Whether the limit covers all of an entity's inline policies together, rather
    /// than each document.
    pub fn aggregate(self) -> bool {
        self.row().aggregate
    }

    /// A stable lowercase label (`user`, `group`, `role`, `managed`, `trust`,
    /// `session`, `bucket`).
    pub fn label(self) -> &'static str {
        self.row().label
    }

    /// Parses a label as [`Quota::label`] writes it.
    pub fn from_label(label: &str) -> Option<Quota> {
        Quota::ALL.into_iter().find(|quota| quota.label() == label)
    }

    /// What the quota applies to, for messages.
    pub fn noun(self) -> &'static str {
        self.row().noun
    }

    /// The size of a policy's JSON text as AWS counts it for this quota. Linear in the
    /// text, and needs no parse, so it can run before one.
    pub fn size_of_text(self, text: &str) -> usize {
        let kept = text.chars().filter(|c| !c.is_whitespace());
        match self.counting() {
            Counting::Characters => kept.count(),
            Counting::Bytes => kept.map(char::len_utf8).sum(),
        }
    }

    /// The size of a policy already parsed (for example from YAML), as AWS would count
    /// its JSON text for this quota.
    pub fn size_of_value(self, value: &Value) -> usize {
        self.size_of_text(&serde_json::to_string(value).unwrap_or_default())
    }

    /// Checks a size against this quota.
    pub fn check(self, size: usize) -> Result<usize, QuotaExceeded> {
        if size > self.limit() {
            Err(QuotaExceeded {
                quota: self,
                size,
                limit: self.limit(),
            })
        } else {
            Ok(size)
        }
    }
}

/// The size of a policy as IAM counts it: characters of its JSON text, whitespace
/// not counted.
pub fn policy_size(value: &Value) -> usize {
    Quota::Managed.size_of_value(value)
}

/// The size of a policy's JSON text as IAM counts it (whitespace not counted).
pub fn text_size(text: &str) -> usize {
    Quota::Managed.size_of_text(text)
}

/// A policy over its quota.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error(
    "the policy has {size} {} (whitespace not counted); {} may have at most {limit}",
    unit(quota.counting()),
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

/// The unit a size is counted in, for messages.
pub fn unit(counting: Counting) -> &'static str {
    match counting {
        Counting::Characters => "characters",
        Counting::Bytes => "bytes",
    }
}

/// Checks a size against a quota.
pub fn check_quota(size: usize, quota: Quota) -> Result<usize, QuotaExceeded> {
    quota.check(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_quota_has_its_own_row() {
        for (index, quota) in Quota::ALL.into_iter().enumerate() {
            assert_eq!(TABLE[index].quota, quota);
            assert_eq!(Quota::from_label(quota.label()), Some(quota));
        }
    }

    #[test]
    fn counts_size_without_whitespace() {
        let value: Value = serde_json::from_str(r#"{ "a" : "b c" }"#).unwrap_or_default();
        assert_eq!(policy_size(&value), r#"{"a":"bc"}"#.len());
        assert_eq!(text_size(" { } "), 2);
        assert_eq!(Quota::Managed.size_of_text("{\"é\"}"), 5);
        assert_eq!(Quota::Bucket.size_of_text("{\"é\"}"), 6);
    }

    #[test]
    fn checks_each_quota() {
        assert!(check_quota(2_048, Quota::UserInline).is_ok());
        let over = check_quota(2_049, Quota::UserInline).err();
        assert_eq!(over.map(|e| e.limit), Some(2_048));
        assert!(check_quota(10_240, Quota::RoleInline).is_ok());
        assert!(check_quota(6_145, Quota::Managed).is_err());
        assert!(check_quota(5_121, Quota::GroupInline).is_err());
        assert!(check_quota(20_480, Quota::Bucket).is_ok());
        assert!(check_quota(20_481, Quota::Bucket).is_err());
        assert!(Quota::UserInline.aggregate() && !Quota::Managed.aggregate());
        assert_eq!(Quota::Trust.adjustable_to(), Some(8_192));
    }
}
