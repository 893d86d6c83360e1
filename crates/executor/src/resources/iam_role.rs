//! `iam role`: ours while its role id is the one `CreateRole` answered. Deleting it
//! first removes inline and attached policies and instance profiles.

use serde::{Deserialize, Serialize};

use super::{
    Ownership, Removal, TeardownCx, by_id_or_tag, delete_call, iam_tags, remove_first, unknown,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRole {
    pub name: String,
    /// `None` in an intent: AWS assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

impl IamRole {
    pub fn label(&self) -> String {
        format!("iam role {}", self.name)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.name == intent.name && (intent.role_id.is_none() || self.role_id == intent.role_id)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx.iam.get_role().role_name(&self.name).send().await {
            Ok(answer) => answer,
            Err(error) => return unknown("GetRole", &error),
        };
        let Some(found) = answer.role() else {
            return Ownership::Gone;
        };
        by_id_or_tag(
            cx,
            &self.label(),
            self.role_id.as_deref(),
            found.role_id(),
            || async {
                let answer = cx.iam.list_role_tags().role_name(&self.name).send().await;
                answer
                    .map(|a| iam_tags(a.tags()))
                    .map_err(|e| unknown("ListRoleTags", &e))
            },
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let iam = &cx.iam;
        let name = self.name.as_str();
        if let Ok(policies) = iam.list_role_policies().role_name(name).send().await {
            for policy in policies.policy_names() {
                remove_first(
                    "DeleteRolePolicy",
                    iam.delete_role_policy()
                        .role_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(attached) = iam
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
        {
            for arn in attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
            {
                remove_first(
                    "DetachRolePolicy",
                    iam.detach_role_policy()
                        .role_name(name)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(profiles) = iam
            .list_instance_profiles_for_role()
            .role_name(name)
            .send()
            .await
        {
            for profile in profiles.instance_profiles() {
                remove_first(
                    "RemoveRoleFromInstanceProfile",
                    iam.remove_role_from_instance_profile()
                        .role_name(name)
                        .instance_profile_name(profile.instance_profile_name())
                        .send(),
                )
                .await?;
            }
        }
        delete_call("DeleteRole", iam.delete_role().role_name(name).send()).await
    }
}
