//! `AWS::IAM::User`, its groups, policies and permissions boundary (set, changed or removed in place).

use serde_json::Value;

use super::{SERVICE, entity};
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::Actor;
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls::Entity;
use crate::state::World;

pub struct User;

impl ResourceType for User {
    fn name(&self) -> &'static str {
        "AWS::IAM::User"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &[]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[
            "Groups",
            "LoginProfile",
            "ManagedPolicyArns",
            "Path",
            "PermissionsBoundary",
            "Policies",
            "Tags",
            "UserName",
        ]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("UserName")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["UserName", "Path"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        entity::create(Entity::User, actor, world, logical, properties)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        entity::update(Entity::User, actor, world, made, old, new)
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        entity::delete(Entity::User, actor, world, made, properties)
    }
}
