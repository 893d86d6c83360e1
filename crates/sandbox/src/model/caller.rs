//! Who a request is from: the authenticated [`Caller`], and the STS [`Session`] whose
//! temporary credentials it may have used (kept in the world's `sessions` table).

use awslab_policy::{Principal, PrincipalKind};
use serde::{Deserialize, Serialize};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The caller's account (empty for anonymous callers).
    pub account: String,
    /// The IAM user (lowercased name), for users and their `GetSessionToken` and
    /// `GetFederationToken` sessions.
    pub user: Option<String>,
    /// The role (lowercased name), for role sessions.
    pub role: Option<String>,
    /// The temporary credentials used, if any.
    pub session: Option<Session>,
    /// The access key id that signed the request.
    pub access_key_id: Option<String>,
    /// Whether the caller signed in with MFA.
    pub mfa: bool,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self {
            principal: Principal::anonymous(),
            account: String::new(),
            user: None,
            role: None,
            session: None,
            access_key_id: None,
            mfa: false,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.principal.kind == PrincipalKind::Anonymous
    }

    pub fn session_kind(&self) -> Option<SessionKind> {
        self.session.as_ref().map(|session| session.kind)
    }
}

/// Where temporary credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    AssumedRole,
    SessionToken,
    Federated,
}

/// Temporary credentials issued by STS.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub secret: String,
    pub token: String,
    pub kind: SessionKind,
    pub account: String,
    /// The session's ARN (`assumed-role/...`, `federated-user/...`, or the user's ARN).
    pub arn: String,
    /// `aws:userid` (`AROA...:session`, `account:name`, `AIDA...`).
    pub user_id: String,
    /// The role's lowercased name, for role sessions.
    pub role: Option<String>,
    /// The IAM user's lowercased name, for `GetSessionToken` and `GetFederationToken`.
    pub user: Option<String>,
    /// Session policies (JSON texts); `None` when none were passed.
    pub session_policies: Option<Vec<String>>,
    pub issued: i64,
    pub expires: i64,
    /// Whether the session was made from another role session (role chaining).
    pub chained: bool,
    pub mfa: bool,
    pub source_identity: Option<String>,
    /// Session tags (`AssumeRole` `Tags`, and transitive tags inherited by chaining).
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The keys of `tags` that pass on to sessions this one starts.
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
}
