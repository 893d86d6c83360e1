//! `awslab completions SHELL`: a shell completion script generated from the same clap
//! definitions as `--help`, so it cannot drift from it.

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Status;
use crate::output::print_bytes;

pub fn completions(args: &CompletionsArgs) -> Status {
    let mut command = Cli::command();
    // Generated into memory (clap_complete panics on a failed write), then printed.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "awslab", &mut script);
    if print_bytes(&script, "completion script") {
        Status::Success
    } else {
        Status::StepFailed
    }
}
