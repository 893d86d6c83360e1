//! `iam policy attachment … to role`: a managed policy attached to a role; ours
//! through its role when this run created the role.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRolePolicyAttachment {
    pub role: String,
    pub policy_arn: String,
}

impl IamRolePolicyAttachment {
    pub fn label(&self) -> String {
        format!(
            "iam policy attachment {} to role {}",
            self.policy_arn, self.role
        )
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        through_parent(
            cx.created_role(&self.role)
                .map(|role| move || role.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        delete_call(
            "DetachRolePolicy",
            cx.iam
                .detach_role_policy()
                .role_name(&self.role)
                .policy_arn(&self.policy_arn)
                .send(),
        )
        .await
    }
}
