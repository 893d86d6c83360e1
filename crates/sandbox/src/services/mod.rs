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

/// An operation that reads only its input and its caller (IAM, STS): its checks and
/// its effect. Like every operation, it is run through [`Handle`].
pub struct Operation {
    pub name: &'static str,
    /// Whether a success changes the world (and must be committed).
    pub mutates: bool,
    /// The authorizations needed, in order; all must allow.
    pub checks: fn(&Input, &World, &Caller) -> Result<Vec<Check>, ApiError>,
    /// Runs the operation; validates before it mutates.
    pub run: fn(&Input, &mut World, &Caller) -> Result<Shape, ApiError>,
}

/// Decides checks for a principal (the dispatcher's authorization, recorded for
/// `explain`): what an operation calls to authorize as it goes.
pub type Authorize<'a> = dyn FnMut(&World, &Caller, &[Check]) -> Result<(), ApiError> + 'a;

/// What an operation is given besides the world: its input, the caller, the region
/// the request was signed for, and the authorizer for what it decides as it goes (a
/// stack's resource calls, as the caller or the stack's role). Its own checks were
/// decided before it runs.
pub struct Call<'a, 'b> {
    pub input: &'a Input,
    pub caller: &'a Caller,
    /// `us-east-1` for an unsigned request.
    pub region: &'a str,
    pub authorize: &'a mut Authorize<'b>,
}

/// An operation given the whole [`Call`] (`CloudFormation`, S3), answering `A`: a
/// [`Shape`] for the query protocol, S3's typed output for REST-XML.
pub struct CallOperation<A: 'static = Shape> {
    pub name: &'static str,
    /// Whether a success changes the world (and must be committed).
    pub mutates: bool,
    /// The authorizations the operation's own action needs, decided before it runs.
    pub checks: fn(&World, &Call<'_, '_>) -> Result<Vec<Check>, ApiError>,
    /// Runs the operation; validates before it mutates.
    pub run: fn(&mut World, &mut Call<'_, '_>) -> Result<A, ApiError>,
}

/// The one operation model: every operation of every emulated service, as the
/// registry lists it and the dispatcher runs it (checks, all authorized, then the
/// handler, in one transaction).
pub trait Handle<A>: Sync {
    /// Whether a success changes the world.
    fn mutates(&self) -> bool;
    /// The authorizations needed, in order; all must allow.
    fn checks(&self, world: &World, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError>;
    /// Runs it.
    fn run(&self, world: &mut World, call: &mut Call<'_, '_>) -> Result<A, ApiError>;
}

impl Handle<Shape> for Operation {
    fn mutates(&self) -> bool {
        self.mutates
    }

    fn checks(&self, world: &World, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
        (self.checks)(call.input, world, call.caller)
    }

    fn run(&self, world: &mut World, call: &mut Call<'_, '_>) -> Result<Shape, ApiError> {
        (self.run)(call.input, world, call.caller)
    }
}

impl<A> Handle<A> for CallOperation<A> {
    fn mutates(&self) -> bool {
        self.mutates
    }

    fn checks(&self, world: &World, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
        (self.checks)(world, call)
    }

    fn run(&self, world: &mut World, call: &mut Call<'_, '_>) -> Result<A, ApiError> {
        (self.run)(world, call)
    }
}
