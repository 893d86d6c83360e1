//! The awslab executor: runs a sealed lab plan against an AWS endpoint. This crate
//! holds the foundations the step kinds build on: the DAG [`scheduler`], the
//! write-ahead [`journal`], the per-run [`secrets`] store, AWS CLI [`profile_files`],
//! AWS error classification ([`classify`]), waiting on eventual consistency
//! ([`settle`]) and SDK configuration ([`client`]).

pub mod classify;
pub mod client;
pub mod credentials;
pub mod emulator_compat;
pub mod engine;
pub mod journal;
pub mod profile_files;
pub mod scheduler;
pub mod secrets;
pub mod settle;
pub mod steps;
pub mod teardown;

pub use classify::{ErrorClass, ErrorInfo, ErrorSource, classify};
pub use client::{
    Target, cloudformation_client, config_for_static, iam_client, operator_config,
    operator_config_from, s3_client, sts_client,
};
pub use engine::{Engine, EngineOptions, RUN_TAG, StepNote, caller_identity};
pub use journal::{
    Journal, JournalError, JournalState, LiveResource, Record, ResourceRef, ResourceState, RunId,
    RunMeta, RunStatus, RunSummary, TargetInfo, list_runs, replay,
};
pub use profile_files::{
    FileReceipt, ProfileError, ProfilePaths, ProfileReceipt, ProfileSpec, remove_profile,
    write_profile,
};
pub use scheduler::{
    CancelReason, Event, RunReport, Scheduler, SchedulerError, StepContext, StepOutcome,
    StepReport, StepRunner, StepStatus,
};
pub use secrets::{Secret, SecretsError, SecretsStore, StepCredentials};
pub use settle::{Probe, SettleError, SettlePolicy, Settled, settle};
pub use teardown::{Receipt, TeardownEvent, teardown};
