//! The request being authorized: who calls ([`Principal`]), which action on which
//! resource, and the request context ([`Context`]) of condition keys. Keys derived
//! from the principal (`aws:username`, `aws:userid`, `aws:PrincipalArn`,
//! `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalTag/...`) are supplied
//! here unless the context sets them explicitly.

use std::borrow::Cow;
use std::net::IpAddr;

use indexmap::IndexMap;
use time::OffsetDateTime;

/// The type of the calling principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// An IAM user.
    User,
    /// A role session from `sts:AssumeRole*`.
    AssumedRole,
    /// A federated user session from `sts:GetFederationToken`.
    FederatedUser,
    /// The account root user.
    Root,
    /// An AWS service principal such as `s3.amazonaws.com`.
    Service,
    /// A web identity or SAML provider calling `sts:AssumeRoleWith*`.
    WebIdentity,
    /// An unauthenticated caller.
    Anonymous,
}

impl PrincipalKind {
    /// The value of `aws:PrincipalType` for this kind.
    pub fn aws_type(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::AssumedRole => "AssumedRole",
            Self::FederatedUser => "FederatedUser",
            Self::Root => "Account",
            Self::Service => "Service",
            Self::WebIdentity => "WebIdentityUser",
            Self::Anonymous => "Anonymous",
        }
    }
}

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's ARN (for a service or provider, its name).
    pub arn: String,
    /// The 12-digit account the principal belongs to (empty for services).
    pub account: String,
    pub kind: PrincipalKind,
    /// The value of `aws:userid` (`AIDA...`, `AROA...:session`, account id for root).
    pub user_id: String,
    /// The IAM user name, only for IAM users (`aws:username`).
    pub username: Option<String>,
    /// Principal tags (`aws:PrincipalTag/<key>`).
    pub tags: IndexMap<String, String>,
    /// For a role session, the role's ARN (derived from the session ARN when absent);
    /// for a federated user, the IAM user who called `GetFederationToken`.
    pub source_arn: Option<String>,
}

impl Principal {
    /// An IAM user, `arn:aws:iam::<account>:user/<name>`.
    pub fn user(account: &str, name: &str) -> Self {
        Self::from_arn(&format!("arn:aws:iam::{account}:user/{name}"))
            .unwrap_or_else(Self::anonymous)
    }

    /// A session of role `role`, `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub fn role_session(account: &str, role: &str, session: &str) -> Self {
        Self::from_arn(&format!(
            "arn:aws:sts::{account}:assumed-role/{role}/{session}"
        ))
        .unwrap_or_else(Self::anonymous)
    }

    /// The root user of `account`.
    pub fn root(account: &str) -> Self {
        Self::from_arn(&format!("arn:aws:iam::{account}:root")).unwrap_or_else(Self::anonymous)
    }

    /// A federated user session from `GetFederationToken`, called by IAM user `caller`.
    pub fn federated_user(account: &str, name: &str, caller: &str) -> Self {
        let mut principal =
            Self::from_arn(&format!("arn:aws:sts::{account}:federated-user/{name}"))
                .unwrap_or_else(Self::anonymous);
        principal.source_arn = Some(format!("arn:aws:iam::{account}:user/{caller}"));
        principal
    }

    /// An AWS service principal such as `s3.amazonaws.com`.
    pub fn service(name: &str) -> Self {
        Self::named(name, PrincipalKind::Service)
    }

    /// A web identity or SAML provider (`accounts.google.com`, an OIDC provider ARN).
    pub fn web_identity(provider: &str) -> Self {
        Self::named(provider, PrincipalKind::WebIdentity)
    }

    /// An anonymous caller.
    pub fn anonymous() -> Self {
        Self::named("anonymous", PrincipalKind::Anonymous)
    }

    fn named(name: &str, kind: PrincipalKind) -> Self {
        Self {
            arn: name.to_owned(),
            account: String::new(),
            kind,
            user_id: name.to_owned(),
            username: None,
            tags: IndexMap::new(),
            source_arn: None,
        }
    }

    /// Reads an IAM or STS principal ARN: user, root, assumed-role session or
    /// federated user. Returns `None` for anything else (including role ARNs, which
    /// are not callers).
    pub fn from_arn(arn: &str) -> Option<Self> {
        let crate::arn::ArnParts {
            partition,
            service,
            account,
            resource,
            ..
        } = crate::arn::arn_parts(arn)?;
        let mut principal = Self::named(arn, PrincipalKind::Anonymous);
        account.clone_into(&mut principal.account);
        match (service, resource.split_once('/')) {
            ("iam", None) if resource == "root" => {
                principal.kind = PrincipalKind::Root;
                account.clone_into(&mut principal.user_id);
            }
            ("iam", Some(("user", path))) => {
                let name = path.rsplit('/').next().unwrap_or(path);
                principal.kind = PrincipalKind::User;
                principal.username = Some(name.to_owned());
                principal.user_id = fake_id("AIDA", arn);
            }
            ("sts", Some(("assumed-role", rest))) => {
                let (role, session) = rest.split_once('/')?;
                principal.kind = PrincipalKind::AssumedRole;
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                principal.user_id = format!("{}:{session}", fake_id("AROA", &role_arn));
                principal.source_arn = Some(role_arn);
            }
            ("sts", Some(("federated-user", name))) => {
                principal.kind = PrincipalKind::FederatedUser;
                principal.user_id = format!("{account}:{name}");
            }
            _ => return None,
        }
        Some(principal)
    }

    /// Adds a principal tag.
    #[must_use]
    pub fn with_tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.to_owned(), value.to_owned());
        self
    }

    /// The value of a key derived from the principal, for a lowercased key.
    pub(crate) fn derived_key(&self, key: &str) -> Option<ContextValue> {
        self.derived_text(key)
            .map(|text| ContextValue::String(text.into_owned()))
    }

    /// The text of a key derived from the principal, borrowed where possible.
    pub(crate) fn derived_text(&self, key: &str) -> Option<Cow<'_, str>> {
        let text: &str = match key {
            "aws:username" => self.username.as_deref()?,
            "aws:userid" => &self.user_id,
            "aws:principalarn" => match (self.kind, &self.source_arn) {
                (PrincipalKind::AssumedRole, Some(role)) => role,
                _ => &self.arn,
            },
            "aws:principalaccount" if !self.account.is_empty() => &self.account,
            "aws:principaltype" => self.kind.aws_type(),
            "aws:principalservicename" if self.kind == PrincipalKind::Service => &self.arn,
            _ => {
                let tag = key.strip_prefix("aws:principaltag/")?;
                self.tags
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(tag))?
                    .1
            }
        };
        Some(Cow::Borrowed(text))
    }
}

/// An AWS-looking unique id (`AIDA` + 17 characters) derived from an ARN, for
/// principals built without one.
fn fake_id(prefix: &str, arn: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in arn.bytes() {
        hash = (hash ^ u128::from(byte)).wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let mut id = prefix.to_owned();
    for _ in 0..17 {
        id.push(char::from(ALPHABET[(hash % 32) as usize]));
        hash /= 32;
    }
    id
}

/// One value of a context key. Every value has a text form, which string operators use.
#[derive(Debug, Clone, PartialEq)]
pub enum ContextValue {
    String(String),
    Bool(bool),
    Number(f64),
    Date(OffsetDateTime),
    Ip(IpAddr),
    Binary(Vec<u8>),
}

impl ContextValue {
    /// The text form of the value, as AWS puts it in the request context.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Self::String(text) => Cow::Borrowed(text),
            Self::Bool(value) => Cow::Borrowed(if *value { "true" } else { "false" }),
            Self::Number(value) => Cow::Owned(value.to_string()),
            Self::Date(value) => Cow::Owned(
                value
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_else(|_| value.unix_timestamp().to_string()),
            ),
            Self::Ip(address) => Cow::Owned(address.to_string()),
            Self::Binary(bytes) => {
                use base64::Engine as _;
                Cow::Owned(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }
}

impl From<&str> for ContextValue {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<bool> for ContextValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

impl From<f64> for ContextValue {
    fn from(value: f64) -> Self {
        Self::Number(value)
    }
}

impl From<IpAddr> for ContextValue {
    fn from(value: IpAddr) -> Self {
        Self::Ip(value)
    }
}

impl From<OffsetDateTime> for ContextValue {
    fn from(value: OffsetDateTime) -> Self {
        Self::Date(value)
    }
}

/// The request context: condition keys (case-insensitive) to one or more values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    entries: Vec<(String, Vec<ContextValue>)>,
}

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value to `key`; a key inserted twice is multi-valued.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        let value = value.into();
        match self
            .entries
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
        {
            Some((_, values)) => values.push(value),
            None => self.entries.push((key.to_ascii_lowercase(), vec![value])),
        }
    }

    /// Sets all values of `key`; an empty list is a key present with no values.
    pub fn set(&mut self, key: &str, values: Vec<ContextValue>) {
        self.entries
            .retain(|(name, _)| !name.eq_ignore_ascii_case(key));
        self.entries.push((key.to_ascii_lowercase(), values));
    }

    /// Builder form of [`Context::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.insert(key, value);
        self
    }

    /// The values of `key`, compared case-insensitively.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        self.entries
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, values)| values.as_slice())
    }

    /// Keys (lowercased) and values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries
            .iter()
            .map(|(key, values)| (key.as_str(), values.as_slice()))
    }
}

/// A request to authorize.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub principal: Principal,
    /// `service:Action`, such as `s3:ListBucket`.
    pub action: String,
    /// The resource ARN (or `*` for actions without a resource).
    pub resource: String,
    /// The account owning the resource; `None` means the principal's own account.
    pub resource_account: Option<String>,
    pub context: Context,
}

impl Request {
    pub fn new(principal: Principal, action: &str, resource: &str) -> Self {
        Self {
            principal,
            action: action.to_owned(),
            resource: resource.to_owned(),
            resource_account: None,
            context: Context::new(),
        }
    }

    /// Adds a context value (repeat the key for a multi-valued key).
    #[must_use]
    pub fn with_context(mut self, key: &str, value: impl Into<ContextValue>) -> Self {
        self.context.insert(key, value);
        self
    }

    /// Sets the account that owns the resource.
    #[must_use]
    pub fn with_resource_account(mut self, account: &str) -> Self {
        self.resource_account = Some(account.to_owned());
        self
    }

    /// The account that owns the resource: [`Request::resource_account`] when set,
    /// otherwise the account the resource ARN names (see [`account_of_arn`]), otherwise
    /// `None`, meaning the caller's own account (S3 bucket ARNs carry no account).
    pub fn resource_owner(&self) -> Option<&str> {
        self.resource_account
            .as_deref()
            .or_else(|| account_of_arn(&self.resource))
    }

    /// Where [`Request::resource_owner`] came from.
    pub fn resource_owner_source(&self) -> OwnerSource {
        if self.resource_account.is_some() {
            OwnerSource::Given
        } else if account_of_arn(&self.resource).is_some() {
            OwnerSource::ResourceArn
        } else {
            OwnerSource::CallerAccount
        }
    }
}

/// Where the resource owner of a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OwnerSource {
    /// Set explicitly ([`Request::resource_account`], `--resource-owner`).
    Given,
    /// The account field of the resource ARN.
    ResourceArn,
    /// Neither: the caller's own account is assumed.
    CallerAccount,
}

impl OwnerSource {
    pub fn label(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::ResourceArn => "resource ARN",
            Self::CallerAccount => "caller's account",
        }
    }
}

/// The 12-digit account id in the account field of an ARN
/// (`arn:aws:kms:us-east-1:111122223333:key/...` gives `111122223333`); `None` for ARNs
/// without one (`arn:aws:s3:::bucket`, `arn:aws:iam::aws:policy/...`) and for `*`.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    let parts = crate::arn::arn_parts(arn)?;
    crate::arn::is_account_id(parts.account).then_some(parts.account)
}

/// The request's condition keys: the explicit context first, then keys derived from
/// the principal.
#[derive(Clone, Copy)]
pub(crate) struct Keys<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) context: &'a Context,
}

impl<'a> Keys<'a> {
    /// The values of a lowercased key.
    pub(crate) fn values(&self, key: &str) -> Option<Cow<'a, [ContextValue]>> {
        match self.context.get(key) {
            Some(values) => Some(Cow::Borrowed(values)),
            None => self
                .principal
                .derived_key(key)
                .map(|value| Cow::Owned(vec![value])),
        }
    }
}

impl crate::variables::Variables for Keys<'_> {
    /// Only single-valued keys can be substituted.
    fn variable(&self, key: &str) -> Option<Cow<'_, str>> {
        match self.context.get(key) {
            Some([single]) => Some(single.as_text()),
            Some(_) => None,
            None => self.principal.derived_text(key),
        }
    }
}
