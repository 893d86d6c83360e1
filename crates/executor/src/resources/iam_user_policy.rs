//! `iam user policy`: an inline policy on a user; ours through its user when this run
//! created the user.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUserPolicy {
    pub user: String,
    pub policy_name: String,
}

impl IamUserPolicy {
    pub fn label(&self) -> String {
        format!("iam user policy {} of user {}", self.policy_name, self.user)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        through_parent(
            cx.created_user(&self.user)
                .map(|user| move || user.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DeleteUserPolicy",
            cx.iam
                .delete_user_policy()
                .user_name(&self.user)
                .policy_name(&self.policy_name)
                .send(),
        )
        .await
    }
}
