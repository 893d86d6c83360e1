//! `iam policy attachment … to user`: a managed policy attached to a user; ours
//! through its user when this run created the user.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamUserPolicyAttachment {
    pub user: String,
    pub policy_arn: String,
}

impl IamUserPolicyAttachment {
    pub fn label(&self) -> String {
        format!(
            "iam policy attachment {} to user {}",
            self.policy_arn, self.user
        )
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
            "DetachUserPolicy",
            cx.iam
                .detach_user_policy()
                .user_name(&self.user)
                .policy_arn(&self.policy_arn)
                .send(),
        )
        .await
    }
}
