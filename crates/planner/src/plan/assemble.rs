//! Assembling a plan's steps: its `include:` fragments read, its own steps and the
//! included ones combined (an include's `${NAME.OUTPUT}` replaced), `for_each`
//! instances made, and a fragment's `outputs:` checked against its steps.

use indexmap::IndexMap;

use super::{Plan, Step, StepId, for_each, include, steps};
use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::limits::MAX_STEPS;
use crate::source::Span;
use crate::yaml::{Key, Node, Value};

/// Reads `include:` (with a context of its own when none is given: `plan::read`).
pub(super) fn read_includes(
    diags: &mut Diagnostics,
    include_node: Option<(&Key, &Node)>,
    context: Option<&mut include::Context>,
    unreadable: &mut Vec<String>,
) -> IndexMap<String, include::Expanded> {
    match (include_node, context) {
        (None, _) => IndexMap::new(),
        (Some((_, node)), Some(context)) => include::read(diags, node, context, unreadable),
        (Some((key, node)), None) => {
            let mut local = include::Context::default();
            local.base_dir = diags
                .file()
                .path()
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            local.roots = crate::source::file_roots(&local.base_dir, &[]);
            let included = include::read(diags, node, &mut local, unreadable);
            if local.failed {
                diags
                    .error("plan::include", key.span, "an included fragment has errors")
                    .help("check the fragment on its own with `awslab validate`")
                    .emit();
            }
            included
        }
    }
}

/// Reads the plan's steps and its includes' (once every variable is known), with
/// `for_each` instances, and records each include's steps as one group for `needs:`.
pub(super) fn read_all_steps(
    diags: &mut Diagnostics,
    node: &Node,
    included: &IndexMap<String, include::Expanded>,
    include_span: Option<Span>,
    plan: &mut Plan,
) {
    let own = node.as_map().map_or(0, <[_]>::len);
    let combined = combine_steps(diags, node, included, include_span);
    let scope = for_each::Scope {
        vars: &plan.vars,
        collections: &plan.collections,
    };
    steps::read_steps(
        diags,
        &combined,
        own,
        &scope,
        &mut plan.steps,
        &mut plan.unreadable,
        &mut plan.instances,
    );
    for name in included.keys() {
        let prefix = format!("{name}/");
        let ids: Vec<StepId> = plan
            .steps
            .keys()
            .filter(|id| id.as_str().starts_with(&prefix))
            .cloned()
            .collect();
        plan.instances.insert(name.clone(), ids);
    }
}

/// The plan's steps followed by every included step, `${include.OUTPUT}` replaced;
/// an include named like a step is reported.
fn combine_steps(
    diags: &mut Diagnostics,
    node: &Node,
    included: &IndexMap<String, include::Expanded>,
    include_span: Option<Span>,
) -> Node {
    let mut combined = node.clone();
    if included.is_empty() {
        return combined;
    }
    if let Value::Map(entries) = &mut combined.value {
        for (key, _) in entries.iter() {
            if included.contains_key(&key.name) {
                diags
                    .error(
                        "plan::duplicate_step",
                        key.span,
                        format!("`{}` names both a step and an include", key.name),
                    )
                    .help("rename one of them: `${NAME.FIELD}` must mean one thing")
                    .emit();
            }
        }
        let total = entries.len() + included.values().map(|i| i.steps.len()).sum::<usize>();
        if total > MAX_STEPS {
            diags
                .error(
                    "plan::budget",
                    include_span.unwrap_or(node.span),
                    format!("the plan has {total} steps with its includes; a plan may have at most {MAX_STEPS}"),
                )
                .help("split the lab into several plans")
                .emit();
            return combined;
        }
        for expanded in included.values() {
            entries.extend(expanded.steps.iter().cloned());
        }
    }
    // After the includes' steps are in: an include's input may name another's output.
    include::outputs_in_plan(&mut combined, included);
    combined
}

/// `outputs:` of a fragment: names to text whose step references name its steps.
pub(super) fn check_outputs(
    diags: &mut Diagnostics,
    node: &Node,
    steps: &IndexMap<StepId, Step>,
    instances: &IndexMap<String, Vec<StepId>>,
    unreadable: &[String],
) {
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                "`outputs` must be a map of names to values, such as `role_arn: \"${role.arn}\"`",
            )
            .emit();
        return;
    };
    for (key, value) in entries {
        let Some(text) = value.as_str() else {
            diags
                .error(
                    "plan::invalid_value",
                    value.span,
                    format!(
                        "output `{}` must be a string such as `\"${{role.arn}}\"`",
                        key.name
                    ),
                )
                .emit();
            continue;
        };
        for (reference, at) in crate::template::references_in(diags, text, value.span) {
            if let crate::template::Reference::Step { step, .. } = &reference {
                let base = step.split_once('[').map_or(step.as_str(), |(b, _)| b);
                let known = steps.contains_key(step.as_str())
                    || instances.contains_key(base)
                    || unreadable.iter().any(|u| u == step || u == base);
                if !known {
                    diags
                        .error(
                            "plan::unknown_reference",
                            at,
                            format!("output `{}` refers to unknown step `{step}`", key.name),
                        )
                        .maybe_help(did_you_mean(step, steps.keys().map(StepId::as_str)))
                        .emit();
                }
            }
        }
    }
}
