//! What answers an operation of S3's model that the sandbox does not emulate
//! ([`Unemulated`]), as the dispatcher runs every operation: authorized with its
//! IAM action when S3 has one (`model::s3_actions`), on the request's object or
//! bucket, then answered `NotImplemented` naming it; never a fake success.

use super::{S3Output, on_bucket, on_object};
use crate::model::s3_actions;
use crate::services::{ApiError, Call, Check, Handle, S3Error};
use crate::state::World;

/// An S3 request the sandbox does not emulate.
pub struct Unemulated {
    /// S3's name for it (`GetBucketAcl`), or the request's shape when S3 has none.
    operation: String,
    /// The IAM action that authorizes it, as AWS spells it (`s3:GetBucketAcl`).
    action: Option<&'static str>,
}

impl Unemulated {
    /// The request named `operation` (`modeled`: an operation of S3's model).
    pub fn new(operation: String, modeled: bool) -> Self {
        let action = if modeled {
            s3_actions::action_of(&operation)
        } else {
            None
        };
        Self { operation, action }
    }
}

impl Handle<S3Output> for Unemulated {
    fn mutates(&self) -> bool {
        false
    }

    fn checks(&self, _: &World, call: &Call<'_, '_>) -> Result<Vec<Check>, ApiError> {
        let Some(action) = self.action else {
            return Ok(Vec::new());
        };
        Ok(vec![
            match (call.input.get("Bucket"), call.input.get("Key")) {
                (Some(bucket), Some(key)) => on_object(action, bucket, key),
                (Some(bucket), None) => on_bucket(action, bucket),
                (None, _) => Check::new(action, "*"),
            },
        ])
    }

    fn run(&self, _: &mut World, _: &mut Call<'_, '_>) -> Result<S3Output, ApiError> {
        Err(ApiError::of(
            S3Error::NotImplemented,
            format!("The sandbox does not emulate S3 {}", self.operation),
        ))
    }
}
