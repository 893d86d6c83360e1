//! An embedded, offline AWS for identity labs: IAM, STS, S3 and `CloudFormation` over
//! their real wire protocols, every request signed (`SigV4`, checked by re-signing)
//! and authorized by `awslab_policy`, with AWS's error codes and denial messages.
//!
//! Layers, each importing only those below it (`tests/module_layers.rs`): `model` (errors,
//! inputs, shapes, checks, callers, entities), `state` (the world behind a `Store`: in
//! memory, or `SQLite` under a state folder shared safely by several processes), `wire`
//! (routing, the query protocol, S3's REST-XML, aws-chunked), `auth` (`SigV4`, access
//! key to principal, one decision per check), `services` (typed operations that never
//! see HTTP, and the registry of services that routing and dispatch read).
//!
//! The API the cli and the executor use:
//! - [`Sandbox::open`]`(state_dir)` and [`Sandbox::in_memory`]`()`;
//! - [`Sandbox::http_client`]`()`: an SDK `SharedHttpClient` answering in-process, with any
//!   endpoint URL ([`IN_PROCESS_ENDPOINT`] is a good one; S3 needs path-style or this host);
//! - [`Sandbox::accounts`]`()` and [`Sandbox::operator`]`(account)`: each account's
//!   operator, an IAM user with `AdministratorAccess` and an access key;
//! - [`bind`]`(port)` and [`Sandbox::serve`]`(listener, shutdown)` on 127.0.0.1 (or
//!   [`Sandbox::serve_with`] and its [`ServeLimits`]: timeouts and a connection cap);
//! - [`Sandbox::reset`], [`Sandbox::status`], [`Sandbox::explain`]`(request_id)`,
//!   [`Sandbox::mint_token`]`(sub, aud, seconds)`, [`Sandbox::advance_clock`].
//!
//! ```
//! let sandbox = awslab_sandbox::Sandbox::in_memory();
//! let accounts = sandbox.accounts()?;
//! let operator = sandbox.operator(&accounts[0])?;
//! assert!(operator.access_key_id.starts_with("AKIA"));
//! let _client = sandbox.http_client(); // give to aws_config::defaults(..).http_client(..)
//! # Ok::<(), awslab_sandbox::SandboxError>(())
//! ```

mod auth;
mod client;
mod dispatch;
mod error;
mod ids;
mod model;
mod rehearsal;
mod sandbox;
mod sandbox_keys;
mod sandbox_saml;
mod serve;
mod services;
pub mod state;
mod streaming;
pub mod wire;

pub use client::{IN_PROCESS_ENDPOINT, MAX_BODY_BYTES};
pub use error::SandboxError;
pub use rehearsal::{Options, Rate, RateError};
pub use sandbox::{
    ACCOUNTS, AccountStatus, OPERATOR, Operator, Sandbox, ServiceStatus, Status, seed_world,
};
pub use sandbox_saml::SamlRequest;
pub use serve::{ServeLimits, bind};
pub use services::resources::{Authorization, find as authorization_of};
