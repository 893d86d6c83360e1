//! `iam.role`: `CreateRole` with its trust policy and permissions boundary, tagged with
//! the run, then its inline
//! policies and managed policy attachments. Its outputs are the role's own (`name`
//! is the role's name however many policies it has).

use awslab_planner::kinds::IamRole;

use super::{iam_role_policy, iam_role_policy_attachment, iam_tags};
use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String, role_id: String }
}

pub async fn run(spec: &IamRole, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let name = cx.render(&spec.name.value)?;
    let trust = cx.render_document(&spec.trust_policy)?;
    let request = cx
        .operator_clients()
        .iam()
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust)
        .set_description(cx.render_opt(spec.description.as_ref())?)
        .set_path(cx.render_opt(spec.path.as_ref())?)
        .set_permissions_boundary(cx.render_opt(spec.permissions_boundary.as_ref())?)
        .set_max_session_duration(
            spec.max_session_duration
                .as_ref()
                .map(|d| i32::try_from(d.value.seconds()).unwrap_or(i32::MAX)),
        )
        .set_tags(Some(iam_tags(cx, &spec.tags)?));
    let pending = ResourceRef::IamRole(resources::IamRole {
        name: name.clone(),
        role_id: None,
    });
    let answer = cx.create(&pending, request.send()).await?;
    let role = answer.role().ok_or("CreateRole answered without a role")?;
    let (arn, role_id) = (role.arn().to_owned(), role.role_id().to_owned());
    cx.created(&ResourceRef::IamRole(resources::IamRole {
        name: name.clone(),
        role_id: Some(role_id.clone()),
    }))
    .await?;
    for (policy_name, document) in &spec.policies {
        let policy_name = cx.render(policy_name)?;
        iam_role_policy::put(cx, &name, &policy_name, document).await?;
    }
    for policy_arn in &spec.managed_policies {
        let policy_arn = cx.render(&policy_arn.value)?;
        iam_role_policy_attachment::attach(cx, &name, &policy_arn).await?;
    }
    Ok(Outputs { name, arn, role_id })
}
