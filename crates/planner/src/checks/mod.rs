//! Checks that need the whole plan: names against AWS's rules, STS durations against
//! each API's bounds and the role's maximum, identities that an API accepts, policy
//! documents, trust policies that must admit their caller, verify calls, verdicts that
//! depend on the order of steps, and files a step reads. Values are checked when they are known before the run: literals,
//! variables, and names or ARNs of resources the plan itself creates.

mod arns;
mod budgets;
mod calls;
mod cfn_template;
mod documents;
mod durations;
mod files;
mod names;
mod ordering;
pub mod plan_tags;
mod providers;
mod quotas;
mod sessions;
mod statics;
mod trust;

pub use crate::source::file_roots;
pub use awslab_apimodel::{Call, find_call};
pub use statics::{SAMPLE_ACCOUNT, SAMPLE_RUN_ID, Statics, sample_account};

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::graph::SealedPlan;
use crate::plan::Plan;

/// Checks that need only the plan. `allowed_dirs` are folders besides the plan's
/// own from which it may read files.
pub fn check_plan(diags: &mut Diagnostics, plan: &Plan, base_dir: &Path, allowed_dirs: &[PathBuf]) {
    let statics = Statics::new(plan);
    if budgets::check(diags, plan, &statics) {
        return;
    }
    names::check(diags, plan, &statics);
    arns::check(diags, plan, &statics);
    durations::check(diags, plan, &statics);
    documents::check(diags, plan, &statics);
    quotas::check(diags, plan, &statics);
    providers::check(diags, plan, &statics);
    calls::check(diags, plan);
    sessions::check(diags, plan, &statics);
    files::check(diags, plan, base_dir, allowed_dirs, &statics);
    plan_tags::check(diags, plan, &statics);
}

/// Checks that need the order of steps.
pub fn check_sealed(diags: &mut Diagnostics, sealed: &SealedPlan) {
    trust::check(diags, sealed);
    ordering::check(diags, sealed);
}
