//! `CloudFormation`: templates (YAML with the short-form tags, or JSON) read by
//! [`yaml`] and checked by [`template`]; intrinsic functions and conditions in
//! [`intrinsics`]; resource types made through the sandbox's own IAM and S3
//! operations, authorized as the caller, through [`resources`]'s `Actor`, each type
//! one [`types::ResourceType`] beside the service that owns it; stack operations (create,
//! update, delete, rollback) in [`engine`]; what a stack keeps and how its status is
//! revealed on the sandbox's clock in [`stack`]; the query-protocol operations in
//! [`api`]. Nothing here sees HTTP.

pub mod api;
pub mod engine;
pub mod intrinsics;
mod json;
pub mod resources;
pub mod stack;
pub mod template;
pub mod types;
pub mod yaml;

pub use stack::Stack;

use crate::auth::Caller;
use crate::services::{ApiError, Input, Shape};
use crate::state::World;
use resources::Authorize;

/// Whether `action` is a `CloudFormation` operation the sandbox answers itself.
pub fn handles(action: &str) -> bool {
    api::OPERATIONS.contains(&action)
}

/// Runs `CloudFormation` operation `action` for `caller` in `region`; `authorize`
/// decides each check (the operation's own, then each resource call's). Returns the
/// answer and whether the world changed (to commit). Operations validate before they
/// change anything, so an `Err` leaves the world as it was.
pub fn handle(
    action: &str,
    input: &Input,
    world: &mut World,
    caller: &Caller,
    region: &str,
    authorize: &mut Authorize,
) -> (Result<Shape, ApiError>, bool) {
    let mut request = api::Request {
        input,
        caller,
        region: if region.is_empty() {
            "us-east-1"
        } else {
            region
        },
        authorize,
    };
    let run = match action {
        "CreateStack" => api::create_stack,
        "UpdateStack" => api::update_stack,
        "DeleteStack" => api::delete_stack,
        "DescribeStacks" => api::describe_stacks,
        "DescribeStackEvents" => api::describe_stack_events,
        "DescribeStackResource" => api::describe_stack_resource,
        "DescribeStackResources" => api::describe_stack_resources,
        "ListStacks" => api::list_stacks,
        "ListStackResources" => api::list_stack_resources,
        "GetTemplate" => api::get_template,
        "ValidateTemplate" => api::validate_template,
        "GetTemplateSummary" => api::get_template_summary,
        "CreateChangeSet" => api::create_change_set,
        "DescribeChangeSet" => api::describe_change_set,
        "ExecuteChangeSet" => api::execute_change_set,
        "DeleteChangeSet" => api::delete_change_set,
        "ListChangeSets" => api::list_change_sets,
        "ListExports" => api::list_exports,
        "UpdateTerminationProtection" => api::update_termination_protection,
        other => {
            return (
                Err(ApiError::new(
                    400,
                    "InvalidAction",
                    format!("Could not find operation {other} for version 2010-05-15"),
                )),
                false,
            );
        }
    };
    let answer = run(world, &mut request);
    let commit = answer.is_ok();
    (answer, commit)
}
