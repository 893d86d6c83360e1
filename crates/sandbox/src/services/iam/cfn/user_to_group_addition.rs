//! `AWS::IAM::UserToGroupAddition`: users added to a group; its members change in
//! place.

use serde_json::Value;

use super::SERVICE;
use super::entity::set;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, gone, invalid, strings, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls;
use crate::state::World;

pub struct UserToGroupAddition;

impl ResourceType for UserToGroupAddition {
    fn name(&self) -> &'static str {
        "AWS::IAM::UserToGroupAddition"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["GroupName", "Users"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &[]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["GroupName"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let group = properties
            .get("GroupName")
            .and_then(text)
            .ok_or_else(|| (None, invalid("Property GroupName cannot be empty.")))?;
        let made = Made {
            physical: actor.generated_name(logical, 128, false),
            ..Made::default()
        };
        let mut made_so_far = None;
        for user in strings(properties.get("Users")) {
            actor
                .iam(world, calls::add_user_to_group(&user, &group))
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
        let group = new.get("GroupName").and_then(text).unwrap_or_default();
        let (before, after) = (
            set(strings(old.get("Users"))),
            set(strings(new.get("Users"))),
        );
        for user in after.difference(&before) {
            actor.iam(world, calls::add_user_to_group(user, &group))?;
        }
        for user in before.difference(&after) {
            actor.iam(world, calls::remove_user_from_group(user, &group))?;
        }
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        _: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        let group = properties
            .get("GroupName")
            .and_then(text)
            .unwrap_or_default();
        for user in strings(properties.get("Users")) {
            gone(actor.iam(world, calls::remove_user_from_group(&user, &group)))?;
        }
        Ok(())
    }
}
