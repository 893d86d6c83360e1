//! `iam policy`: a customer managed policy; ours while its policy id is the one
//! `CreatePolicy` answered (or, unconfirmed, while it carries this run's tag). Deleting
//! it detaches it everywhere and deletes its other versions first.

use serde::{Deserialize, Serialize};

use super::{
    Ownership, Removal, TeardownCx, by_id_or_tag, delete_call, iam_tags, remove_first, unknown,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamPolicy {
    /// Known before creation (account id, path and name).
    pub arn: String,
    /// `None` in an intent: AWS assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
}

impl IamPolicy {
    pub fn label(&self) -> String {
        format!("iam policy {}", self.arn)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.arn == intent.arn && (intent.policy_id.is_none() || self.policy_id == intent.policy_id)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx.iam.get_policy().policy_arn(&self.arn).send().await {
            Ok(answer) => answer,
            Err(error) => return unknown("GetPolicy", &error),
        };
        let Some(found) = answer.policy() else {
            return Ownership::Gone;
        };
        let found_id = found.policy_id().unwrap_or_default();
        by_id_or_tag(
            cx,
            &self.label(),
            self.policy_id.as_deref(),
            found_id,
            || async {
                let answer = cx.iam.list_policy_tags().policy_arn(&self.arn).send().await;
                answer
                    .map(|a| iam_tags(a.tags()))
                    .map_err(|e| unknown("ListPolicyTags", &e))
            },
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let iam = &cx.iam;
        let arn = self.arn.as_str();
        if let Ok(entities) = iam.list_entities_for_policy().policy_arn(arn).send().await {
            for user in entities.policy_users().iter().filter_map(|u| u.user_name()) {
                remove_first(
                    "DetachUserPolicy",
                    iam.detach_user_policy()
                        .user_name(user)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
            for group in entities
                .policy_groups()
                .iter()
                .filter_map(|g| g.group_name())
            {
                remove_first(
                    "DetachGroupPolicy",
                    iam.detach_group_policy()
                        .group_name(group)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
            for role in entities.policy_roles().iter().filter_map(|r| r.role_name()) {
                remove_first(
                    "DetachRolePolicy",
                    iam.detach_role_policy()
                        .role_name(role)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(versions) = iam.list_policy_versions().policy_arn(arn).send().await {
            for version in versions.versions() {
                if !version.is_default_version()
                    && let Some(id) = version.version_id()
                {
                    remove_first(
                        "DeletePolicyVersion",
                        iam.delete_policy_version()
                            .policy_arn(arn)
                            .version_id(id)
                            .send(),
                    )
                    .await?;
                }
            }
        }
        delete_call("DeletePolicy", iam.delete_policy().policy_arn(arn).send()).await
    }
}
