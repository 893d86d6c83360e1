//! `iam oidc provider`: an `OpenID` Connect identity provider, found by its ARN. It has
//! no id; it is ours while its creation date is the one journaled after
//! `CreateOpenIDConnectProvider` (a provider deleted and made again under the same URL
//! has another), or, for a creation never confirmed, while it carries this run's tag.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, by_tag, delete_call, iam_tags, instant, unknown};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamOidcProvider {
    /// Known before creation (the account and the URL's host and path).
    pub arn: String,
    /// When IAM made it ([`instant`]); `None` in an intent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

impl IamOidcProvider {
    pub fn label(&self) -> String {
        format!("iam oidc provider {}", self.arn)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.arn == intent.arn && (intent.created.is_none() || self.created == intent.created)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx
            .iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&self.arn)
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(error) => return unknown("GetOpenIDConnectProvider", &error),
        };
        match &self.created {
            Some(created) => {
                let found = answer.create_date().map(instant).unwrap_or_default();
                if &found == created {
                    Ownership::Ours
                } else {
                    Ownership::NotOurs(format!(
                        "{} was created at `{found}`, not at `{created}` as this run's was (it was replaced out of band)",
                        self.label()
                    ))
                }
            }
            None => by_tag(cx, &iam_tags(answer.tags())),
        }
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DeleteOpenIDConnectProvider",
            cx.iam
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(&self.arn)
                .send(),
        )
        .await
    }
}
