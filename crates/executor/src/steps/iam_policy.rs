//! `iam.policy`: `CreatePolicy`, a customer managed policy tagged with the run.

use awslab_planner::kinds::IamPolicy;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};

crate::step_outputs! {
    Outputs { name: String, arn: String }
}

pub async fn run(spec: &IamPolicy, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let name = cx.render(&spec.name.value)?;
    let document = cx.render_document(&spec.document)?;
    let path = cx
        .render_opt(spec.path.as_ref())?
        .unwrap_or_else(|| "/".to_owned());
    let predicted = format!("arn:aws:iam::{}:policy{path}{name}", cx.account());
    let pending = ResourceRef::IamPolicy(resources::IamPolicy {
        arn: predicted,
        policy_id: None,
    });
    let tags = super::iam_tags(cx, &indexmap::IndexMap::new())?;
    let request = cx
        .operator_clients()
        .iam()
        .create_policy()
        .policy_name(&name)
        .policy_document(document)
        .set_description(cx.render_opt(spec.description.as_ref())?)
        .path(path)
        .set_tags(Some(tags));
    let answer = cx.create(&pending, request.send()).await?;
    let policy = answer
        .policy()
        .ok_or("CreatePolicy answered without a policy")?;
    let arn = policy
        .arn()
        .ok_or("CreatePolicy answered without an ARN")?
        .to_owned();
    cx.created(&ResourceRef::IamPolicy(resources::IamPolicy {
        arn: arn.clone(),
        policy_id: policy.policy_id().map(str::to_owned),
    }))
    .await?;
    Ok(Outputs { name, arn })
}
