//! `iam user`: ours while its user id is the one `CreateUser` answered. Deleting it
//! first removes what AWS requires gone: access keys, inline and attached policies,
//! group memberships and the login profile.

use serde::{Deserialize, Serialize};

use super::{
    Ownership, Removal, TeardownCx, by_id_or_tag, delete_call, iam_tags, remove_first, unknown,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUser {
    pub name: String,
    /// `None` in an intent: AWS assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl IamUser {
    pub fn label(&self) -> String {
        format!("iam user {}", self.name)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.name == intent.name && (intent.user_id.is_none() || self.user_id == intent.user_id)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx.iam.get_user().user_name(&self.name).send().await {
            Ok(answer) => answer,
            Err(error) => return unknown("GetUser", &error),
        };
        let Some(found) = answer.user() else {
            return Ownership::Gone;
        };
        by_id_or_tag(
            cx,
            &self.label(),
            self.user_id.as_deref(),
            found.user_id(),
            || async {
                let answer = cx.iam.list_user_tags().user_name(&self.name).send().await;
                answer
                    .map(|a| iam_tags(a.tags()))
                    .map_err(|e| unknown("ListUserTags", &e))
            },
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let iam = &cx.iam;
        let name = self.name.as_str();
        if let Ok(keys) = iam.list_access_keys().user_name(name).send().await {
            for id in keys
                .access_key_metadata()
                .iter()
                .filter_map(|k| k.access_key_id())
            {
                remove_first(
                    "DeleteAccessKey",
                    iam.delete_access_key()
                        .user_name(name)
                        .access_key_id(id)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(policies) = iam.list_user_policies().user_name(name).send().await {
            for policy in policies.policy_names() {
                remove_first(
                    "DeleteUserPolicy",
                    iam.delete_user_policy()
                        .user_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(attached) = iam
            .list_attached_user_policies()
            .user_name(name)
            .send()
            .await
        {
            for arn in attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
            {
                remove_first(
                    "DetachUserPolicy",
                    iam.detach_user_policy()
                        .user_name(name)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(groups) = iam.list_groups_for_user().user_name(name).send().await {
            for group in groups.groups() {
                remove_first(
                    "RemoveUserFromGroup",
                    iam.remove_user_from_group()
                        .user_name(name)
                        .group_name(group.group_name())
                        .send(),
                )
                .await?;
            }
        }
        remove_first(
            "DeleteLoginProfile",
            iam.delete_login_profile().user_name(name).send(),
        )
        .await?;
        delete_call("DeleteUser", iam.delete_user().user_name(name).send()).await
    }
}
