//! `iam.group_membership`: `AddUserToGroup`.

use awslab_planner::kinds::IamGroupMembership;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { group: String, user: String }
}

pub async fn run(spec: &IamGroupMembership, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let group = cx.render(&spec.group.value)?;
    let user = cx.render(&spec.user.value)?;
    let resource = ResourceRef::IamGroupMembership(resources::IamGroupMembership {
        group: group.clone(),
        user: user.clone(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .add_user_to_group()
        .group_name(&group)
        .user_name(&user);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    Ok(Outputs { group, user })
}
