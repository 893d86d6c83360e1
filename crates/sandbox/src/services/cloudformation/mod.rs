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

use crate::auth::Caller;
use crate::services::{ApiError, Input, Shape};
use crate::state::World;
use resources::Authorize;

/// A `CloudFormation` operation: it authorizes as it goes (its own action first, then
/// each call a stack makes, as the caller or the stack's role) through the request's
/// authorizer, so it is not a checked [`crate::services::Operation`].
pub struct StackOperation {
    pub name: &'static str,
    pub run: fn(&mut World, &mut api::Request) -> Result<Shape, ApiError>,
}

/// The operations answered, as the registry lists them.
pub const OPERATIONS: &[StackOperation] = &[
    StackOperation {
        name: "CreateStack",
        run: api::create_stack,
    },
    StackOperation {
        name: "UpdateStack",
        run: api::update_stack,
    },
    StackOperation {
        name: "DeleteStack",
        run: api::delete_stack,
    },
    StackOperation {
        name: "DescribeStacks",
        run: api::describe_stacks,
    },
    StackOperation {
        name: "DescribeStackEvents",
        run: api::describe_stack_events,
    },
    StackOperation {
        name: "DescribeStackResource",
        run: api::describe_stack_resource,
    },
    StackOperation {
        name: "DescribeStackResources",
        run: api::describe_stack_resources,
    },
    StackOperation {
        name: "ListStacks",
        run: api::list_stacks,
    },
    StackOperation {
        name: "ListStackResources",
        run: api::list_stack_resources,
    },
    StackOperation {
        name: "GetTemplate",
        run: api::get_template,
    },
    StackOperation {
        name: "ValidateTemplate",
        run: api::validate_template,
    },
    StackOperation {
        name: "GetTemplateSummary",
        run: api::get_template_summary,
    },
    StackOperation {
        name: "CreateChangeSet",
        run: api::create_change_set,
    },
    StackOperation {
        name: "DescribeChangeSet",
        run: api::describe_change_set,
    },
    StackOperation {
        name: "ExecuteChangeSet",
        run: api::execute_change_set,
    },
    StackOperation {
        name: "DeleteChangeSet",
        run: api::delete_change_set,
    },
    StackOperation {
        name: "ListChangeSets",
        run: api::list_change_sets,
    },
    StackOperation {
        name: "ListExports",
        run: api::list_exports,
    },
    StackOperation {
        name: "UpdateTerminationProtection",
        run: api::update_termination_protection,
    },
];

/// Runs `CloudFormation` operation `operation` for `caller` in `region`; `authorize`
/// decides each check (the operation's own, then each resource call's). Returns the
/// answer and whether the world changed (to commit). Operations validate before they
/// change anything, so an `Err` leaves the world as it was.
pub fn handle(
    operation: &StackOperation,
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
    let answer = (operation.run)(world, &mut request);
    let commit = answer.is_ok();
    (answer, commit)
}
