//! A class (`up --learners N` / `--roster FILE`): one namespaced copy of every step per
//! learner, each a plain step with the id `STEP[NAME]` (an instance of a `for_each`
//! step, `STEP[KEY]`, becomes `STEP[KEY][NAME]`), so everything downstream (references,
//! checks, the graph, the journal, reports, teardown) sees plain steps.
//!
//! In a learner's copy:
//! - `${learner.name}`, `${learner.id}` (the 1-based index, zero-padded to the width of
//!   the class size) and `${learner.vars.NAME}` (a roster column) are replaced;
//! - `${run.id}` reads `RUN-NAME`, the learner's own run id, so names a plan makes
//!   unique with `${run.id}` stay unique per learner (in a text that also uses
//!   `${learner.*}`, it stays the class's run id: the text is the learner's already);
//! - the `name` of a resource that lives once per account (user, group, role, managed
//!   policy, SAML provider, MFA device, stack, bucket) that mentions neither
//!   `${learner.*}` nor `${run.id}` gets `-NAME` appended;
//! - references to steps (`${user.arn}`, `as: user`, `credentials:`, `mfa:`, `needs:`)
//!   name the learner's own copies (in a plan with a step named `learner`, written
//!   before classes, `${learner.*}` names that step's outputs); a variable whose value uses `${learner.*}` or
//!   `${run.id}` is written out in place, so it too is the learner's.
//!
//! The copies are bounded before they are made: at most [`MAX_CLASS_STEPS`] steps (a
//! class has at most 500 learners), and the copied text at most
//! [`MAX_EXPANDED_BYTES`]; a copy's value at most [`MAX_RENDERED_BYTES`]. This module
//! is one thing, the copy of a step for a learner, with its renaming rules.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::class::{Class, Learner, MAX_CLASS_STEPS};
use super::{Plan, Step, StepId};
use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::limits::{MAX_EXPANDED_BYTES, MAX_RENDERED_BYTES, MAX_VAR_DEPTH};
use crate::source::Span;
use crate::template::{Reference, Template};
use crate::yaml::{Node, Sp, Value};

/// The kinds whose `name` is unique in an account (or, for buckets, everywhere).
const NAMED_KINDS: &[&str] = &[
    "iam.user",
    "iam.group",
    "iam.role",
    "iam.policy",
    "iam.saml_provider",
    "iam.virtual_mfa_device",
    "cfn.stack",
    "s3.bucket",
];

/// The keys of a kind that name another step (an identity or an MFA device).
const STEP_NAME_KEYS: &[&str] = &["as", "credentials", "mfa"];

/// What every copy needs to know about the plan.
struct Shared<'a> {
    /// Every step id and every step that could not be read.
    known: HashSet<String>,
    /// `for_each` steps and includes: their steps.
    groups: &'a IndexMap<String, Vec<StepId>>,
    /// Variables written out in a learner's copy, with their text.
    inline: HashMap<String, String>,
    /// Whether `${learner.*}` is the learner's: not when the plan has a step named
    /// `learner` (plans written before classes), whose outputs it then names.
    learner_refs: bool,
}

/// Replaces the plan's steps by every learner's copies (step-major: every learner's
/// `user`, then every learner's `stack`, ...), and records the class in the plan.
pub(super) fn expand(diags: &mut Diagnostics, plan: &mut Plan, class: &Class, steps_span: Span) {
    let learners = class.learners.len();
    let total = plan.steps.len().saturating_mul(learners);
    if total > MAX_CLASS_STEPS {
        diags
            .error(
                "plan::budget",
                steps_span,
                format!(
                    "{learners} learners of this plan's {} steps make {total} steps; a class may have at most {MAX_CLASS_STEPS}",
                    plan.steps.len()
                ),
            )
            .help("run the class in groups (several rosters, one `up` each), or shorten the plan")
            .emit();
        return;
    }
    let copied = plan
        .steps
        .values()
        .map(|step| text_size(&step.body))
        .sum::<usize>()
        .saturating_mul(learners);
    if copied > MAX_EXPANDED_BYTES {
        diags
            .error(
                "plan::budget",
                steps_span,
                format!(
                    "{learners} learners would copy {copied} bytes of step text; a class may expand to at most {MAX_EXPANDED_BYTES}"
                ),
            )
            .help("run the class in groups (several rosters, one `up` each), or move large documents into files")
            .emit();
        return;
    }
    let learner_refs =
        !plan.steps.contains_key("learner") && !plan.unreadable.iter().any(|u| u == "learner");
    let (inline, of_learner) = learner_vars(diags, plan);
    let shared = Shared {
        known: plan
            .steps
            .keys()
            .map(|id| id.as_str().to_owned())
            .chain(plan.unreadable.iter().cloned())
            .collect(),
        groups: &plan.instances,
        inline,
        learner_refs,
    };
    let mut steps = IndexMap::with_capacity(total);
    let mut unreadable = Vec::new();
    for step in plan.steps.values() {
        for learner in &class.learners {
            match copy_step(diags, step, learner, &shared) {
                Some(copy) => {
                    steps.insert(copy.id.clone(), copy);
                }
                None => unreadable.push(format!("{}[{}]", step.id, learner.name)),
            }
        }
    }
    let mut instances = IndexMap::new();
    for (group, ids) in &plan.instances {
        let of_group: Vec<StepId> = ids
            .iter()
            .flat_map(|id| {
                class
                    .learners
                    .iter()
                    .map(move |l| StepId::new(format!("{id}[{}]", l.name)))
            })
            .collect();
        instances.insert(group.clone(), of_group);
    }
    for name in &plan.unreadable {
        unreadable.extend(class.learners.iter().map(|l| format!("{name}[{}]", l.name)));
    }
    plan.unreadable.extend(unreadable);
    plan.steps = steps;
    plan.instances = instances;
    // Variables that use `${learner.*}` are written out in each copy; the plan keeps
    // none that means a different thing per learner.
    plan.vars.retain(|name, _| !of_learner.contains(name));
    plan.learners = class
        .learners
        .iter()
        .map(|l| (l.name.clone(), l.clone()))
        .collect();
}

/// The variables written out in a learner's copy (those that use `${learner.*}` or
/// `${run.id}`, directly or through others), and those among them that use
/// `${learner.*}`.
fn learner_vars(
    diags: &mut Diagnostics,
    plan: &Plan,
) -> (HashMap<String, String>, HashSet<String>) {
    let refs: IndexMap<&str, Vec<Reference>> = plan
        .vars
        .iter()
        .map(|(name, value)| {
            let refs = Template::parse(&value.value)
                .map(|t| t.references().map(|(r, _, _)| r.clone()).collect())
                .unwrap_or_default();
            (name.as_str(), refs)
        })
        .collect();
    let closure = |seed: &dyn Fn(&Reference) -> bool| {
        let mut set: HashSet<String> = HashSet::new();
        // Each round adds at least one variable, or ends.
        for _ in 0..=refs.len() {
            let before = set.len();
            for (name, list) in &refs {
                if !set.contains(*name)
                    && list.iter().any(|r| {
                        seed(r) || matches!(r, Reference::Var(other) if set.contains(other))
                    })
                {
                    set.insert((*name).to_owned());
                }
            }
            if set.len() == before {
                break;
            }
        }
        set
    };
    let of_learner = closure(&|r| is_learner(r));
    let per_learner = closure(&|r| is_learner(r) || *r == Reference::RunId);
    let mut inline = HashMap::new();
    for name in per_learner {
        let Some(value) = plan.vars.get(&name) else {
            continue;
        };
        if plan.secrets.contains(&name) {
            if of_learner.contains(&name) {
                diags
                    .error(
                        "plan::bad_reference",
                        value.span,
                        format!("secret variable `{name}` uses `${{learner.*}}`; a secret is the same for every learner"),
                    )
                    .help("give each learner's value in a roster column, and use it as `${learner.vars.NAME}`")
                    .emit();
            }
            continue;
        }
        inline.insert(name, value.value.clone());
    }
    (inline, of_learner)
}

fn is_learner(reference: &Reference) -> bool {
    matches!(reference, Reference::Step { step, .. } if step == "learner")
}

/// One learner's copy of `step`, or `None` when it cannot be read (reported).
fn copy_step(
    diags: &mut Diagnostics,
    step: &Step,
    learner: &Learner,
    shared: &Shared<'_>,
) -> Option<Step> {
    let id = StepId::new(format!("{}[{}]", step.id, learner.name));
    let mut body = step.body.clone();
    let label = step.kind.label();
    if let Value::Map(entries) = &mut body.value {
        for (key, value) in entries.iter_mut() {
            match (&mut value.value, key.name.as_str()) {
                (Value::Str(text), name)
                    if STEP_NAME_KEYS.contains(&name) && shared.known.contains(text.as_str()) =>
                {
                    text.push('[');
                    text.push_str(&learner.name);
                    text.push(']');
                }
                (Value::Str(text), "name") if NAMED_KINDS.contains(&label) => {
                    let inlined = inline_vars(text, &shared.inline);
                    let own = Template::parse(&inlined).is_ok_and(|t| {
                        t.references().any(|(r, _, _)| {
                            (shared.learner_refs && is_learner(r)) || *r == Reference::RunId
                        })
                    });
                    if !own {
                        text.push('-');
                        text.push_str(&learner.name);
                    }
                }
                _ => {}
            }
        }
    }
    rewrite_node(diags, &id, &mut body, learner, shared);
    let needs = step
        .needs
        .iter()
        .flat_map(|need| {
            let named = |id: &str| Sp::new(format!("{id}[{}]", learner.name), need.span);
            if shared.known.contains(need.value.as_str()) {
                vec![named(&need.value)]
            } else if let Some(ids) = shared.groups.get(need.value.as_str()) {
                ids.iter().map(|id| named(id.as_str())).collect()
            } else {
                vec![need.clone()]
            }
        })
        .collect();
    let (kind, errors) = StepKind::from_node(label, &body)?;
    for error in &errors {
        diags
            .error(
                "plan::invalid_value",
                error.span.unwrap_or(body.span),
                format!("in step `{id}` of learner `{}`: {error}", learner.name),
            )
            .emit();
    }
    Some(Step {
        id,
        id_span: step.id_span,
        kind: kind?,
        kind_span: step.kind_span,
        needs,
        description: step.description.clone(),
        account: step.account.clone(),
        body,
        partial: step.partial || !errors.is_empty(),
    })
}

fn rewrite_node(
    diags: &mut Diagnostics,
    id: &StepId,
    node: &mut Node,
    learner: &Learner,
    shared: &Shared<'_>,
) {
    match &mut node.value {
        Value::Str(text) if text.contains("${") => {
            *text = rewrite_text(diags, id, text, node.span, learner, shared);
        }
        Value::Seq(items) => {
            for item in items {
                rewrite_node(diags, id, item, learner, shared);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                if key.name.contains("${") {
                    key.name = rewrite_text(diags, id, &key.name, key.span, learner, shared);
                }
                rewrite_node(diags, id, value, learner, shared);
            }
        }
        _ => {}
    }
}

/// `text` with the learner's variables written out, until none is left (bounded by
/// the variables' depth and the rendered length; the variables' own checks report a
/// crossed bound).
fn inline_vars(text: &str, inline: &HashMap<String, String>) -> String {
    if inline.is_empty() {
        return text.to_owned();
    }
    let mut current = text.to_owned();
    for _ in 0..=MAX_VAR_DEPTH {
        let mut changed = false;
        let next = each_reference(&current, |content| {
            let name = content.strip_prefix("vars.")?;
            let value = inline.get(name)?;
            changed = true;
            Some(value.clone())
        });
        // Over the budget: left as written; the variables' own checks report it.
        let Some(next) = next.filter(|_| changed) else {
            return current;
        };
        current = next;
    }
    current
}

/// `text` with every `${CONTENT}` for which `replace` gives text replaced by it; `$${`
/// (a literal `${`) is left alone. `None` once the text would pass
/// [`MAX_RENDERED_BYTES`]: replacing stops there.
fn each_reference(text: &str, mut replace: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        if out.len() > MAX_RENDERED_BYTES {
            return None;
        }
        let escaped = rest[..i].ends_with('$');
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return Some(out);
        };
        let whole = &after[..=close];
        match (!escaped)
            .then(|| replace(after[2..close].trim()))
            .flatten()
        {
            Some(replacement) => out.push_str(&replacement),
            None => out.push_str(whole),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    (out.len() <= MAX_RENDERED_BYTES).then_some(out)
}

fn rewrite_text(
    diags: &mut Diagnostics,
    id: &StepId,
    text: &str,
    span: Span,
    learner: &Learner,
    shared: &Shared<'_>,
) -> String {
    let inlined = inline_vars(text, &shared.inline);
    // A text that names the learner is the learner's already; `${run.id}` in it stays
    // the class's.
    let names_learner =
        Template::parse(&inlined).is_ok_and(|t| t.references().any(|(r, _, _)| is_learner(r)));
    let mut problems = Vec::new();
    let out = each_reference(&inlined, |content| {
        if content == "run.id" && !names_learner {
            return Some(format!("${{run.id}}-{}", learner.name));
        }
        if let Some(field) = content
            .strip_prefix("learner.")
            .filter(|_| shared.learner_refs)
        {
            return Some(match learner_value(field, learner) {
                Ok(value) => value,
                Err(problem) => {
                    problems.push((format!("${{{content}}}"), problem));
                    format!("${{{content}}}")
                }
            });
        }
        let (root, rest) = content.split_once('.')?;
        shared
            .known
            .contains(root)
            .then(|| format!("${{{root}[{}].{rest}}}", learner.name))
    });
    let Some(out) = out else {
        diags
            .error(
                "plan::budget",
                span,
                format!("a value of step `{id}` grows past {MAX_RENDERED_BYTES} bytes with learner `{}`'s values", learner.name),
            )
            .help("shorten the roster's values, or use them in fewer places")
            .emit();
        return text.to_owned();
    };
    for (whole, problem) in problems {
        let at = diags.file().find_from(span.offset, &whole).unwrap_or(span);
        diags
            .error(
                "plan::bad_reference",
                at,
                format!("`{whole}` in step `{id}`: {problem}"),
            )
            .help("a learner has `${learner.name}`, `${learner.id}` and `${learner.vars.NAME}` for each column of the roster")
            .emit();
    }
    out
}

fn learner_value(field: &str, learner: &Learner) -> Result<String, String> {
    match field {
        "name" => Ok(learner.name.clone()),
        "id" => Ok(learner.id.clone()),
        other => match other.strip_prefix("vars.") {
            Some(var) => learner.vars.get(var).cloned().ok_or_else(|| {
                if learner.vars.is_empty() {
                    format!(
                        "learner `{}` has no variables; give them as columns of a roster (`--roster FILE`)",
                        learner.name
                    )
                } else {
                    let names: Vec<String> =
                        learner.vars.keys().map(|n| format!("`{n}`")).collect();
                    format!(
                        "learner `{}` has no variable `{var}`; the roster gives {}",
                        learner.name,
                        names.join(", ")
                    )
                }
            }),
            None => Err("`learner` has `name`, `id` and `vars.NAME`".to_owned()),
        },
    }
}

/// The bytes of text (keys and scalars) in `node`.
fn text_size(node: &Node) -> usize {
    match &node.value {
        Value::Str(text) => text.len(),
        Value::Seq(items) => items.iter().map(text_size).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(key, value)| key.name.len() + text_size(value))
            .sum(),
        _ => 8,
    }
}
