//! The resource types a stack can hold, each one [`ResourceType`] beside the service
//! that owns it (`services/iam/cfn/`, `services/s3/cfn/`), listed once in its service's registry entry ([`types`]).
//! Everything `CloudFormation` needs to know of a type is its implementation: its
//! schema, its `Fn::GetAtt` attributes, whether it needs an IAM capability, which
//! property changes replace it, and how it is created, updated and deleted (through
//! the [`Actor`], which authorizes each call for the caller). A type not listed is
//! the error `CloudFormation` gives for it; nothing falls back to a default.

use serde_json::Value;

use super::intrinsics::Made;
use super::resources::Actor;
use crate::services::ApiError;
use crate::state::World;

/// Which changes replace a resource rather than update it in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// A change to any of these properties (`Update requires: Replacement` in the
    /// type's reference); the others update in place.
    On(&'static [&'static str]),
    /// Any change: the sandbox updates none of its properties in place.
    Always,
}

/// One `CloudFormation` resource type.
pub trait ResourceType: Sync {
    /// `AWS::IAM::User`.
    fn name(&self) -> &'static str;
    /// The service named in a failed event's reason (`Iam`, `S3`).
    fn service(&self) -> &'static str;
    /// The properties the type's schema requires.
    fn required(&self) -> &'static [&'static str];
    /// The other properties it accepts (some kept, not applied: a bucket's encryption).
    fn optional(&self) -> &'static [&'static str];
    /// Its `Fn::GetAtt` attributes.
    fn attributes(&self) -> &'static [&'static str];
    /// For an IAM type, the property that names it (a stack naming one needs
    /// `CAPABILITY_NAMED_IAM`, otherwise `CAPABILITY_IAM`), `Some("")` when it cannot be
    /// named; `None` for a type that needs no capability.
    fn iam_name_property(&self) -> Option<&'static str>;
    /// Which changes replace it.
    fn replacement(&self) -> Replacement;
    /// Creates it; on failure, what was made so far (to roll back) and why.
    #[expect(clippy::result_large_err, reason = "made once per resource, never hot")]
    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)>;
    /// Updates it in place (only called when [`Self::replacement`] allows it).
    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError>;
    /// Deletes it ("not found" counts as deleted).
    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError>;
}

/// Every type the sandbox provisions: each registered service's
/// ([`Service::resource_types`](crate::services::registry::Service::resource_types)),
/// read from the registry.
pub fn types() -> impl Iterator<Item = &'static dyn ResourceType> {
    crate::services::registry::SERVICES
        .iter()
        .flat_map(|service| service.resource_types.iter().copied())
}

/// The type named `kind`, if the sandbox provisions it.
pub fn find(kind: &str) -> Option<&'static dyn ResourceType> {
    types().find(|found| found.name() == kind)
}

/// The type named `kind`, or the error `CloudFormation` gives for another.
pub fn get(kind: &str) -> Result<&'static dyn ResourceType, ApiError> {
    find(kind).ok_or_else(|| unrecognized(kind))
}

/// `Template format error: Unrecognized resource types: [...]`.
pub fn unrecognized(kind: &str) -> ApiError {
    ApiError::validation(format!(
        "Template format error: Unrecognized resource types: [{kind}]"
    ))
}

/// The `Fn::GetAtt` attributes of type `kind` (none for a type not provisioned:
/// templates naming one are refused before anything asks).
pub fn attributes(kind: &str) -> &'static [&'static str] {
    find(kind).map_or(&[], |found| found.attributes())
}

/// See [`ResourceType::iam_name_property`].
pub fn iam_name_property(kind: &str) -> Option<&'static str> {
    find(kind).and_then(ResourceType::iam_name_property)
}

/// The service a failed event's reason names (`CloudFormation` itself for a type
/// not provisioned).
pub fn service_of(kind: &str) -> &'static str {
    find(kind).map_or("CloudFormation", |found| found.service())
}

/// `Properties validation failed ...` when a required property is missing or an
/// unknown one is given, as `CloudFormation`'s resource schemas say.
pub fn check_properties(logical: &str, kind: &str, properties: &Value) -> Result<(), String> {
    let found = get(kind).map_err(|error| error.message)?;
    let (required, optional) = (found.required(), found.optional());
    let fail = |detail: String| {
        Err(format!(
            "Properties validation failed for resource {logical} with message: [#: {detail}]"
        ))
    };
    let Value::Object(map) = properties else {
        return fail("expected type: JSONObject".to_owned());
    };
    if let Some(missing) = required.iter().find(|name| !map.contains_key(**name)) {
        return fail(format!("required key [{missing}] not found"));
    }
    if let Some(extra) = map
        .keys()
        .find(|key| !required.contains(&key.as_str()) && !optional.contains(&key.as_str()))
    {
        return fail(format!("extraneous key [{extra}] is not permitted"));
    }
    Ok(())
}

/// Whether changing `old` to `new` replaces a resource of type `kind` (always, for a
/// type that updates nothing in place, or an unknown type: there is nothing to update).
pub fn replaces(kind: &str, old: &Value, new: &Value) -> bool {
    match find(kind).map(ResourceType::replacement) {
        Some(Replacement::On(properties)) => properties
            .iter()
            .any(|name| old.get(*name) != new.get(*name)),
        Some(Replacement::Always) | None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_listed_once_with_a_schema_that_names_no_property_twice() {
        let listed: Vec<&dyn ResourceType> = types().collect();
        for (index, found) in listed.iter().enumerate() {
            assert!(found.name().starts_with("AWS::"), "{}", found.name());
            assert!(
                listed[..index]
                    .iter()
                    .all(|other| other.name() != found.name()),
                "{} is listed twice",
                found.name()
            );
            let all: Vec<&str> = found
                .required()
                .iter()
                .chain(found.optional())
                .copied()
                .collect();
            for (at, name) in all.iter().enumerate() {
                assert!(!all[..at].contains(name), "{}: {name}", found.name());
            }
            if let Replacement::On(properties) = found.replacement() {
                for name in properties {
                    assert!(all.contains(name), "{} replaces on {name}", found.name());
                }
            }
            if let Some(property) = found.iam_name_property()
                && !property.is_empty()
            {
                assert!(all.contains(&property), "{}", found.name());
            }
        }
    }

    #[test]
    fn an_unknown_type_is_cloudformations_error() {
        let error = get("AWS::IAM::Nothing").err().expect("unknown");
        assert_eq!(
            error.message,
            "Template format error: Unrecognized resource types: [AWS::IAM::Nothing]"
        );
        assert!(check_properties("R", "AWS::IAM::Nothing", &Value::Null).is_err());
    }
}
