//! The `CloudFormation` operations of the query protocol, with botocore's shapes:
//! stacks (create, update, delete, describe, list), their events, resources and
//! templates, `ValidateTemplate`, and change sets (what `aws cloudformation deploy`
//! uses). Each operation authorizes `cloudformation:<Action>` first; the resources a
//! stack makes are authorized one by one as the caller.

use super::engine::{self, Change, Plan};
use super::resources::{Actor, Authorize};
use super::stack::{ChangeSet, KEPT_DELETED, MAX_CHANGE_SETS, MAX_STACKS, Stack, StackEvent};
use super::template::Template;
use crate::auth::Caller;
use crate::services::{ApiError, Check, Input, Shape, Value, tag_list, timestamp};
use crate::state::World;

/// The largest `TemplateBody` `CloudFormation` accepts.
pub const MAX_TEMPLATE_BYTES: usize = 51_200;

/// The operations answered here; others fall to the generic "other service" answer.
pub const OPERATIONS: &[&str] = &[
    "CreateStack",
    "UpdateStack",
    "DeleteStack",
    "DescribeStacks",
    "DescribeStackEvents",
    "DescribeStackResource",
    "DescribeStackResources",
    "ListStacks",
    "ListStackResources",
    "GetTemplate",
    "ValidateTemplate",
    "GetTemplateSummary",
    "CreateChangeSet",
    "DescribeChangeSet",
    "ExecuteChangeSet",
    "DeleteChangeSet",
    "ListChangeSets",
    "ListExports",
];

pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    ApiError::new(400, "ValidationError", message)
}

/// What one request sees: the caller, the region, the authorizer.
pub struct Request<'a, 'b> {
    pub input: &'a Input,
    pub caller: &'a Caller,
    pub region: &'a str,
    pub authorize: &'a mut Authorize<'b>,
}

impl Request<'_, '_> {
    fn allow(&mut self, world: &World, action: &str, resource: &str) -> Result<(), ApiError> {
        let check = Check::new(&format!("cloudformation:{action}"), resource);
        (self.authorize)(world, self.caller, &[check])
    }

    fn stack_arn_pattern(&self, name: &str) -> String {
        format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/*",
            self.region, self.caller.account
        )
    }

    /// The stack named (or with id) `name` in the caller's account and region.
    fn find(&self, world: &World, name: &str) -> Result<String, ApiError> {
        let candidates = world
            .stacks
            .values()
            .filter(|stack| stack.account == self.caller.account && stack.region == self.region);
        let mut found = None;
        for stack in candidates {
            if stack.id == name {
                return Ok(stack.id.clone());
            }
            if stack.name == name && !stack.is_deleted() {
                found = Some(stack.id.clone());
            }
        }
        found.ok_or_else(|| validation(format!("Stack with id {name} does not exist")))
    }

    fn params(&self) -> Vec<(String, Option<String>, bool)> {
        (1..=200)
            .map_while(|index| {
                let key = self
                    .input
                    .get(&format!("Parameters.member.{index}.ParameterKey"))?;
                let value = self
                    .input
                    .get(&format!("Parameters.member.{index}.ParameterValue"))
                    .map(str::to_owned);
                let previous = self
                    .input
                    .get(&format!("Parameters.member.{index}.UsePreviousValue"))
                    == Some("true");
                Some((key.to_owned(), value, previous))
            })
            .collect()
    }

    /// Given parameters, with `UsePreviousValue` taken from `previous`.
    fn given(&self, previous: &[(String, String)]) -> Vec<(String, String)> {
        self.params()
            .into_iter()
            .filter_map(|(key, value, use_previous)| {
                if use_previous {
                    previous
                        .iter()
                        .find(|(name, _)| *name == key)
                        .map(|(_, value)| (key.clone(), value.clone()))
                } else {
                    Some((key, value.unwrap_or_default()))
                }
            })
            .collect()
    }

    fn tags(&self) -> Option<Vec<(String, String)>> {
        let tags = self.input.pairs("Tags", "Key", "Value");
        (!tags.is_empty()).then_some(tags)
    }

    fn body(&self, previous: Option<&str>) -> Result<String, ApiError> {
        if self.input.get("UsePreviousTemplate") == Some("true") {
            return previous.map(str::to_owned).ok_or_else(|| {
                validation("UsePreviousTemplate can only be used with an existing stack")
            });
        }
        if self.input.get("TemplateURL").is_some() {
            return Err(validation(
                "TemplateURL is not supported by the sandbox: send the template as TemplateBody",
            ));
        }
        let body = self
            .input
            .get("TemplateBody")
            .ok_or_else(|| validation("Either Template URL or Template Body must be specified."))?;
        if body.len() > MAX_TEMPLATE_BYTES {
            return Err(validation(format!(
                "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to {MAX_TEMPLATE_BYTES}"
            )));
        }
        Ok(body.to_owned())
    }
}

fn check_stack_name(name: &str) -> Result<(), ApiError> {
    let valid = name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )))
    }
}

fn capabilities(input: &Input) -> Vec<String> {
    input
        .list("Capabilities")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `InsufficientCapabilitiesException` when IAM resources lack their capability.
fn check_capabilities(template: &Template, given: &[String]) -> Result<(), ApiError> {
    let has = |name: &str| given.iter().any(|capability| capability == name);
    match template.needed_capability() {
        Some(true) if !has("CAPABILITY_NAMED_IAM") => Err(ApiError::new(
            400,
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_NAMED_IAM]",
        )),
        Some(false) if !has("CAPABILITY_IAM") && !has("CAPABILITY_NAMED_IAM") => {
            Err(ApiError::new(
                400,
                "InsufficientCapabilitiesException",
                "Requires capabilities : [CAPABILITY_IAM]",
            ))
        }
        _ => Ok(()),
    }
}

/// AWS's quota of stacks per account and region.
fn check_stack_quota(world: &World, request: &Request) -> Result<(), ApiError> {
    let live = world
        .stacks
        .values()
        .filter(|stack| {
            stack.account == request.caller.account
                && stack.region == request.region
                && stack.deleted.is_none()
        })
        .count();
    if live >= MAX_STACKS {
        return Err(ApiError::new(
            400,
            "LimitExceededException",
            format!("Limit on the number of stacks has been exceeded ({MAX_STACKS})"),
        ));
    }
    Ok(())
}

fn new_stack(world: &World, request: &Request, name: &str) -> Stack {
    Stack {
        id: format!(
            "arn:aws:cloudformation:{}:{}:stack/{name}/{}",
            request.region,
            request.caller.account,
            crate::ids::request_id()
        ),
        name: name.to_owned(),
        account: request.caller.account.clone(),
        region: request.region.to_owned(),
        created: world.now(),
        shown_at: world.now(),
        ..Stack::default()
    }
}

fn no_echo(template: &Template) -> Vec<String> {
    template
        .parameters
        .iter()
        .filter(|spec| spec.no_echo)
        .map(|spec| spec.name.clone())
        .collect()
}

/// The service role a stack acts as: the caller must be allowed `iam:PassRole` on
/// it, and its trust policy must name `cloudformation.amazonaws.com`.
fn service_role(world: &World, request: &mut Request, arn: &str) -> Result<Caller, ApiError> {
    let invalid = || validation(format!("Role {arn} is invalid or cannot be assumed"));
    let name = arn
        .strip_prefix(&format!("arn:aws:iam::{}:role/", request.caller.account))
        .and_then(|path| path.rsplit('/').next())
        .ok_or_else(invalid)?;
    let role = world
        .account(&request.caller.account)
        .and_then(|account| account.roles.get(&name.to_ascii_lowercase()))
        .ok_or_else(invalid)?;
    if !role.trust_policy.contains("cloudformation.amazonaws.com") {
        return Err(invalid());
    }
    let check =
        Check::new("iam:PassRole", arn).key("iam:PassedToService", "cloudformation.amazonaws.com");
    (request.authorize)(world, request.caller, &[check])?;
    let mut principal = awslab_policy::Principal::role_session(
        &request.caller.account,
        &role.name,
        "AWSCloudFormation",
    );
    principal.user_id = format!("{}:AWSCloudFormation", role.id);
    principal.source_arn = Some(role.arn.clone());
    principal.tags = role.tags.iter().cloned().collect();
    Ok(Caller {
        principal,
        account: request.caller.account.clone(),
        user: None,
        role: Some(role.name.to_ascii_lowercase()),
        session: None,
        access_key_id: None,
        mfa: false,
    })
}

/// The `RoleARN` of the request, else the stack's: checked, as the principal to act as.
fn acting_role(
    world: &World,
    request: &mut Request,
    stack: &mut Stack,
) -> Result<Option<Caller>, ApiError> {
    if let Some(arn) = request.input.get("RoleARN") {
        stack.role_arn = Some(arn.to_owned());
    }
    match stack.role_arn.clone() {
        Some(arn) => service_role(world, request, &arn).map(Some),
        None => Ok(None),
    }
}

fn run_with_actor(
    world: &mut World,
    request: &mut Request,
    stack: &mut Stack,
    acting: Option<&Caller>,
    work: impl FnOnce(&mut World, &mut Actor, &mut Stack),
) {
    let tags = stack.tags.clone();
    let (name, id) = (stack.name.clone(), stack.id.clone());
    let mut actor = Actor {
        caller: acting.unwrap_or(request.caller),
        authorize: &mut *request.authorize,
        region: request.region,
        stack_name: &name,
        stack_id: &id,
        tags: &tags,
    };
    work(world, &mut actor, stack);
}

/// Keeps the world bounded: the oldest deleted stacks of an account are forgotten.
fn prune(world: &mut World, account: &str) {
    let mut deleted: Vec<(i64, String)> = world
        .stacks
        .values()
        .filter(|stack| stack.account == account && stack.deleted.is_some() && stack.settled())
        .map(|stack| (stack.deleted.unwrap_or_default(), stack.id.clone()))
        .collect();
    if deleted.len() > KEPT_DELETED {
        deleted.sort();
        for (_, id) in deleted.iter().take(deleted.len() - KEPT_DELETED) {
            world.stacks.remove(id);
        }
    }
}

pub fn create_stack(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    check_stack_name(&name)?;
    request.allow(world, "CreateStack", &request.stack_arn_pattern(&name))?;
    if request.find(world, &name).is_ok() {
        return Err(ApiError::new(
            400,
            "AlreadyExistsException",
            format!("Stack [{name}] already exists"),
        ));
    }
    check_stack_quota(world, request)?;
    let body = request.body(None)?;
    let mut stack = new_stack(world, request, &name);
    let given = request.given(&[]);
    let plan = engine::plan(world, &body, &given, &stack).map_err(validation)?;
    let capabilities = capabilities(request.input);
    check_capabilities(&plan.template, &capabilities)?;
    stack.description.clone_from(&plan.template.description);
    stack.template = body;
    stack.parameters = plan.parameters.clone().into_iter().collect();
    stack.no_echo = no_echo(&plan.template);
    stack.capabilities = capabilities;
    stack.tags = request.tags().unwrap_or_default();
    stack.disable_rollback = request.input.get("DisableRollback") == Some("true")
        || request.input.get("OnFailure") == Some("DO_NOTHING");
    stack.timeout_minutes = request.input.integer("TimeoutInMinutes")?;
    stack.delete_on_failure = request.input.get("OnFailure") == Some("DELETE");
    let acting = acting_role(world, request, &mut stack)?;
    run_with_actor(
        world,
        request,
        &mut stack,
        acting.as_ref(),
        |world, actor, stack| {
            engine::create(world, actor, stack, &plan);
        },
    );
    let id = stack.id.clone();
    world.stacks.insert(id.clone(), stack);
    Ok(Shape::new().text("StackId", id))
}

fn updatable(stack: &Stack) -> Result<(), ApiError> {
    let status = stack.final_status();
    let ok = matches!(
        status.as_str(),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
    ) && stack.settled();
    if ok {
        Ok(())
    } else {
        Err(validation(format!(
            "Stack:{} is in {} state and can not be updated.",
            stack.id,
            stack.status().0
        )))
    }
}

fn previous_plan(world: &World, stack: &Stack) -> Result<Plan, ApiError> {
    engine::plan(world, &stack.template, &stack.parameters, stack).map_err(validation)
}

pub fn update_stack(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let id = request.find(world, &name)?;
    request.allow(world, "UpdateStack", &id)?;
    let mut stack = world
        .stacks
        .get(&id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    stack.catch_up(world.now());
    updatable(&stack)?;
    let body = request.body(Some(&stack.template))?;
    let given = request.given(&stack.parameters);
    let plan = engine::plan(world, &body, &given, &stack).map_err(validation)?;
    let capabilities = capabilities(request.input);
    check_capabilities(&plan.template, &capabilities)?;
    let tags = request.tags().unwrap_or_else(|| stack.tags.clone());
    let parameters: Vec<(String, String)> = plan.parameters.clone().into_iter().collect();
    if body == stack.template && parameters == stack.parameters && tags == stack.tags {
        return Err(validation("No updates are to be performed."));
    }
    let previous = previous_plan(world, &stack)?;
    let acting = acting_role(world, request, &mut stack)?;
    stack.template = body;
    stack.parameters = parameters;
    stack.no_echo = no_echo(&plan.template);
    stack.description.clone_from(&plan.template.description);
    stack.capabilities = capabilities;
    stack.tags = tags;
    run_with_actor(
        world,
        request,
        &mut stack,
        acting.as_ref(),
        |world, actor, stack| {
            engine::update(world, actor, stack, &plan, &previous);
        },
    );
    world.stacks.insert(id.clone(), stack);
    Ok(Shape::new().text("StackId", id))
}

pub fn delete_stack(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let Ok(id) = request.find(world, &name) else {
        // AWS answers success for a stack that does not exist.
        request.allow(world, "DeleteStack", &request.stack_arn_pattern(&name))?;
        return Ok(Shape::new());
    };
    request.allow(world, "DeleteStack", &id)?;
    let mut stack = world
        .stacks
        .get(&id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    if stack.deleted.is_some() {
        return Ok(Shape::new());
    }
    stack.settle();
    let acting = acting_role(world, request, &mut stack)?;
    run_with_actor(
        world,
        request,
        &mut stack,
        acting.as_ref(),
        |world, actor, stack| {
            engine::delete(world, actor, stack);
        },
    );
    world.stacks.insert(id, stack);
    prune(world, &request.caller.account);
    Ok(Shape::new())
}

fn stack_shape(stack: &Stack) -> Shape {
    let (status, reason) = stack.status();
    let parameters = stack
        .parameters
        .iter()
        .map(|(key, value)| {
            let shown = if stack.no_echo.contains(key) {
                "****".to_owned()
            } else {
                value.clone()
            };
            Value::Struct(
                Shape::new()
                    .text("ParameterKey", key)
                    .text("ParameterValue", shown),
            )
        })
        .collect();
    let show_outputs = !status.ends_with("IN_PROGRESS")
        && !matches!(
            status.as_str(),
            "ROLLBACK_COMPLETE" | "DELETE_COMPLETE" | "CREATE_FAILED"
        );
    let outputs = if show_outputs {
        stack
            .outputs
            .iter()
            .map(|output| {
                Value::Struct(
                    Shape::new()
                        .text("OutputKey", &output.key)
                        .text("OutputValue", &output.value)
                        .maybe("Description", output.description.as_ref())
                        .maybe("ExportName", output.export.as_ref()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    Shape::new()
        .text("StackId", &stack.id)
        .text("StackName", &stack.name)
        .maybe("ChangeSetId", stack.change_set_id.as_ref())
        .maybe("Description", stack.description.as_ref())
        .list("Parameters", parameters)
        .text("CreationTime", timestamp(stack.created))
        .maybe(
            "DeletionTime",
            stack
                .deleted
                .filter(|_| status == "DELETE_COMPLETE")
                .map(timestamp),
        )
        .maybe("LastUpdatedTime", stack.updated.map(timestamp))
        .text("StackStatus", &status)
        .maybe("StackStatusReason", reason)
        .text("DisableRollback", stack.disable_rollback)
        .list("NotificationARNs", Vec::new())
        .maybe("TimeoutInMinutes", stack.timeout_minutes)
        .list(
            "Capabilities",
            stack
                .capabilities
                .iter()
                .map(|item| Value::Text(item.clone()))
                .collect(),
        )
        .list("Outputs", outputs)
        .maybe("RoleARN", stack.role_arn.as_ref())
        .list("Tags", tag_list(&stack.tags))
        .text("EnableTerminationProtection", false)
        .child(
            "DriftInformation",
            Shape::new().text("StackDriftStatus", "NOT_CHECKED"),
        )
}

pub fn describe_stacks(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let now = world.now();
    let ids: Vec<String> = if let Some(name) = request.input.get("StackName") {
        let name = name.to_owned();
        let id = request.find(world, &name)?;
        request.allow(world, "DescribeStacks", &id)?;
        vec![id]
    } else {
        {
            request.allow(world, "DescribeStacks", "*")?;
            world
                .stacks
                .values()
                .filter(|stack| {
                    stack.account == request.caller.account
                        && stack.region == request.region
                        && !stack.is_deleted()
                })
                .map(|stack| stack.id.clone())
                .collect()
        }
    };
    let mut shapes = Vec::new();
    for id in ids {
        if let Some(stack) = world.stacks.get_mut(&id) {
            stack.catch_up(now);
            shapes.push(Value::Struct(stack_shape(stack)));
            stack.observed(now);
        }
    }
    Ok(Shape::new().list("Stacks", shapes))
}

/// `NoEcho` parameter values masked in text an answer shows.
fn masked(stack: &Stack, text: &str) -> String {
    let mut out = text.to_owned();
    for (key, value) in &stack.parameters {
        if stack.no_echo.contains(key) && !value.is_empty() {
            out = out.replace(value.as_str(), "****");
        }
    }
    out
}

fn event_shape(stack: &Stack, event: &StackEvent) -> Value {
    Value::Struct(
        Shape::new()
            .text("StackId", &stack.id)
            .text("EventId", &event.id)
            .text("StackName", &stack.name)
            .text("LogicalResourceId", &event.logical)
            .text("PhysicalResourceId", &event.physical)
            .text("ResourceType", &event.kind)
            .text("Timestamp", timestamp(event.at))
            .text("ResourceStatus", &event.status)
            .maybe("ResourceStatusReason", event.reason.as_ref())
            .maybe(
                "ResourceProperties",
                event.properties.as_ref().map(|text| masked(stack, text)),
            ),
    )
}

/// Reads a stack (catching it up with the clock) for a read-only operation.
fn read_stack(world: &mut World, request: &mut Request, action: &str) -> Result<Stack, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let id = request.find(world, &name)?;
    request.allow(world, action, &id)?;
    let now = world.now();
    let stack = world
        .stacks
        .get_mut(&id)
        .ok_or_else(|| validation("Stack vanished"))?;
    stack.catch_up(now);
    Ok(stack.clone())
}

pub fn describe_stack_events(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "DescribeStackEvents")?;
    let start: usize = request
        .input
        .get("NextToken")
        .and_then(|token| token.parse().ok())
        .unwrap_or(0);
    let events: Vec<&StackEvent> = stack.visible_events().iter().rev().collect();
    let page: Vec<Value> = events
        .iter()
        .skip(start)
        .take(100)
        .map(|event| event_shape(&stack, event))
        .collect();
    let next = (start + 100 < events.len()).then(|| (start + 100).to_string());
    Ok(Shape::new()
        .list("StackEvents", page)
        .maybe("NextToken", next))
}

/// The stack's resources as now visible, with their latest visible event.
fn visible_resources(stack: &Stack) -> Vec<(&super::stack::StackResource, &StackEvent)> {
    stack
        .resources
        .iter()
        .filter_map(|resource| {
            stack
                .visible_status(&resource.logical)
                .map(|event| (resource, event))
        })
        .collect()
}

pub fn describe_stack_resources(
    world: &mut World,
    request: &mut Request,
) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "DescribeStackResources")?;
    let only = request.input.get("LogicalResourceId");
    let items = visible_resources(&stack)
        .into_iter()
        .filter(|(resource, _)| only.is_none_or(|logical| resource.logical == logical))
        .map(|(resource, event)| {
            Value::Struct(
                Shape::new()
                    .text("StackName", &stack.name)
                    .text("StackId", &stack.id)
                    .text("LogicalResourceId", &resource.logical)
                    .text("PhysicalResourceId", &resource.made.physical)
                    .text("ResourceType", &resource.kind)
                    .text("Timestamp", timestamp(event.at))
                    .text("ResourceStatus", &event.status)
                    .maybe("ResourceStatusReason", event.reason.as_ref())
                    .child(
                        "DriftInformation",
                        Shape::new().text("StackResourceDriftStatus", "NOT_CHECKED"),
                    ),
            )
        })
        .collect();
    Ok(Shape::new().list("StackResources", items))
}

pub fn describe_stack_resource(
    world: &mut World,
    request: &mut Request,
) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "DescribeStackResource")?;
    let logical = request.input.required("LogicalResourceId")?;
    let Some((resource, event)) = visible_resources(&stack)
        .into_iter()
        .find(|(resource, _)| resource.logical == logical)
    else {
        return Err(validation(format!(
            "Resource {logical} does not exist for stack {}",
            stack.name
        )));
    };
    Ok(Shape::new().child(
        "StackResourceDetail",
        Shape::new()
            .text("StackName", &stack.name)
            .text("StackId", &stack.id)
            .text("LogicalResourceId", &resource.logical)
            .text("PhysicalResourceId", &resource.made.physical)
            .text("ResourceType", &resource.kind)
            .text("LastUpdatedTimestamp", timestamp(event.at))
            .text("ResourceStatus", &event.status)
            .maybe("ResourceStatusReason", event.reason.as_ref())
            .child(
                "DriftInformation",
                Shape::new().text("StackResourceDriftStatus", "NOT_CHECKED"),
            ),
    ))
}

pub fn list_stack_resources(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "ListStackResources")?;
    let items = visible_resources(&stack)
        .into_iter()
        .map(|(resource, event)| {
            Value::Struct(
                Shape::new()
                    .text("LogicalResourceId", &resource.logical)
                    .text("PhysicalResourceId", &resource.made.physical)
                    .text("LastUpdatedTimestamp", timestamp(event.at))
                    .text("ResourceStatus", &event.status)
                    .maybe("ResourceStatusReason", event.reason.as_ref())
                    .text("ResourceType", &resource.kind)
                    .child(
                        "DriftInformation",
                        Shape::new().text("StackResourceDriftStatus", "NOT_CHECKED"),
                    ),
            )
        })
        .collect();
    Ok(Shape::new().list("StackResourceSummaries", items))
}

pub fn list_stacks(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    request.allow(world, "ListStacks", "*")?;
    let now = world.now();
    let filter: Vec<String> = request
        .input
        .list("StackStatusFilter")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut items = Vec::new();
    for stack in world.stacks.values_mut() {
        if stack.account != request.caller.account || stack.region != request.region {
            continue;
        }
        stack.catch_up(now);
        let (status, reason) = stack.status();
        if !filter.is_empty() && !filter.contains(&status) {
            continue;
        }
        items.push((
            stack.created,
            Value::Struct(
                Shape::new()
                    .text("StackId", &stack.id)
                    .text("StackName", &stack.name)
                    .maybe("TemplateDescription", stack.description.as_ref())
                    .text("CreationTime", timestamp(stack.created))
                    .maybe("LastUpdatedTime", stack.updated.map(timestamp))
                    .maybe(
                        "DeletionTime",
                        stack
                            .deleted
                            .filter(|_| status == "DELETE_COMPLETE")
                            .map(timestamp),
                    )
                    .text("StackStatus", &status)
                    .maybe("StackStatusReason", reason)
                    .child(
                        "DriftInformation",
                        Shape::new().text("StackDriftStatus", "NOT_CHECKED"),
                    ),
            ),
        ));
    }
    items.sort_by_key(|(created, _)| std::cmp::Reverse(*created));
    Ok(Shape::new().list(
        "StackSummaries",
        items.into_iter().map(|(_, item)| item).collect(),
    ))
}

pub fn get_template(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "GetTemplate")?;
    let body = match request.input.get("ChangeSetName") {
        Some(name) => find_change_set(&stack, name)?.template.clone(),
        None => stack.template.clone(),
    };
    Ok(Shape::new().text("TemplateBody", body).list(
        "StagesAvailable",
        vec![
            Value::Text("Original".to_owned()),
            Value::Text("Processed".to_owned()),
        ],
    ))
}

pub fn validate_template(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    request.allow(world, "ValidateTemplate", "*")?;
    let body = request.body(None)?;
    let template = Template::parse(&body).map_err(validation)?;
    let parameters = template
        .parameters
        .iter()
        .map(|spec| {
            Value::Struct(
                Shape::new()
                    .text("ParameterKey", &spec.name)
                    .maybe("DefaultValue", spec.default.as_ref())
                    .text("NoEcho", spec.no_echo)
                    .maybe("Description", spec.description.as_ref()),
            )
        })
        .collect();
    let mut shape = Shape::new()
        .list("Parameters", parameters)
        .maybe("Description", template.description.as_ref());
    if let Some(named) = template.needed_capability() {
        let kinds: Vec<&str> = template
            .resources
            .iter()
            .filter(|spec| super::resources::iam_name_property(&spec.kind).is_some())
            .map(|spec| spec.kind.as_str())
            .collect();
        shape = shape
            .list(
                "Capabilities",
                vec![Value::Text(
                    if named {
                        "CAPABILITY_NAMED_IAM"
                    } else {
                        "CAPABILITY_IAM"
                    }
                    .to_owned(),
                )],
            )
            .text(
                "CapabilitiesReason",
                format!(
                    "The following resource(s) require capabilities: [{}]",
                    kinds.join(", ")
                ),
            );
    }
    Ok(shape)
}

pub fn get_template_summary(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let body = if request.input.get("StackName").is_some() {
        read_stack(world, request, "GetTemplateSummary")?.template
    } else {
        request.allow(world, "GetTemplateSummary", "*")?;
        request.body(None)?
    };
    let template = Template::parse(&body).map_err(validation)?;
    let parameters = template
        .parameters
        .iter()
        .map(|spec| {
            let constraints = Shape::new().list(
                "AllowedValues",
                spec.allowed_values
                    .iter()
                    .map(|value| Value::Text(value.clone()))
                    .collect(),
            );
            Value::Struct(
                Shape::new()
                    .text("ParameterKey", &spec.name)
                    .maybe("DefaultValue", spec.default.as_ref())
                    .text("ParameterType", &spec.kind)
                    .text("NoEcho", spec.no_echo)
                    .maybe("Description", spec.description.as_ref())
                    .child("ParameterConstraints", constraints),
            )
        })
        .collect();
    let mut kinds: Vec<String> = template
        .resources
        .iter()
        .map(|spec| spec.kind.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    let mut shape = Shape::new()
        .list("Parameters", parameters)
        .maybe("Description", template.description.as_ref());
    if let Some(named) = template.needed_capability() {
        shape = shape.list(
            "Capabilities",
            vec![Value::Text(
                if named {
                    "CAPABILITY_NAMED_IAM"
                } else {
                    "CAPABILITY_IAM"
                }
                .to_owned(),
            )],
        );
    }
    Ok(shape
        .list(
            "ResourceTypes",
            kinds.into_iter().map(Value::Text).collect(),
        )
        .text("Version", "2010-09-09")
        .list("DeclaredTransforms", Vec::new()))
}

fn find_change_set<'s>(stack: &'s Stack, name: &str) -> Result<&'s ChangeSet, ApiError> {
    stack
        .change_sets
        .iter()
        .find(|change_set| change_set.id == name || change_set.name == name)
        .ok_or_else(|| {
            ApiError::new(
                404,
                "ChangeSetNotFound",
                format!("ChangeSet [{name}] does not exist"),
            )
        })
}

/// The stack holding change set `name` (an ARN, or a name with `StackName`).
fn change_set_stack(world: &World, request: &Request, name: &str) -> Result<String, ApiError> {
    if name.starts_with("arn:") {
        return world
            .stacks
            .values()
            .find(|stack| {
                stack
                    .change_sets
                    .iter()
                    .any(|change_set| change_set.id == name)
            })
            .filter(|stack| stack.account == request.caller.account)
            .map(|stack| stack.id.clone())
            .ok_or_else(|| {
                ApiError::new(
                    404,
                    "ChangeSetNotFound",
                    format!("ChangeSet [{name}] does not exist"),
                )
            });
    }
    let stack = request.input.get("StackName").ok_or_else(|| {
        validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
    })?;
    request.find(world, stack)
}

#[expect(clippy::too_many_lines, reason = "one change set, validated then kept")]
pub fn create_change_set(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let change_set_name = request.input.required("ChangeSetName")?.to_owned();
    let kind = request
        .input
        .get("ChangeSetType")
        .unwrap_or("UPDATE")
        .to_owned();
    let existing = request.find(world, &name).ok();
    let mut stack = match (&existing, kind.as_str()) {
        (Some(id), "CREATE") => {
            let stack = world
                .stacks
                .get(id)
                .cloned()
                .ok_or_else(|| validation("Stack vanished"))?;
            if stack.final_status() != "REVIEW_IN_PROGRESS" {
                return Err(ApiError::new(
                    400,
                    "AlreadyExistsException",
                    format!(
                        "Stack [{name}] already exists and cannot be created again with the changeSet [{change_set_name}]."
                    ),
                ));
            }
            stack
        }
        (None, "CREATE") => {
            check_stack_name(&name)?;
            check_stack_quota(world, request)?;
            new_stack(world, request, &name)
        }
        (Some(id), "UPDATE") => world
            .stacks
            .get(id)
            .cloned()
            .ok_or_else(|| validation("Stack vanished"))?,
        (None, "UPDATE") => return Err(validation(format!("Stack [{name}] does not exist"))),
        _ => {
            return Err(validation(format!(
                "ChangeSetType {kind} is not supported by the sandbox (CREATE or UPDATE)"
            )));
        }
    };
    request.allow(world, "CreateChangeSet", &stack.id)?;
    if stack.change_sets.len() >= MAX_CHANGE_SETS {
        return Err(ApiError::new(
            400,
            "LimitExceededException",
            format!("Stack [{name}] already has {MAX_CHANGE_SETS} change sets: delete some first"),
        ));
    }
    if stack
        .change_sets
        .iter()
        .any(|change_set| change_set.name == change_set_name)
    {
        return Err(ApiError::new(
            400,
            "AlreadyExistsException",
            format!("ChangeSet {change_set_name} already exists"),
        ));
    }
    if kind == "UPDATE" {
        stack.catch_up(world.now());
        updatable(&stack)?;
    }
    let body = request.body(Some(&stack.template))?;
    let given = request.given(&stack.parameters);
    let plan = engine::plan(world, &body, &given, &stack).map_err(validation)?;
    let capabilities = capabilities(request.input);
    check_capabilities(&plan.template, &capabilities)?;
    let tags = request.tags().unwrap_or_else(|| stack.tags.clone());
    let parameters: Vec<(String, String)> = plan.parameters.clone().into_iter().collect();
    let changes: Vec<(Change, String, String, bool)> = if kind == "CREATE" {
        plan.order
            .iter()
            .map(|logical| {
                let spec_kind = plan
                    .template
                    .resource(logical)
                    .map(|spec| spec.kind.clone())
                    .unwrap_or_default();
                (Change::Add, logical.clone(), spec_kind, false)
            })
            .collect()
    } else {
        engine::changes(world, &stack, &plan)
    };
    let role_arn = request.input.get("RoleARN").map(str::to_owned);
    if let Some(arn) = &role_arn {
        service_role(world, request, arn)?;
    }
    let unchanged = kind == "UPDATE"
        && body == stack.template
        && parameters == stack.parameters
        && tags == stack.tags;
    let now = world.now();
    let id = format!(
        "arn:aws:cloudformation:{}:{}:changeSet/{change_set_name}/{}",
        request.region,
        request.caller.account,
        crate::ids::request_id()
    );
    let change_set = ChangeSet {
        id: id.clone(),
        name: change_set_name,
        kind: kind.clone(),
        description: request.input.get("Description").map(str::to_owned),
        template: body,
        parameters,
        capabilities,
        tags,
        created: now,
        status: if unchanged { "FAILED" } else { "CREATE_COMPLETE" }.to_owned(),
        status_reason: unchanged.then(|| "The submitted information didn't contain changes. Submit different information to create a change set.".to_owned()),
        role_arn,
        execution_status: if unchanged { "UNAVAILABLE" } else { "AVAILABLE" }.to_owned(),
        changes: changes
            .into_iter()
            .map(|(change, logical, resource_kind, replaced)| {
                let physical = stack
                    .resources
                    .iter()
                    .find(|resource| resource.logical == logical)
                    .map(|resource| resource.made.physical.clone())
                    .unwrap_or_default();
                let (action, replacement) = match change {
                    Change::Add => ("Add", ""),
                    Change::Modify if replaced => ("Modify", "True"),
                    Change::Modify => ("Modify", "False"),
                    Change::Remove => ("Remove", ""),
                };
                (action.to_owned(), logical, physical, resource_kind, replacement.to_owned())
            })
            .collect(),
    };
    if existing.is_none() {
        stack.begin(now);
        stack.stack_event(now, "REVIEW_IN_PROGRESS", Some("User Initiated".to_owned()));
        stack.template.clone_from(&change_set.template);
        stack.tags.clone_from(&change_set.tags);
    }
    stack.change_sets.push(change_set);
    let stack_id = stack.id.clone();
    world.stacks.insert(stack_id.clone(), stack);
    Ok(Shape::new().text("Id", id).text("StackId", stack_id))
}

pub fn describe_change_set(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("ChangeSetName")?.to_owned();
    let stack_id = change_set_stack(world, request, &name)?;
    request.allow(world, "DescribeChangeSet", &stack_id)?;
    let stack = world
        .stacks
        .get(&stack_id)
        .ok_or_else(|| validation("Stack vanished"))?;
    let change_set = find_change_set(stack, &name)?;
    let changes = change_set
        .changes
        .iter()
        .map(|(action, logical, physical, kind, replacement)| {
            let mut change = Shape::new()
                .text("Action", action)
                .text("LogicalResourceId", logical);
            if !physical.is_empty() {
                change = change.text("PhysicalResourceId", physical);
            }
            change = change.text("ResourceType", kind);
            if !replacement.is_empty() {
                change = change.text("Replacement", replacement);
            }
            Value::Struct(Shape::new().text("Type", "Resource").child(
                "ResourceChange",
                change.list("Scope", Vec::new()).list("Details", Vec::new()),
            ))
        })
        .collect();
    Ok(Shape::new()
        .text("ChangeSetName", &change_set.name)
        .text("ChangeSetId", &change_set.id)
        .text("StackId", &stack.id)
        .text("StackName", &stack.name)
        .maybe("Description", change_set.description.as_ref())
        .list(
            "Parameters",
            change_set
                .parameters
                .iter()
                .map(|(key, value)| {
                    Value::Struct(
                        Shape::new()
                            .text("ParameterKey", key)
                            .text("ParameterValue", value),
                    )
                })
                .collect(),
        )
        .text("CreationTime", timestamp(change_set.created))
        .text("ExecutionStatus", &change_set.execution_status)
        .text("Status", &change_set.status)
        .maybe("StatusReason", change_set.status_reason.as_ref())
        .list("NotificationARNs", Vec::new())
        .list(
            "Capabilities",
            change_set
                .capabilities
                .iter()
                .map(|item| Value::Text(item.clone()))
                .collect(),
        )
        .list("Tags", tag_list(&change_set.tags))
        .list("Changes", changes)
        .text("IncludeNestedStacks", false))
}

pub fn execute_change_set(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("ChangeSetName")?.to_owned();
    let stack_id = change_set_stack(world, request, &name)?;
    request.allow(world, "ExecuteChangeSet", &stack_id)?;
    let mut stack = world
        .stacks
        .get(&stack_id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    let change_set = find_change_set(&stack, &name)?.clone();
    if change_set.execution_status != "AVAILABLE" {
        return Err(ApiError::new(
            400,
            "InvalidChangeSetStatus",
            format!(
                "ChangeSet [{}] cannot be executed in its current status of [{}]",
                change_set.id, change_set.status
            ),
        ));
    }
    let plan = engine::plan(world, &change_set.template, &change_set.parameters, &stack)
        .map_err(validation)?;
    if change_set.kind == "UPDATE" {
        stack.catch_up(world.now());
        updatable(&stack)?;
    }
    let previous = if change_set.kind == "UPDATE" {
        Some(previous_plan(world, &stack)?)
    } else {
        None
    };
    stack.template.clone_from(&change_set.template);
    stack.parameters.clone_from(&change_set.parameters);
    stack.no_echo = no_echo(&plan.template);
    stack.description.clone_from(&plan.template.description);
    stack.capabilities.clone_from(&change_set.capabilities);
    stack.tags.clone_from(&change_set.tags);
    stack.change_set_id = Some(change_set.id.clone());
    if change_set.role_arn.is_some() {
        stack.role_arn.clone_from(&change_set.role_arn);
    }
    let acting = acting_role(world, request, &mut stack)?;
    for kept in &mut stack.change_sets {
        let status = if kept.id == change_set.id {
            "EXECUTE_COMPLETE"
        } else {
            "OBSOLETE"
        };
        status.clone_into(&mut kept.execution_status);
    }
    run_with_actor(
        world,
        request,
        &mut stack,
        acting.as_ref(),
        |world, actor, stack| match &previous {
            Some(previous) => engine::update(world, actor, stack, &plan, previous),
            None => engine::create(world, actor, stack, &plan),
        },
    );
    world.stacks.insert(stack_id, stack);
    Ok(Shape::new())
}

pub fn delete_change_set(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("ChangeSetName")?.to_owned();
    let stack_id = change_set_stack(world, request, &name)?;
    request.allow(world, "DeleteChangeSet", &stack_id)?;
    let stack = world
        .stacks
        .get_mut(&stack_id)
        .ok_or_else(|| validation("Stack vanished"))?;
    let id = find_change_set(stack, &name)?.id.clone();
    stack.change_sets.retain(|change_set| change_set.id != id);
    Ok(Shape::new())
}

pub fn list_change_sets(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request, "ListChangeSets")?;
    let items = stack
        .change_sets
        .iter()
        .map(|change_set| {
            Value::Struct(
                Shape::new()
                    .text("StackId", &stack.id)
                    .text("StackName", &stack.name)
                    .text("ChangeSetId", &change_set.id)
                    .text("ChangeSetName", &change_set.name)
                    .text("ExecutionStatus", &change_set.execution_status)
                    .text("Status", &change_set.status)
                    .maybe("StatusReason", change_set.status_reason.as_ref())
                    .text("CreationTime", timestamp(change_set.created))
                    .maybe("Description", change_set.description.as_ref()),
            )
        })
        .collect();
    Ok(Shape::new().list("Summaries", items))
}

pub fn list_exports(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    request.allow(world, "ListExports", "*")?;
    let items = engine::exports(world, &request.caller.account, request.region)
        .into_iter()
        .map(|(name, (value, stack_name))| {
            let stack_id = world
                .stacks
                .values()
                .find(|stack| stack.name == stack_name && stack.deleted.is_none())
                .map(|stack| stack.id.clone())
                .unwrap_or_default();
            Value::Struct(
                Shape::new()
                    .text("ExportingStackId", stack_id)
                    .text("Name", name)
                    .text("Value", value),
            )
        })
        .collect();
    Ok(Shape::new().list("Exports", items))
}
