//! Exit statuses, as documented in `awslab --help`, and [`Failure`]: a command's
//! reason to stop early, with its status and an optional hint, so commands can use
//! `?` and the message is printed in one place.

use std::fmt::Display;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything succeeded.
    Success,
    /// A step or a verification failed.
    StepFailed,
    /// The plan or the command line is invalid.
    Invalid,
    /// Teardown left resources behind.
    LeftBehind,
    /// Interrupted (Ctrl-C).
    Interrupted,
    /// The target cannot be reached, or refuses the operator's credentials (a missing
    /// profile, no credentials, an endpoint that does not answer).
    Unreachable,
}

impl From<Status> for std::process::ExitCode {
    fn from(status: Status) -> Self {
        std::process::ExitCode::from(match status {
            Status::Success => 0,
            Status::StepFailed => 1,
            Status::Invalid => 2,
            Status::LeftBehind => 3,
            Status::Interrupted => 130,
            Status::Unreachable => 4,
        })
    }
}

/// A command that cannot go on: what to say, what to suggest, and the status.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(status: Status, message: impl Display) -> Self {
        Failure {
            status,
            message: message.to_string(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prints the failure to stderr and returns its status.
    pub fn report(self) -> Status {
        eprintln!("error: {}", self.message);
        if let Some(hint) = self.hint {
            eprintln!("hint: {}", hint.replace('\n', "\n      "));
        }
        self.status
    }
}

impl From<awslab_executor::credentials::OperatorError> for Failure {
    fn from(error: awslab_executor::credentials::OperatorError) -> Self {
        Failure::new(Status::Unreachable, &error).hint(error.hint())
    }
}

/// `result.or_fail(status)?` turns any displayable error into a [`Failure`].
pub trait OrFail<T> {
    fn or_fail(self, status: Status) -> Result<T, Failure>;
}

impl<T, E: Display> OrFail<T> for Result<T, E> {
    fn or_fail(self, status: Status) -> Result<T, Failure> {
        self.map_err(|error| Failure::new(status, error))
    }
}

/// Runs a command body and reports its failure, if any.
pub fn finish(result: Result<Status, Failure>) -> Status {
    result.unwrap_or_else(Failure::report)
}
