//! Builds a [`Runbook`] from a sealed plan: walks the steps in run order, renders each
//! value (the plan's variables and the run id as text, other steps' outputs as the
//! shell variables that captured them, secret variables as `AWSLAB_VAR_*` read at run
//! time), and collects the cleanup in teardown order (the run order reversed, as
//! `awslab down` walks the reversed graph).

use awslab_planner::{SealedPlan, StepId};

use crate::cx::{Cx, Options, Parts};
use crate::kinds;
use crate::model::{Runbook, Section, Undo};
use crate::words::{single_quoted, var_name};

/// Makes the runbook of `sealed`.
pub fn build(sealed: &SealedPlan, options: &Options) -> Runbook {
    let mut cx = Cx::new(sealed, options);
    let (setup, operators) = accounts(sealed, options);
    let mut sections = Vec::new();
    let mut undos: Vec<(StepId, Vec<Undo>)> = Vec::new();
    for id in sealed.order() {
        let Some(step) = sealed.step(id) else {
            continue;
        };
        let mut parts = kinds::step(&mut cx, step);
        if let Some(Some(operator)) = operators.get(sealed.plan.account_index(step)) {
            as_account_operator(&mut parts, operator);
            if let Some(name) = sealed.plan.account_of(step) {
                parts.notes.push(format!(
                    "This step runs in account `{name}`: its operator's commands start with `{operator}`."
                ));
            }
        }
        // The planner's words keep `${run.id}`, `${account.id}` and other steps'
        // outputs as written; the runbook knows the run id, and names the rest by the
        // shell variables its commands keep them in.
        let action = cx.prose(&awslab_planner::render::describe(sealed, step));
        let description = step.description.as_ref().map(|d| cx.prose(d));
        sections.push(Section {
            step: id.to_string(),
            kind: step.kind.label().to_owned(),
            description: description.unwrap_or_else(|| action.clone()),
            action,
            notes: parts.notes,
            commands: parts.commands,
            claim: parts.claim,
        });
        if !parts.undo.is_empty() {
            undos.push((id.clone(), parts.undo));
        }
    }
    // Teardown order: the run order reversed; within a step, its own undo order.
    let cleanup = undos.into_iter().rev().flat_map(|(_, u)| u).collect();
    let plan = &sealed.plan;
    Runbook {
        name: plan.name.value.clone(),
        description: plan.description.clone(),
        run_id: options.run_id.clone(),
        region: options.region.clone(),
        endpoint_url: options.endpoint_url.clone(),
        profile: options.profile.clone(),
        sandbox: options.sandbox,
        secrets: plan.secrets.iter().cloned().collect(),
        needs_account_id: cx.needs_account_id,
        setup,
        sections,
        cleanup,
        files: cx.files,
    }
}

/// The operators of the plan's other accounts (`accounts:` after the first): the
/// commands that take their credentials (on the sandbox, `awslab sandbox env
/// --account N`) and their account ids, and the prefix of each account's operator
/// commands (`None` for the first account, the operator's).
fn accounts(sealed: &SealedPlan, options: &Options) -> (Vec<String>, Vec<Option<String>>) {
    let mut setup = Vec::new();
    let mut operators = vec![None];
    for (index, (name, account)) in sealed.plan.accounts.iter().enumerate().skip(1) {
        let prefix = var_name(&["account", name]);
        let operator = if options.sandbox {
            setup.push(format!(
                "eval \"$(\"$AWSLAB\" sandbox env --account {} | sed -n -e 's/^export AWS_ACCESS_KEY_ID=/{prefix}_ACCESS_KEY_ID=/p' -e 's/^export AWS_SECRET_ACCESS_KEY=/{prefix}_SECRET_ACCESS_KEY=/p')\"",
                index + 1
            ));
            format!("as_identity {prefix}")
        } else {
            let profile = account.profile.as_ref().map_or_else(
                || format!("\"${{AWSLAB_PROFILE_{}:?set AWSLAB_PROFILE_{} to the AWS CLI profile of account {name}'s operator}}\"", var_name(&[name]), var_name(&[name])),
                |p| single_quoted(&p.value),
            );
            format!("as_profile {profile}")
        };
        setup.push(format!(
            "{}=$({operator} aws sts get-caller-identity --query Account --output text)",
            var_name(&["account", name, "id"])
        ));
        operators.push(Some(operator));
    }
    (setup, operators)
}

/// Makes a step's operator commands run as its account's operator.
fn as_account_operator(parts: &mut Parts, operator: &str) {
    let rewrite = |line: &str| -> String {
        let line = line.replace("$(aws ", &format!("$({operator} aws "));
        match line.strip_prefix("aws ") {
            Some(rest) if !rest.starts_with("configure ") => format!("{operator} aws {rest}"),
            _ => line,
        }
    };
    for command in &mut parts.commands {
        command.line = command
            .line
            .lines()
            .map(rewrite)
            .collect::<Vec<_>>()
            .join("\n");
    }
    for undo in &mut parts.undo {
        undo.line = rewrite(&undo.line);
    }
    if let Some(claim) = &mut parts.claim {
        claim.command = rewrite(&claim.command);
    }
}
