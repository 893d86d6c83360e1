//! Every service the sandbox does not emulate: a request is authenticated and
//! authorized like any other (action `service:Operation` on `*`), then answered with
//! an empty success for read-only `List*`/`Describe*`/`Get*` operations and a clear
//! "not emulated" error otherwise, so "this user may not use EC2" lessons work.

use crate::services::CommonError;
use crate::services::{ApiError, Check};

/// The check for `operation` of `service`.
pub fn check(service: &str, operation: &str) -> Check {
    Check::new(&format!("{service}:{operation}"), "*")
}

/// Whether the operation only reads.
pub fn read_only(operation: &str) -> bool {
    ["List", "Describe", "Get"]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

/// The answer after authorization: `Ok` (empty) for read-only operations.
pub fn answer(service: &str, operation: &str) -> Result<(), ApiError> {
    if read_only(operation) {
        Ok(())
    } else {
        Err(ApiError::of(
            CommonError::NotImplemented,
            format!(
                "The awslab sandbox does not emulate {service}:{operation}; it answers only read-only List, Describe and Get calls of services other than IAM, STS and S3"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn read_only_operations_succeed_and_others_are_not_emulated() {
        assert!(super::answer("ec2", "DescribeInstances").is_ok());
        assert_eq!(
            super::answer("ec2", "RunInstances").map_err(|error| error.code),
            Err("NotImplemented".to_owned())
        );
        assert_eq!(
            super::check("ec2", "DescribeInstances").action,
            "ec2:DescribeInstances"
        );
    }
}
