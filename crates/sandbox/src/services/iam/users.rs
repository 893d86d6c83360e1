//! IAM users, their access keys and inline policies.

use awslab_policy::PolicyKind;

use super::{
    account, account_mut, check_document, check_name, check_path, encoded, page, with_marker,
};
use crate::auth::Caller;
use crate::ids;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, tag_list, timestamp};
use crate::state::World;
use crate::state::world::{AccessKey, User};

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
        checks: |_, _, _| Ok(vec![Check::new("iam:ListUsers", "*")]),
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
        name: "CreateAccessKey",
        mutates: true,
        checks: |input, world, caller| key_owner_check("iam:CreateAccessKey", input, world, caller),
        run: create_access_key,
    },
    Operation {
        name: "ListAccessKeys",
        mutates: false,
        checks: |input, world, caller| key_owner_check("iam:ListAccessKeys", input, world, caller),
        run: list_access_keys,
    },
    Operation {
        name: "DeleteAccessKey",
        mutates: true,
        checks: |input, world, caller| key_owner_check("iam:DeleteAccessKey", input, world, caller),
        run: delete_access_key,
    },
    Operation {
        name: "UpdateAccessKey",
        mutates: true,
        checks: |input, world, caller| key_owner_check("iam:UpdateAccessKey", input, world, caller),
        run: update_access_key,
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

fn user_check(
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
fn key_owner_check(
    action: &str,
    input: &Input,
    world: &World,
    caller: &Caller,
) -> Result<Vec<Check>, ApiError> {
    if input.get("UserName").is_some() {
        user_check(action, input, world, caller)
    } else {
        Ok(vec![Check::new(action, caller.principal.arn.clone())])
    }
}

fn no_such_user(name: &str) -> ApiError {
    ApiError::no_such_entity(format!("The user with name {name} cannot be found."))
}

/// The user named by `UserName`, or the calling user.
fn target_name(input: &Input, caller: &Caller) -> Result<String, ApiError> {
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

fn create_access_key(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = target_name(input, caller)?;
    let now = world.now();
    let account_id = caller.account.clone();
    let user = account_mut(world, caller)?
        .users
        .get_mut(&name)
        .ok_or_else(|| no_such_user(input.get("UserName").unwrap_or(&name)))?;
    if user.access_keys.len() >= 2 {
        return Err(ApiError::new(
            409,
            "LimitExceeded",
            "Cannot exceed quota for AccessKeysPerUser: 2",
        ));
    }
    let key = AccessKey {
        id: ids::long_term_key_id(),
        secret: ids::secret(),
        account: account_id,
        user: name,
        active: true,
        created: now,
    };
    user.access_keys.push(key.id.clone());
    let shape = Shape::new().child(
        "AccessKey",
        Shape::new()
            .text("UserName", &user.name)
            .text("AccessKeyId", &key.id)
            .text("Status", "Active")
            .text("SecretAccessKey", &key.secret)
            .text("CreateDate", timestamp(now)),
    );
    world.access_keys.insert(key.id.clone(), key);
    Ok(shape)
}

fn list_access_keys(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = target_name(input, caller)?;
    let user = account(world, caller)?
        .users
        .get(&name)
        .ok_or_else(|| no_such_user(input.get("UserName").unwrap_or(&name)))?;
    let keys: Vec<Value> = user
        .access_keys
        .iter()
        .filter_map(|id| world.access_keys.get(id))
        .map(|key| {
            Value::Struct(
                Shape::new()
                    .text("UserName", &user.name)
                    .text("AccessKeyId", &key.id)
                    .text("Status", if key.active { "Active" } else { "Inactive" })
                    .text("CreateDate", timestamp(key.created)),
            )
        })
        .collect();
    Ok(Shape::new()
        .list("AccessKeyMetadata", keys)
        .text("IsTruncated", false))
}

fn owned_key<'w>(
    world: &'w World,
    input: &Input,
    caller: &Caller,
) -> Result<&'w AccessKey, ApiError> {
    let name = target_name(input, caller)?;
    let id = input.required("AccessKeyId")?;
    world
        .access_keys
        .get(id)
        .filter(|key| key.account == caller.account && key.user == name)
        .ok_or_else(|| {
            ApiError::no_such_entity(format!("The Access Key with id {id} cannot be found."))
        })
}

fn delete_access_key(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let key = owned_key(world, input, caller)?.clone();
    if let Some(user) = account_mut(world, caller)?.users.get_mut(&key.user) {
        user.access_keys.retain(|id| *id != key.id);
    }
    world.access_keys.remove(&key.id);
    Ok(Shape::new())
}

fn update_access_key(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let active = match input.required("Status")? {
        "Active" => true,
        "Inactive" => false,
        other => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
            )));
        }
    };
    let id = owned_key(world, input, caller)?.id.clone();
    if let Some(key) = world.access_keys.get_mut(&id) {
        key.active = active;
    }
    Ok(Shape::new())
}

fn put_user_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let policy = check_name(input, "PolicyName", 128)?;
    let document = input.required("PolicyDocument")?;
    check_document(world, document, PolicyKind::Identity)?;
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    user.inline_policies.insert(policy, document.to_owned());
    Ok(Shape::new())
}

fn get_user_policy(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let policy = input.required("PolicyName")?;
    let user = account(world, caller)?
        .users
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    let document = user.inline_policies.get(policy).ok_or_else(|| {
        ApiError::no_such_entity(format!(
            "The user policy with name {policy} cannot be found."
        ))
    })?;
    Ok(Shape::new()
        .text("UserName", &user.name)
        .text("PolicyName", policy)
        .text("PolicyDocument", encoded(document)))
}

fn delete_user_policy(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let policy = input.required("PolicyName")?;
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    if user.inline_policies.remove(policy).is_none() {
        return Err(ApiError::no_such_entity(format!(
            "The user policy with name {policy} cannot be found."
        )));
    }
    Ok(Shape::new())
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
    let names = user
        .inline_policies
        .keys()
        .map(|name| Value::Text(name.clone()))
        .collect();
    let (names, next) = page(input, names)?;
    Ok(with_marker(Shape::new().list("PolicyNames", names), next))
}
