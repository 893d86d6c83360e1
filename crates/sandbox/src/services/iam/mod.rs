//! IAM: users and access keys ([`users`]), groups ([`groups`]), roles ([`roles`]), managed policies,
//! attachments and OIDC providers ([`policies`]). This module holds the operation
//! table and the rules they share: names, paths, ARNs, policy documents, pagination.

mod attachments;
mod groups;
mod inline;
mod keys;
mod logins;
mod oidc;
mod policies;
mod roles;
mod users;

use awslab_policy::{PolicyDocument, PolicyKind};
use serde_json::Value as Json;

use super::{ApiError, Input, Operation, Value};
use crate::auth::Caller;
use crate::state::World;
use crate::state::world::Account;

/// The IAM operation named `action`.
pub fn operation(action: &str) -> Option<&'static Operation> {
    users::OPERATIONS
        .iter()
        .chain(keys::OPERATIONS)
        .chain(roles::OPERATIONS)
        .chain(policies::OPERATIONS)
        .chain(groups::OPERATIONS)
        .chain(attachments::OPERATIONS)
        .chain(oidc::OPERATIONS)
        .chain(logins::OPERATIONS)
        .find(|operation| operation.name == action)
}

/// The caller's account, which IAM operations act in.
pub(crate) fn account<'w>(world: &'w World, caller: &Caller) -> Result<&'w Account, ApiError> {
    world
        .account(&caller.account)
        .ok_or_else(|| ApiError::access_denied("The caller has no account"))
}

pub(crate) fn account_mut<'w>(
    world: &'w mut World,
    caller: &Caller,
) -> Result<&'w mut Account, ApiError> {
    world
        .accounts
        .get_mut(&caller.account)
        .ok_or_else(|| ApiError::access_denied("The caller has no account"))
}

/// Checks an IAM name (users, roles, policies: `[\w+=,.@-]+`, at most `max`).
pub(crate) fn check_name(input: &Input, member: &str, max: usize) -> Result<String, ApiError> {
    let name = input.required(member)?;
    let mut field = member.to_owned();
    if let Some(first) = field.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    if name.is_empty() || name.len() > max {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    let valid = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(name.to_owned())
}

/// Checks a path (`/` or `/a/b/`).
pub(crate) fn check_path(input: &Input) -> Result<String, ApiError> {
    let path = input.get("Path").unwrap_or("/");
    if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 {
        return Err(ApiError::validation(format!(
            "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters. Value: '{path}'"
        )));
    }
    Ok(path.to_owned())
}

/// Parses a policy document as IAM does on write; `trust` also checks principals.
pub(crate) fn check_document(world: &World, text: &str, kind: PolicyKind) -> Result<(), ApiError> {
    if let Err(errors) = PolicyDocument::parse_as(text, kind) {
        let first = errors.first().map_or_else(
            || "Syntax errors in policy.".to_owned(),
            ToString::to_string,
        );
        return Err(ApiError::malformed_policy(first));
    }
    if kind == PolicyKind::Trust {
        check_principals_exist(world, text)?;
    }
    Ok(())
}

/// AWS refuses a trust policy naming an IAM principal that does not exist.
fn check_principals_exist(world: &World, text: &str) -> Result<(), ApiError> {
    let Ok(document) = serde_json::from_str::<Json>(text) else {
        return Ok(());
    };
    let statements = match document.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    for statement in statements {
        let aws = statement
            .get("Principal")
            .and_then(|principal| principal.get("AWS"));
        let names: Vec<String> = match aws {
            Some(Json::String(name)) => vec![name.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        for name in names {
            if !principal_exists(world, &name) {
                return Err(ApiError::malformed_policy(format!(
                    "Invalid principal in policy: \"AWS\":\"{name}\""
                )));
            }
        }
    }
    Ok(())
}

fn principal_exists(world: &World, name: &str) -> bool {
    if name == "*" {
        return true;
    }
    if name.len() == 12 && name.bytes().all(|byte| byte.is_ascii_digit()) {
        return world.account(name).is_some();
    }
    let parts: Vec<&str> = name.splitn(6, ':').collect();
    let [_, _, service, _, account_id, resource] = parts.as_slice() else {
        return false;
    };
    let Some(account) = world.account(account_id) else {
        return false;
    };
    let last = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .and_then(|path| path.rsplit('/').next())
            .map(str::to_ascii_lowercase)
    };
    match *service {
        "iam" if *resource == "root" => true,
        "iam" => {
            if let Some(user) = last("user/") {
                account.users.contains_key(&user)
            } else if let Some(role) = last("role/") {
                account.roles.contains_key(&role)
            } else {
                false
            }
        }
        "sts" => resource.starts_with("assumed-role/") || resource.starts_with("federated-user/"),
        _ => false,
    }
}

/// A policy document as IAM returns it: URL-encoded.
pub(crate) fn encoded(text: &str) -> String {
    crate::auth::sigv4::encode(text, true)
}

/// One page of `items` after the input's `Marker`, at most `MaxItems` (default 100).
pub(crate) fn page(
    input: &Input,
    items: Vec<Value>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let start: usize = match input.get("Marker") {
        Some(marker) => marker
            .parse()
            .map_err(|_| ApiError::validation("The marker is not valid"))?,
        None => 0,
    };
    let max =
        usize::try_from(input.integer("MaxItems")?.unwrap_or(100).clamp(1, 1000)).unwrap_or(100);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(max).collect();
    let next = (start + max < total).then(|| (start + max).to_string());
    Ok((page, next))
}

/// Adds `IsTruncated` and `Marker` to a list answer.
pub(crate) fn with_marker(shape: super::Shape, next: Option<String>) -> super::Shape {
    let shape = shape.text("IsTruncated", next.is_some());
    shape.maybe("Marker", next)
}
