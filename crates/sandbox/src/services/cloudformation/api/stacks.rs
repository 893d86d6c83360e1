//! Stack operations that change the world: `CreateStack`, `UpdateStack`,
//! `DeleteStack`. Each validates everything first, then runs the engine as the
//! caller (or the stack's service role).

use super::{
    ApiError, Request, Shape, World, acting_role, capabilities, check_capabilities,
    check_stack_name, check_stack_quota, engine, new_stack, no_echo, previous_plan, prune,
    run_with_actor, updatable, validation,
};
use crate::services::CloudFormationError;

pub fn create_stack(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    check_stack_name(&name)?;
    if request.find(world, &name).is_ok() {
        return Err(ApiError::of(
            CloudFormationError::AlreadyExistsException,
            format!("Stack [{name}] already exists"),
        ));
    }
    check_stack_quota(world, request)?;
    let body = request.body(world, None)?;
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
    stack.termination_protection = request.input.get("EnableTerminationProtection") == Some("true");
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

pub fn update_stack(world: &mut World, request: &mut Request) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let id = request.find(world, &name)?;
    let mut stack = world
        .stacks
        .get(&id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    stack.catch_up(world.now());
    updatable(&stack)?;
    let body = request.body(world, Some(&stack.template))?;
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
        return Ok(Shape::new());
    };
    let mut stack = world
        .stacks
        .get(&id)
        .cloned()
        .ok_or_else(|| validation("Stack vanished"))?;
    if stack.deleted.is_some() {
        return Ok(Shape::new());
    }
    if stack.termination_protection {
        return Err(validation(format!(
            "Stack [{name}] cannot be deleted while TerminationProtection is enabled"
        )));
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

pub fn update_termination_protection(
    world: &mut World,
    request: &mut Request,
) -> Result<Shape, ApiError> {
    let name = request.input.required("StackName")?.to_owned();
    let enabled = request.input.required("EnableTerminationProtection")? == "true";
    let id = request.find(world, &name)?;
    let stack = world
        .stacks
        .get_mut(&id)
        .ok_or_else(|| validation("Stack vanished"))?;
    stack.termination_protection = enabled;
    Ok(Shape::new().text("StackId", id))
}
