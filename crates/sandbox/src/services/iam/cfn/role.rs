//! `AWS::IAM::Role`, its trust, policies and permissions boundary.

use serde_json::Value;

use super::{SERVICE, entity};
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::Actor;
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls::Entity;
use crate::state::World;

pub struct Role;

impl ResourceType for Role {
    fn name(&self) -> &'static str {
        "AWS::IAM::Role"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["AssumeRolePolicyDocument"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[
            "Description",
            "ManagedPolicyArns",
            "MaxSessionDuration",
            "Path",
            "PermissionsBoundary",
            "Policies",
            "RoleName",
            "Tags",
        ]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn", "RoleId"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("RoleName")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["RoleName", "Path"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        entity::create(Entity::Role, actor, world, logical, properties)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        entity::update(Entity::Role, actor, world, made, old, new)
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        properties: &Value,
    ) -> Result<(), ApiError> {
        entity::delete(Entity::Role, actor, world, made, properties)
    }
}
