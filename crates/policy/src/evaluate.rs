//! The decision, as reference_policies_evaluation-logic.html (single account) and
//! reference_policies_evaluation-logic-cross-account.html describe it: an explicit
//! deny anywhere wins; within one account an allow in identity-based policies (within
//! the permissions boundary and session policies) or in a resource-based policy that
//! names the caller suffices; across accounts, and for role trust policies, the
//! resource side must allow as well.

use crate::decision::{Decision, Grant, MatchedStatement, PolicyType, Reason, Verdict};
use crate::document::{Effect, PolicyDocument, PolicyKind, Statement};
use crate::principal::PrincipalMatch;
use crate::request::{Context, Keys, Principal, PrincipalKind, Request};

/// A policy document with the label used in explanations (file name, policy ARN...).
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    pub name: &'a str,
    pub document: &'a PolicyDocument,
}

impl<'a> NamedPolicy<'a> {
    pub fn new(name: &'a str, document: &'a PolicyDocument) -> Self {
        Self { name, document }
    }
}

/// The policies that apply to a request.
#[derive(Debug, Clone, Default)]
pub struct EvaluationInput<'a> {
    /// The caller's identity-based policies (user, group and role policies).
    pub identity_policies: Vec<NamedPolicy<'a>>,
    /// The resource's policy: a bucket policy, or a role's trust policy for
    /// `sts:AssumeRole*` (trust policies must always allow, even in one account).
    pub resource_policy: Option<NamedPolicy<'a>>,
    /// `None` when the caller has no session policies. `Some(vec![])` is a session
    /// created with none where none means no permissions (`GetFederationToken`).
    pub session_policies: Option<Vec<NamedPolicy<'a>>>,
    /// The permissions boundary of the user or role, if any.
    pub boundary: Option<NamedPolicy<'a>>,
}

/// The parts of a request the scan needs, borrowed.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) principal: &'a Principal,
    pub(crate) resource: &'a str,
    pub(crate) keys: Keys<'a>,
    /// The action, in lowercase (action names match case-insensitively).
    pub(crate) action_lowercase: &'a str,
    /// The service part of the action (before `:`), in lowercase.
    pub(crate) service: &'a str,
    /// `Deny` with `NotPrincipal` denies every principal with a boundary
    /// (`access_policies_boundaries.html`).
    pub(crate) has_boundary: bool,
}

impl<'a> View<'a> {
    pub(crate) fn new(
        principal: &'a Principal,
        action_lowercase: &'a str,
        resource: &'a str,
        context: &'a Context,
    ) -> Self {
        Self {
            principal,
            action_lowercase,
            service: action_lowercase
                .split_once(':')
                .map_or(action_lowercase, |(service, _)| service),
            resource,
            keys: Keys { principal, context },
            has_boundary: false,
        }
    }
}

/// What scanning one policy found.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Found {
    pub(crate) allow: bool,
    pub(crate) deny: bool,
    /// For resource-based policies: the strongest principal match of an `Allow`.
    pub(crate) grant: Option<PrincipalMatch>,
}

/// Scans `policy`, pushing every applying statement into `matched`.
pub(crate) fn scan(
    policy: &NamedPolicy<'_>,
    policy_type: PolicyType,
    view: &View<'_>,
    matched: &mut Vec<MatchedStatement>,
) -> Found {
    let mut found = Found::default();
    let statements = &policy.document.statements;
    for index in policy.document.index.candidates(view.service) {
        let statement = &statements[index];
        let Some(principal_match) = applies(statement, policy_type, view) else {
            continue;
        };
        let principal_match = (policy_type == PolicyType::Resource).then_some(principal_match);
        match statement.effect {
            Effect::Allow => {
                found.allow = true;
                found.grant = found.grant.max(principal_match);
            }
            Effect::Deny => found.deny = true,
        }
        matched.push(MatchedStatement {
            policy: policy.name.to_owned(),
            policy_type,
            statement: index,
            sid: statement.sid.clone(),
            effect: statement.effect,
            principal_match,
        });
    }
    found
}

/// `Some(how the principal matched)` when the statement applies to the request
/// (`Exact` for policies without a `Principal` element).
pub(crate) fn applies(
    statement: &Statement,
    policy_type: PolicyType,
    view: &View<'_>,
) -> Option<PrincipalMatch> {
    if !statement.covers_lowercase_action(view.action_lowercase) {
        return None;
    }
    if let Some(resources) = &statement.resources {
        let mut listed = false;
        for pattern in &resources.patterns {
            // A variable without a value matches no resource.
            if pattern.matches(view.resource, &view.keys).unwrap_or(false) {
                listed = true;
                break;
            }
        }
        if listed == resources.negated {
            return None;
        }
    }
    let principal_match = match (&statement.principals, policy_type) {
        (_, PolicyType::Identity | PolicyType::Boundary | PolicyType::Session) => {
            PrincipalMatch::Exact
        }
        (None, PolicyType::Resource) => return None,
        (Some(spec), PolicyType::Resource) if spec.negated => match statement.effect {
            Effect::Deny => {
                if spec.excludes(view.principal) && !view.has_boundary {
                    return None;
                }
                PrincipalMatch::Exact
            }
            Effect::Allow => spec.allow_except(view.principal)?,
        },
        (Some(spec), PolicyType::Resource) => spec.match_principal(view.principal)?,
    };
    for condition in &statement.conditions {
        if !condition.evaluate(&view.keys) {
            return None;
        }
    }
    Some(principal_match)
}

/// Decides whether `request` is allowed by the policies in `input`, after the
/// service rules of [`crate::service_rule`] (which decide on their own).
pub fn evaluate(input: &EvaluationInput<'_>, request: &Request) -> Decision {
    evaluate_with(input, request, |_, _| (false, false))
}

/// [`evaluate`] with more identity-based statements from `prepared`, which scans them
/// and returns whether an `Allow` and whether a `Deny` applied.
pub(crate) fn evaluate_with(
    input: &EvaluationInput<'_>,
    request: &Request,
    prepared: impl FnOnce(&View<'_>, &mut Vec<MatchedStatement>) -> (bool, bool),
) -> Decision {
    if let Some(rule) = crate::service_rules::rule_for(&request.action, &request.resource) {
        return Decision {
            verdict: if rule.allows() {
                Verdict::Allowed
            } else {
                Verdict::ExplicitDeny
            },
            reason: Reason::ServiceRule(rule),
            matched: Vec::new(),
        };
    }
    let principal = &request.principal;
    let action = Lowercase::new(&request.action);
    let mut view = View::new(
        principal,
        action.as_str(),
        &request.resource,
        &request.context,
    );
    view.has_boundary = input.boundary.is_some();
    let mut matched = Vec::new();
    let mut deny = None;
    let mut note_deny = |found: &Found, policy_type| {
        if found.deny && deny.is_none() {
            deny = Some(policy_type);
        }
    };

    let mut identity_allow = false;
    for policy in &input.identity_policies {
        let found = scan(policy, PolicyType::Identity, &view, &mut matched);
        identity_allow |= found.allow;
        note_deny(&found, PolicyType::Identity);
    }
    let (allow, deny_found) = prepared(&view, &mut matched);
    identity_allow |= allow;
    note_deny(
        &Found {
            allow,
            deny: deny_found,
            grant: None,
        },
        PolicyType::Identity,
    );
    let mut grant = None;
    if let Some(policy) = &input.resource_policy {
        let found = scan(policy, PolicyType::Resource, &view, &mut matched);
        grant = found.grant;
        note_deny(&found, PolicyType::Resource);
    }
    let mut boundary_ok = true;
    if let Some(policy) = &input.boundary {
        let found = scan(policy, PolicyType::Boundary, &view, &mut matched);
        boundary_ok = found.allow;
        note_deny(&found, PolicyType::Boundary);
    }
    let mut session_ok = true;
    if let Some(policies) = &input.session_policies {
        session_ok = false;
        for policy in policies {
            let found = scan(policy, PolicyType::Session, &view, &mut matched);
            session_ok |= found.allow;
            note_deny(&found, PolicyType::Session);
        }
    }

    let reason = match deny {
        Some(policy_type) => Reason::ExplicitDeny(policy_type),
        None => decide(
            input,
            request,
            identity_allow,
            boundary_ok,
            session_ok,
            grant,
        ),
    };
    let verdict = match reason {
        Reason::Allowed(_) => Verdict::Allowed,
        Reason::ServiceRule(rule) if rule.allows() => Verdict::Allowed,
        Reason::ExplicitDeny(_) | Reason::ServiceRule(_) => Verdict::ExplicitDeny,
        Reason::NoAllow(_) => Verdict::ImplicitDeny,
    };
    Decision {
        verdict,
        reason,
        matched,
    }
}

fn decide(
    input: &EvaluationInput<'_>,
    request: &Request,
    identity_allow: bool,
    boundary_ok: bool,
    session_ok: bool,
    grant: Option<PrincipalMatch>,
) -> Reason {
    let principal = &request.principal;
    if matches!(
        principal.kind,
        PrincipalKind::Service | PrincipalKind::WebIdentity | PrincipalKind::Anonymous
    ) {
        return if grant.is_some() {
            Reason::Allowed(Grant::Resource)
        } else {
            Reason::NoAllow(PolicyType::Resource)
        };
    }
    // The resource ARN is split once: its account is the owner unless one is given
    // (see `Request::resource_owner`), and its service tells a KMS key.
    let parts = crate::arn::arn_parts(&request.resource);
    let owner = request.resource_account.as_deref().or_else(|| {
        parts
            .as_ref()
            .map(|parts| parts.account)
            .filter(|account| crate::arn::is_account_id(account))
    });
    let same_account = owner.is_none_or(|account| account == principal.account);
    let trust = input
        .resource_policy
        .is_some_and(|policy| policy.document.kind == PolicyKind::Trust);
    // A KMS key's key policy must allow, even within the account: identity-based
    // policies grant nothing unless the key policy allows the account
    // (kms/latest/developerguide/key-policies.html).
    let key = parts
        .as_ref()
        .is_some_and(|parts| parts.service == "kms" && parts.resource.starts_with("key/"));
    let needs_resource = trust || key || !same_account;
    let root = principal.kind == PrincipalKind::Root;
    let identity_ok = (root && !key) || (identity_allow && boundary_ok && session_ok);
    // Same account: a grant naming the caller stands alone; one naming the session's
    // role (or the federated user's IAM user) is still limited by the boundary and
    // session policies; one naming the account only delegates to identity policies.
    let direct = same_account
        && match grant {
            Some(PrincipalMatch::Exact | PrincipalMatch::Everyone) => true,
            Some(PrincipalMatch::Source) => boundary_ok && session_ok,
            Some(PrincipalMatch::Account) | None => false,
        };
    if !identity_ok && !direct {
        return Reason::NoAllow(if !identity_allow {
            PolicyType::Identity
        } else if !boundary_ok {
            PolicyType::Boundary
        } else {
            PolicyType::Session
        });
    }
    if needs_resource && grant.is_none() {
        return Reason::NoAllow(PolicyType::Resource);
    }
    Reason::Allowed(
        match (
            root && same_account && !trust && !key,
            identity_ok,
            needs_resource,
        ) {
            (true, _, _) => Grant::Root,
            (false, true, true) => Grant::IdentityAndResource,
            (false, true, false) => Grant::Identity,
            (false, false, _) => Grant::Resource,
        },
    )
}

/// An ASCII-lowercased copy of a short string, on the stack when it fits.
pub(crate) struct Lowercase {
    buffer: [u8; 96],
    length: usize,
    heap: Option<String>,
}

impl Lowercase {
    pub(crate) fn new(text: &str) -> Self {
        let mut lowered = Self {
            buffer: [0; 96],
            length: text.len(),
            heap: None,
        };
        match lowered.buffer.get_mut(..text.len()) {
            Some(slot) => {
                slot.copy_from_slice(text.as_bytes());
                slot.make_ascii_lowercase();
            }
            None => lowered.heap = Some(text.to_ascii_lowercase()),
        }
        lowered
    }

    pub(crate) fn as_str(&self) -> &str {
        match &self.heap {
            Some(text) => text,
            None => std::str::from_utf8(&self.buffer[..self.length]).unwrap_or_default(),
        }
    }
}
