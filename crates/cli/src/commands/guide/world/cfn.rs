//! Stacks of `cfn.stack` steps.

use awslab_executor::resources::{self, ResourceRef};
use indexmap::IndexMap;

use super::{Adopted, WorldCx};

pub(super) async fn cfn_stack(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::CfnStack,
) -> Result<Adopted, String> {
    use aws_sdk_cloudformation::types::StackStatus;
    let name = cx.render(&spec.name.value)?;
    let cloudformation = awslab_executor::cloudformation_client(cx.operator);
    let answer = match cloudformation
        .describe_stacks()
        .stack_name(&name)
        .send()
        .await
    {
        Ok(answer) => answer,
        Err(error) => {
            let text = error
                .as_service_error()
                .and_then(aws_sdk_cloudformation::error::ProvideErrorMetadata::message)
                .unwrap_or_default()
                .to_owned();
            if text.contains("does not exist") {
                return Err(format!("the stack `{name}` does not exist yet"));
            }
            return Err(format!("cannot read the stack `{name}`: {error}"));
        }
    };
    let Some(stack) = answer.stacks().first() else {
        return Err(format!("the stack `{name}` does not exist yet"));
    };
    let status = stack.stack_status().cloned();
    if status != Some(StackStatus::CreateComplete) {
        let words = status.as_ref().map_or("unknown", StackStatus::as_str);
        return Err(format!(
            "the stack `{name}` is {words}, not CREATE_COMPLETE{}",
            stack
                .stack_status_reason()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    cx.made_during_run(
        &format!("the stack `{name}`"),
        stack
            .creation_time()
            .map(aws_sdk_cloudformation::primitives::DateTime::secs),
    )?;
    let id = stack.stack_id().unwrap_or_default().to_owned();
    let mut outputs = IndexMap::from([
        ("name".to_owned(), name.clone()),
        ("id".to_owned(), id.clone()),
    ]);
    for output in stack.outputs() {
        if let (Some(key), Some(value)) = (output.output_key(), output.output_value()) {
            outputs.insert(format!("outputs.{key}"), value.to_owned());
        }
    }
    for (parameter, value) in &spec.parameters {
        let wanted = cx.render(&value.value)?;
        let given = stack
            .parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(parameter.as_str()))
            .and_then(|p| p.parameter_value());
        if given != Some(wanted.as_str()) {
            return Err(format!(
                "the stack `{name}` has parameter `{parameter}` = `{}`, the lab's is `{wanted}`",
                given.unwrap_or("(not set)")
            ));
        }
    }
    Ok(Adopted {
        resources: vec![ResourceRef::CfnStack(resources::CfnStack {
            name: name.clone(),
            stack_id: Some(id),
        })],
        outputs,
        credentials: None,
        mfa_seed: None,
        note: format!("the stack `{name}` is CREATE_COMPLETE"),
    })
}
