//! Inline policies, the same for users, groups and roles: `PutXPolicy`, `GetXPolicy`,
//! `DeleteXPolicy` and `ListXPolicies` work on the entity's map of policy name to
//! document; only the entity's word (`user`) and name member (`UserName`) differ.

use std::collections::BTreeMap;

use awslab_policy::PolicyKind;

use super::{check_document, check_name, encoded, page, with_marker};
use crate::services::{ApiError, Input, Shape, Value};
use crate::state::World;

/// The policy name and document of a Put call, checked as IAM checks them.
pub(super) fn checked(input: &Input, world: &World) -> Result<(String, String), ApiError> {
    let policy = check_name(input, "PolicyName", 128)?;
    let document = input.required("PolicyDocument")?;
    check_document(world, document, PolicyKind::Identity)?;
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

/// `DeleteXPolicy`.
pub(super) fn delete(
    input: &Input,
    kind: &str,
    policies: &mut BTreeMap<String, String>,
) -> Result<Shape, ApiError> {
    let policy = input.required("PolicyName")?;
    policies
        .remove(policy)
        .ok_or_else(|| no_such(kind, policy))?;
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
