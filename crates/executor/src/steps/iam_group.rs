//! `iam.group`: `CreateGroup`. Groups take no tags; the group id `CreateGroup` answers is
//! what teardown checks before deleting.

use awslab_planner::kinds::IamGroup;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String, group_id: String }
}

pub async fn run(spec: &IamGroup, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let name = cx.render(&spec.name.value)?;
    let request = cx
        .operator_clients()
        .iam()
        .create_group()
        .group_name(&name)
        .set_path(cx.render_opt(spec.path.as_ref())?);
    let pending = ResourceRef::IamGroup(resources::IamGroup {
        name: name.clone(),
        group_id: None,
    });
    let answer = cx.create(&pending, request.send()).await?;
    let group = answer
        .group()
        .ok_or("CreateGroup answered without a group")?;
    let (arn, group_id) = (group.arn().to_owned(), group.group_id().to_owned());
    cx.created(&ResourceRef::IamGroup(resources::IamGroup {
        name: name.clone(),
        group_id: Some(group_id.clone()),
    }))
    .await?;
    Ok(Outputs {
        name,
        arn,
        group_id,
    })
}
