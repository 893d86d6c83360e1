//! `AWS::IAM::Group` and its policies.

use serde_json::Value;

use super::{SERVICE, entity};
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::Actor;
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls::Entity;
use crate::state::World;

pub struct Group;

impl ResourceType for Group {
    fn name(&self) -> &'static str {
        "AWS::IAM::Group"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &[]
    }

    fn optional(&self) -> &'static [&'static str] {
        &["GroupName", "ManagedPolicyArns", "Path", "Policies"]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("GroupName")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["GroupName", "Path"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        entity::create(Entity::Group, actor, world, logical, properties)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        entity::update(Entity::Group, actor, world, made, old, new)
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        entity::delete(Entity::Group, actor, world, made, properties)
    }
}
