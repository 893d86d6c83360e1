//! Attaching managed policies to users and roles, and listing what is attached.

use std::collections::BTreeMap;

use super::policies::no_such_policy;
use super::roles::role_check;
use super::users::user_check;
use super::{account, account_mut, page, with_marker};
use crate::auth::Caller;
use crate::services::IamError;
use crate::services::managed::find as find_aws;
use crate::services::{ApiError, Input, Operation, Shape, Value};
use crate::state::World;
use crate::state::world::Account;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "AttachUserPolicy",
        mutates: true,
        checks: |input, world, caller| user_check("iam:AttachUserPolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, Entity::User, true),
    },
    Operation {
        name: "DetachUserPolicy",
        mutates: true,
        checks: |input, world, caller| user_check("iam:DetachUserPolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, Entity::User, false),
    },
    Operation {
        name: "ListAttachedUserPolicies",
        mutates: false,
        checks: |input, world, caller| {
            user_check("iam:ListAttachedUserPolicies", input, world, caller)
        },
        run: |input, world, caller| list_attached(input, world, caller, Entity::User),
    },
    Operation {
        name: "AttachRolePolicy",
        mutates: true,
        checks: |input, world, caller| role_check("iam:AttachRolePolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, Entity::Role, true),
    },
    Operation {
        name: "DetachRolePolicy",
        mutates: true,
        checks: |input, world, caller| role_check("iam:DetachRolePolicy", input, world, caller),
        run: |input, world, caller| attach(input, world, caller, Entity::Role, false),
    },
    Operation {
        name: "ListAttachedRolePolicies",
        mutates: false,
        checks: |input, world, caller| {
            role_check("iam:ListAttachedRolePolicies", input, world, caller)
        },
        run: |input, world, caller| list_attached(input, world, caller, Entity::Role),
    },
];

#[derive(Clone, Copy)]
enum Entity {
    User,
    Role,
}

type Attached<'a> = (&'a mut Vec<String>, &'a mut BTreeMap<String, i64>);

/// The entity's attached ARNs and their pending attachments.
fn attached_list<'a>(
    account: &'a mut Account,
    input: &Input,
    entity: Entity,
) -> Result<Attached<'a>, ApiError> {
    match entity {
        Entity::User => {
            let raw = input.required("UserName")?;
            account
                .users
                .get_mut(&raw.to_ascii_lowercase())
                .map(|user| (&mut user.attached, &mut user.pending_attached))
                .ok_or_else(|| {
                    ApiError::no_such_entity(format!("The user with name {raw} cannot be found."))
                })
        }
        Entity::Role => {
            let raw = input.required("RoleName")?;
            account
                .roles
                .get_mut(&raw.to_ascii_lowercase())
                .map(|role| (&mut role.attached, &mut role.pending_attached))
                .ok_or_else(|| {
                    ApiError::no_such_entity(format!("The role with name {raw} cannot be found."))
                })
        }
    }
}

fn attach(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    entity: Entity,
    attach: bool,
) -> Result<Shape, ApiError> {
    let arn = input.required("PolicyArn")?.to_owned();
    let times = super::inline::times(world);
    let account = account_mut(world, caller)?;
    if attach && !account.policies.contains_key(&arn) && find_aws(&arn).is_none() {
        return Err(no_such_policy(&arn));
    }
    let (attached, pending) = attached_list(account, input, entity)?;
    if attach {
        if !attached.contains(&arn) {
            if attached.len() >= 10 {
                return Err(ApiError::of(
                    IamError::LimitExceeded,
                    "Cannot exceed quota for PoliciesPerUser: 10",
                ));
            }
            super::inline::attach(pending, &arn, times);
            attached.push(arn);
        }
    } else if attached.contains(&arn) {
        attached.retain(|existing| *existing != arn);
        pending.remove(&arn);
    } else {
        return Err(ApiError::no_such_entity(format!(
            "Policy {arn} was not found."
        )));
    }
    Ok(Shape::new())
}

fn list_attached(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    entity: Entity,
) -> Result<Shape, ApiError> {
    let mut account = account(world, caller)?.clone();
    let attached = attached_list(&mut account, input, entity)?.0.clone();
    let items = attached
        .iter()
        .map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            Value::Struct(Shape::new().text("PolicyName", name).text("PolicyArn", arn))
        })
        .collect();
    let (items, next) = page(input, items)?;
    Ok(with_marker(
        Shape::new().list("AttachedPolicies", items),
        next,
    ))
}
