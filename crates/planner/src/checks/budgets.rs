//! Budgets on values and keys: a variable whose expansion is too long, takes too
//! many substitutions or nests too deep; a step value that would render too long;
//! every step value rendered, added up, past [`MAX_PLAN_RENDERED_BYTES`] (a small plan
//! repeating a large variable in thousands of values, which the later checks would
//! render whole, as policy documents, before anything else); a key given twice in any
//! map a step holds (policy documents included: the last one would silently win); and
//! keys too long to be anything AWS accepts. Lengths are added from each variable's
//! known expansion; nothing is rendered here.

use crate::diagnostics::Diagnostics;
use crate::expand::ExpandError;
use crate::limits::{
    MAX_KEY_CHARS, MAX_PLAN_RENDERED_BYTES, MAX_RENDERED_BYTES, MAX_SUBSTITUTIONS, MAX_VAR_DEPTH,
};
use crate::plan::Plan;
use crate::references::strings;
use crate::template::{Part, Reference, Template};
use crate::yaml::{Key, Node, Value};

use super::Statics;

/// Checks variables' expansions and every step's values and keys. True when the
/// plan's values render past [`MAX_PLAN_RENDERED_BYTES`] in all: no other check may
/// render them then.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) -> bool {
    let mut total = 0usize;
    let mut over = false;
    for (name, result) in &statics.expansions().vars {
        let Err(error) = result else { continue };
        let Some(var) = plan.vars.get(name) else {
            continue;
        };
        let message = match error {
            ExpandError::TooLong { at_least } => format!(
                "variable `{name}` expands to more than {MAX_RENDERED_BYTES} bytes (at least {at_least})"
            ),
            ExpandError::TooManySubstitutions { at_least } => format!(
                "variable `{name}` takes more than {MAX_SUBSTITUTIONS} substitutions to expand (at least {at_least})"
            ),
            ExpandError::TooDeep => format!(
                "variable `{name}` is reached through more than {MAX_VAR_DEPTH} variables that refer to each other"
            ),
            ExpandError::Inherited(_) => continue,
        };
        diags
            .error("plan::budget", var.span, message)
            .help("variables that repeat other variables grow exponentially; write the value out")
            .emit();
    }
    for step in plan.steps.values() {
        let mut texts = Vec::new();
        strings(&step.body, &mut texts);
        for (text, span) in texts {
            total = total.saturating_add(rendered(statics, &text).0);
            if total > MAX_PLAN_RENDERED_BYTES && !over {
                over = true;
                diags
                    .error(
                        "plan::budget",
                        span,
                        format!(
                            "the plan's values render to more than {MAX_PLAN_RENDERED_BYTES} bytes in all; this value of step `{}` crosses the budget",
                            step.id
                        ),
                    )
                    .help("a variable repeated in many values multiplies its length; write shorter values, or repeat it less")
                    .emit();
            }
            if let Some(problem) = rendered_problem(statics, &text) {
                diags
                    .error(
                        "plan::budget",
                        span,
                        format!("a value of step `{}` {problem}", step.id),
                    )
                    .help(
                        "write a shorter value; variables repeated many times multiply its length",
                    )
                    .emit();
            }
        }
        // The kind's own fields are a struct, whose repeats the reader reports.
        if let Value::Map(fields) = &step.body.value {
            for (_, value) in fields {
                duplicates(diags, value, step.id.as_str());
            }
        }
    }
    over
}

/// Why `text` would render too long or with too much work, using each variable's
/// known expansion (run-time values are not counted).
fn rendered_problem(statics: &Statics, text: &str) -> Option<String> {
    if !text.contains("${") && text.len() <= MAX_RENDERED_BYTES {
        return None;
    }
    let (length, substitutions) = rendered(statics, text);
    if length > MAX_RENDERED_BYTES {
        Some(format!(
            "renders to {length} bytes; a value may have at most {MAX_RENDERED_BYTES}"
        ))
    } else if substitutions > MAX_SUBSTITUTIONS {
        Some(format!(
            "takes {substitutions} substitutions to render; a value may take at most {MAX_SUBSTITUTIONS}"
        ))
    } else {
        None
    }
}

/// The length `text` renders to and the substitutions that takes, from each
/// variable's known expansion (run-time values are not counted). A text that is not
/// a template counts as written.
fn rendered(statics: &Statics, text: &str) -> (usize, u64) {
    if !text.contains("${") {
        return (text.len(), 0);
    }
    let Ok(template) = Template::parse(text) else {
        return (text.len(), 0);
    };
    let expansions = statics.expansions();
    let mut length = 0usize;
    let mut substitutions = 0u64;
    for part in &template.parts {
        match part {
            Part::Literal(literal) => length += literal.len(),
            Part::Ref {
                reference: Reference::Var(name),
                ..
            } => {
                let Some(Ok(expanded)) = expansions.vars.get(name) else {
                    continue;
                };
                length += expanded.text.as_ref().map_or(0, String::len);
                substitutions = substitutions.saturating_add(1 + expanded.substitutions);
            }
            Part::Ref { .. } => substitutions = substitutions.saturating_add(1),
        }
    }
    (length, substitutions)
}

/// Reports every key given twice in a map under `node`, and keys too long.
fn duplicates(diags: &mut Diagnostics, node: &Node, step: &str) {
    match &node.value {
        Value::Map(entries) => {
            let mut seen: Vec<&Key> = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                if key.name.chars().count() > MAX_KEY_CHARS {
                    diags
                        .error(
                            "plan::budget",
                            key.span,
                            format!("a key in step `{step}` has more than {MAX_KEY_CHARS} characters: `{}`", key.name),
                        )
                        .help("no AWS name, parameter or tag key is this long")
                        .emit();
                }
                if let Some(first) = seen.iter().find(|k| k.name == key.name) {
                    let first_span = first.span;
                    diags
                        .error(
                            "plan::duplicate_key",
                            key.span,
                            format!("`{}` is given twice in one map of step `{step}`", key.name),
                        )
                        .label("given again")
                        .related(first_span, "first given here")
                        .help("keep one of them: YAML maps have unique keys, and the last one would silently win (in a policy, an `Effect: Deny` could become `Allow`)")
                        .emit();
                } else {
                    seen.push(key);
                }
                duplicates(diags, value, step);
            }
        }
        Value::Seq(items) => items.iter().for_each(|item| duplicates(diags, item, step)),
        _ => {}
    }
}
