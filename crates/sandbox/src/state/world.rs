//! The world the sandbox emulates, as plain data: accounts with their IAM entities,
//! the global S3 bucket namespace, access keys and STS sessions, and the clock. It is
//! serializable so the durable store can keep it; services change it only through
//! `&mut World` inside a store transaction, validating before they mutate.
//!
//! Every collection of entities is a [`Table`], which remembers the keys a
//! transaction wrote: the durable store keeps one row per entity (`state::rows`) and
//! commits only those. Every field of `World`, `Account` and `Bucket` is named once in
//! the entity list (`state::entities`), as a table or as a field of its own row;
//! forgetting one is a compile error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::table::Table;

/// Everything the sandbox knows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct World {
    /// Accounts by 12-digit id.
    #[serde(default)]
    pub accounts: Table<String, Account>,
    /// Every long-term access key (`AKIA...`) of every account, by key id.
    #[serde(default)]
    pub access_keys: Table<String, AccessKey>,
    /// Every temporary credential (`ASIA...`), by key id.
    #[serde(default)]
    pub sessions: Table<String, Session>,
    /// S3 buckets, one namespace for all accounts, by name.
    #[serde(default)]
    pub buckets: Table<String, Bucket>,
    /// Seconds added to the host clock (`awslab sandbox clock advance`).
    pub clock_offset_seconds: i64,
    /// The secret the sandbox's OIDC issuer signs web identity tokens with (hex).
    pub issuer_secret: String,
    /// The key and certificate of the sandbox's SAML identity provider, made the first
    /// time one is needed (`services::sts_saml::idp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml_signer: Option<SamlSigner>,
    /// `CloudFormation` stacks of every account, by stack id (`model::cloudformation`).
    #[serde(default)]
    pub stacks: Table<String, crate::model::cloudformation::Stack>,
    /// Not kept: the propagation delay of the process whose transaction this is, in
    /// milliseconds; the dispatcher sets it before an operation runs, and changes record
    /// `now + delay` as the time they take effect (see [`Pending`]).
    #[serde(skip)]
    pub propagation_delay_ms: i64,
    /// Not kept: what this transaction did to object bodies (`state::blobs`), which
    /// the store applies on commit; and how to read the bodies it keeps.
    #[serde(skip)]
    pub blobs: super::blobs::Ledger,
}

/// The signing key (PKCS#8 DER, base64: a secret, like `issuer_secret`, never shown)
/// and self-signed certificate (DER, base64) of the sandbox's SAML identity provider.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlSigner {
    pub key: String,
    pub certificate: String,
}

impl std::fmt::Debug for SamlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlSigner")
            .field("key", &"***")
            .field("certificate", &self.certificate)
            .finish()
    }
}

/// A change to what grants access (a document, a trust policy) that takes effect only
/// at `effective_at_ms` on the sandbox's clock (`--propagation-delay`); until then,
/// `previous` is in force (`None`: nothing, as for a new policy or role). Removals
/// are not recorded: they take effect at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub effective_at_ms: i64,
    pub previous: Option<String>,
}

/// One AWS account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    /// The operator's IAM user name (`awslab-operator`).
    pub operator: String,
    /// Users by lowercased name (IAM names are unique case-insensitively).
    #[serde(default)]
    pub users: Table<String, User>,
    /// Roles by lowercased name.
    #[serde(default)]
    pub roles: Table<String, Role>,
    /// Customer managed policies by ARN.
    #[serde(default)]
    pub policies: Table<String, ManagedPolicy>,
    /// OIDC providers by ARN.
    #[serde(default)]
    pub oidc_providers: Table<String, OidcProvider>,
    /// Groups by lowercased name.
    #[serde(default)]
    pub groups: Table<String, Group>,
    /// SAML providers by ARN.
    #[serde(default)]
    pub saml_providers: Table<String, SamlProvider>,
    /// Virtual MFA devices by serial number (their ARN). Few and small, so they are
    /// kept in the account's own row rather than in a table of their own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mfa_devices: BTreeMap<String, MfaDevice>,
}

/// A virtual MFA device (`CreateVirtualMFADevice`), enabled for at most one user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MfaDevice {
    pub serial_number: String,
    /// The TOTP seed, base32 (RFC 4648, no padding): the secret the device shares with
    /// IAM. Kept like an access key's secret, and never in an explanation or a log.
    pub seed: String,
    pub created: i64,
    pub tags: Vec<(String, String)>,
    /// The lowercased name of the user it is enabled for, and since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<i64>,
}

/// An IAM group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    /// Members' lowercased user names.
    pub members: Vec<String>,
    pub inline_policies: BTreeMap<String, String>,
    pub attached: Vec<String>,
    /// Members added under a propagation delay: lowercased user name to when the
    /// membership takes effect (ms, sandbox clock).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_members: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_inline: BTreeMap<String, Pending>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_attached: BTreeMap<String, i64>,
}

/// An IAM user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub tags: Vec<(String, String)>,
    /// Inline policies by name (their JSON text).
    pub inline_policies: BTreeMap<String, String>,
    /// Attached managed policy ARNs.
    pub attached: Vec<String>,
    /// Access key ids (at most two).
    pub access_keys: Vec<String>,
    pub permissions_boundary: Option<String>,
    /// The login profile's creation time and whether a reset is required (the
    /// password itself is never kept).
    #[serde(default)]
    pub login_profile: Option<(i64, bool)>,
    /// Inline policies put under a propagation delay, by name (see [`Pending`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_inline: BTreeMap<String, Pending>,
    /// Managed policies attached under a propagation delay: ARN to when the
    /// attachment takes effect (ms, sandbox clock).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_attached: BTreeMap<String, i64>,
}

/// An IAM role.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub trust_policy: String,
    pub max_session_duration: i64,
    pub description: Option<String>,
    pub tags: Vec<(String, String)>,
    pub inline_policies: BTreeMap<String, String>,
    pub attached: Vec<String>,
    pub permissions_boundary: Option<String>,
    /// The trust policy's propagation: a new role's (`previous: None`, `AssumeRole` is
    /// refused until then) or an `UpdateAssumeRolePolicy`'s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_pending: Option<Pending>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_inline: BTreeMap<String, Pending>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending_attached: BTreeMap<String, i64>,
}

/// A customer managed policy with its versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub updated: i64,
    pub description: Option<String>,
    pub default_version: String,
    /// Versions (`v1`, `v2`...) to their documents.
    pub versions: BTreeMap<String, String>,
    pub next_version: u32,
    pub tags: Vec<(String, String)>,
    /// A new default version's propagation; `previous` is the document that was the
    /// default before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_pending: Option<Pending>,
}

/// An OIDC identity provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OidcProvider {
    pub arn: String,
    pub url: String,
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// A SAML 2.0 identity provider.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SamlProvider {
    pub arn: String,
    pub name: String,
    /// The metadata document, as given.
    pub metadata: String,
    /// `SAMLProviderUUID`: what tells this provider from another of the same name.
    pub uuid: String,
    pub created: i64,
    /// The metadata's `validUntil`, as IAM answers a date, if it has a valid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
}

/// A long-term access key of an IAM user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    pub account: String,
    /// The user's lowercased name (the key into `Account::users`).
    pub user: String,
    pub active: bool,
    pub created: i64,
    /// When the key (or its reactivation) takes effect, in ms on the sandbox's clock;
    /// 0 for at once. Before then it answers `InvalidClientTokenId`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub effective_at_ms: i64,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if"
)]
fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// Sessions are the model's: `auth` and `services` name them without the state.
pub use crate::model::{Session, SessionKind};

/// An S3 bucket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub account: String,
    pub region: String,
    pub created: i64,
    pub policy: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Objects by key; the durable store keeps each in its own row.
    #[serde(default)]
    pub objects: Table<String, Object>,
    /// Multipart uploads in progress, by upload id (`model::s3`); the
    /// durable store keeps each in its own row.
    #[serde(default)]
    pub uploads: Table<String, crate::model::s3::Upload>,
    /// The uploads' parts, by `multipart::part_key` (upload id and number); each in its
    /// own row, so storing a part writes that part alone.
    #[serde(default)]
    pub parts: Table<String, crate::model::s3::Part>,
    /// `Suspended` once versioning was set; `None` if it never was.
    #[serde(default)]
    pub versioning: Option<String>,
}

/// An S3 object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Object {
    /// Where the bytes are kept (`state::blobs`), never the bytes.
    pub body: super::blobs::Body,
    pub etag: String,
    pub modified: i64,
    pub content_type: Option<String>,
}

impl World {
    /// The account `id`, if the sandbox hosts it.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id)
    }

    /// The current time on the sandbox's clock, in Unix seconds.
    pub fn now(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.clock_offset_seconds
    }

    /// The current time on the sandbox's clock, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let host = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        i64::try_from(host)
            .unwrap_or(i64::MAX)
            .saturating_add(self.clock_offset_seconds.saturating_mul(1000))
    }

    /// When a change made now takes effect: now plus this process's propagation delay
    /// (ms, sandbox clock); 0 (at once) without a delay.
    pub fn effective_at_ms(&self) -> i64 {
        if self.propagation_delay_ms <= 0 {
            0
        } else {
            self.now_ms().saturating_add(self.propagation_delay_ms)
        }
    }
}

impl Pending {
    /// The record of a change made at `now_ms` to take effect at `effective_at_ms`
    /// (0: at once, nothing to record), from `current` with its own earlier `pending`
    /// change: what callers still see until then.
    pub fn after(
        current: Option<&str>,
        earlier: Option<&Self>,
        now_ms: i64,
        effective_at_ms: i64,
    ) -> Option<Self> {
        if effective_at_ms == 0 {
            return None;
        }
        let previous = match earlier {
            // An earlier change still propagating: callers still see its previous.
            Some(earlier) if now_ms < earlier.effective_at_ms => earlier.previous.clone(),
            _ => current.map(str::to_owned),
        };
        Some(Self {
            effective_at_ms,
            previous,
        })
    }

    /// The document in force at `now_ms`: `current` once in effect, else `previous`.
    pub fn in_force<'a>(
        pending: Option<&'a Self>,
        current: &'a str,
        now_ms: i64,
    ) -> Option<&'a str> {
        match pending {
            Some(pending) if now_ms < pending.effective_at_ms => pending.previous.as_deref(),
            _ => Some(current),
        }
    }
}

/// Whether an addition recorded to take effect at `effective_at_ms` (absent: at once)
/// is in effect at `now_ms`.
pub fn in_effect(effective_at_ms: Option<&i64>, now_ms: i64) -> bool {
    effective_at_ms.is_none_or(|at| now_ms >= *at)
}
