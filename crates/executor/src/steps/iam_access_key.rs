//! `iam.access_key`: `CreateAccessKey` for a user; the secret goes to the run's secrets
//! store only. The first step that acts as the key waits until STS accepts it
//! ([`StepCx::accepted_clients_of`]), so steps that only need the user run meanwhile.

use awslab_planner::kinds::IamAccessKey;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};
use crate::secrets::{Secret, StepCredentials};

crate::step_outputs! {
    Outputs { user: String, access_key_id: String }
}

pub async fn run(spec: &IamAccessKey, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let user = cx.render(&spec.user.value)?;
    let access_key_id = create(cx, &user).await?;
    Ok(Outputs {
        user,
        access_key_id,
    })
}

/// Creates an access key for `user` and stores it as this step's credentials; returns
/// the key id. Whoever acts as it first waits until STS accepts it.
pub(super) async fn create(cx: &StepCx<'_>, user: &str) -> Result<String, StepError> {
    let iam = cx.operator_clients().iam();
    let pending = ResourceRef::IamAccessKey(resources::IamAccessKey {
        user: user.to_owned(),
        access_key_id: String::new(),
    });
    let answer = cx
        .create(&pending, iam.create_access_key().user_name(user).send())
        .await?;
    let key = answer
        .access_key()
        .ok_or("CreateAccessKey answered without a key")?;
    let key_id = key.access_key_id().to_owned();
    cx.store_credentials(StepCredentials {
        access_key_id: key_id.clone(),
        secret_access_key: Secret::new(key.secret_access_key()),
        session_token: None,
        expiration: None,
    })?;
    cx.created(&ResourceRef::IamAccessKey(resources::IamAccessKey {
        user: user.to_owned(),
        access_key_id: key_id.clone(),
    }))
    .await?;
    Ok(key_id)
}
