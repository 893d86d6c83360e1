//! Inline policies, the same for users, groups and roles: `PutXPolicy`, `GetXPolicy`,
//! `DeleteXPolicy` and `ListXPolicies` work on the entity's map of policy name to
//! document; only the entity's word (`user`) and name member (`UserName`) differ.

use std::collections::BTreeMap;

use super::documents::{self, Rule};
use super::{check_name, encoded, page, with_marker};
use crate::services::{ApiError, Input, Shape, Value};
use crate::state::World;
use crate::state::world::Pending;

/// When a change made in `world` now is made and takes effect: `(now_ms,
/// effective_at_ms)`, for [`put`] and [`attach`].
pub(super) fn times(world: &World) -> (i64, i64) {
    (world.now_ms(), world.effective_at_ms())
}

/// `PutXPolicy`'s change: IAM's own API shows the document at once; under a
/// propagation delay, authorization keeps what was in force until it takes effect.
pub(super) fn put(
    policies: &mut BTreeMap<String, String>,
    pending: &mut BTreeMap<String, Pending>,
    (policy, document): (String, String),
    (now_ms, effective_at_ms): (i64, i64),
) {
    let change = Pending::after(
        policies.get(&policy).map(String::as_str),
        pending.get(&policy),
        now_ms,
        effective_at_ms,
    );
    match change {
        Some(change) => pending.insert(policy.clone(), change),
        None => pending.remove(&policy),
    };
    policies.insert(policy, document);
}

/// Attaching a managed policy (or adding a member): under a propagation delay, the
/// attachment grants nothing until it takes effect. Detaching takes effect at once.
pub(super) fn attach(
    pending: &mut BTreeMap<String, i64>,
    key: &str,
    (_, effective_at_ms): (i64, i64),
) {
    if effective_at_ms == 0 {
        pending.remove(key);
    } else {
        pending.insert(key.to_owned(), effective_at_ms);
    }
}

/// The policy name and document of a Put call, checked as IAM checks them (the
/// document by `rule`, see `documents.rs`).
pub(super) fn checked(
    input: &Input,
    world: &World,
    rule: &Rule,
) -> Result<(String, String), ApiError> {
    let policy = check_name(input, "PolicyName", 128)?;
    let document = documents::checked(world, input, rule)?;
    Ok((policy, document.to_owned()))
}

fn no_such(kind: &str, name: &str) -> ApiError {
    ApiError::no_such_entity(format!(
        "The {kind} policy with name {name} cannot be found."
    ))
}

/// `GetXPolicy`: `owner_member` (`UserName`) is answered with `owner`.
pub(super) fn get(
    input: &Input,
    kind: &str,
    owner_member: &'static str,
    owner: &str,
    policies: &BTreeMap<String, String>,
) -> Result<Shape, ApiError> {
    let policy = input.required("PolicyName")?;
    let document = policies.get(policy).ok_or_else(|| no_such(kind, policy))?;
    Ok(Shape::new()
        .text(owner_member, owner)
        .text("PolicyName", policy)
        .text("PolicyDocument", encoded(document)))
}

/// `DeleteXPolicy`: takes effect at once, propagation delay or not.
pub(super) fn delete(
    input: &Input,
    kind: &str,
    policies: &mut BTreeMap<String, String>,
    pending: &mut BTreeMap<String, Pending>,
) -> Result<Shape, ApiError> {
    let policy = input.required("PolicyName")?;
    policies
        .remove(policy)
        .ok_or_else(|| no_such(kind, policy))?;
    pending.remove(policy);
    Ok(Shape::new())
}

/// `ListXPolicies`, paginated.
pub(super) fn list(input: &Input, policies: &BTreeMap<String, String>) -> Result<Shape, ApiError> {
    let names = policies
        .keys()
        .map(|name| Value::Text(name.clone()))
        .collect();
    let (names, next) = page(input, names)?;
    Ok(with_marker(Shape::new().list("PolicyNames", names), next))
}
