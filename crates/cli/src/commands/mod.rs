//! One module per command; each returns the exit status and prints its own output.

#[cfg(test)]
mod ci_example;
mod connect;
mod docs;
pub mod doctor;
mod doctor_oidc;
pub mod inspect;
mod operator_policy;
mod perms;
mod preflight;
mod runs;
pub mod sandbox;
mod sandbox_saml;
mod sarif;
mod shared_state;
mod up;
// issue 19: sweep and reap
mod reap;
mod sweep;

// issue 20 §1: `awslab export`
mod export;

use crate::cli::{Cli, Command};
use crate::exit::Status;

pub fn run(cli: Cli) -> std::process::ExitCode {
    let status = match cli.command {
        Command::Validate(args) => inspect::validate(&args),
        Command::Plan(args) => inspect::plan(&args),
        Command::Graph(args) => inspect::graph(&args),
        // `--state s3://…` is pulled into a local mirror first (shared_state.rs).
        Command::Up(mut args) => shared_state::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| up::up(&args)),
        Command::Down(mut args) => shared_state::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| runs::down(&args)),
        Command::Status(mut args) => shared_state::prepare(&mut args.state, None)
            .map_or_else(|status| status, |()| runs::status(&args)),
        Command::Runs(mut args) => shared_state::prepare(&mut args, None)
            .map_or_else(|status| status, |()| runs::runs(&args)),
        Command::Env(mut args) => shared_state::prepare(&mut args.state, None)
            .map_or_else(|status| status, |()| runs::env(&args)),
        Command::Policy(command) => return crate::policy_cmd::run(command),
        Command::Perms(args) => operator_policy::perms(&args),
        Command::Sandbox(command) => sandbox::run(command),
        Command::Sweep(mut args) => shared_state::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| sweep::sweep(&args)),
        Command::Reap(mut args) => shared_state::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| reap::reap(&args)),
        Command::Completions(args) => docs::completions(&args),
        Command::Man(args) => docs::man(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Export(args) => export::export(&args),
        Command::Schema => {
            print!("{}", awslab_planner::schema::plan_schema());
            Status::Success
        }
    };
    status.into()
}
