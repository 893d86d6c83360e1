//! `AWS::IAM::Policy`: one inline policy put on each user, role and group it names;
//! any change puts it again (deleted, then made), under the same physical id.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, gone, invalid, policy_targets, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls;
use crate::state::World;

pub struct Policy;

impl ResourceType for Policy {
    fn name(&self) -> &'static str {
        "AWS::IAM::Policy"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["PolicyDocument", "PolicyName"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &["Groups", "Roles", "Users"]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Id"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&[])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let name = property("PolicyName")
            .ok_or_else(|| (None, invalid("Property PolicyName cannot be empty.")))?;
        let document = property("PolicyDocument")
            .ok_or_else(|| (None, invalid("Property PolicyDocument cannot be empty.")))?;
        let targets = policy_targets(properties);
        if targets.is_empty() {
            return Err((
                None,
                invalid("At least one of [Groups,Roles,Users] must be non-empty."),
            ));
        }
        let physical = actor.generated_name(logical, 128, false);
        let mut attributes = BTreeMap::new();
        attributes.insert("Id".to_owned(), physical.clone());
        let made = Made {
            physical,
            reference: None,
            attributes,
        };
        let mut made_so_far = None;
        for (entity, target) in targets {
            actor
                .iam(
                    world,
                    calls::put_inline_policy(entity, &target, &name, &document),
                )
                .map_err(|error| (made_so_far.clone(), error))?;
            made_so_far = Some(made.clone());
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
        self.delete(actor, world, made, old)?;
        let remade = self
            .create(actor, world, &made.physical, new)
            .map_err(|failed| failed.1)?;
        let mut made = made.clone();
        made.attributes = remade.attributes;
        Ok(made)
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        _: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        let name = properties
            .get("PolicyName")
            .and_then(text)
            .unwrap_or_default();
        for (entity, target) in policy_targets(properties) {
            gone(actor.iam(world, calls::delete_inline_policy(entity, &target, &name)))?;
        }
        Ok(())
    }
}
