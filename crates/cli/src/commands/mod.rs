//! One module per command; each returns the exit status and prints its own output.

mod connect;
mod docs;
pub mod inspect;
mod operator_policy;
mod perms;
mod preflight;
mod runs;
pub mod sandbox;
mod sandbox_saml;
mod up;

use crate::cli::{Cli, Command};
use crate::exit::Status;

pub fn run(cli: Cli) -> std::process::ExitCode {
    let status = match cli.command {
        Command::Validate(args) => inspect::validate(&args),
        Command::Plan(args) => inspect::plan(&args),
        Command::Graph(args) => inspect::graph(&args),
        Command::Up(args) => up::up(&args),
        Command::Down(args) => runs::down(&args),
        Command::Status(args) => runs::status(&args),
        Command::Runs(args) => runs::runs(&args),
        Command::Env(args) => runs::env(&args),
        Command::Policy(command) => return crate::policy_cmd::run(command),
        Command::Perms(args) => operator_policy::perms(&args),
        Command::Sandbox(command) => sandbox::run(command),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
        Command::Schema => {
            print!("{}", awslab_planner::schema::plan_schema());
            Status::Success
        }
    };
    status.into()
}
