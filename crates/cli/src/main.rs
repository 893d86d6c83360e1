#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "the cli is the one place that prints"
)]
//! The `awslab` binary: parses the command line, runs one command, renders its
//! output and chooses the exit code. All terminal output of awslab comes from here.

mod cli;
mod commands;
mod exit;
mod logging;
mod policy_cmd;
mod progress;
mod report;
mod summary;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.verbose);
    commands::run(cli)
}
