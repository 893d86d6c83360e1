//! `iam group`: ours while its group id is the one `CreateGroup` answered (groups take
//! no tags, so a group whose creation was never confirmed is left alone). Deleting it
//! first removes its members, inline policies and attached policies.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, remove_first, same_id, unknown};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamGroup {
    pub name: String,
    /// `None` in an intent: AWS assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

impl IamGroup {
    pub fn label(&self) -> String {
        format!("iam group {}", self.name)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.name == intent.name && (intent.group_id.is_none() || self.group_id == intent.group_id)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        let answer = match cx.iam.get_group().group_name(&self.name).send().await {
            Ok(answer) => answer,
            Err(error) => return unknown("GetGroup", &error),
        };
        let Some(found) = answer.group() else {
            return Ownership::Gone;
        };
        match &self.group_id {
            Some(id) => same_id(&self.label(), id, found.group_id()),
            None => Ownership::NotOurs(
                "its creation was never confirmed and IAM groups carry no tags, so awslab cannot tell it is this run's".to_owned(),
            ),
        }
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let iam = &cx.iam;
        let name = self.name.as_str();
        if let Ok(group) = iam.get_group().group_name(name).send().await {
            for user in group.users() {
                remove_first(
                    "RemoveUserFromGroup",
                    iam.remove_user_from_group()
                        .group_name(name)
                        .user_name(user.user_name())
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(policies) = iam.list_group_policies().group_name(name).send().await {
            for policy in policies.policy_names() {
                remove_first(
                    "DeleteGroupPolicy",
                    iam.delete_group_policy()
                        .group_name(name)
                        .policy_name(policy)
                        .send(),
                )
                .await?;
            }
        }
        if let Ok(attached) = iam
            .list_attached_group_policies()
            .group_name(name)
            .send()
            .await
        {
            for arn in attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
            {
                remove_first(
                    "DetachGroupPolicy",
                    iam.detach_group_policy()
                        .group_name(name)
                        .policy_arn(arn)
                        .send(),
                )
                .await?;
            }
        }
        delete_call("DeleteGroup", iam.delete_group().group_name(name).send()).await
    }
}
