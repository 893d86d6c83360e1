//! Test support for awslab: [`MotoServer`] starts moto (a third-party AWS emulator) on
//! loopback with authorization enforced and an admin operator ready, and
//! [`OperatorFiles`] writes a throwaway AWS CLI config and credentials pair for child
//! processes; [`aws_cli_installed`] skips (or, under `CI=true`, fails) a test that needs
//! the real `aws` CLI when it is missing; [`module_graph`] and [`first_cycle`] read a
//! crate's module graph from its sources for layering tests. Tests never touch the real `~/.aws`.

mod aws_cli;
mod modules;
mod moto;
mod operator_files;

pub use aws_cli::aws_cli_installed;
pub use modules::{ModuleGraph, first_cycle, module_graph};
pub use moto::MotoServer;
pub use operator_files::{AdminKeys, OperatorFiles};
