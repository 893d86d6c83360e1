//! One account's policy: for each step that runs in it, its actions grouped by the
//! resources they are on, one statement per step and resource set.

use std::collections::BTreeMap;

use awslab_planner::checks::Statics;
use awslab_planner::{SealedPlan, StepKind};
use serde_json::{Value, json};

use super::actions::{sid, step_actions};
use super::cfn::cfn_resources;
use super::names::Deriver;

/// Where the policy's ARNs point: an account id or `*`, a region or `*`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

/// A derived policy and what it could not scope.
#[derive(Debug)]
pub struct Derived {
    pub document: Value,
    pub notes: Vec<String>,
}

/// The policy for the operator of `sealed`'s account at `account_index` (in the order
/// of `accounts:`): the steps that run in that account.
pub fn derive_account(sealed: &SealedPlan, scope: &Scope, account_index: usize) -> Derived {
    let mut deriver = Deriver {
        sealed,
        statics: Statics::new(&sealed.plan),
        scope,
        account_index,
        notes: Vec::new(),
    };
    let mut statements: Vec<(String, Vec<String>, Vec<String>)> = Vec::new();
    for id in sealed.levels().iter().flatten() {
        let Some(step) = sealed.plan.steps.get(id) else {
            continue;
        };
        if sealed.plan.account_index(step) != account_index {
            continue;
        }
        let names = deriver.names(step);
        // Group the step's actions by the resources they are on.
        let mut by_resources: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        for action in step_actions(step) {
            let resources: Vec<String> = deriver.resources(&action, &names).into_iter().collect();
            by_resources.entry(resources).or_default().push(action);
        }
        if let StepKind::CfnStack(stack) = &step.kind {
            for (resources, actions) in cfn_resources(&mut deriver, stack) {
                by_resources.entry(resources).or_default().extend(actions);
            }
        }
        for (resources, mut actions) in by_resources {
            actions.sort();
            actions.dedup();
            // Statement ids are unique in a policy.
            let base = sid(id.as_str(), "");
            let mut name = base.clone();
            let mut index = 1;
            while statements.iter().any(|(other, _, _)| *other == name) {
                name = format!("{base}{index}");
                index += 1;
            }
            statements.push((name, actions, resources));
        }
    }
    if statements.is_empty() {
        deriver.notes.push(
            "no step calls AWS as this operator: the policy has no statement, and needs none"
                .to_owned(),
        );
    }
    let document = json!({
        "Version": "2012-10-17",
        "Statement": statements.iter().map(|(sid, actions, resources)| json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": resources,
        })).collect::<Vec<_>>(),
    });
    Derived {
        document,
        notes: deriver.notes,
    }
}
