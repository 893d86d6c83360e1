//! `AWS::IAM::SAMLProvider`: a SAML identity provider from its metadata document;
//! `Ref` and `Arn` are its ARN, `SamlProviderUUID` its id. A new metadata document
//! updates it in place; a new name replaces it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, invalid, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls;
use crate::state::World;

pub struct SamlProvider;

impl ResourceType for SamlProvider {
    fn name(&self) -> &'static str {
        "AWS::IAM::SAMLProvider"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &[]
    }

    fn optional(&self) -> &'static [&'static str] {
        &[
            "AddPrivateKey",
            "AssertionEncryptionMode",
            "Name",
            "PrivateKeys",
            "RemovePrivateKey",
            "SamlMetadataDocument",
            "Tags",
        ]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn", "SamlProviderUUID"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("Name")
    }

    fn replacement(&self) -> Replacement {
        Replacement::On(&["Name"])
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        logical: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let property = |name: &str| properties.get(name).and_then(text);
        let name = property("Name").unwrap_or_else(|| actor.generated_name(logical, 128, false));
        let document = property("SamlMetadataDocument").ok_or_else(|| {
            (
                None,
                invalid("Property SamlMetadataDocument cannot be empty."),
            )
        })?;
        let account = actor.caller.account.clone();
        let arn = format!("arn:aws:iam::{account}:saml-provider/{name}");
        let tags = actor.tag_pairs(properties.get("Tags"));
        actor
            .iam(world, calls::create_saml_provider(&name, &document, &tags))
            .map_err(|error| (None, error))?;
        let mut attributes = BTreeMap::new();
        attributes.insert("Arn".to_owned(), arn.clone());
        if let Some(provider) = world
            .account(&account)
            .and_then(|found| found.saml_providers.get(&arn))
        {
            attributes.insert("SamlProviderUUID".to_owned(), provider.uuid.clone());
        }
        Ok(Made {
            physical: arn,
            reference: None,
            attributes,
        })
    }

    fn update(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        old: &Value,
        new: &Value,
    ) -> Result<Made, ApiError> {
        if old.get("SamlMetadataDocument") != new.get("SamlMetadataDocument") {
            let document = new
                .get("SamlMetadataDocument")
                .and_then(text)
                .unwrap_or_default();
            actor.iam(
                world,
                calls::update_saml_provider(&made.physical, &document),
            )?;
        }
        Ok(made.clone())
    }

    fn delete(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        made: &Made,
        _: &Value,
    ) -> Result<(), ApiError> {
        actor.iam(world, calls::delete_saml_provider(&made.physical))
    }
}
