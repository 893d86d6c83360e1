//! `awslab completions SHELL` and `awslab man`: shell completion scripts and man pages
//! generated from the same clap definitions as `--help`, so they cannot drift from it.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit::Status;

pub fn completions(args: &CompletionsArgs) -> Status {
    let mut command = Cli::command();
    // Generated into memory (clap_complete panics on a failed write), then printed.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "awslab", &mut script);
    print_bytes(&script, "completion script")
}

pub fn man(args: &ManArgs) -> Status {
    let command = Cli::command();
    if let Some(dir) = &args.dir {
        return match std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(command, dir))
        {
            Ok(()) => {
                eprintln!("wrote the man pages into `{}`", dir.display());
                Status::Success
            }
            Err(error) => {
                eprintln!(
                    "error: cannot write the man pages into `{}`: {error}",
                    dir.display()
                );
                Status::Invalid
            }
        };
    }
    let mut page = Vec::new();
    match clap_mangen::Man::new(command).render(&mut page) {
        Ok(()) => print_bytes(&page, "man page"),
        Err(error) => {
            eprintln!("error: cannot render the man page: {error}");
            Status::StepFailed
        }
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn print_bytes(bytes: &[u8], what: &str) -> Status {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Status::Success,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Status::Success,
        Err(error) => {
            eprintln!("error: cannot print the {what}: {error}");
            Status::StepFailed
        }
    }
}
