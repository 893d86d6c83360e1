//! `cfn.stack`: `CreateStack` from a template file, tagged with the run, then a wait
//! (through [`StepCx::settle_within`]) until a terminal state, showing the first
//! failing event on failure; the stack's outputs become `outputs.NAME`.

use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, Parameter, Stack, StackStatus, Tag};
use awslab_planner::kinds::CfnStack;
use indexmap::IndexMap;

use crate::context::StepCx;
use crate::error::StepError;
use crate::resources::{self, ResourceRef};
use crate::settle::SettlePolicy;

crate::step_outputs! {
    Outputs { name: String, id: String, outputs: IndexMap<String, String> }
}

/// How long a stack may take when the plan sets no `timeout_minutes`.
const DEFAULT_DEADLINE: Duration = Duration::from_mins(30);

pub async fn run(spec: &CfnStack, cx: &StepCx<'_>) -> Result<Outputs, StepError> {
    let cfn = cx.operator_clients().cloudformation();
    let name = cx.render(&spec.name.value)?;
    let path = cx.base_dir().join(cx.render(&spec.template.value)?);
    let body = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| StepError::Local(format!("cannot read template `{}`: {e}", path.display())))?;
    let mut parameters = Vec::new();
    for (key, value) in &spec.parameters {
        parameters.push(
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(cx.render(&value.value)?)
                .build(),
        );
    }
    let capabilities: Vec<Capability> = spec
        .capabilities
        .iter()
        .map(|c| Capability::from(c.value.as_str()))
        .collect();
    // Stack tags: CloudFormation passes them to every resource of the stack that
    // takes tags.
    let tags: Vec<Tag> = cx
        .run_tags()?
        .into_iter()
        .map(|(key, value)| Tag::builder().key(key).value(value).build())
        .collect();
    let request = cfn
        .create_stack()
        .stack_name(&name)
        .template_body(body)
        .set_parameters((!parameters.is_empty()).then_some(parameters))
        .set_capabilities((!capabilities.is_empty()).then_some(capabilities))
        .set_timeout_in_minutes(
            spec.timeout_minutes
                .map(|m| i32::try_from(m).unwrap_or(i32::MAX)),
        )
        .set_tags(Some(tags));
    let pending = ResourceRef::CfnStack(resources::CfnStack {
        name: name.clone(),
        stack_id: None,
    });
    let answer = cx.create(&pending, request.send()).await?;
    let id = answer
        .stack_id()
        .ok_or("CreateStack answered without a stack id")?
        .to_owned();
    cx.created(&ResourceRef::CfnStack(resources::CfnStack {
        name: name.clone(),
        stack_id: Some(id.clone()),
    }))
    .await?;
    let deadline = spec.timeout_minutes.map_or(DEFAULT_DEADLINE, |m| {
        Duration::from_secs(u64::from(m).saturating_mul(60))
    });
    let stack = wait(cx, &cfn, &id, deadline).await?;
    let outputs = stack
        .outputs()
        .iter()
        .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
        .collect();
    Ok(Outputs { name, id, outputs })
}

fn terminal(status: &StackStatus) -> bool {
    let s = status.as_str();
    (s.ends_with("_COMPLETE") || s.ends_with("_FAILED")) && !s.ends_with("_IN_PROGRESS")
}

/// Polls the stack until it is terminal: `CREATE_COMPLETE` is the answer, anything
/// else fails with the first failing event's reason.
async fn wait(
    cx: &StepCx<'_>,
    cfn: &aws_sdk_cloudformation::Client,
    id: &str,
    deadline: Duration,
) -> Result<Stack, StepError> {
    cx.settle_within("stack", SettlePolicy::for_stack(deadline), || async {
        let answer = cfn
            .describe_stacks()
            .stack_name(id)
            .send()
            .await
            .map_err(|e| StepError::aws("DescribeStacks", &e))?;
        let stack = answer
            .stacks()
            .first()
            .cloned()
            .ok_or("DescribeStacks answered no stack")?;
        let status = stack
            .stack_status()
            .cloned()
            .ok_or("stack without status")?;
        if !terminal(&status) {
            return Ok(Err(status.as_str().to_owned()));
        }
        if status == StackStatus::CreateComplete {
            return Ok(Ok(stack));
        }
        let reason = match first_failure(cfn, id).await {
            Some(reason) => reason,
            None => stack
                .stack_status_reason()
                .unwrap_or("no reason given")
                .to_owned(),
        };
        Err(StepError::Local(format!(
            "stack ended {}: {reason}",
            status.as_str()
        )))
    })
    .await
}

async fn first_failure(cfn: &aws_sdk_cloudformation::Client, id: &str) -> Option<String> {
    let events = cfn
        .describe_stack_events()
        .stack_name(id)
        .send()
        .await
        .ok()?;
    events
        .stack_events()
        .iter()
        .rev()
        .find(|e| {
            e.resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"))
        })
        .map(|e| {
            format!(
                "{} {}: {}",
                e.logical_resource_id().unwrap_or("?"),
                e.resource_status().map_or("", |s| s.as_str()),
                e.resource_status_reason().unwrap_or("no reason")
            )
        })
}
