//! `iam.role_policy`: `PutRolePolicy`, an inline policy on a role.

use awslab_planner::kinds::IamRolePolicy;
use awslab_planner::values::Document;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { role: String, name: String }
}

pub async fn run(spec: &IamRolePolicy, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let role = cx.render(&spec.role.value)?;
    let name = cx.render(&spec.name.value)?;
    put(cx, &role, &name, &spec.document).await?;
    Ok(Outputs { role, name })
}

/// Puts an inline policy on `role` (also for `iam.role`'s `policies:`).
pub(super) async fn put(
    cx: &StepCx<'_>,
    role: &str,
    name: &str,
    document: &Document,
) -> Result<(), StepError> {
    let document = cx.render_document(document)?;
    let resource = ResourceRef::IamRolePolicy(resources::IamRolePolicy {
        role: role.to_owned(),
        policy_name: name.to_owned(),
    });
    let request = cx
        .operator_clients()
        .iam()
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document);
    cx.create(&resource, request.send()).await?;
    cx.created(&resource).await
}
