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

use crate::services::CallOperation;
use api::checks;

/// A `CloudFormation` operation: its own action authorized through its `checks`
/// before it runs, like every service's; the calls a stack makes are authorized as
/// it goes, through the [`Call`](crate::services::Call)'s authorizer.
pub type StackOperation = CallOperation;

/// One operation.
macro_rules! operation {
    ($name:literal, $function:ident, mutates: $mutates:literal) => {
        StackOperation {
            name: $name,
            mutates: $mutates,
            checks: checks::$function,
            run: api::$function,
        }
    };
}

/// The operations answered, as the registry lists them. A read that catches a stack
/// up with the sandbox's clock (its status, its events) changes the world too.
pub const OPERATIONS: &[StackOperation] = &[
    operation!("CreateStack", create_stack, mutates: true),
    operation!("UpdateStack", update_stack, mutates: true),
    operation!("DeleteStack", delete_stack, mutates: true),
    operation!("DescribeStacks", describe_stacks, mutates: true),
    operation!("DescribeStackEvents", describe_stack_events, mutates: true),
    operation!("DescribeStackResource", describe_stack_resource, mutates: true),
    operation!("DescribeStackResources", describe_stack_resources, mutates: true),
    operation!("ListStacks", list_stacks, mutates: true),
    operation!("ListStackResources", list_stack_resources, mutates: true),
    operation!("GetTemplate", get_template, mutates: true),
    operation!("ValidateTemplate", validate_template, mutates: true),
    operation!("GetTemplateSummary", get_template_summary, mutates: true),
    operation!("CreateChangeSet", create_change_set, mutates: true),
    operation!("DescribeChangeSet", describe_change_set, mutates: true),
    operation!("ExecuteChangeSet", execute_change_set, mutates: true),
    operation!("DeleteChangeSet", delete_change_set, mutates: true),
    operation!("ListChangeSets", list_change_sets, mutates: true),
    operation!("ListExports", list_exports, mutates: true),
    operation!("UpdateTerminationProtection", update_termination_protection, mutates: true),
];
