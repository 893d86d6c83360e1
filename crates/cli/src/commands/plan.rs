//! `awslab plan`: what a plan will do, without touching AWS: its steps in run order,
//! stage by stage, what each creates, and the teardown order.

use std::fmt::Write as _;

use awslab_planner::SealedPlan;
use awslab_planner::render::{describe, describe_teardown};

use super::plan_file::load_reporting_for;
use crate::cli::PlanArgs;
use crate::exit::Status;

pub fn plan(args: &PlanArgs) -> Status {
    let Some(sealed) = load_reporting_for(&args.plan, &args.vars, &args.class) else {
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
