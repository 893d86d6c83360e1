//! Read operations and their shapes: `DescribeStacks` (which moves a stack to its
//! next frame), events, resources, `ListStacks`, templates, `ValidateTemplate`,
//! `GetTemplateSummary`, `ListExports`.

use super::{
    ApiError, Request, Shape, Stack, StackEvent, Template, Value, World, engine, find_change_set,
    masked, read_stack, tag_list, timestamp, validation,
};

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
        .text("EnableTerminationProtection", stack.termination_protection)
        .child(
            "DriftInformation",
            Shape::new().text("StackDriftStatus", "NOT_CHECKED"),
        )
}

pub fn describe_stacks(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let now = world.now();
    let ids: Vec<String> = if let Some(name) = request.input.get("StackName") {
        let name = name.to_owned();
        vec![request.find(world, &name)?]
    } else {
        {
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

pub fn describe_stack_events(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request)?;
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
fn visible_resources(stack: &Stack) -> Vec<(&super::super::stack::StackResource, &StackEvent)> {
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
    let stack = read_stack(world, request)?;
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
    let stack = read_stack(world, request)?;
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
    let stack = read_stack(world, request)?;
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

#[expect(
    clippy::unnecessary_wraps,
    reason = "an operation's handler answers a Result; its checks were decided before"
)]
pub fn list_stacks(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
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
    let stack = read_stack(world, request)?;
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
    let body = request.body(world, None)?;
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
            .filter(|spec| super::super::types::iam_name_property(&spec.kind).is_some())
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
        read_stack(world, request)?.template
    } else {
        request.body(world, None)?
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

#[expect(
    clippy::unnecessary_wraps,
    reason = "an operation's handler answers a Result; its checks were decided before"
)]
pub fn list_exports(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
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
