//! Exit statuses, as documented in `awslab --help`.

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
}

impl From<Status> for std::process::ExitCode {
    fn from(status: Status) -> Self {
        std::process::ExitCode::from(match status {
            Status::Success => 0,
            Status::StepFailed => 1,
            Status::Invalid => 2,
            Status::LeftBehind => 3,
            Status::Interrupted => 130,
        })
    }
}
