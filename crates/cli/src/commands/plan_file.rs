//! Reading a plan file for a command: [`load_reporting`] loads and checks it, prints
//! its diagnostics, and blanks its secret variables from every later log line.

use awslab_planner::{LoadError, SealedPlan, load_class, load_with};

use crate::cli::{ClassArgs, VarArgs};
use crate::report::{render_load_error, render_plan_diagnostics};

/// Loads a plan, printing diagnostics (errors, or warnings of a valid plan) to stderr.
pub fn load_reporting(path: &std::path::Path, vars: &VarArgs) -> Option<SealedPlan> {
    load_reporting_for(path, vars, &ClassArgs::default())
}

/// Like [`load_reporting`], for a class when `class` asks for one (`--learners N`,
/// `--roster FILE`): every step copied once per learner.
pub fn load_reporting_for(
    path: &std::path::Path,
    vars: &VarArgs,
    class: &ClassArgs,
) -> Option<SealedPlan> {
    report(path, load_for(path, vars, class))
}

/// Loads a plan, for a class when `class` asks for one; nothing printed.
pub fn load_for(
    path: &std::path::Path,
    vars: &VarArgs,
    class: &ClassArgs,
) -> Result<SealedPlan, LoadError> {
    match (class.learners, &class.roster) {
        (Some(count), _) => {
            let learners =
                awslab_planner::plan::Class::numbered(usize::from(count)).map_err(|message| {
                    LoadError::Read {
                        path: path.display().to_string(),
                        error: std::io::Error::other(message),
                    }
                })?;
            load_class(path, &vars.load_options(), &learners)
        }
        (None, Some(roster)) => awslab_planner::roster::read_roster(roster)
            .and_then(|learners| load_class(path, &vars.load_options(), &learners)),
        (None, None) => load_with(path, &vars.load_options()),
    }
}

fn report(path: &std::path::Path, loaded: Result<SealedPlan, LoadError>) -> Option<SealedPlan> {
    match loaded {
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
