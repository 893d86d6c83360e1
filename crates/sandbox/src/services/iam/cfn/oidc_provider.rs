//! `AWS::IAM::OIDCProvider`: an `OpenID Connect` identity provider; `Ref` and `Arn` are
//! its ARN (`oidc-provider/` and its URL without the scheme). Any change replaces it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::SERVICE;
use crate::services::ApiError;
use crate::services::cloudformation::intrinsics::Made;
use crate::services::cloudformation::resources::{Actor, invalid, strings, text};
use crate::services::cloudformation::types::{Replacement, ResourceType};
use crate::services::iam::calls;
use crate::state::World;

pub struct OidcProvider;

impl ResourceType for OidcProvider {
    fn name(&self) -> &'static str {
        "AWS::IAM::OIDCProvider"
    }

    fn service(&self) -> &'static str {
        SERVICE
    }

    fn required(&self) -> &'static [&'static str] {
        &[]
    }

    fn optional(&self) -> &'static [&'static str] {
        &["ClientIdList", "Tags", "ThumbprintList", "Url"]
    }

    fn attributes(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn iam_name_property(&self) -> Option<&'static str> {
        Some("")
    }

    fn replacement(&self) -> Replacement {
        Replacement::Always
    }

    fn create(
        &self,
        actor: &mut Actor<'_, '_>,
        world: &mut World,
        _: &str,
        properties: &Value,
    ) -> Result<Made, (Option<Made>, ApiError)> {
        let url = properties
            .get("Url")
            .and_then(text)
            .ok_or_else(|| (None, invalid("Property Url cannot be empty.")))?;
        let host = url
            .strip_prefix("https://")
            .unwrap_or(&url)
            .trim_end_matches('/')
            .to_owned();
        let arn = format!("arn:aws:iam::{}:oidc-provider/{host}", actor.caller.account);
        let tags = actor.tag_pairs(properties.get("Tags"));
        let call = calls::create_oidc_provider(
            &url,
            &strings(properties.get("ClientIdList")),
            &strings(properties.get("ThumbprintList")),
            &tags,
        );
        actor.iam(world, call).map_err(|error| (None, error))?;
        let mut attributes = BTreeMap::new();
        attributes.insert("Arn".to_owned(), arn.clone());
        Ok(Made {
            physical: arn,
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
        actor.iam(world, calls::delete_oidc_provider(&made.physical))
    }
}
