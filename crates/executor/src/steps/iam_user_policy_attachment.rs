//! `iam.user_policy_attachment`: `AttachUserPolicy`, a managed policy on a user.

use awslab_planner::kinds::IamUserPolicyAttachment;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { user: String, policy_arn: String }
}

pub async fn run(spec: &IamUserPolicyAttachment, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let user = cx.render(&spec.user.value)?;
    let policy_arn = cx.render(&spec.policy_arn.value)?;
    let resource = ResourceRef::IamUserPolicyAttachment(resources::IamUserPolicyAttachment {
        user: user.clone(),
        policy_arn: policy_arn.clone(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .attach_user_policy()
        .user_name(&user)
        .policy_arn(&policy_arn);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await?;
    Ok(Outputs { user, policy_arn })
}
