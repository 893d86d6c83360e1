//! [`StepError`]: why a step failed, typed. A failed step is a status in the run
//! report; only [`StepError::Journal`] is the engine's own failure, which stops the
//! run (nothing new starts) and becomes the run's headline.

use crate::classify::{ErrorClass, ErrorInfo};
use crate::journal::JournalError;

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// AWS answered an error (or none): classified, with what was being done.
    #[error("{what}: {info}")]
    Aws { what: String, info: ErrorInfo },
    /// A `${...}` reference could not be rendered.
    #[error("{0}")]
    Template(String),
    /// The run's journal could not be written: the run must stop.
    #[error("the journal could not be written, so the run stops: {0}")]
    Journal(#[from] JournalError),
    /// A resource of that name exists and this run did not create it (never adopted).
    #[error("{0}")]
    Exists(String),
    /// The expectation of a `verify` was not met.
    #[error("{0}")]
    Unmet(String),
    /// Waiting for AWS ended without an answer (deadline, cancellation).
    #[error("{0}")]
    Wait(String),
    /// Anything local: a file, a credential store, an answer missing a field.
    #[error("{0}")]
    Local(String),
}

impl StepError {
    /// An AWS error from the SDK.
    pub fn aws<E>(
        what: impl Into<String>,
        error: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> Self
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self::Aws {
            what: what.into(),
            info: ErrorInfo::from_sdk(error),
        }
    }

    /// The AWS error class, for AWS errors.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Self::Aws { info, .. } => Some(info.class()),
            _ => None,
        }
    }

    /// Whether the engine itself failed (the run must stop).
    pub fn stops_run(&self) -> bool {
        matches!(self, Self::Journal(_))
    }
}

impl From<String> for StepError {
    fn from(message: String) -> Self {
        Self::Local(message)
    }
}

impl From<&str> for StepError {
    fn from(message: &str) -> Self {
        Self::Local(message.to_owned())
    }
}
