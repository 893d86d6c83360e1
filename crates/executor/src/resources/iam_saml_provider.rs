//! `iam saml provider`: a SAML 2.0 identity provider, found by its ARN. It is ours
//! while its `SAMLProviderUUID` (or, where the service answers none, its creation date)
//! is the one journaled after `CreateSAMLProvider`, or, for a creation never confirmed,
//! while it carries this run's tag.

use aws_smithy_types::DateTime;
use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, by_tag, delete_call, iam_tags, instant, unknown};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamSamlProvider {
    /// Known before creation (the account and the name).
    pub arn: String,
    /// `uuid:ID` or `created:INSTANT` ([`saml_instance`]); `None` in an intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// What tells one SAML provider from another of the same name: its UUID, else when it
/// was made.
pub fn saml_instance(uuid: Option<&str>, created: Option<&DateTime>) -> Option<String> {
    match (uuid, created) {
        (Some(uuid), _) if !uuid.is_empty() => Some(format!("uuid:{uuid}")),
        (_, Some(created)) => Some(format!("created:{}", instant(created))),
        _ => None,
    }
}

impl IamSamlProvider {
    pub fn label(&self) -> String {
        format!("iam saml provider {}", self.arn)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.arn == intent.arn && (intent.instance.is_none() || self.instance == intent.instance)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx
            .iam
            .get_saml_provider()
            .saml_provider_arn(&self.arn)
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(error) => return unknown("GetSAMLProvider", &error),
        };
        match &self.instance {
            Some(journaled) => {
                let found = saml_instance(answer.saml_provider_uuid(), answer.create_date())
                    .unwrap_or_default();
                if &found == journaled {
                    Ownership::Ours
                } else {
                    Ownership::NotOurs(format!(
                        "{} is `{found}`, not `{journaled}` that this run created (it was replaced out of band)",
                        self.label()
                    ))
                }
            }
            None => by_tag(cx, &iam_tags(answer.tags())),
        }
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DeleteSAMLProvider",
            cx.iam
                .delete_saml_provider()
                .saml_provider_arn(&self.arn)
                .send(),
        )
        .await
    }
}
