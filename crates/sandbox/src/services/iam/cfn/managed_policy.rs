//! `AWS::IAM::ManagedPolicy`: a customer managed policy, attached to the users,
//! roles and groups it names (`Users`, `Roles`, `Groups`); a new document is a new
//! default version (the oldest other version deleted at IAM's five), attachments
//! change by difference. `Ref` is its ARN.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use super::entity::set;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{
    Actor, gone, invalid, policy_targets, strings, text,
};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls::{self, Entity};
use crate::state::World;

pub struct ManagedPolicy;

impl ResourceType for ManagedPolicy {
    fn name(&self) -> &'static str {
        "AWS::IAM::ManagedPolicy"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["PolicyDocument"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[
            "Description",
            "Groups",
            "ManagedPolicyName",
            "Path",
            "Roles",
            "Users",
        ]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["PolicyArn", "PolicyId", "DefaultVersionId"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("ManagedPolicyName")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["ManagedPolicyName", "Path", "Description"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let name = property("ManagedPolicyName")
            .unwrap_or_else(|| actor.generated_name(logical, 128, false));
        let document = property("PolicyDocument")
            .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
        let (path, description) = (property("Path"), property("Description"));
        actor
            .iam(
                world,
                calls::create_policy(&name, path.as_deref(), description.as_deref(), &document),
            )
            .map_err(|error| (None, error))?;
        let account = actor.caller.account.clone();
        let path = path.unwrap_or_else(|| "/".to_owned());
        let arn = format!("arn:aws:iam::{account}:policy{path}{name}");
        let policy = world
            .account(&account)
            .and_then(|found| found.policies.get(&arn));
        let mut attributes = BTreeMap::new();
        attributes.insert("PolicyArn".to_owned(), arn.clone());
        attributes.insert(
            "PolicyId".to_owned(),
            policy.map(|found| found.id.clone()).unwrap_or_default(),
        );
        attributes.insert(
            "DefaultVersionId".to_owned(),
            policy
                .map(|found| found.default_version.clone())
                .unwrap_or_default(),
        );
        let made = Made {
            physical: arn.clone(),
            reference: None,
            attributes,
        };
        for (entity, target) in policy_targets(properties) {
            actor
                .iam(world, calls::attach_policy(entity, &target, &arn))
                .map_err(|error| (Some(made.clone()), error))?;
        }
        Ok(made)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        let arn = made.physical.as_str();
        let mut made = made.clone();
        if old.get("PolicyDocument") != new.get("PolicyDocument") {
            let others: Vec<String> = world
                .account(&actor.caller.account)
                .and_then(|account| account.policies.get(arn))
                .map(|policy| {
                    policy
                        .versions
                        .keys()
                        .filter(|version| **version != policy.default_version)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if others.len() >= 4
                && let Some(oldest) = others.first()
            {
                actor.iam(world, calls::delete_policy_version(arn, oldest))?;
            }
            let document = new.get("PolicyDocument").and_then(text).unwrap_or_default();
            actor.iam(world, calls::create_policy_version(arn, &document))?;
            if let Some(policy) = world
                .account(&actor.caller.account)
                .and_then(|account| account.policies.get(arn))
            {
                made.attributes.insert(
                    "DefaultVersionId".to_owned(),
                    policy.default_version.clone(),
                );
            }
        }
        for (entity, property) in [
            (Entity::User, "Users"),
            (Entity::Role, "Roles"),
            (Entity::Group, "Groups"),
        ] {
            let (before, after) = (
                set(strings(old.get(property))),
                set(strings(new.get(property))),
            );
            for target in after.difference(&before) {
                actor.iam(world, calls::attach_policy(entity, target, arn))?;
            }
            for target in before.difference(&after) {
                actor.iam(world, calls::detach_policy(entity, target, arn))?;
            }
        }
        Ok(made)
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        let arn = made.physical.as_str();
        for (entity, target) in policy_targets(properties) {
            gone(actor.iam(world, calls::detach_policy(entity, &target, arn)))?;
        }
        gone(actor.iam(world, calls::delete_policy(arn)))
    }
}
