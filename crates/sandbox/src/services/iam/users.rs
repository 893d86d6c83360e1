//! IAM users, their tags and inline policies (access keys are in `keys`).

use super::{documents, inline};

use super::{account, account_mut, check_name, check_path, page, with_marker};
use crate::auth::Caller;
use crate::ids;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::User;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateUser",
        mutates: true,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:CreateUser",
                user_arn(
                    &caller.account,
                    &check_path(input)?,
                    input.required("UserName")?,
                ),
            )])
        },
        run: create_user,
    },
    Operation {
        name: "GetUser",
        mutates: false,
        checks: |input, world, caller| match input.get("UserName") {
            Some(_) => user_check("iam:GetUser", input, world, caller),
            None => Ok(vec![Check::new(
                "iam:GetUser",
                caller.principal.arn.clone(),
            )]),
        },
        run: get_user,
    },
    Operation {
        name: "ListUsers",
        mutates: false,
        checks: |input, _, caller| {
            Ok(vec![Check::new(
                "iam:ListUsers",
                super::listed("user", input, caller),
            )])
        },
        run: list_users,
    },
    Operation {
        name: "DeleteUser",
        mutates: true,
        checks: |input, world, caller| user_check("iam:DeleteUser", input, world, caller),
        run: delete_user,
    },
    Operation {
        name: "TagUser",
        mutates: true,
        checks: |input, world, caller| user_check("iam:TagUser", input, world, caller),
        run: tag_user,
    },
    Operation {
        name: "ListUserTags",
        mutates: false,
        checks: |input, world, caller| user_check("iam:ListUserTags", input, world, caller),
        run: list_user_tags,
    },
    Operation {
        name: "PutUserPolicy",
        mutates: true,
        checks: |input, world, caller| user_check("iam:PutUserPolicy", input, world, caller),
        run: put_user_policy,
    },
    Operation {
        name: "GetUserPolicy",
        mutates: false,
        checks: |input, world, caller| user_check("iam:GetUserPolicy", input, world, caller),
        run: get_user_policy,
    },
    Operation {
        name: "DeleteUserPolicy",
        mutates: true,
        checks: |input, world, caller| user_check("iam:DeleteUserPolicy", input, world, caller),
        run: delete_user_policy,
    },
    Operation {
        name: "ListUserPolicies",
        mutates: false,
        checks: |input, world, caller| user_check("iam:ListUserPolicies", input, world, caller),
        run: list_user_policies,
    },
];

pub(super) fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

pub(super) fn user_check(
    action: &str,
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    let name = input.required("UserName")?;
    let path = account(world, caller)?
        .users
        .get(&name.to_ascii_lowercase())
        .map_or("/", |user| user.path.as_str());
    Ok(vec![Check::new(
        action,
        user_arn(&caller.account, path, name),
    )])
}

/// Access key operations act on the caller when `UserName` is absent.
pub(super) fn no_such_user(name: &str) -> ApiError {
    ApiError::no_such_entity(format!("The user with name {name} cannot be found."))
}

/// The user named by `UserName`, or the calling user.
pub(super) fn target_name(input: &Input, caller: &Caller) -> Result<String, ApiError> {
    match input.get("UserName") {
        Some(name) => Ok(name.to_ascii_lowercase()),
        None => caller.user.clone().ok_or_else(|| {
            ApiError::validation("Must specify userName when calling with non-User credentials")
        }),
    }
}

pub(super) fn user_shape(user: &User) -> Shape {
    let shape = Shape::new()
        .text("Path", &user.path)
        .text("UserName", &user.name)
        .text("UserId", &user.id)
        .text("Arn", &user.arn)
        .text("CreateDate", timestamp(user.created));
    let shape = match &user.permissions_boundary {
        Some(arn) => shape.child(
            "PermissionsBoundary",
            Shape::new()
                .text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", arn),
        ),
        None => shape,
    };
    if user.tags.is_empty() {
        shape
    } else {
        shape.list("Tags", tag_list(&user.tags))
    }
}

fn create_user(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = check_name(input, "UserName", 64)?;
    let path = check_path(input)?;
    let tags = input.pairs("Tags", "Key", "Value");
    let now = world.now();
    let account = account_mut(world, caller)?;
    if account.users.contains_key(&name.to_ascii_lowercase()) {
        return Err(ApiError::already_exists(format!(
            "User with name {name} already exists."
        )));
    }
    let user = User {
        arn: user_arn(&account.id, &path, &name),
        name: name.clone(),
        path,
        id: ids::unique_id("AIDA"),
        created: now,
        tags,
        permissions_boundary: input.get("PermissionsBoundary").map(str::to_owned),
        ..User::default()
    };
    let shape = Shape::new().child("User", user_shape(&user));
    account.users.insert(name.to_ascii_lowercase(), user);
    Ok(shape)
}

fn get_user(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = target_name(input, caller)?;
    let user = account(world, caller)?
        .users
        .get(&name)
        .ok_or_else(|| no_such_user(input.get("UserName").unwrap_or(&name)))?;
    Ok(Shape::new().child("User", user_shape(user)))
}

fn list_users(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let prefix = input.get("PathPrefix").unwrap_or("/");
    let users: Vec<Value> = account(world, caller)?
        .users
        .values()
        .filter(|user| user.path.starts_with(prefix))
        .map(|user| Value::Struct(user_shape(user)))
        .collect();
    let (users, next) = page(input, users)?;
    Ok(with_marker(Shape::new().list("Users", users), next))
}

fn delete_user(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let name = raw.to_ascii_lowercase();
    let account = account_mut(world, caller)?;
    let user = account.users.get(&name).ok_or_else(|| no_such_user(raw))?;
    let conflict = if !user.access_keys.is_empty() {
        Some("access keys")
    } else if !user.inline_policies.is_empty() {
        Some("policies")
    } else if user.login_profile.is_some() {
        Some("login profile")
    } else if account
        .groups
        .values()
        .any(|group| group.members.contains(&name))
    {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    } else if !user.attached.is_empty() {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    } else if account
        .mfa_devices
        .values()
        .any(|device| device.user.as_deref() == Some(name.as_str()))
    {
        return Err(ApiError::delete_conflict(
            "Cannot delete entity, must remove MFA device first.",
        ));
    } else {
        None
    };
    if let Some(what) = conflict {
        return Err(ApiError::delete_conflict(format!(
            "Cannot delete entity, must delete {what} first."
        )));
    }
    if account.operator == name {
        return Err(ApiError::delete_conflict(
            "The sandbox operator cannot be deleted.",
        ));
    }
    account.users.remove(&name);
    Ok(Shape::new())
}

fn tag_user(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let tags = input.pairs("Tags", "Key", "Value");
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    for (key, value) in tags {
        user.tags.retain(|(existing, _)| *existing != key);
        user.tags.push((key, value));
    }
    Ok(Shape::new())
}

fn list_user_tags(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account(world, caller)?
        .users
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    Ok(Shape::new()
        .list("Tags", tag_list(&user.tags))
        .text("IsTruncated", false))
}

fn put_user_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let checked = inline::checked(input, world, &documents::USER_INLINE)?;
    let times = inline::times(world);
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    documents::fits_inline(
        &documents::USER_INLINE,
        &user.inline_policies,
        &checked,
        &user.name,
    )?;
    inline::put(
        &mut user.inline_policies,
        &mut user.pending_inline,
        checked,
        times,
    );
    Ok(Shape::new())
}

fn get_user_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account(world, caller)?
        .users
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    inline::get(input, "user", "UserName", &user.name, &user.inline_policies)
}

fn delete_user_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    inline::delete(
        input,
        "user",
        &mut user.inline_policies,
        &mut user.pending_inline,
    )
}

fn list_user_policies(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account(world, caller)?
        .users
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    inline::list(input, &user.inline_policies)
}
