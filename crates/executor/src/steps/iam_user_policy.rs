//! `iam.user_policy`: `PutUserPolicy`, an inline policy on a user.

use awslab_planner::kinds::IamUserPolicy;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { user: String, name: String }
}

pub async fn run(spec: &IamUserPolicy, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let user = cx.render(&spec.user.value)?;
    let name = cx.render(&spec.name.value)?;
    let document = cx.render_document(&spec.document)?;
    let resource = ResourceRef::IamUserPolicy(resources::IamUserPolicy {
        user: user.clone(),
        policy_name: name.clone(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .put_user_policy()
        .user_name(&user)
        .policy_name(&name)
        .policy_document(document);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    Ok(Outputs { user, name })
}
