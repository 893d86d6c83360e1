//! What `AWS::IAM::User`, `AWS::IAM::Role` and `AWS::IAM::Group` share: made with their
//! inline policies (`Policies`), managed policies (`ManagedPolicyArns`) and, for a
//! user, groups; updated in place by difference; undone in reverse.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, gone, invalid, strings, text};
use crate::services::iam::calls::{self, Entity, NewEntity};
use crate::state::World;

fn name_property(entity: Entity) -> (&'static str, usize) {
    match entity {
        Entity::User => ("UserName", 64),
        Entity::Role => ("RoleName", 64),
        Entity::Group => ("GroupName", 128),
    }
}

#[expect(clippy::result_large_err, reason = "made once per resource, never hot")]
pub(super) fn create(
    entity: Entity,
    actor: &mut Actor<'_, '_>,
    world: &mut World,
    logical: &str,
    properties: &Value,
) -> Result<Made, (Option<Made>, ApiError)> {
    let property = |name: &str| properties.get(name).and_then(text);
    let (name_property, max) = name_property(entity);
    let name = property(name_property).unwrap_or_else(|| actor.generated_name(logical, max, false));
    let bounded = entity.bounded().is_some();
    let tags = if bounded {
        actor.tag_pairs(properties.get("Tags"))
    } else {
        Vec::new()
    };
    let trust = if entity == Entity::Role {
        Some(property("AssumeRolePolicyDocument").ok_or_else(|| {
            (
                None,
                invalid("Property AssumeRolePolicyDocument cannot be empty."),
            )
        })?)
    } else {
        None
    };
    let (path, boundary) = (property("Path"), property("PermissionsBoundary"));
    let (description, duration) = (property("Description"), property("MaxSessionDuration"));
    let role = entity == Entity::Role;
    let new = NewEntity {
        name: &name,
        path: path.as_deref(),
        boundary: boundary.as_deref().filter(|_| bounded),
        tags: &tags,
        trust: trust.as_deref(),
        description: description.as_deref().filter(|_| role),
        max_session_duration: duration.as_deref().filter(|_| role),
    };
    actor
        .iam(world, calls::create(entity, &new))
        .map_err(|error| (None, error))?;
    let made = made(world, actor, entity, &name);
    let partial = |error| (Some(made.clone()), error);
    if entity == Entity::User {
        for group in strings(properties.get("Groups")) {
            actor
                .iam(world, calls::add_user_to_group(&name, &group))
                .map_err(partial)?;
        }
    }
    for arn in strings(properties.get("ManagedPolicyArns")) {
        actor
            .iam(world, calls::attach_policy(entity, &name, &arn))
            .map_err(partial)?;
    }
    for (policy, document) in named_policies(properties) {
        actor
            .iam(
                world,
                calls::put_inline_policy(entity, &name, &policy, &document),
            )
            .map_err(partial)?;
    }
    Ok(made)
}

/// `Ref` is the name; `Arn` (and a role's `RoleId`) from IAM.
fn made(world: &World, actor: &Actor<'_, '_>, entity: Entity, name: &str) -> Made {
    let account = world.account(&actor.caller.account);
    let key = name.to_ascii_lowercase();
    let mut attributes = BTreeMap::new();
    match entity {
        Entity::User => {
            if let Some(user) = account.and_then(|found| found.users.get(&key)) {
                attributes.insert("Arn".to_owned(), user.arn.clone());
            }
        }
        Entity::Role => {
            if let Some(role) = account.and_then(|found| found.roles.get(&key)) {
                attributes.insert("Arn".to_owned(), role.arn.clone());
                attributes.insert("RoleId".to_owned(), role.id.clone());
            }
        }
        Entity::Group => {
            if let Some(group) = account.and_then(|found| found.groups.get(&key)) {
                attributes.insert("Arn".to_owned(), group.arn.clone());
            }
        }
    }
    Made {
        physical: name.to_owned(),
        reference: None,
        attributes,
    }
}

pub(super) fn delete(
    entity: Entity,
    actor: &mut Actor<'_, '_>,
    world: &mut World,
    made: &Made,
    properties: &Value,
) -> Result<(), ApiError> {
    let name = made.physical.as_str();
    for (policy, _) in named_policies(properties) {
        gone(actor.iam(world, calls::delete_inline_policy(entity, name, &policy)))?;
    }
    for arn in strings(properties.get("ManagedPolicyArns")) {
        gone(actor.iam(world, calls::detach_policy(entity, name, &arn)))?;
    }
    if entity == Entity::User {
        for group in strings(properties.get("Groups")) {
            gone(actor.iam(world, calls::remove_user_from_group(name, &group)))?;
        }
    }
    gone(actor.iam(world, calls::delete(entity, name)))
}

/// In place: a role's trust, description and session duration; a user's or role's
/// boundary ("No interruption" in both types' reference) and tags; everyone's inline
/// and managed policies; a user's groups.
pub(super) fn update(
    entity: Entity,
    actor: &mut Actor<'_, '_>,
    world: &mut World,
    made: &Made,
    old: &Value,
    new: &Value,
) -> Result<Made, ApiError> {
    let name = made.physical.as_str();
    let changed = |property: &str| old.get(property) != new.get(property);
    if entity == Entity::Role {
        if changed("AssumeRolePolicyDocument") {
            let document = new
                .get("AssumeRolePolicyDocument")
                .and_then(text)
                .unwrap_or_default();
            actor.iam(world, calls::update_trust(name, &document))?;
        }
        if changed("Description") || changed("MaxSessionDuration") {
            let description = new.get("Description").and_then(text);
            let duration = new
                .get("MaxSessionDuration")
                .and_then(text)
                .unwrap_or_else(|| "3600".to_owned());
            actor.iam(
                world,
                calls::update_role(name, description.as_deref(), &duration),
            )?;
        }
    }
    if let Some(bounded) = entity.bounded() {
        if changed("PermissionsBoundary") {
            let boundary = new.get("PermissionsBoundary").and_then(text);
            actor.iam(world, calls::boundary(bounded, name, boundary.as_deref()))?;
        }
        if changed("Tags") {
            let tags = actor.tag_pairs(new.get("Tags"));
            actor.iam(world, calls::tag(bounded, name, &tags))?;
        }
    }
    let (before, after) = (named_policies(old), named_policies(new));
    for (policy, document) in &after {
        if !before.contains(&(policy.clone(), document.clone())) {
            actor.iam(
                world,
                calls::put_inline_policy(entity, name, policy, document),
            )?;
        }
    }
    for (policy, _) in &before {
        if !after.iter().any(|(kept, _)| kept == policy) {
            actor.iam(world, calls::delete_inline_policy(entity, name, policy))?;
        }
    }
    let (before, after) = (
        set(strings(old.get("ManagedPolicyArns"))),
        set(strings(new.get("ManagedPolicyArns"))),
    );
    for arn in after.difference(&before) {
        actor.iam(world, calls::attach_policy(entity, name, arn))?;
    }
    for arn in before.difference(&after) {
        actor.iam(world, calls::detach_policy(entity, name, arn))?;
    }
    if entity == Entity::User {
        let (before, after) = (
            set(strings(old.get("Groups"))),
            set(strings(new.get("Groups"))),
        );
        for group in after.difference(&before) {
            actor.iam(world, calls::add_user_to_group(name, group))?;
        }
        for group in before.difference(&after) {
            actor.iam(world, calls::remove_user_from_group(name, group))?;
        }
    }
    Ok(made.clone())
}

/// The `Policies` property: `(PolicyName, PolicyDocument)`.
fn named_policies(properties: &Value) -> Vec<(String, String)> {
    match properties.get("Policies") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                (
                    item.get("PolicyName").and_then(text).unwrap_or_default(),
                    item.get("PolicyDocument")
                        .and_then(text)
                        .unwrap_or_default(),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn set(values: Vec<String>) -> BTreeSet<String> {
    values.into_iter().collect()
}
