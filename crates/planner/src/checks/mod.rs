//! Checks that need the whole plan: names against AWS's rules, STS durations against
//! each API's bounds and the role's maximum, identities that an API accepts, policy
//! documents, trust policies that must admit their caller, verify calls, and files a
//! step reads. Values are checked when they are known before the run: literals,
//! variables, and names or ARNs of resources the plan itself creates.

mod calls;
mod documents;
mod durations;
mod names;
mod statics;
mod trust;

pub use calls::{CALLS, Call, CallId, find_call};
pub use statics::{SAMPLE_ACCOUNT, SAMPLE_RUN_ID, Statics};

use std::path::Path;

use crate::diagnostics::Diagnostics;
use crate::graph::SealedPlan;
use crate::plan::Plan;

/// Checks that need only the plan.
pub fn check_plan(diags: &mut Diagnostics, plan: &Plan, base_dir: &Path) {
    let statics = Statics::new(plan);
    names::check(diags, plan, &statics);
    durations::check(diags, plan, &statics);
    documents::check(diags, plan, &statics);
    calls::check(diags, plan);
    files_exist(diags, plan, base_dir, &statics);
}

/// Checks that need the order of steps.
pub fn check_sealed(diags: &mut Diagnostics, sealed: &SealedPlan) {
    trust::check(diags, sealed);
}

fn files_exist(diags: &mut Diagnostics, plan: &Plan, base_dir: &Path, statics: &Statics) {
    use crate::kinds::StepKind;
    for step in plan.steps.values() {
        let (field, text, limit) = match &step.kind {
            StepKind::CfnStack(s) => ("template", &s.template, Some(51_200)),
            StepKind::S3Object(s) => match &s.file {
                Some(file) => ("file", file, None),
                None => continue,
            },
            StepKind::StsAssumeRoleWithWebIdentity(s) => match &s.token_file {
                Some(file) => ("token_file", file, None),
                None => continue,
            },
            _ => continue,
        };
        let Some(relative) = statics.render(&text.value) else {
            continue;
        };
        let path = base_dir.join(&relative);
        match std::fs::metadata(&path) {
            Ok(meta) if limit.is_some_and(|l| meta.len() > l) => {
                diags
                    .error("plan::file", text.span, format!("template `{relative}` is {} bytes; CloudFormation accepts at most 51,200 in a request", meta.len()))
                    .help("shorten the template, or split it into nested stacks")
                    .emit();
            }
            Ok(_) => {}
            Err(err) => {
                diags
                    .error("plan::file", text.span, format!("`{field}` of step `{}` names `{relative}`, which cannot be read: {err}", step.id))
                    .help(format!("paths are relative to the plan file's folder (`{}`)", if base_dir.as_os_str().is_empty() { Path::new(".") } else { base_dir }.display()))
                    .emit();
            }
        }
    }
}
