//! `iam trust policy`: a trust policy the run replaced on a role it was given;
//! teardown puts the previous document back. On a role the run created there is
//! nothing to undo: the role's deletion removes it.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamRoleTrustPolicy {
    pub role: String,
    pub previous_document: String,
}

impl IamRoleTrustPolicy {
    pub fn label(&self) -> String {
        format!("iam trust policy of role {}", self.role)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        through_parent(
            cx.created_role(&self.role)
                .map(|role| move || role.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        if cx.created_role(&self.role).is_some() {
            return Ok(Removal::NothingToUndo(
                "the role is this run's; deleting it removes its trust policy".to_owned(),
            ));
        }
        if self.previous_document.is_empty() {
            return Ok(Removal::NothingToUndo(
                "the previous trust policy was never read".to_owned(),
            ));
        }
        delete_call(
            "UpdateAssumeRolePolicy",
            cx.iam
                .update_assume_role_policy()
                .role_name(&self.role)
                .policy_document(&self.previous_document)
                .send(),
        )
        .await
    }
}
