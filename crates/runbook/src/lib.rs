//! The runbook of a lab plan: for each step of a sealed plan, in run order, the aws CLI
//! commands that do it by hand (with the plan's values, outputs captured into shell
//! variables with `--query`), each verify as a command and the outcome to expect, and
//! the cleanup in teardown order. [`build`] makes the [`Runbook`] (data); [`sh`] and
//! [`markdown`] render it as a bash script and as a runbook in the seeds' style.
//!
//! Synchronous and offline, like the planner it reads: `awslab export` writes what it
//! renders, and `awslab guide` shows a step's commands from the same data.

mod build;
mod cx;
mod kinds;
pub mod markdown;
mod model;
pub mod sh;
mod verify;
mod words;

pub use build::build;
pub use cx::Options;
pub use model::{Capture, Claim, Command, Expected, FieldCheck, File, Runbook, Section, Undo};
pub use words::{Piece, Word, cli_name, var_name};
