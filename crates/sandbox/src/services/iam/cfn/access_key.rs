//! `AWS::IAM::AccessKey`: a user's key; `Ref` is its id, `SecretAccessKey` its secret
//! (never in an event or a description); its `Status` changes in place.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, invalid, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls;
use crate::state::World;

pub struct AccessKey;

impl ResourceType for AccessKey {
    fn name(&self) -> &'static str {
        "AWS::IAM::AccessKey"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &["UserName"]
    }

    fn optional(&self) -> &'static [&'static str] {
        &["Serial", "Status"]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["SecretAccessKey"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["UserName", "Serial"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        _: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let user = property("UserName")
            .ok_or_else(|| (None, invalid("Property UserName cannot be empty.")))?;
        let account = actor.caller.account.clone();
        let keys_of = |world: &World| -> Vec<String> {
            world
                .account(&account)
                .and_then(|found| found.users.get(&user.to_ascii_lowercase()))
                .map(|found| found.access_keys.clone())
                .unwrap_or_default()
        };
        let before = keys_of(world);
        actor
            .iam(world, calls::create_access_key(&user))
            .map_err(|error| (None, error))?;
        let key_id = keys_of(world)
            .into_iter()
            .find(|key| !before.contains(key))
            .unwrap_or_default();
        let secret = world
            .access_keys
            .get(&key_id)
            .map(|key| key.secret.clone())
            .unwrap_or_default();
        let mut attributes = BTreeMap::new();
        attributes.insert("SecretAccessKey".to_owned(), secret);
        attributes.insert("UserName".to_owned(), user.clone());
        let made = Made {
            physical: key_id.clone(),
            reference: None,
            attributes,
        };
        if property("Status").as_deref() == Some("Inactive") {
            actor
                .iam(world, calls::update_access_key(&user, &key_id, "Inactive"))
                .map_err(|error| (Some(made.clone()), error))?;
        }
        Ok(made)
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        let status = new
            .get("Status")
            .and_then(text)
            .unwrap_or_else(|| "Active".to_owned());
        let user = made.attributes.get("UserName").cloned().unwrap_or_default();
        actor.iam(
            world,
            calls::update_access_key(&user, &made.physical, &status),
        )?;
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
    ) -> Result<(), ApiError> {
        let user = made.attributes.get("UserName").cloned().unwrap_or_default();
        actor.iam(world, calls::delete_access_key(&user, &made.physical))
    }
}
