//! The commands: one module per command, and [`run`], the one dispatcher (a match on
//! [`Command`]). Each command takes its clap arguments (from `crate::cli`, the layer
//! below), prints its own output and returns its exit status (`crate::exit::Status`).
//!
//! To add a command `awslab NAME`:
//! 1. its clap type: a `Command::Name(NameArgs)` variant with its help text and
//!    examples, and the `NameArgs` struct, in `crate::cli` (`src/cli.rs`, or a file of
//!    `src/cli/` for a group of subcommands); never a clap type in `commands/`;
//! 2. a module `commands/NAME.rs` (or `commands/NAME/` for subcommands) with
//!    `pub fn NAME(args: &NameArgs) -> Status`, declared below;
//! 3. one match arm in [`run`];
//! 4. a test of its output: insta snapshots in `tests/` taken with `snapshot!` from
//!    `tests/support/snapshot.rs`, which redacts run ids, times, account and key ids
//!    and temp paths and first checks that no secret is in the text (see
//!    `tests/snapshots_runs.rs`);
//! 5. its docs: a line in `crates/cli/README.md`'s module map, and the command in the
//!    README and `docs/` where a user looks for it.
//!
//! Commands (one module each): `validate`, `plan`, `graph`, `up`, `down`, `status`,
//! `runs` (with `runs_prune`), `env`, `export`, `guide/`, `perms/`, `policy/`
//! (`simulate`, `check`), `sandbox` (with `sandbox_saml`, `sandbox_profile`), `doctor`
//! (with `doctor_oidc`), `sweep`, `reap`, `schema`, `completions`, `man`. Helpers
//! several commands share: `plan_file` (load a plan, print its diagnostics),
//! `run_state` (which run, its journal, its lock), `connect` (the target and the
//! operator's credentials), `state_location` (`--state s3://`), `preflight` (`up`'s
//! simulation of the operator's policy from `perms`), `readable_files` (the warning for
//! AWS CLI files others can read), `sarif` (`validate --format sarif`), `class` (a
//! class run's bundles and per-learner reports, for `up`, `status` and `down`).

#[cfg(test)]
mod ci_example;
mod class;
mod completions;
mod connect;
mod doctor;
mod doctor_oidc;
mod down;
mod env;
mod export;
mod graph;
mod guide;
mod man;
mod perms;
mod plan;
mod plan_file;
mod policy;
mod preflight;
mod readable_files;
mod reap;
mod run_state;
mod runs;
mod runs_prune;
mod sandbox;
mod sandbox_profile;
mod sandbox_saml;
mod sarif;
mod schema;
mod state_location;
mod status;
mod sweep;
mod up;
mod validate;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> std::process::ExitCode {
    let status = match cli.command {
        Command::Validate(args) => validate::validate(&args),
        Command::Plan(args) => plan::plan(&args),
        Command::Graph(args) => graph::graph(&args),
        // `--state s3://…` is pulled into a local mirror first (state_location.rs).
        Command::Up(mut args) => state_location::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| up::up(&args)),
        Command::Down(mut args) => state_location::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| down::down(&args)),
        Command::Status(mut args) => state_location::prepare(&mut args.state, None)
            .map_or_else(|status| status, |()| status::status(&args)),
        Command::Runs(mut args) => state_location::prepare(&mut args.state, None)
            .map_or_else(|status| status, |()| runs::runs(&args)),
        Command::Env(mut args) => state_location::prepare(&mut args.state, None)
            .map_or_else(|status| status, |()| env::env(&args)),
        Command::Policy(command) => policy::run(command),
        Command::Perms(args) => perms::perms(&args),
        Command::Sandbox(command) => sandbox::run(command),
        Command::Sweep(mut args) => state_location::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| sweep::sweep(&args)),
        Command::Reap(mut args) => state_location::prepare(&mut args.state, Some(&args.target))
            .map_or_else(|status| status, |()| reap::reap(&args)),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => man::man(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Export(args) => export::export(&args),
        Command::Guide(args) => guide::guide(&args),
        Command::Schema => schema::schema(),
    };
    status.into()
}
