//! Running a stack operation: create (in dependency order, rolling back what was made
//! when a resource fails), delete (in reverse order; `DeletionPolicy: Retain` skipped;
//! a failure ends `DELETE_FAILED`), and update (add, change in place or replace,
//! remove in cleanup; a failure rolls the changes back). Events follow AWS's order.
//! One cohesive thing (over 400 lines): the three operations share the plan, the
//! evaluation of properties and outputs, and the event sequence.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::intrinsics::{Made, Scope};
use super::resources::{Actor, reason};
use super::stack::{Stack, StackOutput, StackResource};
use super::template::Template;
use super::types::service_of;
use crate::state::World;

/// Everything a stack's template evaluates against, but the resources made.
pub struct Plan {
    pub template: Template,
    pub parameters: BTreeMap<String, String>,
    pub conditions: BTreeMap<String, bool>,
    /// Logical ids to create, in order.
    pub order: Vec<String>,
}

/// Exports of every settled stack of `account` in `region`, by name, with the
/// exporting stack's name.
pub fn exports(world: &World, account: &str, region: &str) -> BTreeMap<String, (String, String)> {
    let mut found = BTreeMap::new();
    for stack in world.stacks.values() {
        if stack.account == account && stack.region == region && stack.deleted.is_none() {
            for output in &stack.outputs {
                if let Some(export) = &output.export {
                    found.insert(export.clone(), (output.value.clone(), stack.name.clone()));
                }
            }
        }
    }
    found
}

/// Checks a template against parameter values: conditions, order. Nothing changes.
pub fn plan(
    world: &World,
    body: &str,
    given: &[(String, String)],
    stack: &Stack,
) -> Result<Plan, String> {
    let template = Template::parse(body)?;
    let parameters = template.parameter_values(given)?;
    let made = BTreeMap::new();
    let export_values: BTreeMap<String, String> = exports(world, &stack.account, &stack.region)
        .into_iter()
        .map(|(name, (value, _))| (name, value))
        .collect();
    let mut scope = Scope {
        template: &template,
        parameters: &parameters,
        account: &stack.account,
        region: &stack.region,
        stack_name: &stack.name,
        stack_id: &stack.id,
        conditions: BTreeMap::new(),
        condition_depth: 0,
        produced: 0,
        made: &made,
        exports: &export_values,
    };
    scope.evaluate_conditions()?;
    let conditions = scope.conditions;
    let included: BTreeSet<String> = template
        .resources
        .iter()
        .filter(|spec| {
            spec.condition
                .as_ref()
                .is_none_or(|condition| conditions.get(condition).copied().unwrap_or(false))
        })
        .map(|spec| spec.logical.clone())
        .collect();
    let order = template.order(&included)?;
    dry_run(
        &template,
        &parameters,
        &conditions,
        &included,
        stack,
        &export_values,
    )?;
    Ok(Plan {
        template,
        parameters,
        conditions,
        order,
    })
}

/// Evaluates every included resource's properties and every output with stand-ins
/// for what resources will give, so mistakes (`Fn::GetAtt` attributes, mappings,
/// imports) are refused before anything is created, as `CloudFormation` does.
fn dry_run(
    template: &Template,
    parameters: &BTreeMap<String, String>,
    conditions: &BTreeMap<String, bool>,
    included: &BTreeSet<String>,
    stack: &Stack,
    export_values: &BTreeMap<String, String>,
) -> Result<(), String> {
    let made: BTreeMap<String, Made> = template
        .resources
        .iter()
        .map(|spec| {
            let attributes = super::types::attributes(&spec.kind)
                .iter()
                .map(|attribute| {
                    (
                        (*attribute).to_owned(),
                        format!("{}.{attribute}", spec.logical),
                    )
                })
                .collect();
            let made = Made {
                physical: spec.logical.clone(),
                reference: None,
                attributes,
            };
            (spec.logical.clone(), made)
        })
        .collect();
    let mut scope = Scope {
        template,
        parameters,
        account: &stack.account,
        region: &stack.region,
        stack_name: &stack.name,
        stack_id: &stack.id,
        conditions: conditions.clone(),
        condition_depth: 0,
        produced: 0,
        made: &made,
        exports: export_values,
    };
    for spec in &template.resources {
        if included.contains(&spec.logical) {
            scope.evaluate(&spec.properties)?;
        }
    }
    for spec in &template.outputs {
        let skipped = spec
            .condition
            .as_ref()
            .is_some_and(|condition| !conditions.get(condition).copied().unwrap_or(false));
        if !skipped {
            scope.string(&spec.value, "Outputs")?;
            if let Some(name) = &spec.export_name {
                scope.string(name, "Export")?;
            }
        }
    }
    Ok(())
}

fn made_map(stack: &Stack) -> BTreeMap<String, Made> {
    stack
        .resources
        .iter()
        .map(|resource| (resource.logical.clone(), resource.made.clone()))
        .collect()
}

/// Evaluates one resource's properties with what is made so far.
fn properties(world: &World, stack: &Stack, plan: &Plan, logical: &str) -> Result<Value, String> {
    let spec = plan
        .template
        .resource(logical)
        .ok_or_else(|| format!("Template error: no resource {logical}"))?;
    let made = made_map(stack);
    let export_values = export_values(world, stack);
    let mut scope = scope(stack, plan, &made, &export_values);
    Ok(scope
        .evaluate(&spec.properties)?
        .unwrap_or_else(|| Value::Object(serde_json::Map::new())))
}

fn export_values(world: &World, stack: &Stack) -> BTreeMap<String, String> {
    exports(world, &stack.account, &stack.region)
        .into_iter()
        .map(|(name, (value, _))| (name, value))
        .collect()
}

fn scope<'a>(
    stack: &'a Stack,
    plan: &'a Plan,
    made: &'a BTreeMap<String, Made>,
    export_values: &'a BTreeMap<String, String>,
) -> Scope<'a> {
    Scope {
        template: &plan.template,
        parameters: &plan.parameters,
        account: &stack.account,
        region: &stack.region,
        stack_name: &stack.name,
        stack_id: &stack.id,
        conditions: plan.conditions.clone(),
        condition_depth: 0,
        produced: 0,
        made,
        exports: export_values,
    }
}

/// The outputs, or why they cannot be evaluated.
fn outputs(world: &World, stack: &Stack, plan: &Plan) -> Result<Vec<StackOutput>, String> {
    let made = made_map(stack);
    let export_values = export_values(world, stack);
    let mut scope = scope(stack, plan, &made, &export_values);
    let taken = exports(world, &stack.account, &stack.region);
    let mut found = Vec::new();
    for spec in &plan.template.outputs {
        if let Some(condition) = &spec.condition
            && !plan.conditions.get(condition).copied().unwrap_or(false)
        {
            continue;
        }
        let value = scope.string(&spec.value, "Outputs")?;
        let description = match &spec.description {
            Some(description) => Some(scope.string(description, "Outputs")?),
            None => None,
        };
        let export = match &spec.export_name {
            Some(name) => {
                let name = scope.string(name, "Export")?;
                if let Some((_, owner)) = taken.get(&name)
                    && *owner != stack.name
                {
                    return Err(format!(
                        "Export with name {name} is already exported by stack {owner}"
                    ));
                }
                Some(name)
            }
            None => None,
        };
        found.push(StackOutput {
            key: spec.name.clone(),
            value,
            description,
            export,
        });
    }
    Ok(found)
}

fn imports(plan: &Plan) -> Vec<String> {
    fn walk(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(name)) = map.get("Fn::ImportValue") {
                    found.push(name.clone());
                }
                map.values().for_each(|item| walk(item, found));
            }
            Value::Array(items) => items.iter().for_each(|item| walk(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for spec in &plan.template.resources {
        walk(&spec.properties, &mut found);
    }
    for spec in &plan.template.outputs {
        walk(&spec.value, &mut found);
    }
    found
}

/// Creates the stack's resources; the stack's first frame is `CREATE_IN_PROGRESS`.
pub fn create(world: &mut World, actor: &mut Actor, stack: &mut Stack, plan: &Plan) {
    let now = world.now();
    stack.begin(now);
    stack.stack_event(now, "CREATE_IN_PROGRESS", Some("User Initiated".to_owned()));
    stack.imports = imports(plan);
    let failure = create_resources(world, actor, stack, plan, &plan.order);
    let failure = failure.or_else(|| match outputs(world, stack, plan) {
        Ok(found) => {
            stack.outputs = found;
            None
        }
        Err(message) => Some((None, message)),
    });
    let Some((failed, message)) = failure else {
        stack.stack_event(now, "CREATE_COMPLETE", None);
        return;
    };
    let reason = match &failed {
        Some(logical) => format!(
            "The following resource(s) failed to create: [{logical}]. {}",
            if stack.disable_rollback {
                ""
            } else {
                "Rollback requested by user."
            }
        )
        .trim_end()
        .to_owned(),
        None => message,
    };
    if stack.disable_rollback {
        stack.stack_event(now, "CREATE_FAILED", Some(reason));
        return;
    }
    if stack.delete_on_failure {
        let reason = reason.replace("Rollback requested by user.", "Delete requested by user.");
        stack.stack_event(now, "DELETE_IN_PROGRESS", Some(reason));
    } else {
        stack.stack_event(now, "ROLLBACK_IN_PROGRESS", Some(reason));
    }
    let partial = failed.as_ref().is_some_and(|logical| {
        stack
            .resources
            .iter()
            .any(|resource| resource.logical == *logical)
    });
    let failed_delete = delete_resources(world, actor, stack, true);
    if let Some(logical) = failed.filter(|_| !partial) {
        stack.event(
            now,
            &logical,
            "",
            kind_of(plan, &logical),
            "DELETE_COMPLETE",
            None,
            None,
        );
    }
    stack.outputs.clear();
    if failed_delete.is_empty() {
        if stack.delete_on_failure {
            stack.deleted = Some(now);
            stack.stack_event(now, "DELETE_COMPLETE", None);
        } else {
            stack.stack_event(now, "ROLLBACK_COMPLETE", None);
        }
    } else {
        stack.stack_event(
            now,
            "ROLLBACK_FAILED",
            Some(format!(
                "The following resource(s) failed to delete: [{}]. ",
                failed_delete.join(", ")
            )),
        );
    }
}

fn kind_of<'a>(plan: &'a Plan, logical: &str) -> &'a str {
    plan.template
        .resource(logical)
        .map_or("", |spec| spec.kind.as_str())
}

/// Creates `logicals` in order; the first failure (logical id, message).
#[expect(
    clippy::too_many_lines,
    reason = "each resource: evaluate, check, create, record"
)]
fn create_resources(
    world: &mut World,
    actor: &mut Actor,
    stack: &mut Stack,
    plan: &Plan,
    logicals: &[String],
) -> Option<(Option<String>, String)> {
    for logical in logicals {
        let now = world.now();
        let kind = kind_of(plan, logical).to_owned();
        let deletion_policy = plan
            .template
            .resource(logical)
            .and_then(|spec| spec.deletion_policy.clone());
        let evaluated = match properties(world, stack, plan, logical) {
            Ok(evaluated) => evaluated,
            Err(message) => {
                stack.event(
                    now,
                    logical,
                    "",
                    &kind,
                    "CREATE_FAILED",
                    Some(message.clone()),
                    None,
                );
                return Some((Some(logical.clone()), message));
            }
        };
        stack.event(
            now,
            logical,
            "",
            &kind,
            "CREATE_IN_PROGRESS",
            None,
            Some(&evaluated),
        );
        if let Err(message) = super::types::check_properties(logical, &kind, &evaluated) {
            stack.event(
                now,
                logical,
                "",
                &kind,
                "CREATE_FAILED",
                Some(message.clone()),
                Some(&evaluated),
            );
            return Some((Some(logical.clone()), message));
        }
        match actor.create(world, logical, &kind, &evaluated) {
            Ok(made) => {
                let physical = made.physical.clone();
                stack.event(
                    now,
                    logical,
                    &physical,
                    &kind,
                    "CREATE_IN_PROGRESS",
                    Some("Resource creation Initiated".to_owned()),
                    Some(&evaluated),
                );
                stack.resources.push(StackResource {
                    logical: logical.clone(),
                    kind: kind.clone(),
                    made,
                    properties: evaluated.clone(),
                    deletion_policy,
                    updated: now,
                });
                stack.event(
                    now,
                    logical,
                    &physical,
                    &kind,
                    "CREATE_COMPLETE",
                    None,
                    Some(&evaluated),
                );
            }
            Err((partial, error)) => {
                let message = reason(service_of(&kind), &error);
                let physical = partial
                    .as_ref()
                    .map(|made| made.physical.clone())
                    .unwrap_or_default();
                stack.event(
                    now,
                    logical,
                    &physical,
                    &kind,
                    "CREATE_FAILED",
                    Some(message.clone()),
                    Some(&evaluated),
                );
                if let Some(made) = partial {
                    stack.resources.push(StackResource {
                        logical: logical.clone(),
                        kind: kind.clone(),
                        made,
                        properties: evaluated,
                        deletion_policy: None,
                        updated: now,
                    });
                }
                return Some((Some(logical.clone()), message));
            }
        }
    }
    None
}

/// Deletes every resource of the stack in reverse order; the logical ids that failed.
/// A rollback deletes regardless of `DeletionPolicy: RetainExceptOnCreate`.
fn delete_resources(
    world: &mut World,
    actor: &mut Actor,
    stack: &mut Stack,
    rollback: bool,
) -> Vec<String> {
    let mut failed = Vec::new();
    let resources: Vec<StackResource> = stack.resources.iter().rev().cloned().collect();
    for resource in resources {
        let now = world.now();
        let retain = match resource.deletion_policy.as_deref() {
            Some("Retain") => true,
            Some("RetainExceptOnCreate") => !rollback,
            _ => false,
        };
        let logical = resource.logical.clone();
        let physical = resource.made.physical.clone();
        if retain {
            stack.event(
                now,
                &logical,
                &physical,
                &resource.kind,
                "DELETE_SKIPPED",
                None,
                None,
            );
            stack.resources.retain(|kept| kept.logical != logical);
            continue;
        }
        stack.event(
            now,
            &logical,
            &physical,
            &resource.kind,
            "DELETE_IN_PROGRESS",
            None,
            None,
        );
        match actor.delete(world, &resource.kind, &resource.made, &resource.properties) {
            Ok(()) => {
                stack.event(
                    now,
                    &logical,
                    &physical,
                    &resource.kind,
                    "DELETE_COMPLETE",
                    None,
                    None,
                );
                stack.resources.retain(|kept| kept.logical != logical);
            }
            Err(error) => {
                let message = reason(service_of(&resource.kind), &error);
                stack.event(
                    now,
                    &logical,
                    &physical,
                    &resource.kind,
                    "DELETE_FAILED",
                    Some(message),
                    None,
                );
                failed.push(logical);
            }
        }
    }
    failed
}

/// Deletes the stack: `DELETE_COMPLETE`, or `DELETE_FAILED` naming what stayed.
pub fn delete(world: &mut World, actor: &mut Actor, stack: &mut Stack) {
    let now = world.now();
    stack.begin(now);
    stack.stack_event(now, "DELETE_IN_PROGRESS", Some("User Initiated".to_owned()));
    let importers: Vec<(String, String)> = stack
        .outputs
        .iter()
        .filter_map(|output| output.export.clone())
        .flat_map(|export| {
            world
                .stacks
                .values()
                .filter(|other| {
                    other.deleted.is_none()
                        && other.id != stack.id
                        && other.imports.contains(&export)
                })
                .map(|other| (export.clone(), other.name.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    if let Some((export, importer)) = importers.first() {
        stack.stack_event(
            now,
            "DELETE_FAILED",
            Some(format!(
                "Export {export} cannot be deleted as it is in use by {importer}"
            )),
        );
        return;
    }
    let failed = delete_resources(world, actor, stack, false);
    if failed.is_empty() {
        stack.outputs.clear();
        stack.deleted = Some(now);
        stack.stack_event(now, "DELETE_COMPLETE", None);
    } else {
        stack.stack_event(
            now,
            "DELETE_FAILED",
            Some(format!(
                "The following resource(s) failed to delete: [{}]. ",
                failed.join(", ")
            )),
        );
    }
}

/// What an update does to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Add,
    Modify,
    Remove,
}

/// The changes from the stack's resources to `plan` (evaluated against what
/// exists): the change, the logical id, the type, and whether it replaces.
pub fn changes(world: &World, stack: &Stack, plan: &Plan) -> Vec<(Change, String, String, bool)> {
    let mut found = Vec::new();
    for logical in &plan.order {
        let kind = kind_of(plan, logical).to_owned();
        match stack
            .resources
            .iter()
            .find(|resource| resource.logical == *logical)
        {
            None => found.push((Change::Add, logical.clone(), kind, false)),
            Some(existing) => {
                let evaluated = properties(world, stack, plan, logical).ok();
                if existing.kind != kind || evaluated.as_ref() != Some(&existing.properties) {
                    let replaced = existing.kind != kind
                        || evaluated.as_ref().is_none_or(|evaluated| {
                            super::types::replaces(&kind, &existing.properties, evaluated)
                        });
                    found.push((Change::Modify, logical.clone(), kind, replaced));
                }
            }
        }
    }
    for resource in &stack.resources {
        if !plan.order.contains(&resource.logical) {
            found.push((
                Change::Remove,
                resource.logical.clone(),
                resource.kind.clone(),
                false,
            ));
        }
    }
    found
}

/// Updates the stack to `plan`: changed resources are replaced (deleted, then made
/// again with the new properties), new ones made, removed ones deleted in cleanup.
/// A failure rolls back to the previous template.
pub fn update(
    world: &mut World,
    actor: &mut Actor,
    stack: &mut Stack,
    plan: &Plan,
    previous: &Plan,
) {
    let now = world.now();
    stack.begin(now);
    stack.updated = Some(now);
    stack.stack_event(now, "UPDATE_IN_PROGRESS", Some("User Initiated".to_owned()));
    let changes = changes(world, stack, plan);
    let mut failure = None;
    for logical in &plan.order {
        let Some((change, _, kind, _)) = changes.iter().find(|(_, name, _, _)| name == logical)
        else {
            continue;
        };
        match change {
            Change::Add => {
                if let Some(found) =
                    create_resources(world, actor, stack, plan, std::slice::from_ref(logical))
                {
                    failure = Some(found);
                    break;
                }
            }
            Change::Modify => {
                if let Err(message) = modify(world, actor, stack, plan, logical, kind) {
                    failure = Some((Some(logical.clone()), message));
                    break;
                }
            }
            Change::Remove => {}
        }
    }
    let failure = failure.or_else(|| match outputs(world, stack, plan) {
        Ok(found) => {
            stack.outputs = found;
            None
        }
        Err(message) => Some((None, message)),
    });
    match failure {
        None => {
            stack.stack_event(now, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None);
            let removed: Vec<StackResource> = stack
                .resources
                .iter()
                .filter(|resource| !plan.order.contains(&resource.logical))
                .cloned()
                .collect();
            let mut kept = std::mem::take(&mut stack.resources);
            kept.retain(|resource| plan.order.contains(&resource.logical));
            stack.resources = removed;
            let _ = delete_resources(world, actor, stack, false);
            let still: Vec<StackResource> = std::mem::take(&mut stack.resources);
            stack.resources = kept;
            stack.resources.extend(still);
            stack.imports = imports(plan);
            stack.stack_event(now, "UPDATE_COMPLETE", None);
        }
        Some((failed, message)) => {
            let reason = match failed {
                Some(logical) => {
                    format!("The following resource(s) failed to update: [{logical}]. ")
                }
                None => message,
            };
            stack.stack_event(now, "UPDATE_ROLLBACK_IN_PROGRESS", Some(reason));
            // Put back what changed, then remove what was added.
            for logical in &previous.order {
                let was_changed = changes
                    .iter()
                    .any(|(change, name, _, _)| *change == Change::Modify && name == logical);
                let exists = stack
                    .resources
                    .iter()
                    .any(|resource| resource.logical == *logical);
                if was_changed || !exists {
                    let kind = kind_of(previous, logical).to_owned();
                    let _ = modify(world, actor, stack, previous, logical, &kind);
                }
            }
            stack.stack_event(now, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None);
            let added: Vec<StackResource> = stack
                .resources
                .iter()
                .filter(|resource| !previous.order.contains(&resource.logical))
                .cloned()
                .collect();
            let mut kept = std::mem::take(&mut stack.resources);
            kept.retain(|resource| previous.order.contains(&resource.logical));
            stack.resources = added;
            let _ = delete_resources(world, actor, stack, true);
            stack.resources = kept;
            if let Ok(found) = outputs(world, stack, previous) {
                stack.outputs = found;
            }
            stack.stack_event(now, "UPDATE_ROLLBACK_COMPLETE", None);
        }
    }
}

/// Changes one resource to `plan`: in place when its identity stays, else replaced.
fn modify(
    world: &mut World,
    actor: &mut Actor,
    stack: &mut Stack,
    plan: &Plan,
    logical: &str,
    kind: &str,
) -> Result<(), String> {
    let now = world.now();
    let evaluated = properties(world, stack, plan, logical)?;
    let existing = stack
        .resources
        .iter()
        .find(|resource| resource.logical == logical && resource.kind == kind)
        .cloned();
    let Some(existing) =
        existing.filter(|existing| !super::types::replaces(kind, &existing.properties, &evaluated))
    else {
        return replace(world, actor, stack, plan, logical, kind);
    };
    let physical = existing.made.physical.clone();
    stack.event(
        now,
        logical,
        &physical,
        kind,
        "UPDATE_IN_PROGRESS",
        None,
        Some(&evaluated),
    );
    match actor.update(
        world,
        kind,
        &existing.made,
        &existing.properties,
        &evaluated,
    ) {
        Some(Ok(made)) => {
            if let Some(resource) = stack
                .resources
                .iter_mut()
                .find(|resource| resource.logical == logical)
            {
                resource.made = made;
                resource.properties = evaluated.clone();
                resource.updated = now;
            }
            stack.event(
                now,
                logical,
                &physical,
                kind,
                "UPDATE_COMPLETE",
                None,
                Some(&evaluated),
            );
            Ok(())
        }
        Some(Err(error)) => {
            let message = reason(service_of(kind), &error);
            stack.event(
                now,
                logical,
                &physical,
                kind,
                "UPDATE_FAILED",
                Some(message.clone()),
                None,
            );
            Err(message)
        }
        None => replace(world, actor, stack, plan, logical, kind),
    }
}

/// Replaces one resource: deletes what exists, creates it anew from `plan`.
fn replace(
    world: &mut World,
    actor: &mut Actor,
    stack: &mut Stack,
    plan: &Plan,
    logical: &str,
    kind: &str,
) -> Result<(), String> {
    let now = world.now();
    let evaluated = properties(world, stack, plan, logical)?;
    stack.event(now, logical, "", kind, "UPDATE_IN_PROGRESS", Some("Requested update requires the creation of a new physical resource; hence creating one.".to_owned()), Some(&evaluated));
    if let Some(existing) = stack
        .resources
        .iter()
        .find(|resource| resource.logical == logical)
        .cloned()
    {
        if let Err(error) =
            actor.delete(world, &existing.kind, &existing.made, &existing.properties)
        {
            let message = reason(service_of(kind), &error);
            stack.event(
                now,
                logical,
                &existing.made.physical,
                kind,
                "UPDATE_FAILED",
                Some(message.clone()),
                None,
            );
            return Err(message);
        }
        stack
            .resources
            .retain(|resource| resource.logical != logical);
    }
    match actor.create(world, logical, kind, &evaluated) {
        Ok(made) => {
            let physical = made.physical.clone();
            stack.resources.push(StackResource {
                logical: logical.to_owned(),
                kind: kind.to_owned(),
                made,
                properties: evaluated.clone(),
                deletion_policy: plan
                    .template
                    .resource(logical)
                    .and_then(|spec| spec.deletion_policy.clone()),
                updated: now,
            });
            stack.event(
                now,
                logical,
                &physical,
                kind,
                "UPDATE_COMPLETE",
                None,
                Some(&evaluated),
            );
            Ok(())
        }
        Err((partial, error)) => {
            let message = reason(service_of(kind), &error);
            if let Some(made) = partial {
                let _ = actor.delete(world, kind, &made, &evaluated);
            }
            stack.event(
                now,
                logical,
                "",
                kind,
                "UPDATE_FAILED",
                Some(message.clone()),
                None,
            );
            Err(message)
        }
    }
}
