//! Reading a plan file for a command: [`load_reporting`] loads and checks it, prints
//! its diagnostics, and blanks its secret variables from every later log line.

use awslab_planner::{SealedPlan, load_with};

use crate::cli::VarArgs;
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
