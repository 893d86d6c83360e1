//! `iam access key`: its id is unique and immutable, so the key is ours by id; a key
//! whose creation was never confirmed (id unknown) goes with its user.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, delete_call, through_parent};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamAccessKey {
    pub user: String,
    /// Empty in an intent: AWS assigns it.
    pub access_key_id: String,
}

impl IamAccessKey {
    pub fn label(&self) -> String {
        if self.access_key_id.is_empty() {
            format!("iam access key of user {}", self.user)
        } else {
            format!(
                "iam access key {} of user {}",
                self.access_key_id, self.user
            )
        }
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.user == intent.user
            && (intent.access_key_id.is_empty() || self.access_key_id == intent.access_key_id)
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        through_parent(
            cx.created_user(&self.user)
                .map(|user| move || user.ownership(cx)),
        )
        .await
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        if self.access_key_id.is_empty() {
            return Ok(Removal::NothingToUndo(
                "its id was never known; deleting its user deletes it".to_owned(),
            ));
        }
        delete_call(
            "DeleteAccessKey",
            cx.iam
                .delete_access_key()
                .user_name(&self.user)
                .access_key_id(&self.access_key_id)
                .send(),
        )
        .await
    }
}
