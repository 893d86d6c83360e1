//! `iam.group_policy`: `PutGroupPolicy`, an inline policy on a group.

use awslab_planner::kinds::IamGroupPolicy;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { group: String, name: String }
}

pub async fn run(spec: &IamGroupPolicy, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let group = cx.render(&spec.group.value)?;
    let name = cx.render(&spec.name.value)?;
    let document = cx.render_document(&spec.document)?;
    let resource = ResourceRef::IamGroupPolicy(resources::IamGroupPolicy {
        group: group.clone(),
        policy_name: name.clone(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .put_group_policy()
        .group_name(&group)
        .policy_name(&name)
        .policy_document(document);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    Ok(Outputs { group, name })
}
