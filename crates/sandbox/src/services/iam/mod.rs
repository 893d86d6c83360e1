//! IAM: users and access keys ([`users`]), groups ([`groups`]), roles ([`roles`]), managed policies,
//! attachments and OIDC providers ([`policies`]), SAML providers ([`saml`]). This module holds the operation
//! table and the rules they share: names, paths, ARNs, pagination; policy documents
//! and their quotas in [`documents`].

mod attachments;
pub mod calls;
pub mod cfn;
mod documents;
mod groups;
mod inline;
mod keys;
mod logins;
pub(crate) mod mfa;
mod oidc;
mod policies;
mod roles;
mod saml;
mod simulate;
mod users;

use super::{ApiError, Input, Operation, Value};
use crate::auth::Caller;
use crate::state::World;
use crate::state::world::Account;

pub use documents::precheck;

/// The IAM operation named `action`.
/// IAM's operations, one table per concern (the registry lists IAM with these).
pub const OPERATIONS: &[&[Operation]] = &[
    users::OPERATIONS,
    keys::OPERATIONS,
    roles::OPERATIONS,
    policies::OPERATIONS,
    groups::OPERATIONS,
    attachments::OPERATIONS,
    oidc::OPERATIONS,
    saml::OPERATIONS,
    logins::OPERATIONS,
    mfa::OPERATIONS,
    simulate::OPERATIONS,
];

/// IAM operation `action` (a stack's resources call IAM through it).
pub fn operation(action: &str) -> Option<&'static Operation> {
    operations().find(|operation| operation.name == action)
}

/// Every IAM operation the sandbox serves.
pub fn operations() -> impl Iterator<Item = &'static Operation> {
    OPERATIONS.iter().flat_map(|table| table.iter())
}

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

/// The resource a list operation is authorized on, as AWS names it in its denials:
/// the kind listed under the `PathPrefix` it lists (`arn:aws:iam::ACCOUNT:role/`), which
/// `"Resource": "*"` and `"Resource": "arn:aws:iam::ACCOUNT:role/*"` both grant.
pub(crate) fn listed(kind: &str, input: &Input, caller: &Caller) -> String {
    let prefix = input.get("PathPrefix").unwrap_or("/");
    format!("arn:aws:iam::{}:{kind}{prefix}", caller.account)
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
