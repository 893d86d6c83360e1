//! `iam.role_policy_attachment`: `AttachRolePolicy`, a managed policy on a role.

use awslab_planner::kinds::IamRolePolicyAttachment;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { role: String, policy_arn: String }
}

pub async fn run(spec: &IamRolePolicyAttachment, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let role = cx.render(&spec.role.value)?;
    let policy_arn = cx.render(&spec.policy_arn.value)?;
    attach(cx, &role, &policy_arn).await?;
    Ok(Outputs { role, policy_arn })
}

/// Attaches a managed policy to `role` (also for `iam.role`'s `managed_policies:`).
pub(super) async fn attach(cx: &StepCx<'_>, role: &str, policy_arn: &str) -> Result<(), StepError> {
    let resource = ResourceRef::IamRolePolicyAttachment(resources::IamRolePolicyAttachment {
        role: role.to_owned(),
        policy_arn: policy_arn.to_owned(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await
}
