//! Finding references: every `${...}` in every step, every `as:`, `credentials:` and
//! `needs:` becomes a dependency of one step on another, checked against the steps,
//! their outputs and the plan's variables. Variables may use `${run.id}`,
//! `${account.id}` and other variables, but not steps.

use indexmap::IndexSet;

use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::plan::{Plan, Step, StepId};
use crate::source::Span;
use crate::template::{Reference, Template};
use crate::values::OPERATOR;
use crate::yaml::{Node, Value};

/// Why one step depends on another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Because {
    /// A `${step.field}` reference, as written.
    Reference(String),
    /// `as:` or `credentials:` names the step.
    Identity,
    /// `needs:` names the step.
    Needs,
    /// `mfa:` names the step (an `iam.virtual_mfa_device`).
    MfaDevice,
}

/// One dependency: `step` depends on `on`, written at `span`.
#[derive(Debug, Clone)]
pub struct Dependency {
    pub step: StepId,
    pub on: StepId,
    pub because: Because,
    pub span: Span,
}

/// Every string in `node` (keys included) with its span.
pub fn strings(node: &Node, out: &mut Vec<(String, Span)>) {
    match &node.value {
        Value::Str(s) => out.push((s.clone(), node.span)),
        Value::Seq(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Map(entries) => {
            for (key, value) in entries {
                if key.name.contains("${") {
                    out.push((key.name.clone(), key.span));
                }
                strings(value, out);
            }
        }
        _ => {}
    }
}

pub use crate::template::references_in;

/// Checks variables: references among them resolve and do not loop.
pub fn check_vars(diags: &mut Diagnostics, plan: &Plan) {
    // Whether a variable's reference to another closes a loop, asked once per pair:
    // a value may repeat one reference many times.
    let mut loops: std::collections::HashMap<(String, String), bool> =
        std::collections::HashMap::new();
    let mut closes_loop = |name: &str, other: &str| {
        *loops
            .entry((name.to_owned(), other.to_owned()))
            .or_insert_with(|| var_loops(plan, name, other, &mut IndexSet::new()))
    };
    for (name, value) in &plan.vars {
        for (reference, span) in references_in(diags, &value.value, value.span) {
            match reference {
                Reference::Var(other) if !plan.vars.contains_key(&other) => {
                    let help = did_you_mean(&other, plan.vars.keys().map(String::as_str));
                    diags
                        .error(
                            "plan::unknown_var",
                            span,
                            format!("unknown variable `{other}` in variable `{name}`"),
                        )
                        .maybe_help(help)
                        .emit();
                }
                Reference::Var(other) if closes_loop(name, &other) => {
                    diags
                        .error(
                            "plan::cycle",
                            span,
                            format!("variable `{name}` refers back to itself through `{other}`"),
                        )
                        .emit();
                }
                Reference::Step { step, .. } if step == "learner" => {
                    learner_outside_class(
                        diags,
                        span,
                        &format!(
                            "variable `{name}` uses `${{learner.*}}`, which is known only when the plan runs for a class"
                        ),
                    );
                }
                Reference::Step { step, .. } => {
                    diags
                        .error("plan::bad_reference", span, format!("variable `{name}` refers to step `{step}`"))
                        .help("variables are known before any step runs; use the step's output in the step that needs it")
                        .emit();
                }
                Reference::AccountIdOf(account) if !plan.accounts.contains_key(&account) => {
                    crate::plan::unknown_account(
                        diags,
                        plan,
                        &account,
                        span,
                        &format!(
                            "`${{account.{account}.id}}` in variable `{name}` names unknown account `{account}`"
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

/// `${learner.*}` in a plan checked or run for one person.
fn learner_outside_class(diags: &mut Diagnostics, span: Span, message: &str) {
    diags
        .error("plan::bad_reference", span, message.to_owned())
        .help("pass `--learners N` (learners `learner-01` to `learner-N`) or `--roster FILE` (a CSV or YAML list of names) to `awslab up`, `validate` or `plan`, or give the plan a class size at its top: `learners: 3`")
        .emit();
}

fn var_loops(plan: &Plan, start: &str, current: &str, seen: &mut IndexSet<String>) -> bool {
    if current == start {
        return true;
    }
    if !seen.insert(current.to_owned()) {
        return false;
    }
    let Some(value) = plan.vars.get(current) else {
        return false;
    };
    let Ok(template) = Template::parse(&value.value) else {
        return false;
    };
    template
        .references()
        .any(|(r, _, _)| matches!(r, Reference::Var(next) if var_loops(plan, start, next, seen)))
}

/// Collects the dependencies of every step, reporting unknown steps, outputs,
/// variables and identities.
pub fn collect(diags: &mut Diagnostics, plan: &Plan) -> Vec<Dependency> {
    let mut out = Vec::new();
    for step in plan.steps.values() {
        let mut texts = Vec::new();
        strings(&step.body, &mut texts);
        for (text, span) in texts {
            for (reference, at) in references_in(diags, &text, span) {
                if diags.is_full() {
                    break;
                }
                check_reference(diags, plan, step, &reference, at, &mut out);
            }
        }
        for name in step
            .kind
            .caller()
            .into_iter()
            .chain(step.kind.credentials_source())
        {
            check_identity(diags, plan, step, &name.value, name.span, &mut out);
        }
        if let Some(device) = step.kind.mfa_device() {
            check_mfa_device(diags, plan, step, device, &mut out);
        }
        for need in &step.needs {
            let on = StepId::new(need.value.clone());
            if on == step.id {
                diags
                    .error(
                        "plan::cycle",
                        need.span,
                        format!("step `{}` needs itself", step.id),
                    )
                    .help("remove it from its own `needs`")
                    .emit();
            } else if plan.steps.contains_key(&on) {
                out.push(Dependency {
                    step: step.id.clone(),
                    on,
                    because: Because::Needs,
                    span: need.span,
                });
            } else if let Some(ids) = plan.instances.get(need.value.as_str()) {
                // `needs: [team]` waits for every instance of a `for_each` step.
                for id in ids.iter().filter(|id| **id != step.id) {
                    out.push(Dependency {
                        step: step.id.clone(),
                        on: id.clone(),
                        because: Because::Needs,
                        span: need.span,
                    });
                }
            } else {
                unknown_step(
                    diags,
                    plan,
                    &need.value,
                    need.span,
                    format!(
                        "`needs` of step `{}` names unknown step `{}`",
                        step.id, need.value
                    ),
                );
            }
        }
    }
    out
}

/// A name that is not a step but means something close: `each` outside a `for_each`
/// step, or a `for_each` step named without its instance key. Reported here; true if
/// it was one.
fn not_a_step(diags: &mut Diagnostics, plan: &Plan, name: &str, span: Span) -> bool {
    if name == "each" {
        diags
            .error(
                "plan::bad_reference",
                span,
                "`${each.*}` is known only in a step with `for_each`",
            )
            .help("add `for_each:` to this step, or refer to an instance of a `for_each` step as `${team[red].arn}`")
            .emit();
        return true;
    }
    if name == "learner" {
        // In a class, a bad `${learner.*}` is reported where the copies are made.
        if plan.learners.is_empty() {
            learner_outside_class(
                diags,
                span,
                "`${learner.*}` is known only when the plan runs for a class",
            );
        }
        return true;
    }
    let base = name.split_once('[').map_or(name, |(base, _)| base);
    let Some(ids) = plan.instances.get(base) else {
        return false;
    };
    let listed: Vec<String> = ids.iter().take(5).map(|id| format!("`{id}`")).collect();
    let message = if base == name {
        format!(
            "`{name}` is several steps (a `for_each` step, or an include); name one of them, or an output of the include"
        )
    } else {
        format!("step `{base}` has no instance `{name}`")
    };
    diags
        .error("plan::unknown_reference", span, message)
        .label("no such step")
        .help(if listed.is_empty() {
            format!("`{base}` made no steps (its errors are reported)")
        } else {
            format!(
                "its steps are {}{}",
                listed.join(", "),
                if ids.len() > listed.len() {
                    ", ..."
                } else {
                    ""
                }
            )
        })
        .emit();
    true
}

/// Whether `name` is a step that could not be read, or one of an include that could
/// not be read (those errors are reported already).
fn unreadable(plan: &Plan, name: &str) -> bool {
    plan.unreadable.iter().any(|u| {
        u == name
            || name
                .strip_prefix(u.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// `mfa:` must name an `iam.virtual_mfa_device` step, which then runs first.
fn check_mfa_device(
    diags: &mut Diagnostics,
    plan: &Plan,
    step: &Step,
    device: &crate::values::IdentityName,
    out: &mut Vec<Dependency>,
) {
    let id = StepId::new(device.value.clone());
    match plan.steps.get(&id) {
        Some(other) if matches!(other.kind, crate::StepKind::IamVirtualMfaDevice(_)) => {
            out.push(Dependency {
                step: step.id.clone(),
                on: id,
                because: Because::MfaDevice,
                span: device.span,
            });
        }
        Some(other) => {
            diags
                .error(
                    "plan::not_an_mfa_device",
                    device.span,
                    format!(
                        "`mfa` of step `{}` names step `{}` ({}), not an MFA device",
                        step.id,
                        other.id,
                        other.kind.label()
                    ),
                )
                .help("name an `iam.virtual_mfa_device` step enabled for the calling user")
                .emit();
        }
        None => {
            let devices: Vec<&str> = plan
                .steps
                .values()
                .filter(|s| matches!(s.kind, crate::StepKind::IamVirtualMfaDevice(_)))
                .map(|s| s.id.as_str())
                .collect();
            if plan.unreadable.contains(&device.value) {
                return;
            }
            let help = did_you_mean(&device.value, devices.iter().copied()).unwrap_or_else(|| {
                "add an `iam.virtual_mfa_device` step for the calling user and name it here"
                    .to_owned()
            });
            diags
                .error(
                    "plan::unknown_reference",
                    device.span,
                    format!(
                        "`mfa` of step `{}` names unknown step `{}`",
                        step.id, device.value
                    ),
                )
                .label("no such step")
                .help(help)
                .emit();
        }
    }
}

fn unknown_step(diags: &mut Diagnostics, plan: &Plan, name: &str, span: Span, message: String) {
    if unreadable(plan, name) {
        // The step exists but could not be read; that error is reported already.
        return;
    }
    if not_a_step(diags, plan, name, span) {
        return;
    }
    let names = plan
        .steps
        .keys()
        .map(StepId::as_str)
        .chain(plan.unreadable.iter().map(String::as_str));
    let help = did_you_mean(name, names);
    diags
        .error("plan::unknown_reference", span, message)
        .label("no such step")
        .maybe_help(help)
        .emit();
}

fn check_reference(
    diags: &mut Diagnostics,
    plan: &Plan,
    step: &Step,
    reference: &Reference,
    span: Span,
    out: &mut Vec<Dependency>,
) {
    match reference {
        Reference::Var(name) => {
            if !plan.vars.contains_key(name) {
                let help = did_you_mean(name, plan.vars.keys().map(String::as_str))
                    .or_else(|| Some(format!("declare `{name}` under `vars:`")));
                diags
                    .error(
                        "plan::unknown_var",
                        span,
                        format!("unknown variable `{name}` in step `{}`", step.id),
                    )
                    .label("no such variable")
                    .maybe_help(help)
                    .emit();
            }
        }
        Reference::Step { step: target, path } => {
            let id = StepId::new(target.clone());
            let Some(other) = plan.steps.get(&id) else {
                unknown_step(
                    diags,
                    plan,
                    target,
                    span,
                    format!(
                        "`${{{reference}}}` in step `{}` refers to unknown step `{target}`",
                        step.id
                    ),
                );
                return;
            };
            if other.id == step.id {
                diags
                    .error(
                        "plan::cycle",
                        span,
                        format!(
                            "step `{}` refers to its own output `${{{reference}}}`",
                            step.id
                        ),
                    )
                    .emit();
                return;
            }
            if let Some(problem) = output_problem(other, path) {
                diags
                    .error("plan::unknown_output", span, problem.0)
                    .label("no such output")
                    .maybe_help(problem.1)
                    .emit();
                return;
            }
            out.push(Dependency {
                step: step.id.clone(),
                on: id,
                because: Because::Reference(format!("${{{reference}}}")),
                span,
            });
        }
        Reference::AccountIdOf(name) => {
            if !plan.accounts.contains_key(name) {
                crate::plan::unknown_account(
                    diags,
                    plan,
                    name,
                    span,
                    &format!(
                        "`${{{reference}}}` in step `{}` names unknown account `{name}`",
                        step.id
                    ),
                );
            }
        }
        Reference::RunId | Reference::RunRegion | Reference::AccountId => {}
    }
}

fn output_problem(target: &Step, path: &[String]) -> Option<(String, Option<String>)> {
    let label = target.kind.label();
    let outputs = target.kind.outputs();
    let field = path.first()?;
    if target.kind.has_open_outputs() && field == "outputs" {
        return (path.len() != 2).then(|| {
            (
                format!(
                    "`{}.outputs` needs the output's name, as in `${{{}.outputs.RoleArn}}`",
                    target.id, target.id
                ),
                None,
            )
        });
    }
    if !outputs.contains(&field.as_str()) {
        let known = outputs
            .iter()
            .map(|o| format!("`{o}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let help = did_you_mean(field, outputs.iter().copied()).or_else(|| {
            Some(if known.is_empty() {
                format!("a `{label}` step has no outputs")
            } else {
                format!("a `{label}` step outputs {known}")
            })
        });
        return Some((
            format!("`{label}` step `{}` has no output `{field}`", target.id),
            help,
        ));
    }
    if path.len() > 1 {
        return Some((
            format!("output `{}.{field}` has no fields", target.id),
            None,
        ));
    }
    if field == "access_key_id"
        && matches!(&target.kind, crate::StepKind::IamUser(u) if !u.access_key)
    {
        return Some((
            format!(
                "step `{}` creates no access key, so it has no `access_key_id`",
                target.id
            ),
            Some("add `access_key: true` to the user".to_owned()),
        ));
    }
    None
}

fn check_identity(
    diags: &mut Diagnostics,
    plan: &Plan,
    step: &Step,
    name: &str,
    span: Span,
    out: &mut Vec<Dependency>,
) {
    if name == OPERATOR {
        if step.kind.credentials_source().is_some() {
            diags
                .error(
                    "plan::not_an_identity",
                    span,
                    format!(
                        "step `{}` cannot write the operator's own credentials",
                        step.id
                    ),
                )
                .help("name a step that produced credentials, such as an `sts.assume_role` step")
                .emit();
        }
        return;
    }
    let id = StepId::new(name);
    let Some(other) = plan.steps.get(&id) else {
        if unreadable(plan, name) || not_a_step(diags, plan, name, span) {
            return;
        }
        let candidates: Vec<&str> = plan
            .steps
            .values()
            .filter(|s| s.kind.credentials().is_some())
            .map(|s| s.id.as_str())
            .chain([OPERATOR])
            .collect();
        // A step whose kind could not be read may still be the one meant.
        let meant = plan
            .unreadable
            .iter()
            .map(String::as_str)
            .chain(candidates.iter().copied());
        let help = did_you_mean(name, meant).or_else(|| {
            Some(format!(
                "identities in this plan: {}",
                candidates
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        });
        diags
            .error(
                "plan::unknown_reference",
                span,
                format!("step `{}` acts as unknown identity `{name}`", step.id),
            )
            .label("no such step")
            .maybe_help(help)
            .emit();
        return;
    };
    if other.id == step.id {
        diags
            .error(
                "plan::cycle",
                span,
                format!("step `{}` acts as itself", step.id),
            )
            .emit();
        return;
    }
    // A step read without a faulty value (`access_key: yes please`) is not judged by
    // the default that stood in for it.
    if other.kind.credentials().is_none() && !other.partial {
        let help = match &other.kind {
            crate::StepKind::IamUser(_) => format!("add `access_key: true` to step `{name}` so it has credentials"),
            _ => "identities are `operator`, users with `access_key: true`, `iam.access_key` steps and `sts.*` steps".to_owned(),
        };
        diags
            .error(
                "plan::not_an_identity",
                span,
                format!(
                    "step `{name}` ({}) has no credentials to act as",
                    other.kind.label()
                ),
            )
            .help(help)
            .emit();
        return;
    }
    out.push(Dependency {
        step: step.id.clone(),
        on: id,
        because: Because::Identity,
        span,
    });
}
