//! `cfn.stack`: creates a `CloudFormation` stack from a template file, follows its
//! events until a terminal state (showing the first failing event on failure), and
//! turns its outputs into step outputs; teardown deletes it and waits.

use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus, Tag};
use awslab_planner::StepId;
use awslab_planner::kinds::CfnStack;

use super::{describe, outputs};
use crate::client::cloudformation_client;
use crate::engine::{Engine, RUN_TAG, StepResult};
use crate::journal::ResourceRef;
use crate::scheduler::StepContext;

pub async fn create_stack_request(
    engine: &Engine,
    spec: &CfnStack,
) -> StepResult<(String, String, Vec<Parameter>)> {
    let name = engine.render(&spec.name.value)?;
    let path = engine
        .plan
        .base_dir()
        .join(engine.render(&spec.template.value)?);
    let body = tokio::fs::read_to_string(&path)
        .await
        .map_err(|e| format!("cannot read template `{}`: {e}", path.display()))?;
    let mut parameters = Vec::new();
    for (key, value) in &spec.parameters {
        parameters.push(
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(engine.render(&value.value)?)
                .build(),
        );
    }
    Ok((name, body, parameters))
}

pub async fn create(
    engine: &Engine,
    id: &StepId,
    spec: &CfnStack,
    context: &StepContext<StepId>,
) -> StepResult<()> {
    let cfn = cloudformation_client(engine.operator());
    let (name, body, parameters) = create_stack_request(engine, spec).await?;
    let capabilities: Vec<Capability> = spec
        .capabilities
        .iter()
        .map(|c| Capability::from(c.value.as_str()))
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
        .tags(
            Tag::builder()
                .key(RUN_TAG)
                .value(engine.options.run_id.to_string())
                .build(),
        );
    let pending = ResourceRef::CfnStack {
        name: name.clone(),
        stack_id: None,
    };
    let answer = super::create(engine, id, &pending, request.send()).await?;
    let stack_id = answer.stack_id().unwrap_or_default().to_owned();
    let resource = ResourceRef::CfnStack {
        name: name.clone(),
        stack_id: Some(stack_id.clone()),
    };
    engine
        .created(
            id,
            &resource,
            outputs([("name", name.clone()), ("id", stack_id.clone())]),
        )
        .await?;
    let stack = wait(engine, &stack_id, context, false).await?;
    let mut out = outputs([("name", name), ("id", stack_id)]);
    for output in stack.outputs() {
        if let (Some(key), Some(value)) = (output.output_key(), output.output_value()) {
            out.insert(format!("outputs.{key}"), value.to_owned());
        }
    }
    engine.created(id, &resource, out.clone()).await?;
    engine.set_outputs(id, out);
    Ok(())
}

fn terminal(status: &StackStatus) -> bool {
    let s = status.as_str();
    (s.ends_with("_COMPLETE") || s.ends_with("_FAILED")) && !s.ends_with("_IN_PROGRESS")
}

/// Polls the stack until it reaches a terminal state. On a failure, the message is
/// the first failing event's reason.
async fn wait(
    engine: &Engine,
    stack_id: &str,
    context: &StepContext<StepId>,
    deleting: bool,
) -> StepResult<aws_sdk_cloudformation::types::Stack> {
    let cfn = cloudformation_client(engine.operator());
    let mut delay = Duration::from_millis(250);
    let mut attempt = 0;
    loop {
        let answer = cfn
            .describe_stacks()
            .stack_name(stack_id)
            .send()
            .await
            .map_err(|e| describe("DescribeStacks", &e).1)?;
        let stack = answer
            .stacks()
            .first()
            .cloned()
            .ok_or("DescribeStacks answered no stack")?;
        let status = stack
            .stack_status()
            .cloned()
            .ok_or("stack without status")?;
        if terminal(&status) {
            let ok = if deleting {
                status == StackStatus::DeleteComplete
            } else {
                status == StackStatus::CreateComplete
            };
            if ok {
                return Ok(stack);
            }
            return Err(format!(
                "stack ended {}: {}",
                status.as_str(),
                first_failure(engine, stack_id)
                    .await
                    .unwrap_or_else(|| stack
                        .stack_status_reason()
                        .unwrap_or("no reason given")
                        .to_owned())
            ));
        }
        attempt += 1;
        context.retrying(attempt, format!("stack {}", status.as_str()));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = context.cancel_token().cancelled() => return Err("cancelled while the stack was still in progress (it is journaled; `awslab down` deletes it)".to_owned()),
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn first_failure(engine: &Engine, stack_id: &str) -> Option<String> {
    let cfn = cloudformation_client(engine.operator());
    let events = cfn
        .describe_stack_events()
        .stack_name(stack_id)
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

/// Deletes a stack and waits until it is gone (teardown).
pub async fn delete_stack(
    cfn: &aws_sdk_cloudformation::Client,
    name: &str,
    stack_id: Option<&str>,
    deadline: Duration,
) -> Result<(), String> {
    let target = stack_id.unwrap_or(name);
    if let Err(error) = cfn.delete_stack().stack_name(target).send().await {
        let (info, message) = describe("DeleteStack", &error);
        if info.class() == crate::classify::ErrorClass::NotFound {
            return Ok(());
        }
        return Err(message);
    }
    let start = std::time::Instant::now();
    let mut delay = Duration::from_millis(250);
    loop {
        match cfn.describe_stacks().stack_name(target).send().await {
            Ok(answer) => {
                let Some(stack) = answer.stacks().first() else {
                    return Ok(());
                };
                match stack.stack_status() {
                    Some(StackStatus::DeleteComplete) | None => return Ok(()),
                    Some(StackStatus::DeleteFailed) => {
                        return Err(format!(
                            "stack `{name}` ended DELETE_FAILED: {}",
                            stack.stack_status_reason().unwrap_or("no reason given")
                        ));
                    }
                    Some(_) => {}
                }
            }
            Err(error) => {
                let (info, message) = describe("DescribeStacks", &error);
                if info.class() == crate::classify::ErrorClass::NotFound {
                    return Ok(());
                }
                return Err(message);
            }
        }
        if start.elapsed() > deadline {
            return Err(format!(
                "stack `{name}` is still being deleted after {deadline:?}"
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
