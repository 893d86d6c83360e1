//! The awslab planner: reads a YAML lab plan, checks it before anything touches AWS
//! (every problem at once, each with file, line and column), and seals it into a step
//! graph whose order the executor follows and whose reverse is the teardown order.
//!
//! Synchronous and offline: no tokio, no AWS SDK, no terminal output.

pub mod checks;
pub mod diagnostics;
pub mod expand;
pub mod graph;
pub mod kinds;
pub mod limits;
mod load;
pub mod plan;
pub mod references;
pub mod render;
pub mod roster;
pub mod schema;
pub mod source;
pub mod template;
pub mod values;
pub mod yaml;

pub use diagnostics::{Diagnostic, Severity};
pub use graph::SealedPlan;
pub use kinds::StepKind;
pub use load::{
    LoadError, LoadOptions, check_source, check_source_with, check_with_var_files, load,
    load_class, load_with, read_plan_file, read_yaml_file,
};
pub use plan::{Plan, Step, StepId};
pub use source::{SourceFile, Span};
