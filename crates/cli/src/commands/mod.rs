//! One module per command; each returns the exit status and prints its own output.

#[cfg(test)]
mod ci_example;
mod connect;
mod docs;
pub mod doctor;
mod doctor_oidc;
pub mod inspect;
mod perms;
mod runs;
pub mod sandbox;
mod sandbox_saml;
mod sarif;
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
        Command::Sandbox(command) => sandbox::run(command),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Schema => {
            print!("{}", awslab_planner::schema::plan_schema());
            Status::Success
        }
    };
    status.into()
}
