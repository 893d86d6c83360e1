//! `iam.user`: `CreateUser`, tagged with the run and with its permissions boundary if
//! it has one, and with `access_key: true` an access key (see
//! [`super::iam_access_key`]) that makes the step an identity. The boundary goes with
//! the user: teardown deletes the user before the policy it names (newest first).

use awslab_planner::kinds::IamUser;

use super::{iam_access_key, iam_tags};
use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String, user_id: String, access_key_id: Option<String> }
}

pub async fn run(spec: &IamUser, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let iam = cx.operator_clients().iam();
    let name = cx.render(&spec.name.value)?;
    let request = iam
        .create_user()
        .user_name(&name)
        .set_path(cx.render_opt(spec.path.as_ref())?)
        .set_permissions_boundary(cx.render_opt(spec.permissions_boundary.as_ref())?)
        .set_tags(Some(iam_tags(cx, &spec.tags)?));
    let pending = ResourceRef::IamUser(resources::IamUser {
        name: name.clone(),
        user_id: None,
    });
    let answer = cx.create(&pending, request.send()).await?;
    let user = answer.user().ok_or("CreateUser answered without a user")?;
    let (arn, user_id) = (user.arn().to_owned(), user.user_id().to_owned());
    cx.created(&ResourceRef::IamUser(resources::IamUser {
        name: name.clone(),
        user_id: Some(user_id.clone()),
    }))
    .await?;
    let access_key_id = if spec.access_key {
        Some(iam_access_key::create(cx, &name).await?)
    } else {
        None
    };
    Ok(Outputs {
        name,
        arn,
        user_id,
        access_key_id,
    })
}
