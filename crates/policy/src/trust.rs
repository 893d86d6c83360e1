//! Role trust policies: whether a trust policy on its own lets a principal call
//! `sts:AssumeRole*` ([`trust_allows`]), and a static answer for the planner when
//! only the principal's ARN (or a pattern) is known ([`admits_principal`]). For the
//! full `AssumeRole` decision, which also needs the caller's identity policies, pass
//! the trust policy as the resource policy to [`crate::evaluate`].

use crate::arn::is_account_id;
use crate::decision::{Decision, Grant, PolicyType, Reason, Verdict};
use crate::document::{Effect, PolicyDocument};
use crate::evaluate::{NamedPolicy, View, scan};
use crate::principal::PrincipalMatch;
use crate::request::{Context, Principal};

/// A static answer to "does this trust policy admit this principal?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Admission {
    /// An unconditional `Allow` names the principal (or its account, or `*`) and no
    /// `Deny` can apply.
    Yes,
    /// No `Allow` can apply, or an unconditional `Deny` does.
    No,
    /// Conditions, or a principal known only as a pattern, prevent a static answer.
    Unknown,
}

/// Whether `trust_policy` allows `principal` to perform `action` (`sts:AssumeRole`,
/// `sts:AssumeRoleWithWebIdentity`, `sts:AssumeRoleWithSAML`, `sts:TagSession`...),
/// looking at the trust policy alone. An account principal (`:root`) counts as
/// allowed here; [`crate::evaluate`] then also requires the caller's identity
/// policies to allow the action.
pub fn trust_allows(
    trust_policy: &PolicyDocument,
    principal: &Principal,
    action: &str,
    context: &Context,
) -> Decision {
    let action = crate::evaluate::Lowercase::new(action);
    let view = View::new(principal, action.as_str(), "*", context);
    let mut matched = Vec::new();
    let found = scan(
        &NamedPolicy::new("trust policy", trust_policy),
        PolicyType::Resource,
        &view,
        &mut matched,
    );
    let (verdict, reason) = if found.deny {
        (
            Verdict::ExplicitDeny,
            Reason::ExplicitDeny(PolicyType::Resource),
        )
    } else if found.grant.is_some() {
        (Verdict::Allowed, Reason::Allowed(Grant::Resource))
    } else {
        (Verdict::ImplicitDeny, Reason::NoAllow(PolicyType::Resource))
    };
    Decision {
        verdict,
        reason,
        matched,
    }
}

/// Whether `trust_policy` admits `principal` for `sts:AssumeRole`, statically.
/// `principal` is a user, root, role (meaning any of its sessions), assumed-role or
/// federated-user ARN, or an account id. Values with `*`, `?` or an unresolved
/// `${...}` give [`Admission::Unknown`].
pub fn admits_principal(trust_policy: &PolicyDocument, principal: &str) -> Admission {
    if principal.contains(['*', '?']) || principal.contains("${") {
        return Admission::Unknown;
    }
    let Some(caller) = caller_of(principal) else {
        return Admission::Unknown;
    };
    let (mut allow_certain, mut allow_possible, mut deny_possible) = (false, false, false);
    for statement in &trust_policy.statements {
        if !statement.covers_action("sts:AssumeRole") {
            continue;
        }
        let Some(spec) = &statement.principals else {
            continue;
        };
        let named = if spec.negated {
            !spec.excludes(&caller)
        } else {
            spec.match_principal(&caller)
                .is_some_and(|found| found >= PrincipalMatch::Account)
        };
        if !named {
            continue;
        }
        let conditional = statement.has_conditions();
        match (statement.effect, conditional) {
            (Effect::Deny, false) => return Admission::No,
            (Effect::Deny, true) => deny_possible = true,
            (Effect::Allow, false) => allow_certain = true,
            (Effect::Allow, true) => allow_possible = true,
        }
    }
    if allow_certain && !deny_possible {
        Admission::Yes
    } else if allow_certain || allow_possible {
        Admission::Unknown
    } else {
        Admission::No
    }
}

/// The caller a principal string stands for; a role ARN stands for its sessions.
fn caller_of(principal: &str) -> Option<Principal> {
    if is_account_id(principal) {
        return Some(Principal::root(principal));
    }
    if let Some(caller) = Principal::from_arn(principal) {
        return Some(caller);
    }
    let (prefix, role_path) = principal.split_once(":role/")?;
    let account = prefix.strip_prefix("arn:")?.rsplit(':').next()?;
    let name = role_path.rsplit('/').next()?;
    let mut session = Principal::role_session(account, name, "session");
    session.source_arn = Some(principal.to_owned());
    Some(session)
}
