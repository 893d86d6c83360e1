//! The [`Sandbox`]: a world in a store, its accounts and operators, and the
//! administrative operations of `awslab sandbox` (reset, status, explain, token,
//! clock). Requests are answered by `dispatch`.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::auth::web_identity;
use crate::error::SandboxError;
use crate::rehearsal::{Options, Rehearsal};
use crate::services::registry;
use crate::state::{MemoryStore, Outcome, SqliteStore, Store, World};
use crate::wire::Protocol;

use crate::services::seed::add_account;
pub use crate::services::seed::{ACCOUNTS, OPERATOR, seed_world};

/// An embedded AWS. Cheap to clone; clones share the world.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) store: Arc<dyn Store>,
    /// The process options rehearsing a real account, and the throttle's buckets.
    pub(crate) rehearsal: Arc<Rehearsal>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

/// The operator identity of one account: an IAM user with `AdministratorAccess`.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    pub account: String,
    pub user_name: String,
    pub arn: String,
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[expect(clippy::missing_fields_in_debug, reason = "the secret is redacted")]
impl fmt::Debug for Operator {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Operator")
            .field("account", &self.account)
            .field("arn", &self.arn)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

/// What exists in the sandbox, for `awslab sandbox status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The services emulated, as the registry lists them.
    pub services: Vec<ServiceStatus>,
    /// How many other services (botocore's, from the generic catalog `services.tsv`)
    /// are answered generically: authenticated, authorized, reads answered empty.
    pub generic_services: usize,
    pub accounts: Vec<AccountStatus>,
    pub buckets: Vec<String>,
    pub sessions: usize,
}

/// One emulated service, from the registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The signing name (`iam`, `s3`).
    pub name: String,
    /// `query` or `rest-xml` or `json`.
    pub protocol: String,
    pub api_version: String,
    /// The operations answered by name (S3's REST operations are not counted here).
    pub operations: usize,
    /// The `CloudFormation` resource types the service owns.
    pub resource_types: Vec<String>,
}

/// What exists in one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountStatus {
    pub id: String,
    pub users: Vec<String>,
    pub roles: Vec<String>,
    pub policies: Vec<String>,
    pub oidc_providers: Vec<String>,
    pub saml_providers: Vec<String>,
    /// Virtual MFA devices, by serial number.
    pub mfa_devices: Vec<String>,
    /// `CloudFormation` stacks not deleted, as `NAME (REGION)`.
    pub stacks: Vec<String>,
}

impl Sandbox {
    /// Adds the accounts of [`ACCOUNTS`] that a world made by an older awslab lacks
    /// (it hosted two); a world that has them all is only read.
    fn with_every_account(self) -> Result<Self, SandboxError> {
        let missing =
            self.read(|world| ACCOUNTS.iter().any(|id| !world.accounts.contains_key(*id)))?;
        if missing {
            self.write(|world| {
                for id in ACCOUNTS {
                    if !world.accounts.contains_key(*id) {
                        add_account(world, id);
                    }
                }
            })?;
        }
        Ok(self)
    }

    /// Opens the durable sandbox in `state_dir` (created, with a new world, if absent).
    /// Several processes may open the same folder at once.
    pub fn open(state_dir: &Path) -> Result<Self, SandboxError> {
        let store = SqliteStore::open(state_dir, seed_world)?;
        Self {
            store: Arc::new(store),
            rehearsal: Arc::default(),
        }
        .with_every_account()
    }

    /// This sandbox (sharing its world) with `options`: a propagation delay and a
    /// throttle, for this process's requests only.
    #[must_use]
    pub fn with_options(self, options: Options) -> Self {
        Self {
            store: self.store,
            rehearsal: Arc::new(Rehearsal::new(options)),
        }
    }

    /// The options this sandbox rehearses.
    pub fn options(&self) -> Options {
        self.rehearsal.options
    }

    /// Opens the durable sandbox in `state_dir` with a new world (new operator keys),
    /// replacing whatever the folder held, even state this awslab cannot read, and
    /// forgetting decisions (`awslab sandbox reset`).
    pub fn open_reset(state_dir: &Path) -> Result<Self, SandboxError> {
        let store = SqliteStore::open_replacing(state_dir, seed_world)?;
        Ok(Self {
            store: Arc::new(store),
            rehearsal: Arc::default(),
        })
    }

    /// A sandbox whose world lives in memory only (tests, benchmarks).
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(MemoryStore::new(seed_world())),
            rehearsal: Arc::default(),
        }
    }

    /// Runs `view` on the current world.
    pub(crate) fn read<T>(&self, view: impl FnOnce(&World) -> T) -> Result<T, SandboxError> {
        let mut view = Some(view);
        let mut result = None;
        self.store.transact(&mut |world| {
            if let Some(view) = view.take() {
                result = Some(view(world));
            }
            Outcome::Discard
        })?;
        result.ok_or_else(|| SandboxError::NoAccount(String::new()))
    }

    /// Changes the world and commits.
    pub(crate) fn write<T>(&self, change: impl FnOnce(&mut World) -> T) -> Result<T, SandboxError> {
        let mut change = Some(change);
        let mut result = None;
        self.store.transact(&mut |world| {
            if let Some(change) = change.take() {
                result = Some(change(world));
            }
            Outcome::Commit
        })?;
        result.ok_or_else(|| SandboxError::NoAccount(String::new()))
    }

    /// The ids of the accounts the sandbox hosts, sorted.
    pub fn accounts(&self) -> Result<Vec<String>, SandboxError> {
        self.read(|world| world.accounts.keys().cloned().collect())
    }

    /// The operator credentials of `account`.
    pub fn operator(&self, account: &str) -> Result<Operator, SandboxError> {
        self.read(|world| {
            let found = world.account(account)?;
            let user = found.users.get(&found.operator)?;
            let key = user
                .access_keys
                .first()
                .and_then(|id| world.access_keys.get(id))?;
            Some(Operator {
                account: account.to_owned(),
                user_name: user.name.clone(),
                arn: user.arn.clone(),
                access_key_id: key.id.clone(),
                secret_access_key: key.secret.clone(),
            })
        })?
        .ok_or_else(|| SandboxError::NoAccount(account.to_owned()))
    }

    /// Replaces the world with a new one (new operator keys) and forgets decisions.
    pub fn reset(&self) -> Result<(), SandboxError> {
        self.store.replace(seed_world())?;
        Ok(())
    }

    /// What exists.
    pub fn status(&self) -> Result<Status, SandboxError> {
        self.read(|world| Status {
            services: registry::SERVICES
                .iter()
                .map(|service| ServiceStatus {
                    name: service.signing_name.to_owned(),
                    protocol: match service.protocol {
                        Protocol::Query => "query",
                        Protocol::RestXml => "rest-xml",
                        Protocol::Json => "json",
                    }
                    .to_owned(),
                    api_version: service.api_version.to_owned(),
                    operations: service.operation_names().len(),
                    resource_types: service
                        .resource_types
                        .iter()
                        .map(|kind| kind.name().to_owned())
                        .collect(),
                })
                .collect(),
            generic_services: crate::wire::catalog::services()
                .iter()
                .filter(|service| registry::service(service.signing_name).is_none())
                .count(),
            accounts: world
                .accounts
                .values()
                .map(|account| AccountStatus {
                    id: account.id.clone(),
                    users: account
                        .users
                        .values()
                        .map(|user| user.name.clone())
                        .collect(),
                    roles: account
                        .roles
                        .values()
                        .map(|role| role.name.clone())
                        .collect(),
                    policies: account.policies.keys().cloned().collect(),
                    oidc_providers: account.oidc_providers.keys().cloned().collect(),
                    saml_providers: account.saml_providers.keys().cloned().collect(),
                    mfa_devices: account.mfa_devices.keys().cloned().collect(),
                    stacks: world
                        .stacks
                        .values()
                        .filter(|stack| stack.account == account.id && stack.deleted.is_none())
                        .map(|stack| format!("{} ({})", stack.name, stack.region))
                        .collect(),
                })
                .collect(),
            buckets: world.buckets.keys().cloned().collect(),
            sessions: world.sessions.len(),
        })
    }

    /// The full explanation of the decision made for `request_id`, if still kept.
    pub fn explain(&self, request_id: &str) -> Result<Option<String>, SandboxError> {
        Ok(self
            .store
            .decision(request_id)?
            .map(|record| record.explanation))
    }

    /// The explanation of the most recent denial, if one is still kept.
    pub fn explain_latest_denial(&self) -> Result<Option<String>, SandboxError> {
        Ok(self.store.latest_denial()?.map(|record| record.explanation))
    }

    /// Mints a web identity token from the sandbox's issuer (`https://oidc.awslab.localhost`).
    pub fn mint_token(
        &self,
        subject: &str,
        audience: &str,
        lifetime_seconds: i64,
    ) -> Result<String, SandboxError> {
        self.read(|world| {
            web_identity::mint(
                &world.issuer_secret,
                subject,
                audience,
                world.now(),
                lifetime_seconds,
            )
        })
    }

    /// Moves the sandbox's clock forward (credentials expire on it).
    pub fn advance_clock(&self, seconds: i64) -> Result<(), SandboxError> {
        self.write(|world| {
            world.clock_offset_seconds = world.clock_offset_seconds.saturating_add(seconds);
        })
    }

    /// The sandbox's time (Unix seconds) and how far ahead of the host's it runs.
    pub fn clock(&self) -> Result<(i64, i64), SandboxError> {
        self.read(|world| (world.now(), world.clock_offset_seconds))
    }

    /// The issuer URL of web identity tokens.
    pub fn issuer_url() -> String {
        format!("https://{}", web_identity::ISSUER_HOST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A world saved when the sandbox hosted two accounts gains the third, with its
    /// operator, when it is opened; what it had (the first operator's key) is kept.
    #[test]
    fn a_world_of_two_accounts_gains_the_third_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let mut two = seed_world();
        two.accounts.remove("777788889999");
        two.access_keys
            .retain(|_, key| key.account != "777788889999");
        let first_key = {
            let store = SqliteStore::open(dir.path(), || two).unwrap();
            let sandbox = Sandbox {
                store: Arc::new(store),
                rehearsal: Arc::default(),
            };
            assert_eq!(sandbox.accounts().unwrap().len(), 2);
            sandbox.operator(ACCOUNTS[0]).unwrap().access_key_id
        };
        let sandbox = Sandbox::open(dir.path()).unwrap();
        assert_eq!(sandbox.accounts().unwrap(), ACCOUNTS);
        assert_eq!(
            sandbox.operator(ACCOUNTS[0]).unwrap().access_key_id,
            first_key
        );
        let third = sandbox.operator("777788889999").unwrap();
        assert_eq!(third.arn, "arn:aws:iam::777788889999:user/awslab-operator");
        // Opened again, nothing changes.
        let again = Sandbox::open(dir.path()).unwrap();
        assert_eq!(again.operator("777788889999").unwrap(), third);
    }
}
