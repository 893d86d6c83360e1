//! Change sets: `CreateChangeSet` (a `CREATE` one puts a new stack in
//! `REVIEW_IN_PROGRESS`), `DescribeChangeSet`, `ExecuteChangeSet`,
//! `DeleteChangeSet`, `ListChangeSets`.

use super::{
    ApiError, Change, ChangeSet, MAX_CHANGE_SETS, Request, Shape, Value, World, acting_role,
    capabilities, change_set_stack, check_capabilities, check_stack_name, check_stack_quota,
    engine, find_change_set, new_stack, no_echo, previous_plan, read_stack, run_with_actor,
    service_role, tag_list, timestamp, updatable, validation,
};
use crate::services::CloudFormationError;

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
                return Err(ApiError::of(
                    CloudFormationError::AlreadyExistsException,
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
    if stack.change_sets.len() >= MAX_CHANGE_SETS {
        return Err(ApiError::of(
            CloudFormationError::LimitExceededException,
            format!("Stack [{name}] already has {MAX_CHANGE_SETS} change sets: delete some first"),
        ));
    }
    if stack
        .change_sets
        .iter()
        .any(|change_set| change_set.name == change_set_name)
    {
        return Err(ApiError::of(
            CloudFormationError::AlreadyExistsException,
            format!("ChangeSet {change_set_name} already exists"),
        ));
    }
    if kind == "UPDATE" {
        stack.catch_up(world.now());
        updatable(&stack)?;
    }
    let body = request.body(world, Some(&stack.template))?;
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
    let mut stack = world
        .stacks
        .get(&stack_id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    let change_set = find_change_set(&stack, &name)?.clone();
    if change_set.execution_status != "AVAILABLE" {
        return Err(ApiError::of(
            CloudFormationError::InvalidChangeSetStatus,
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
    let stack = world
        .stacks
        .get_mut(&stack_id)
        .ok_or_else(|| validation("Stack vanished"))?;
    let id = find_change_set(stack, &name)?.id.clone();
    stack.change_sets.retain(|change_set| change_set.id != id);
    Ok(Shape::new())
}

pub fn list_change_sets(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let stack = read_stack(world, request)?;
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
