//! An S3 request as the dispatcher runs every operation ([`Handle`]): the typed
//! operation the wire decoded, its checks, and its handler (`run_checked`), with the
//! verdict on a bucket policy reached before the world was locked.

use std::sync::Mutex;

use super::{S3Operation, S3Output, run_checked};
use crate::services::{ApiError, Call, Check, Handle, S3Error};
use crate::state::World;

/// One decoded S3 request.
pub struct Decoded {
    operation: Mutex<Option<S3Operation>>,
    checks: Vec<Check>,
    mutates: bool,
    policy_verdict: Option<Result<(), ApiError>>,
}

impl Decoded {
    pub fn new(operation: S3Operation) -> Self {
        Self {
            checks: operation.checks(),
            mutates: operation.mutates(),
            policy_verdict: super::precheck(&operation),
            operation: Mutex::new(Some(operation)),
        }
    }
}

impl Handle<S3Output> for Decoded {
    fn mutates(&self) -> bool {
        self.mutates
    }

    fn checks(&self, _: &World, _: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
        Ok(self.checks.clone())
    }

    fn run(&self, world: &mut World, call: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
        // Run once: a transaction tried again answers from the first run.
        let operation = self
            .operation
            .lock()
            .map_or(None, |mut operation| operation.take())
            .ok_or_else(|| ApiError::of(S3Error::InternalError, "The request was not run"))?;
        run_checked(
            operation,
            world,
            call.caller,
            call.region,
            self.policy_verdict.clone(),
        )
    }
}
