//! Login profiles (console passwords) and permissions boundaries of users and roles.
//! The password is checked for length and never kept.

use super::roles::role_check;
use super::users::{no_such_user, user_check};
use super::{account, account_mut};
use crate::auth::Caller;
use crate::services::IamError;
use crate::services::{ApiError, Input, Operation, Shape, timestamp};
use crate::state::World;

pub(super) const OPERATIONS: &[Operation] = &[
    Operation {
        name: "CreateLoginProfile",
        mutates: true,
        checks: |input, world, caller| user_check("iam:CreateLoginProfile", input, world, caller),
        run: create_login_profile,
    },
    Operation {
        name: "GetLoginProfile",
        mutates: false,
        checks: |input, world, caller| user_check("iam:GetLoginProfile", input, world, caller),
        run: get_login_profile,
    },
    Operation {
        name: "DeleteLoginProfile",
        mutates: true,
        checks: |input, world, caller| user_check("iam:DeleteLoginProfile", input, world, caller),
        run: delete_login_profile,
    },
    Operation {
        name: "PutUserPermissionsBoundary",
        mutates: true,
        checks: |input, world, caller| {
            user_check("iam:PutUserPermissionsBoundary", input, world, caller)
        },
        run: |input, world, caller| user_boundary(input, world, caller, true),
    },
    Operation {
        name: "DeleteUserPermissionsBoundary",
        mutates: true,
        checks: |input, world, caller| {
            user_check("iam:DeleteUserPermissionsBoundary", input, world, caller)
        },
        run: |input, world, caller| user_boundary(input, world, caller, false),
    },
    Operation {
        name: "PutRolePermissionsBoundary",
        mutates: true,
        checks: |input, world, caller| {
            role_check("iam:PutRolePermissionsBoundary", input, world, caller)
        },
        run: |input, world, caller| role_boundary(input, world, caller, true),
    },
    Operation {
        name: "DeleteRolePermissionsBoundary",
        mutates: true,
        checks: |input, world, caller| {
            role_check("iam:DeleteRolePermissionsBoundary", input, world, caller)
        },
        run: |input, world, caller| role_boundary(input, world, caller, false),
    },
];

fn create_login_profile(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let password = input.required("Password")?;
    if password.len() < 8 || password.len() > 128 {
        return Err(ApiError::of(
            IamError::PasswordPolicyViolation,
            "Password should have a minimum length of 8",
        ));
    }
    let reset = input.get("PasswordResetRequired") == Some("true");
    let now = world.now();
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    if user.login_profile.is_some() {
        return Err(ApiError::already_exists(format!(
            "Login Profile for user {raw} already exists."
        )));
    }
    user.login_profile = Some((now, reset));
    Ok(Shape::new().child(
        "LoginProfile",
        Shape::new()
            .text("UserName", &user.name)
            .text("CreateDate", timestamp(now))
            .text("PasswordResetRequired", reset),
    ))
}

fn get_login_profile(input: &Input, world: &mut World, caller: &Caller) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account(world, caller)?
        .users
        .get(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    let (created, reset) = user.login_profile.ok_or_else(|| {
        ApiError::no_such_entity(format!("Login Profile for User {raw} cannot be found."))
    })?;
    Ok(Shape::new().child(
        "LoginProfile",
        Shape::new()
            .text("UserName", &user.name)
            .text("CreateDate", timestamp(created))
            .text("PasswordResetRequired", reset),
    ))
}

fn delete_login_profile(
    input: &Input,
    world: &mut World,
    caller: &Caller,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    user.login_profile.take().ok_or_else(|| {
        ApiError::no_such_entity(format!("Login Profile for User {raw} cannot be found."))
    })?;
    Ok(Shape::new())
}

fn boundary_arn(
    input: &Input,
    world: &World,
    caller: &Caller,
    put: bool,
) -> Result<Option<String>, ApiError> {
    if !put {
        return Ok(None);
    }
    let arn = input.required("PermissionsBoundary")?;
    let known = account(world, caller)?.policies.contains_key(arn)
        || crate::services::managed::find(arn).is_some();
    if !known {
        return Err(ApiError::no_such_entity(format!(
            "Policy {arn} does not exist or is not attachable."
        )));
    }
    Ok(Some(arn.to_owned()))
}

fn user_boundary(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    put: bool,
) -> Result<Shape, ApiError> {
    let raw = input.required("UserName")?;
    let boundary = boundary_arn(input, world, caller, put)?;
    let user = account_mut(world, caller)?
        .users
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| no_such_user(raw))?;
    user.permissions_boundary = boundary;
    Ok(Shape::new())
}

fn role_boundary(
    input: &Input,
    world: &mut World,
    caller: &Caller,
    put: bool,
) -> Result<Shape, ApiError> {
    let raw = input.required("RoleName")?;
    let boundary = boundary_arn(input, world, caller, put)?;
    let role = account_mut(world, caller)?
        .roles
        .get_mut(&raw.to_ascii_lowercase())
        .ok_or_else(|| {
            ApiError::no_such_entity(format!("The role with name {raw} cannot be found."))
        })?;
    role.permissions_boundary = boundary;
    Ok(Shape::new())
}
