//! The services the sandbox emulates, as typed operations on the [`World`]: each
//! operation declares the IAM action, resource ARN and condition keys it needs
//! ([`Check`]) next to what it does, and never sees HTTP. The wire layer decodes
//! inputs into an [`Input`] and encodes the [`Shape`] an operation returns.

pub mod cloudformation;
pub mod generic;
pub mod iam;
pub mod other;
pub mod registry;
pub mod s3;
pub mod seed;
pub mod sts;
mod sts_messages;
pub mod sts_saml;
// The resource AWS authorizes each IAM, STS and S3 action on (`awslab perms` scopes
// the operator's policy with it), and its table tests.
pub mod resources;
#[cfg(test)]
mod resources_tests;

pub use crate::model::managed;
pub use crate::model::{
    ApiError, Caller, Check, CloudFormationError, CommonError, IamError, Input, ResourcePolicy,
    S3Error, Shape, StsError, Value, tag_list, timestamp,
};
use crate::state::World;

/// What a query-protocol operation is: its checks and its effect.
pub struct Operation {
    pub name: &'static str,
    /// Whether a success changes the world (and must be committed).
    pub mutates: bool,
    /// The authorizations needed, in order; all must allow.
    pub checks: fn(&Input, &World, &Caller) -> Result<Vec<Check>, ApiError>,
    /// Runs the operation; validates before it mutates.
    pub run: fn(&Input, &mut World, &Caller) -> Result<Shape, ApiError>,
}
