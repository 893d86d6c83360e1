//! `AWS::IAM::InstanceProfile`: instance profiles are not in the sandbox's IAM, so one
//! is authorized (`iam:CreateInstanceProfile`, `iam:AddRoleToInstanceProfile`,
//! `iam:DeleteInstanceProfile` on its ARN) and kept by the stack only; any change
//! replaces it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, strings, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::{ApiError, Check};
use crate::state::World;

pub struct InstanceProfile;

impl ResourceType for InstanceProfile {
    fn name(&self) -> &'static str {
        "AWS::IAM::InstanceProfile"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["Roles"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &["InstanceProfileName", "Path"]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("InstanceProfileName")
    }

    fn replacement(&self) -> Replacement {
        Replacement::Always
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let name = property("InstanceProfileName")
            .unwrap_or_else(|| actor.generated_name(logical, 128, false));
        let path = property("Path").unwrap_or_else(|| "/".to_owned());
        let account = &actor.caller.account;
        let arn = format!("arn:aws:iam::{account}:instance-profile{path}{name}");
        let mut checks = vec![Check::new("iam:CreateInstanceProfile", arn.clone())];
        if !strings(properties.get("Roles")).is_empty() {
            checks.push(Check::new("iam:AddRoleToInstanceProfile", arn.clone()));
        }
        actor
            .authorize(world, &checks)
            .map_err(|error| (None, error))?;
        let mut attributes = BTreeMap::new();
        attributes.insert("Arn".to_owned(), arn);
        Ok(Made {
            physical: name,
            reference: None,
            attributes,
        })
    }

    fn update(
        &self,
        _: &mut Actor<'_, '_>,
        _: &mut World,
        made: &Made,
        _: &Value,
        _: &Value,
    ) -> Result<Made, ApiError> {
        // Never called: any change replaces it.
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
    ) -> Result<(), ApiError> {
        let arn = made.attributes.get("Arn").cloned().unwrap_or_default();
        actor.authorize(world, &[Check::new("iam:DeleteInstanceProfile", arn)])
    }
}
