//! `awslab man`: the man page (or one page a command) generated from the same clap
//! definitions as `--help`, so it cannot drift from it.

use clap::CommandFactory as _;

use crate::cli::{Cli, ManArgs};
use crate::exit::Status;
use crate::output::print_bytes;

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
        Ok(()) => {
            if print_bytes(&page, "man page") {
                Status::Success
            } else {
                Status::StepFailed
            }
        }
        Err(error) => {
            eprintln!("error: cannot render the man page: {error}");
            Status::StepFailed
        }
    }
}
