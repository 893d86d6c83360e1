//! The model beneath every other layer: what an operation reads ([`Input`]), answers
//! ([`Shape`]) or fails with ([`ApiError`] and each service's error codes), what it
//! asks of authorization ([`Check`], [`ResourcePolicy`]), who calls ([`Caller`],
//! [`Session`]), why authentication refused a request ([`auth`]), and the entities the
//! world keeps that a service defines (a `CloudFormation` [`cloudformation::Stack`], S3's
//! typed operations and multipart uploads in [`s3`]), with AWS's managed policies.
//!
//! It imports nothing else of the sandbox (`tests/module_layers.rs` checks it), so
//! `state`, `wire`, `auth` and `services` can all name these types.

pub mod auth;
pub mod body;
mod caller;
mod check;
pub mod cloudformation;
mod error;
mod input;
pub mod managed;
pub mod s3;
pub mod s3_actions;
mod shape;

pub use caller::{Caller, Session, SessionKind};
pub use check::{Check, ResourcePolicy};
pub use error::{ApiError, CloudFormationError, CommonError, IamError, S3Error, StsError};
pub use input::{Field, Input, MAX_LIST_ITEMS};
pub use shape::{Shape, Value, tag_list, timestamp};
