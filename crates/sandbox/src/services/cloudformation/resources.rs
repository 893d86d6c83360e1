//! The context a resource type works through ([`Actor`]): the principal acting for
//! the stack, the decision on each check, and the stack facts a resource needs
//! (region, names, tags). A type calls IAM through typed calls
//! ([`crate::services::iam::calls`]) and S3 through its registry entries, each authorized
//! one by one for the caller, so a caller allowed `CloudFormation` but not IAM sees
//! the resource fail with IAM's own denial. Physical names are `stack-Logical-RANDOM`
//! where none is given. The types themselves are in [`super::types`].

use serde_json::Value;

use super::intrinsics::Made;
use super::types;
use crate::auth::Caller;
use crate::services::CommonError;
use crate::services::{ApiError, Call, Check, Input, iam, registry};
use crate::state::World;

pub use crate::services::Authorize;

/// The principal acting for a stack, and the stack facts resources need.
pub struct Actor<'a, 'b> {
    pub caller: &'a Caller,
    pub authorize: &'a mut Authorize<'b>,
    pub region: &'a str,
    pub stack_name: &'a str,
    pub stack_id: &'a str,
    /// The stack's tags, propagated to resources that take tags.
    pub tags: &'a [(String, String)],
}

/// A failed call: what the event's reason says.
pub fn reason(service: &str, error: &ApiError) -> String {
    let handler = match error.code.as_str() {
        "AccessDenied" => "AccessDenied",
        "EntityAlreadyExists" | "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => {
            "AlreadyExists"
        }
        "NoSuchEntity" | "NoSuchBucket" => "NotFound",
        "ValidationError" | "MalformedPolicyDocument" | "InvalidBucketName" => "InvalidRequest",
        "LimitExceeded" => "ServiceLimitExceeded",
        _ => "GeneralServiceException",
    };
    format!(
        "Resource handler returned message: \"{} (Service: {service}, Status Code: {})\" (HandlerErrorCode: {handler})",
        error.message, error.status
    )
}

pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Object(_) | Value::Array(_) => Some(value.to_string()),
        Value::Null => None,
    }
}

pub(crate) fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(other) => text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A call's result, with "not found" counted as done (a delete that finds nothing).
pub(crate) fn gone(result: Result<(), ApiError>) -> Result<(), ApiError> {
    match result {
        Err(error) if error.code == "NoSuchEntity" || error.code == "NoSuchBucket" => Ok(()),
        other => other,
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::validation(message)
}

impl Actor<'_, '_> {
    /// Calls IAM as the caller: authorizes the operation's checks, then runs it.
    pub(crate) fn iam(
        &mut self,
        world: &mut World,
        call: iam::calls::Call,
    ) -> Result<(), ApiError> {
        let iam::calls::Call { action, input } = call;
        // Every call's action is an IAM operation (`calls`' test proves it).
        let operation = iam::operation(action).ok_or_else(|| {
            ApiError::of(CommonError::InternalFailure, format!("no IAM {action}"))
        })?;
        let checks = (operation.checks)(&input, world, self.caller)?;
        (self.authorize)(world, self.caller, &checks)?;
        (operation.run)(&input, world, self.caller).map(|_| ())
    }

    /// Calls S3's `operation` with `input` as the caller, through its registry entry
    /// (its checks authorized first).
    pub(crate) fn s3(
        &mut self,
        world: &mut World,
        operation: &str,
        input: &Input,
    ) -> Result<(), ApiError> {
        let handler = registry::service("s3")
            .and_then(|s3| s3.rest_operation(operation))
            .ok_or_else(|| {
                ApiError::of(CommonError::InternalFailure, format!("no S3 {operation}"))
            })?;
        let mut call = Call {
            input,
            caller: self.caller,
            region: self.region,
            authorize: &mut *self.authorize,
        };
        let checks = (handler.checks)(world, &call)?;
        (call.authorize)(world, self.caller, &checks)?;
        (handler.run)(world, &mut call).map(|_| ())
    }

    /// Authorizes `checks` for the caller (a resource the sandbox keeps itself).
    pub(crate) fn authorize(&mut self, world: &World, checks: &[Check]) -> Result<(), ApiError> {
        (self.authorize)(world, self.caller, checks)
    }

    /// `stack-Logical-RANDOM`, at most `max` characters.
    pub(crate) fn generated_name(&self, logical: &str, max: usize, lowercase: bool) -> String {
        let random = random_suffix();
        let budget = max.saturating_sub(random.len() + 2);
        let stack_part: String = self.stack_name.chars().take(budget / 2).collect();
        let logical_part: String = logical
            .chars()
            .take(budget.saturating_sub(stack_part.len()))
            .collect();
        let name = format!("{stack_part}-{logical_part}-{random}");
        if lowercase {
            name.to_ascii_lowercase()
        } else {
            name
        }
    }

    pub(crate) fn tag_pairs(&self, own: Option<&Value>) -> Vec<(String, String)> {
        let mut tags: Vec<(String, String)> = self.tags.to_vec();
        if let Some(Value::Array(items)) = own {
            for item in items {
                if let (Some(key), Some(value)) = (
                    item.get("Key").and_then(text),
                    item.get("Value").and_then(text),
                ) {
                    tags.retain(|(existing, _)| *existing != key);
                    tags.push((key, value));
                }
            }
        }
        tags
    }

    /// Creates a resource; on failure, what was made so far (to roll back) and why.
    #[expect(clippy::result_large_err, reason = "made once per resource, never hot")]
    pub fn create(
        &mut self,
        world: &mut World,
        logical: &str,
        kind: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let resource_type = types::get(kind).map_err(|error| (None, error))?;
        resource_type.create(self, world, logical, properties)
    }

    /// Deletes a resource; "not found" counts as deleted.
    pub fn delete(
        &mut self,
        world: &mut World,
        kind: &str,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        gone(types::get(kind)?.delete(self, world, made, properties))
    }

    /// Updates a resource in place; `None` when it must be replaced instead.
    pub fn update(
        &mut self,
        world: &mut World,
        kind: &str,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Option<Result<Made, ApiError>> {
        let resource_type = match types::get(kind) {
            Ok(found) => found,
            Err(error) => return Some(Err(error)),
        };
        if types::replaces(kind, old, new) {
            return None;
        }
        Some(resource_type.update(self, world, made, old, new))
    }
}

/// The users, roles and groups a policy names (`Users`, `Roles`, `Groups`).
pub(crate) fn policy_targets(properties: &Value) -> Vec<(iam::calls::Entity, String)> {
    let mut targets = Vec::new();
    for (entity, property) in [
        (iam::calls::Entity::User, "Users"),
        (iam::calls::Entity::Role, "Roles"),
        (iam::calls::Entity::Group, "Groups"),
    ] {
        for target in strings(properties.get(property)) {
            targets.push((entity, target));
        }
    }
    targets
}

/// Twelve characters of `[A-Z0-9]`, as AWS's generated names end.
fn random_suffix() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
