//! `aws profile`: sections awslab wrote into the AWS CLI's files. A section is ours
//! while the values awslab wrote into it (access key id, region, endpoint) are still
//! there; a section a person rewrote is left and reported. The intent already names
//! the files and sections, so a crash at any instant is torn down truthfully: a
//! section that was never written is reported as such, not as deleted, and a temporary
//! file a crash left beside the AWS files (its name is in the intent) is removed.

use serde::{Deserialize, Serialize};

use super::{Ownership, Removal, TeardownCx};
use crate::profile_files::{
    ProfileReceipt, SectionState, inspect_profile, leftover_temps, remove_profile,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsProfile {
    pub receipt: ProfileReceipt,
}

impl AwsProfile {
    pub fn label(&self) -> String {
        format!("aws profile {}", self.receipt.profile)
    }

    pub fn fulfils(&self, intent: &Self) -> bool {
        self.receipt.profile == intent.receipt.profile
    }

    pub async fn ownership(&self, _cx: &TeardownCx<'_>) -> Ownership {
        let receipt = self.receipt.clone();
        let inspected = tokio::task::spawn_blocking(move || {
            inspect_profile(&receipt).map(|states| (states, leftover_temps(&receipt)))
        })
        .await;
        let (states, leftovers) = match inspected {
            Ok(Ok(found)) => found,
            Ok(Err(error)) => return Ownership::Unknown(format!("cannot read it: {error}")),
            Err(error) => return Ownership::Unknown(format!("cannot read it: {error}")),
        };
        if !leftovers.is_empty() || states.iter().any(|(_, state)| *state == SectionState::Ours) {
            return Ownership::Ours;
        }
        let changed: Vec<String> = states
            .iter()
            .filter_map(|(path, state)| match state {
                SectionState::Changed(reason) => Some(format!("`{}`: {reason}", path.display())),
                _ => None,
            })
            .collect();
        if changed.is_empty() {
            Ownership::Gone
        } else {
            Ownership::NotOurs(changed.join("; "))
        }
    }

    pub async fn delete(&self, _cx: &TeardownCx<'_>) -> Result<Removal, String> {
        let receipt = self.receipt.clone();
        let (removal, leftovers) = tokio::task::spawn_blocking(move || {
            let leftovers = leftover_temps(&receipt);
            remove_profile(&receipt).map(|removal| (removal, leftovers))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let changed: Vec<String> = removal
            .iter()
            .filter_map(|(path, state)| match state {
                SectionState::Changed(reason) => Some(format!("`{}`: {reason}", path.display())),
                _ => None,
            })
            .collect();
        if !changed.is_empty() {
            return Ok(Removal::NotOurs(changed.join("; ")));
        }
        if !leftovers.is_empty()
            || removal
                .iter()
                .any(|(_, state)| *state == SectionState::Ours)
        {
            Ok(Removal::Deleted)
        } else {
            Ok(Removal::AlreadyGone)
        }
    }
}
