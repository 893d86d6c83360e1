//! Commands that read plans without touching AWS: `validate`, `plan` and `graph`.

use std::fmt::Write as _;

use awslab_planner::render::{describe, describe_teardown, to_dot, to_json, to_mermaid};
use awslab_planner::{SealedPlan, load_with};

use crate::cli::{GraphArgs, GraphFormat, PlanArgs, ValidateArgs, VarArgs};
use crate::exit::Status;
use crate::report::{render_load_error, render_plan_diagnostics};

/// Loads a plan, printing diagnostics (errors, or warnings of a valid plan) to stderr.
pub fn load_reporting(path: &std::path::Path, vars: &VarArgs) -> Option<SealedPlan> {
    match load_with(path, &vars.load_options()) {
        Ok(sealed) => {
            // Secret variables are blanked from every log line from now on.
            for name in &sealed.plan.secrets {
                if let Some(value) = sealed.plan.vars.get(name) {
                    awslab_executor::redaction::remember(&value.value);
                }
            }
            if !sealed.warnings.is_empty() {
                eprint!(
                    "{}",
                    render_plan_diagnostics(&path.display().to_string(), &sealed.warnings)
                );
            }
            Some(sealed)
        }
        Err(err) => {
            eprint!("{}", render_load_error(&err));
            None
        }
    }
}

pub fn validate(args: &ValidateArgs) -> Status {
    if args.format == crate::cli::ValidateFormat::Sarif {
        return super::sarif::validate(args);
    }
    let mut status = Status::Success;
    for path in &args.plans {
        match load_reporting(path, &args.vars) {
            Some(sealed) => println!(
                "ok: `{}` ({}, {} steps)",
                path.display(),
                sealed.plan.name.value,
                sealed.plan.steps.len()
            ),
            None => status = Status::Invalid,
        }
    }
    status
}

pub fn plan(args: &PlanArgs) -> Status {
    let Some(sealed) = load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    print!("{}", plan_text(&sealed));
    Status::Success
}

/// The text of `awslab plan`: levels of steps in run order, then teardown.
pub fn plan_text(sealed: &SealedPlan) -> String {
    let mut out = String::new();
    let plan = &sealed.plan;
    let _ = writeln!(
        out,
        "Plan `{}`: {} steps in {} stages",
        plan.name.value,
        plan.steps.len(),
        sealed.levels().len()
    );
    if let Some(description) = &plan.description {
        let _ = writeln!(out, "{}", description.trim());
    }
    if !plan.vars.is_empty() {
        let _ = writeln!(out, "\nVariables:");
        for (name, value) in &plan.vars {
            let shown = if plan.secrets.contains(name) {
                "*** (secret)"
            } else {
                value.value.as_str()
            };
            let _ = writeln!(out, "  {name} = {shown}");
        }
    }
    let _ = writeln!(
        out,
        "\nRun order (steps in one stage may run at the same time):"
    );
    let width = plan
        .steps
        .keys()
        .map(|k| k.as_str().len())
        .max()
        .unwrap_or(0);
    for (i, level) in sealed.levels().iter().enumerate() {
        let _ = writeln!(out, "  stage {}", i + 1);
        for id in level {
            let Some(step) = sealed.step(id) else {
                continue;
            };
            let after = sealed.dependencies(id);
            let after = if after.is_empty() {
                String::new()
            } else {
                format!(
                    "  (after {})",
                    after
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                out,
                "    {:<width$}  {}{after}",
                id.as_str(),
                describe(sealed, step)
            );
        }
    }
    let _ = writeln!(
        out,
        "\nTeardown order (the reverse; verifications and STS sessions leave nothing to undo):"
    );
    let mut n = 0;
    for level in sealed.teardown_levels() {
        for id in level {
            let Some(step) = sealed.step(&id) else {
                continue;
            };
            if let Some(action) = describe_teardown(sealed, step) {
                n += 1;
                let _ = writeln!(out, "  {n:>2}. {:<width$}  {action}", id.as_str());
            }
        }
    }
    out
}

pub fn graph(args: &GraphArgs) -> Status {
    let Some(sealed) = load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    match args.format {
        GraphFormat::Dot => print!("{}", to_dot(&sealed, args.teardown)),
        GraphFormat::Mermaid => print!("{}", to_mermaid(&sealed, args.teardown)),
        GraphFormat::Json => {
            let text =
                serde_json::to_string_pretty(&to_json(&sealed, args.teardown)).unwrap_or_default();
            println!("{text}");
        }
    }
    Status::Success
}
