//! `iam role policy`: an inline policy on a role; ours through its role when this run
//! created the role.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRolePolicy {
    pub role: String,
    pub policy_name: String,
}

impl IamRolePolicy {
    pub fn label(&self) -> String {
        format!("iam role policy {} of role {}", self.policy_name, self.role)
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
            "DeleteRolePolicy",
            cx.iam
                .delete_role_policy()
                .role_name(&self.role)
                .policy_name(&self.policy_name)
                .send(),
        )
        .await
    }
}
