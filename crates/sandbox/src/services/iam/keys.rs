//! Access keys of IAM users: at most two a user, active or inactive.

use super::users::{no_such_user, target_name, user_check};
use super::{account, account_mut};
use crate::auth::Caller;
use crate::ids;
use crate::services::IamError;
use crate::services::{ApiError, Check, Input, Operation, Shape, Value, timestamp};
use crate::state::World;
use crate::state::world::AccessKey;

pub(super) const OPERATIONS: &[Operation] = &[
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
];

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

fn create_access_key(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let name = target_name(input, caller)?;
    let now = world.now();
    let effective_at_ms = world.effective_at_ms();
    let account_id = caller.account.clone();
    let user = account_mut(world, caller)?
        .users
        .get_mut(&name)
        .ok_or_else(|| no_such_user(input.get("UserName").unwrap_or(&name)))?;
    if user.access_keys.len() >= 2 {
        return Err(ApiError::of(
            IamError::LimitExceeded,
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
        effective_at_ms,
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
    // Reactivating a key propagates like a new key; deactivating takes effect at once.
    let effective_at_ms = world.effective_at_ms();
    if let Some(key) = world.access_keys.get_mut(&id) {
        if active && !key.active {
            key.effective_at_ms = effective_at_ms;
        }
        key.active = active;
    }
    Ok(Shape::new())
}
