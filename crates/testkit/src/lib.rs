//! Test support for awslab: [`MotoServer`] starts moto (a third-party AWS emulator) on
//! loopback with authorization enforced and an admin operator ready, and
//! [`OperatorFiles`] writes a throwaway AWS CLI config and credentials pair for child
//! processes. Tests never touch the real `~/.aws`.

mod moto;
mod operator_files;

pub use moto::{AdminKeys, MotoServer};
pub use operator_files::OperatorFiles;
