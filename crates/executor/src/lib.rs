//! The awslab executor: runs a sealed lab plan against an AWS endpoint. The engine
//! ([`engine`]) drives the DAG [`scheduler`]; each step kind is a module under
//! [`steps`] working through the narrow [`context::StepCx`]; each resource type is a
//! module under [`resources`] that knows its journal form, how to tell it is ours and
//! how to delete it; [`teardown`] walks the write-ahead [`journal`] backwards. Around
//! them: the per-run [`secrets`] store, AWS CLI [`profile_files`], AWS error
//! classification ([`classify`]), waiting on eventual consistency ([`settle`]), typed
//! [`outputs`] and [`error`]s, the [`events`] `up` and `down` report, and SDK
//! configuration for a [`client::Target`] ([`client`]).
//!
//! Module layering (no cycles): `redaction`, `request_ids`, `scheduler`, `settle`, `classify`, `secrets`,
//! `profile_files`, `client`, `clients` at the bottom; `resources` above them; `journal` above
//! `resources`; `context` above those; `steps` on `context`; `engine` and `teardown`
//! on top.

pub mod api;
pub mod classify;
pub mod client;
pub mod clients;
pub mod context;
pub mod credentials;
pub mod doctor;
pub mod emulator_compat;
pub mod engine;
pub mod error;
pub mod events;
pub mod journal;
pub mod outputs;
pub mod permissions;
pub mod profile_files;
pub mod redaction;
pub mod request_ids;
pub mod resources;
pub mod scheduler;
pub mod secrets;
pub mod settle;
pub mod steps;
pub mod sweep;
pub mod tags;
pub mod teardown;
pub mod totp;

pub use classify::{ErrorClass, ErrorInfo, ErrorSource, classify};
pub use client::{
    SamlAssertionRequest, SamlIssuer, Target, TokenIssuer, cloudformation_client,
    config_for_static, iam_client, operator_config, operator_config_from, s3_client, sts_client,
};
pub use context::{AccountOperator, EngineOptions, StepNote};
pub use engine::Engine;
pub use error::StepError;
pub use events::{RunEvent, Status, StepSummary};
pub use journal::{
    AccountInfo, Damage, Journal, JournalError, JournalState, LiveResource, Record, ResourceRef,
    ResourceState, RunId, RunLock, RunMeta, RunStatus, RunSummary, TargetInfo, list_runs, replay,
};
pub use profile_files::{
    FileReceipt, ProfileError, ProfilePaths, ProfileReceipt, ProfileSpec, SectionState,
    remove_profile, write_profile,
};
pub use resources::RUN_TAG;
pub use scheduler::{
    CancelReason, Event, RunReport, Scheduler, SchedulerError, StepContext, StepOutcome,
    StepReport, StepRunner, StepStatus,
};
pub use secrets::{MfaSeed, Secret, SecretsError, SecretsStore, StepCredentials};
pub use settle::{Probe, SettleError, SettlePolicy, Settled, settle};
pub use teardown::{AccountConfigs, Receipt, TeardownOptions, teardown};
