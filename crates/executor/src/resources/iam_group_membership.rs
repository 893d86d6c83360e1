//! `iam group membership`: a user added to a group; ours through the group (or else
//! the user) when this run created it.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamGroupMembership {
    pub group: String,
    pub user: String,
}

impl IamGroupMembership {
    pub fn label(&self) -> String {
        format!(
            "iam membership of user {} in group {}",
            self.user, self.group
        )
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        if let Some(group) = cx.created_group(&self.group) {
            return through_parent(Some(|| group.ownership(cx))).await;
        }
        through_parent(
            cx.created_user(&self.user)
                .map(|user| move || user.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "RemoveUserFromGroup",
            cx.iam
                .remove_user_from_group()
                .group_name(&self.group)
                .user_name(&self.user)
                .send(),
        )
        .await
    }
}
