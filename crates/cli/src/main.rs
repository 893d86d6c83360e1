//! The `awslab` binary: parses the command line, runs one command, renders its
//! output and chooses the exit code. All terminal output of awslab comes from here.

// The `print!` family, shadowed for every module below by versions that do not panic
// on a closed pipe (see `output.rs`). Declared before the modules: macro_rules scope
// is textual.
macro_rules! print {
    ($($arg:tt)*) => { $crate::output::stdout(format_args!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::output::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::output::stderr(format_args!($($arg)*)) };
}
macro_rules! eprintln {
    () => { $crate::output::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

mod output;

mod cli;
mod commands;
mod exit;
mod logging;
mod progress;
mod report;
mod startup;
mod summary;

use clap::Parser;

fn main() -> std::process::ExitCode {
    startup::begin();
    // `COMPLETE=bash awslab ...`: the shell asks for completions (run ids, step names).
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .complete();
    let cli = cli::Cli::parse();
    logging::init(cli.verbose);
    startup::mark("arguments read");
    commands::run(cli)
}
