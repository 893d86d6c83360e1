//! `iam virtual mfa device`: its serial number is its ARN, made from its path and name,
//! so it is not proof of whose it is; the device is ours while it carries this run's
//! tag (`ListMFADeviceTags`). Deleting it deactivates it for its user first.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx, by_tag, delete_call, iam_tags, unknown};
use crate::classify::{ErrorClass, describe};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IamVirtualMfaDevice {
    /// Known before creation (account id, path and name).
    pub serial_number: String,
    /// The user it is enabled for.
    pub user: String,
}

impl IamVirtualMfaDevice {
    pub fn label(&self) -> String {
        format!(
            "iam virtual mfa device {} of user {}",
            self.serial_number, self.user
        )
    }

    pub async fn ownership(&self, cx: &TeardownCx<'_>) -> Ownership {
        match cx
            .iam
            .list_mfa_device_tags()
            .serial_number(&self.serial_number)
            .send()
            .await
        {
            Ok(answer) => by_tag(cx, &iam_tags(answer.tags())),
            Err(error) => unknown("ListMFADeviceTags", &error),
        }
    }

    pub async fn delete(&self, cx: &TeardownCx<'_>) -> Result<Removal, String> {
        // Not enabled (a failed `EnableMFADevice`) or enabled: either way it must be
        // free of its user before it can be deleted.
        if let Err(error) = cx
            .iam
            .deactivate_mfa_device()
            .user_name(&self.user)
            .serial_number(&self.serial_number)
            .send()
            .await
        {
            let (info, message) = describe("DeactivateMFADevice", &error);
            if info.class() != ErrorClass::NotFound {
                return Err(message);
            }
        }
        delete_call(
            "DeleteVirtualMFADevice",
            cx.iam
                .delete_virtual_mfa_device()
                .serial_number(&self.serial_number)
                .send(),
        )
        .await
    }
}
