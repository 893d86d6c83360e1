//! `iam group policy`: an inline policy on a group; ours through its group when this
//! run created the group.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamGroupPolicy {
    pub group: String,
    pub policy_name: String,
}

impl IamGroupPolicy {
    pub fn label(&self) -> String {
        format!(
            "iam group policy {} of group {}",
            self.policy_name, self.group
        )
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        through_parent(
            cx.created_group(&self.group)
                .map(|group| move || group.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DeleteGroupPolicy",
            cx.iam
                .delete_group_policy()
                .group_name(&self.group)
                .policy_name(&self.policy_name)
                .send(),
        )
        .await
    }
}
