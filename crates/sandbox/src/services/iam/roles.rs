//! IAM roles: trust policies, maximum session duration, inline policies, updates.

use super::inline;

use super::documents;
use super::{account, account_mut, check_name, check_path, encoded, page, with_marker};
use crate::auth::Caller;
use crate::ids;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::{Pending, Role};

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateRole",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:CreateRole",
                role_arn(
                    &caller.account,
                    &check_path(input)?,
                    input.required("RoleName")?,
                ),
            )])
        },
        run: create_role,
    },
    Operation {
        name: "GetRole",
        mutates: false,
        checks: |input, world, caller| role_check("iam:GetRole", input, world, caller),
        run: get_role,
    },
    Operation {
        name: "ListRoles",
        mutates: false,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:ListRoles",
                super::listed("role", input, caller),
            )])
        },
        run: list_roles,
    },
    Operation {
        name: "DeleteRole",
        mutates: true,
        checks: |input, world, caller| role_check("iam:DeleteRole", input, world, caller),
        run: delete_role,
    },
    Operation {
        name: "UpdateRole",
        mutates: true,
        checks: |input, world, caller| role_check("iam:UpdateRole", input, world, caller),
        run: update_role,
    },
    Operation {
        name: "UpdateAssumeRolePolicy",
        mutates: true,
        checks: |input, world, caller| {
            role_check("iam:UpdateAssumeRolePolicy", input, world, caller)
        },
        run: update_assume_role_policy,
    },
    Operation {
        name: "TagRole",
        mutates: true,
        checks: |input, world, caller| role_check("iam:TagRole", input, world, caller),
        run: tag_role,
    },
    Operation {
        name: "PutRolePolicy",
        mutates: true,
        checks: |input, world, caller| role_check("iam:PutRolePolicy", input, world, caller),
        run: put_role_policy,
    },
    Operation {
        name: "GetRolePolicy",
        mutates: false,
        checks: |input, world, caller| role_check("iam:GetRolePolicy", input, world, caller),
        run: get_role_policy,
    },
    Operation {
        name: "DeleteRolePolicy",
        mutates: true,
        checks: |input, world, caller| role_check("iam:DeleteRolePolicy", input, world, caller),
        run: delete_role_policy,
    },
    Operation {
        name: "ListRolePolicies",
        mutates: false,
        checks: |input, world, caller| role_check("iam:ListRolePolicies", input, world, caller),
        run: list_role_policies,
    },
    Operation {
        name: "ListRoleTags",
        mutates: false,
        checks: |input, world, caller| role_check("iam:ListRoleTags", input, world, caller),
        run: list_role_tags,
    },
    Operation {
        name: "ListInstanceProfilesForRole",
        mutates: false,
        checks: |input, world, caller| {
            role_check("iam:ListInstanceProfilesForRole", input, world, caller)
        },
        run: list_instance_profiles_for_role,
    },
    Operation {
        name: "RemoveRoleFromInstanceProfile",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:RemoveRoleFromInstanceProfile",
                format!(
                    "arn:aws:iam::{}:instance-profile/{}",
                    caller.account,
                    input.required("InstanceProfileName")?
                ),
            )])
        },
        run: remove_role_from_instance_profile,
    },
];

pub(crate) fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

pub(super) fn role_check(
    action: &str,
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    let name = input.required("RoleName")?;
    let path = account(world, caller)?
        .roles
        .get(&name.to_ascii_lowercase())
        .map_or("/", |role| role.path.as_str());
    Ok(vec![Check::new(
        action,
        role_arn(&caller.account, path, name),
    )])
}

fn no_such_role(name: &str) -> ApiError {
    ApiError::no_such_entity(format!("The role with name {name} cannot be found."))
}

fn role_shape(role: &Role) -> Shape {
    let shape = Shape::new()
        .text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.id)
        .text("Arn", &role.arn)
        .text("CreateDate", timestamp(role.created))
        .text("AssumeRolePolicyDocument", encoded(&role.trust_policy))
        .maybe("Description", role.description.as_ref())
        .text("MaxSessionDuration", role.max_session_duration);
    let shape = match &role.permissions_boundary {
        Some(arn) => shape.child(
            "PermissionsBoundary",
            Shape::new()
                .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", arn),
        ),
        None => shape,
    };
    if role.tags.is_empty() {
        shape
    } else {
        shape.list("Tags", tag_list(&role.tags))
    }
}

fn max_session_duration(input: &Input) -> Result<Option<i64>, ApiError> {
    let value = input.integer("MaxSessionDuration")?;
    if let Some(seconds) = value
        && !(3600..=43200).contains(&seconds)
    {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value {} to {}",
            if seconds < 3600 {
                "greater than or equal"
            } else {
                "less than or equal"
            },
            if seconds < 3600 { 3600 } else { 43200 }
        )));
    }
    Ok(value)
}

fn create_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = check_name(input, "RoleName", 64)?;
    let path = check_path(input)?;
    input.required("AssumeRolePolicyDocument")?;
    let max = max_session_duration(input)?.unwrap_or(3600);
    let trust = documents::checked(world, input, &documents::NEW_TRUST)?.to_owned();
    let now = world.now();
    let (now_ms, effective_at_ms) = inline::times(world);
    let account = account_mut(world, caller)?;
    if account.roles.contains_key(&name.to_ascii_lowercase()) {
        return Err(ApiError::already_exists(format!(
            "Role with name {name} already exists."
        )));
    }
    let role = Role {
        arn: role_arn(&account.id, &path, &name),
        name: name.clone(),
        path,
        id: ids::unique_id("AROA"),
        created: now,
        trust_policy: trust,
        max_session_duration: max,
        description: input.get("Description").map(str::to_owned),
        tags: input.pairs("Tags", "Key", "Value"),
        permissions_boundary: input.get("PermissionsBoundary").map(str::to_owned),
        // A new role cannot be assumed until it has propagated.
        trust_pending: Pending::after(None, None, now_ms, effective_at_ms),
        ..Role::default()
    };
    let shape = Shape::new().child("Role", role_shape(&role));
    account.roles.insert(name.to_ascii_lowercase(), role);
    Ok(shape)
}

fn find<'w>(world: &'w World, input: &Input, caller: &Caller) -> Result<&'w Role, ApiError> {
    let raw = input.required("RoleName")?;
    account(world, caller)?
        .roles
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_role(raw))
}

fn find_mut<'w>(
    world: &'w mut World,
    input: &Input,
    caller: &Caller,
) -> Result<&'w mut Role, ApiError> {
    let raw = input.required("RoleName")?;
    account_mut(world, caller)?
        .roles
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_role(raw))
}

fn get_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    Ok(Shape::new().child("Role", role_shape(find(world, input, caller)?)))
}

fn list_roles(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let prefix = input.get("PathPrefix").unwrap_or("/");
    let roles: Vec<Value> = account(world, caller)?
        .roles
        .values()
        .filter(|role| role.path.starts_with(prefix))
        .map(|role| Value::Struct(role_shape(role)))
        .collect();
    let (roles, next) = page(input, roles)?;
    Ok(with_marker(Shape::new().list("Roles", roles), next))
}

fn delete_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let role = find(world, input, caller)?;
    if !role.inline_policies.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !role.attached.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    let key = role.name.to_ascii_lowercase();
    account_mut(world, caller)?.roles.remove(&key);
    Ok(Shape::new())
}

fn update_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let max = max_session_duration(input)?;
    let role = find_mut(world, input, caller)?;
    if let Some(max) = max {
        role.max_session_duration = max;
    }
    if let Some(description) = input.get("Description") {
        role.description = Some(description.to_owned());
    }
    Ok(Shape::new())
}

fn update_assume_role_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let document = documents::checked(world, input, &documents::TRUST)?;
    let (now_ms, effective_at_ms) = inline::times(world);
    let role = find_mut(world, input, caller)?;
    // Under a propagation delay, AssumeRole keeps the previous trust policy until then.
    role.trust_pending = Pending::after(
        Some(&role.trust_policy),
        role.trust_pending.as_ref(),
        now_ms,
        effective_at_ms,
    );
    document.clone_into(&mut role.trust_policy);
    Ok(Shape::new())
}

fn tag_role(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let tags = input.pairs("Tags", "Key", "Value");
    let role = find_mut(world, input, caller)?;
    for (key, value) in tags {
        role.tags.retain(|(existing, _)| *existing != key);
        role.tags.push((key, value));
    }
    Ok(Shape::new())
}

fn put_role_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let checked = inline::checked(input, world, &documents::ROLE_INLINE)?;
    let times = inline::times(world);
    let role = find_mut(world, input, caller)?;
    documents::fits_inline(
        &documents::ROLE_INLINE,
        &role.inline_policies,
        &checked,
        &role.name,
    )?;
    inline::put(
        &mut role.inline_policies,
        &mut role.pending_inline,
        checked,
        times,
    );
    Ok(Shape::new())
}

fn get_role_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let role = find(world, input, caller)?;
    inline::get(input, "role", "RoleName", &role.name, &role.inline_policies)
}

fn delete_role_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let role = find_mut(world, input, caller)?;
    inline::delete(
        input,
        "role",
        &mut role.inline_policies,
        &mut role.pending_inline,
    )
}

fn list_role_policies(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    inline::list(input, &find(world, input, caller)?.inline_policies)
}

fn list_role_tags(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let role = find(world, input, caller)?;
    Ok(Shape::new()
        .list("Tags", tag_list(&role.tags))
        .text("IsTruncated", false))
}

/// The sandbox has no instance profiles: a role is in none.
fn list_instance_profiles_for_role(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    find(world, input, caller)?;
    Ok(Shape::new()
        .list("InstanceProfiles", Vec::new())
        .text("IsTruncated", false))
}

fn remove_role_from_instance_profile(
    input: &Input,
    _: &mut World,
    _: &Caller,
) -> Result<Shape, ApiError> {
    let name = input.get("InstanceProfileName").unwrap_or_default();
    Err(ApiError::no_such_entity(format!(
        "Instance Profile {name} cannot be found."
    )))
}
