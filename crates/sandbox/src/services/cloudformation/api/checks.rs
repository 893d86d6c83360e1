//! What authorizes each `CloudFormation` operation's own action: the dispatcher decides
//! these checks before the operation runs, as it does IAM's and S3's (the resources a
//! stack makes are authorized later, one call at a time, as the caller or the stack's
//! role). A stack operation is authorized on the stack's id, or, for a stack that does
//! not exist yet, on `stack/NAME/*`; a list or a template check on `*` (Service
//! Authorization Reference, "Actions defined by AWS `CloudFormation`").

use super::{ApiError, Request, World, check_stack_name};
use crate::services::Check;

fn on(action: &str, resource: impl Into<String>) -> Vec<Check> {
    vec![Check::new(&format!("cloudformation:{action}"), resource)]
}

/// The id of the stack `StackName` names (required).
fn stack(world: &World, request: &Request) -> Result<String, ApiError> {
    let name = request.input.required("StackName")?;
    request.find(world, name)
}

/// The id of the stack a change set belongs to.
fn change_set_stack(world: &World, request: &Request) -> Result<String, ApiError> {
    let name = request.input.required("ChangeSetName")?;
    super::change_set_stack(world, request, name)
}

pub fn create_stack(_: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    let name = request.input.required("StackName")?;
    check_stack_name(name)?;
    Ok(on("CreateStack", request.stack_arn_pattern(name)))
}

pub fn update_stack(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("UpdateStack", stack(world, request)?))
}

pub fn delete_stack(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    let name = request.input.required("StackName")?;
    match request.find(world, name) {
        Ok(id) => Ok(on("DeleteStack", id)),
        // Deleting a stack that does not exist succeeds, if allowed.
        Err(_) => Ok(on("DeleteStack", request.stack_arn_pattern(name))),
    }
}

pub fn update_termination_protection(
    world: &World,
    request: &Request,
) -> Result<Vec<Check>, ApiError> {
    request.input.required("StackName")?;
    request.input.required("EnableTerminationProtection")?;
    Ok(on("UpdateTerminationProtection", stack(world, request)?))
}

pub fn describe_stacks(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    if request.input.get("StackName").is_some() {
        Ok(on("DescribeStacks", stack(world, request)?))
    } else {
        Ok(on("DescribeStacks", "*"))
    }
}

pub fn describe_stack_events(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("DescribeStackEvents", stack(world, request)?))
}

pub fn describe_stack_resource(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("DescribeStackResource", stack(world, request)?))
}

pub fn describe_stack_resources(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("DescribeStackResources", stack(world, request)?))
}

pub fn list_stack_resources(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ListStackResources", stack(world, request)?))
}

pub fn get_template(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("GetTemplate", stack(world, request)?))
}

pub fn get_template_summary(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    if request.input.get("StackName").is_some() {
        Ok(on("GetTemplateSummary", stack(world, request)?))
    } else {
        Ok(on("GetTemplateSummary", "*"))
    }
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "every operation's checks answer a Result"
)]
pub fn list_stacks(_: &World, _: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ListStacks", "*"))
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "every operation's checks answer a Result"
)]
pub fn validate_template(_: &World, _: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ValidateTemplate", "*"))
}

#[expect(
    clippy::unnecessary_wraps,
    reason = "every operation's checks answer a Result"
)]
pub fn list_exports(_: &World, _: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ListExports", "*"))
}

pub fn create_change_set(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    let name = request.input.required("StackName")?;
    request.input.required("ChangeSetName")?;
    match request.find(world, name) {
        Ok(id) => Ok(on("CreateChangeSet", id)),
        // A change set that creates its stack.
        Err(_) => Ok(on("CreateChangeSet", request.stack_arn_pattern(name))),
    }
}

pub fn describe_change_set(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("DescribeChangeSet", change_set_stack(world, request)?))
}

pub fn execute_change_set(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ExecuteChangeSet", change_set_stack(world, request)?))
}

pub fn delete_change_set(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("DeleteChangeSet", change_set_stack(world, request)?))
}

pub fn list_change_sets(world: &World, request: &Request) -> Result<Vec<Check>, ApiError> {
    Ok(on("ListChangeSets", stack(world, request)?))
}
