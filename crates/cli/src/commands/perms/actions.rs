//! The IAM actions a step needs of its account's operator: its kind's calls
//! ([`awslab_executor::permissions`]), its optional parts', the calls it makes as its
//! identity when that is the operator, and a `verify`'s call and teardown.

use std::collections::BTreeSet;

use awslab_planner::checks::find_call;
use awslab_planner::{Step, StepKind};

/// Whether a step's `as:` is the operator.
fn as_operator(identity: Option<&awslab_planner::values::IdentityName>) -> bool {
    identity.is_none_or(|i| i.value == awslab_planner::values::OPERATOR)
}

/// The operator's calls for `step` (kind, optional parts and identity calls), as IAM
/// actions.
pub(super) fn step_actions(step: &Step) -> BTreeSet<String> {
    use awslab_executor::permissions::{Optional, identity_calls, kind_calls, optional_calls};
    let label = step.kind.label();
    let mut calls: Vec<&str> = Vec::new();
    if let Some(kind) = kind_calls(label) {
        calls.extend(kind.up);
        calls.extend(kind.down);
    }
    match &step.kind {
        StepKind::IamUser(u) if u.access_key => {
            if let Some(keys) = kind_calls("iam.access_key") {
                calls.extend(keys.up);
                calls.extend(keys.down);
            }
        }
        StepKind::IamRole(r) => {
            if !r.policies.is_empty() {
                calls.extend(optional_calls(Optional::RoleInlinePolicies));
            }
            if !r.managed_policies.is_empty() {
                calls.extend(optional_calls(Optional::RoleManagedPolicies));
            }
        }
        StepKind::S3Bucket(b) if b.policy.is_some() => {
            calls.extend(optional_calls(Optional::BucketPolicy));
        }
        _ => {}
    }
    let identity = match &step.kind {
        StepKind::StsAssumeRole(a) => Some(a.identity.as_ref()),
        StepKind::StsGetSessionToken(a) => Some(a.identity.as_ref()),
        StepKind::StsGetFederationToken(a) => Some(a.identity.as_ref()),
        StepKind::S3Object(o) => Some(o.identity.as_ref()),
        _ => None,
    };
    if identity.is_some_and(as_operator) {
        calls.extend(identity_calls(label));
    }
    let mut actions: BTreeSet<String> = calls
        .iter()
        .filter_map(|call| find_call(call))
        .map(|call| call.action())
        .collect();
    // Session tags and a source identity are authorized as actions of their own.
    if let StepKind::StsAssumeRole(a) = &step.kind
        && as_operator(a.identity.as_ref())
    {
        if !a.tags.is_empty() || !a.transitive_tag_keys.is_empty() {
            actions.insert("sts:TagSession".to_owned());
        }
        if a.source_identity.is_some() {
            actions.insert("sts:SetSourceIdentity".to_owned());
        }
    }
    if let StepKind::Verify(v) = &step.kind
        && let Some(call) = find_call(&v.call.value)
    {
        if as_operator(v.identity.as_ref()) {
            actions.insert(call.action());
        }
        if let awslab_apimodel::Effect::Creates(creates) = call.effect() {
            let down = awslab_executor::permissions::verify_teardown_calls(creates);
            actions.extend(down.iter().filter_map(|c| find_call(c)).map(|c| c.action()));
        }
    }
    actions
}

/// A statement id from a step id and a suffix: letters and digits only.
pub(super) fn sid(step: &str, suffix: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in step.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    format!("{out}{suffix}")
}
