//! The one authorization decision per check: gathers the caller's identity-based
//! policies, permissions boundary and session policies, the resource's policy, and
//! the request context AWS supplies, and asks `awslab_policy::evaluate` (which applies
//! AWS's service rules: `GetCallerIdentity` always allowed, AWS managed policies
//! unchangeable). The rules about sessions that crates/policy cannot see (what
//! federated and `GetSessionToken` sessions may call; `GetSessionToken` needs no
//! permission) live in [`service_rule`], the single place to move them from.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use awslab_policy::{
    Context, Decision, EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, Request,
};

use super::Caller;
use crate::model::CommonError;
use crate::model::{ApiError, Check, ResourcePolicy, managed};
use crate::state::World;
use crate::state::world::{Account, Pending, SessionKind, in_effect};

/// The trust policy of a role that has not propagated yet: it admits no caller (a
/// policy needs a statement; this one names a service that never calls).
const NOTHING_TRUSTED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"propagating.awslab.invalid"},"Action":"sts:AssumeRole"}]}"#;

/// Facts about the request itself that become condition keys.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    pub source_ip: Option<std::net::IpAddr>,
    pub secure_transport: bool,
    pub region: String,
}

/// What AWS decides before policies: `Some(error)` refuses the request outright.
pub fn service_rule(caller: &Caller, check: &Check) -> Option<Result<(), ApiError>> {
    let action = check.action.to_ascii_lowercase();
    if action == "sts:getcalleridentity" {
        // crates/policy's `ServiceRule::CallerIdentity` allows it inside `evaluate`.
        return None;
    }
    let service = action.split(':').next().unwrap_or_default();
    let kind = caller.session_kind();
    if action == "sts:getsessiontoken" {
        // No permission is needed, but only long-term credentials may call it.
        return Some(match kind {
            None => Ok(()),
            Some(_) => Err(ApiError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            )),
        });
    }
    match kind {
        Some(SessionKind::SessionToken) if service == "iam" && !caller.mfa => {
            Some(Err(ApiError::of(
                CommonError::InvalidClientTokenId,
                "The security token included in the request is invalid",
            )))
        }
        Some(SessionKind::SessionToken) if service == "sts" && action != "sts:assumerole" => {
            Some(Err(ApiError::access_denied(format!(
                "User: {} is not authorized to perform: {} because credentials from GetSessionToken can call only AssumeRole and GetCallerIdentity of STS",
                caller.principal.arn, check.action
            ))))
        }
        Some(SessionKind::Federated) if service == "iam" || service == "sts" => {
            Some(Err(ApiError::access_denied(format!(
                "User: {} is not authorized to perform: {} because federated users cannot call {} operations",
                caller.principal.arn,
                check.action,
                service.to_uppercase()
            ))))
        }
        _ => None,
    }
}

/// Decides `check` for `caller`; returns the request evaluated, the decision, and every
/// policy, statement and condition as evaluated (the text `awslab policy simulate`
/// prints for them, with the keys the request lacks), for `explain`.
pub fn decide(
    world: &World,
    caller: &Caller,
    check: &Check,
    facts: &RequestFacts,
) -> (Request, Decision, awslab_policy::Explanation) {
    let principal = check
        .acting_as
        .clone()
        .unwrap_or_else(|| caller.principal.clone());
    let mut request = Request::new(principal, &check.action, &check.resource);
    request.context = context(world, caller, check, facts);
    let mut owned: Vec<(String, Arc<PolicyDocument>)> = Vec::new();
    let account = world.account(&caller.account);
    let mut boundary = None;
    let now_ms = world.now_ms();
    if let Some(account) = account {
        identity_policies(account, caller, now_ms, &mut owned);
        boundary = boundary_of(account, caller, now_ms);
    }
    let session: Option<Vec<(String, Arc<PolicyDocument>)>> = caller
        .session
        .as_ref()
        .and_then(|session| session.session_policies.as_ref())
        .map(|texts| {
            texts
                .iter()
                .enumerate()
                .filter_map(|(index, text)| {
                    parse(text, PolicyKind::Session)
                        .map(|document| (format!("session policy {}", index + 1), document))
                })
                .collect()
        });
    let resource = resource_policy(world, check, now_ms, &mut request);
    let boundary = boundary.map(|document| ("permissions boundary".to_owned(), document));
    let input = EvaluationInput {
        identity_policies: owned
            .iter()
            .map(|(name, document)| NamedPolicy::new(name, document))
            .collect(),
        resource_policy: resource
            .as_ref()
            .map(|(name, document)| NamedPolicy::new(name, document)),
        session_policies: session.as_ref().map(|policies| {
            policies
                .iter()
                .map(|(name, document)| NamedPolicy::new(name, document))
                .collect()
        }),
        boundary: boundary
            .as_ref()
            .map(|(name, document)| NamedPolicy::new(name, document)),
    };
    let decision = awslab_policy::evaluate(&input, &request);
    let detail = awslab_policy::explain_decided(&input, &request, &decision);
    (request, decision, detail)
}

/// The identity-based policies (a user's own and its groups', a role's, a group's)
/// and the permissions boundary in force now of the user, role or group `arn` names,
/// by name; `None` when it names none (`iam:SimulatePrincipalPolicy`).
pub fn principal_policies(world: &World, arn: &str) -> Option<PrincipalPolicies> {
    let (account_id, rest) = arn.strip_prefix("arn:aws:iam::")?.split_once(':')?;
    let account = world.account(account_id)?;
    let name = rest.rsplit('/').next()?.to_ascii_lowercase();
    let now_ms = world.now_ms();
    let mut caller = crate::model::Caller::anonymous();
    account_id.clone_into(&mut caller.account);
    let mut identity = Vec::new();
    if rest.starts_with("group/") {
        let group = account.groups.get(&name)?;
        let grants = Grants {
            inline: &group.inline_policies,
            pending_inline: &group.pending_inline,
            attached: &group.attached,
            pending_attached: &group.pending_attached,
        };
        grants.push(account, &group.arn, None, now_ms, &mut identity);
        return Some(PrincipalPolicies {
            identity,
            boundary: None,
        });
    }
    if rest.starts_with("user/") {
        account.users.get(&name)?;
        caller.user = Some(name);
    } else if rest.starts_with("role/") {
        account.roles.get(&name)?;
        caller.role = Some(name);
    } else {
        return None;
    }
    identity_policies(account, &caller, now_ms, &mut identity);
    let boundary = boundary_of(account, &caller, now_ms);
    Some(PrincipalPolicies { identity, boundary })
}

/// What [`principal_policies`] finds.
pub struct PrincipalPolicies {
    pub identity: Vec<(String, Arc<PolicyDocument>)>,
    pub boundary: Option<Arc<PolicyDocument>>,
}

/// Parsed documents by text and kind, so a request does not parse its caller's
/// policies again; bounded (cleared when full). Looked up by `&str`, so a hit copies
/// nothing.
type ParsedCache = Mutex<HashMap<String, Vec<(PolicyKind, Arc<PolicyDocument>)>>>;
static PARSED: OnceLock<ParsedCache> = OnceLock::new();
const PARSED_CAPACITY: usize = 4096;

fn parse(text: &str, kind: PolicyKind) -> Option<Arc<PolicyDocument>> {
    let cache = PARSED.get_or_init(Mutex::default);
    if let Some(found) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(text)
        .and_then(|kinds| kinds.iter().find(|(found, _)| *found == kind))
    {
        return Some(Arc::clone(&found.1));
    }
    let document = Arc::new(PolicyDocument::parse_as(text, kind).ok()?);
    let mut cached = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cached.len() >= PARSED_CAPACITY {
        cached.clear();
    }
    cached
        .entry(text.to_owned())
        .or_default()
        .push((kind, Arc::clone(&document)));
    Some(document)
}

/// The default version's document in force at `now_ms` (a new default version under
/// a propagation delay leaves the previous one in force until then).
fn managed_document<'a>(account: &'a Account, arn: &str, now_ms: i64) -> Option<&'a str> {
    if let Some(policy) = account.policies.get(arn) {
        let current = policy.versions.get(&policy.default_version)?;
        return Pending::in_force(policy.default_pending.as_ref(), current, now_ms);
    }
    managed::find(arn).map(|policy| policy.document)
}

/// An entity's inline policies and attached managed policies, with their pending
/// changes under a propagation delay.
struct Grants<'a> {
    inline: &'a BTreeMap<String, String>,
    pending_inline: &'a BTreeMap<String, Pending>,
    attached: &'a [String],
    pending_attached: &'a BTreeMap<String, i64>,
}

impl Grants<'_> {
    /// Pushes the documents in force at `now_ms`, named after `owner`.
    fn push(
        &self,
        account: &Account,
        owner: &str,
        through: Option<&str>,
        now_ms: i64,
        out: &mut Vec<(String, Arc<PolicyDocument>)>,
    ) {
        for (name, text) in self.inline {
            if let Some(document) = Pending::in_force(self.pending_inline.get(name), text, now_ms)
                .and_then(|text| parse(text, PolicyKind::Identity))
            {
                out.push((format!("{owner} inline policy {name}"), document));
            }
        }
        for arn in self
            .attached
            .iter()
            .filter(|arn| in_effect(self.pending_attached.get(*arn), now_ms))
        {
            if let Some(document) = managed_document(account, arn, now_ms)
                .and_then(|text| parse(text, PolicyKind::Identity))
            {
                let name = match through {
                    Some(group) => format!("{arn} (through {group})"),
                    None => arn.clone(),
                };
                out.push((name, document));
            }
        }
    }
}

fn identity_policies(
    account: &Account,
    caller: &Caller,
    now_ms: i64,
    out: &mut Vec<(String, Arc<PolicyDocument>)>,
) {
    let (grants, owner) = if let Some(role) = caller
        .role
        .as_ref()
        .and_then(|name| account.roles.get(name))
    {
        let grants = Grants {
            inline: &role.inline_policies,
            pending_inline: &role.pending_inline,
            attached: &role.attached,
            pending_attached: &role.pending_attached,
        };
        (grants, &role.arn)
    } else if let Some(user) = caller
        .user
        .as_ref()
        .and_then(|name| account.users.get(name))
    {
        let grants = Grants {
            inline: &user.inline_policies,
            pending_inline: &user.pending_inline,
            attached: &user.attached,
            pending_attached: &user.pending_attached,
        };
        (grants, &user.arn)
    } else {
        return;
    };
    grants.push(account, owner, None, now_ms, out);
    // A user's groups' policies apply to the user (and to its GetSessionToken and
    // GetFederationToken sessions), never to role sessions.
    let Some(user) = caller.user.as_ref().filter(|_| caller.role.is_none()) else {
        return;
    };
    for group in account.groups.values().filter(|group| {
        group.members.contains(user) && in_effect(group.pending_members.get(user), now_ms)
    }) {
        let grants = Grants {
            inline: &group.inline_policies,
            pending_inline: &group.pending_inline,
            attached: &group.attached,
            pending_attached: &group.pending_attached,
        };
        grants.push(account, &group.arn, Some(&group.arn), now_ms, out);
    }
}

fn boundary_of(account: &Account, caller: &Caller, now_ms: i64) -> Option<Arc<PolicyDocument>> {
    let arn = if let Some(role) = caller
        .role
        .as_ref()
        .and_then(|name| account.roles.get(name))
    {
        role.permissions_boundary.as_ref()
    } else {
        caller
            .user
            .as_ref()
            .and_then(|name| account.users.get(name))
            .and_then(|user| user.permissions_boundary.as_ref())
    }?;
    managed_document(account, arn, now_ms).and_then(|text| parse(text, PolicyKind::Boundary))
}

fn resource_policy(
    world: &World,
    check: &Check,
    now_ms: i64,
    request: &mut Request,
) -> Option<(String, Arc<PolicyDocument>)> {
    if let Some(account) = &check.resource_account {
        request.resource_account = Some(account.clone());
    }
    match &check.resource_policy {
        ResourcePolicy::None => None,
        ResourcePolicy::Bucket(name) => {
            let bucket = world.buckets.get(name)?;
            request.resource_account = Some(bucket.account.clone());
            let document = parse(bucket.policy.as_ref()?, PolicyKind::Resource)?;
            Some((format!("bucket policy of {name}"), document))
        }
        ResourcePolicy::Trust { account, role } => {
            request.resource_account = Some(account.clone());
            let role = world.account(account)?.roles.get(role)?;
            match Pending::in_force(role.trust_pending.as_ref(), &role.trust_policy, now_ms) {
                Some(text) => {
                    let document = parse(text, PolicyKind::Trust)?;
                    Some((format!("trust policy of {}", role.arn), document))
                }
                // A new role that has not propagated yet: no trust policy allows.
                None => Some((
                    format!("trust policy of {} (not in effect yet)", role.arn),
                    parse(NOTHING_TRUSTED, PolicyKind::Trust)?,
                )),
            }
        }
    }
}

fn context(world: &World, caller: &Caller, check: &Check, facts: &RequestFacts) -> Context {
    let now = world.now();
    let mut context = Context::new();
    if let Ok(at) = time::OffsetDateTime::from_unix_timestamp(now) {
        context.insert("aws:CurrentTime", at);
    }
    context.insert("aws:EpochTime", format!("{now}"));
    context.insert("aws:SecureTransport", facts.secure_transport);
    if let Some(ip) = facts.source_ip {
        context.insert("aws:SourceIp", ip);
    }
    if !facts.region.is_empty() {
        context.insert("aws:RequestedRegion", facts.region.as_str());
    }
    if let Some(session) = &caller.session {
        context.insert("aws:MultiFactorAuthPresent", session.mfa);
        if session.mfa {
            context.insert(
                "aws:MultiFactorAuthAge",
                format!("{}", (now - session.issued).max(0)),
            );
        }
        if let Ok(at) = time::OffsetDateTime::from_unix_timestamp(session.issued) {
            context.insert("aws:TokenIssueTime", at);
        }
        if let Some(source) = &session.source_identity {
            context.insert("aws:SourceIdentity", source.as_str());
        }
    }
    // An operation's own keys replace the general ones of the same name (MFA given to
    // `AssumeRole` itself); a key an operation lists twice is multi-valued (`aws:TagKeys`).
    for (index, (key, _)) in check.context.iter().enumerate() {
        if check.context[..index]
            .iter()
            .any(|(earlier, _)| earlier.eq_ignore_ascii_case(key))
        {
            continue;
        }
        let values = check
            .context
            .iter()
            .filter(|(other, _)| other.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.clone())
            .collect();
        context.set(key, values);
    }
    context
}

/// The explanation kept for `awslab sandbox explain`, appended to `text` (one
/// paragraph a check; written in place, as every request keeps one).
pub fn explain(
    text: &mut String,
    request_id: &str,
    request: &Request,
    decision: &Decision,
    detail: &awslab_policy::Explanation,
) {
    use std::fmt::Write as _;
    let _ = writeln!(
        text,
        "request {request_id}\nprincipal: {}\naction: {}\nresource: {}\ndecision: {} ({})",
        request.principal.arn,
        request.action,
        request.resource,
        decision.verdict.label(),
        decision.reason_clause(&request.action)
    );
    if decision.matched.is_empty() {
        text.push_str("matched statements: none\n");
    }
    for matched in &decision.matched {
        let _ = write!(
            text,
            "matched: {} {} in {} ({}), statement {}",
            matched.effect.label(),
            matched.policy_type.label(),
            matched.policy,
            matched.sid.as_deref().unwrap_or("no Sid"),
            matched.statement,
        );
        if let Some(found) = matched.principal_match {
            let _ = write!(text, ", principal matched as {found:?}");
        }
        text.push('\n');
    }
    detail.write_policies_text(text);
    for (key, values) in request.context.iter() {
        text.push_str("context: ");
        text.push_str(key);
        text.push_str(" = ");
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                text.push_str(", ");
            }
            text.push_str(&value.as_text());
        }
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_trust_policy_of_a_role_not_in_effect_yet_is_a_valid_one() {
        // Were it refused, a new role would have no trust policy at all, and a caller
        // of the same account allowed `sts:AssumeRole` would be let in.
        assert!(super::parse(super::NOTHING_TRUSTED, awslab_policy::PolicyKind::Trust).is_some());
    }
}
