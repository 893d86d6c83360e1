//! One SDK client per identity per run: a run's steps (and, in a class, every
//! learner's steps) share the IAM, STS, S3 and `CloudFormation` clients of each
//! identity they act as, built on first use from [`crate::client`]'s configs. An
//! identity is the operator of one of the plan's accounts, or the credentials a step
//! produced, keyed by the step's name and its access key id, and checked against the
//! secret and session token too: a step whose credentials changed (a resumed run made
//! a new key, a session was renewed) gets new clients, never the old ones. One entry a
//! step, replaced when its credentials change, so the cache never outgrows the plan.
//!
//! Building a client copies the config into a service config, resolves its runtime
//! plugins and interceptors; a config for static credentials is built too. Both were
//! done for every call of every step before; now once per identity.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use aws_config::SdkConfig;

use crate::client::{
    Target, cloudformation_client, config_for_static, iam_client, s3_client, sts_client,
};
use crate::secrets::StepCredentials;

/// The config of one identity and its clients, each built on first use.
pub struct IdentityClients {
    config: SdkConfig,
    iam: OnceLock<aws_sdk_iam::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
    cloudformation: OnceLock<aws_sdk_cloudformation::Client>,
    /// The run's count of clients built (see [`Clients::built`]).
    built: Arc<AtomicUsize>,
}

impl IdentityClients {
    fn new(config: SdkConfig, built: Arc<AtomicUsize>) -> Self {
        Self {
            config,
            iam: OnceLock::new(),
            sts: OnceLock::new(),
            s3: OnceLock::new(),
            cloudformation: OnceLock::new(),
            built,
        }
    }

    fn once<T: Clone>(&self, slot: &OnceLock<T>, build: impl FnOnce(&SdkConfig) -> T) -> T {
        slot.get_or_init(|| {
            self.built.fetch_add(1, Ordering::Relaxed);
            build(&self.config)
        })
        .clone()
    }

    /// The identity's SDK config (for calls made without a service client: a
    /// verify's [`crate::api::call`]).
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// The identity's IAM client (a handle: clones share one client).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        self.once(&self.iam, iam_client)
    }

    /// The identity's STS client.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        self.once(&self.sts, sts_client)
    }

    /// The identity's S3 client.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        self.once(&self.s3, s3_client)
    }

    /// The identity's `CloudFormation` client.
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        self.once(&self.cloudformation, cloudformation_client)
    }
}

/// Says which clients are built, never the config (it holds credentials).
impl fmt::Debug for IdentityClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityClients")
            .field("iam", &self.iam.get().is_some())
            .field("sts", &self.sts.get().is_some())
            .field("s3", &self.s3.get().is_some())
            .field("cloudformation", &self.cloudformation.get().is_some())
            .finish_non_exhaustive()
    }
}

/// A step's credentials as its clients were built from them.
struct StepEntry {
    credentials: StepCredentials,
    clients: Arc<IdentityClients>,
}

impl StepEntry {
    fn is_for(&self, credentials: &StepCredentials) -> bool {
        let ours = &self.credentials;
        ours.access_key_id == credentials.access_key_id
            && ours.secret_access_key.expose() == credentials.secret_access_key.expose()
            && ours
                .session_token
                .as_ref()
                .map(crate::secrets::Secret::expose)
                == credentials
                    .session_token
                    .as_ref()
                    .map(crate::secrets::Secret::expose)
    }
}

/// A run's clients, by identity.
#[derive(Default)]
pub struct Clients {
    /// The operator of each account, by the account's name (`None`: the plan's first).
    operators: Mutex<HashMap<Option<String>, Arc<IdentityClients>>>,
    /// Each step's credentials, by the step's name.
    steps: Mutex<HashMap<String, StepEntry>>,
    built: Arc<AtomicUsize>,
}

impl Clients {
    pub fn new() -> Self {
        Self::default()
    }

    /// The clients of the operator of `account` (`None`: the plan's first account),
    /// whose config `config` gives on first use.
    pub fn operator(
        &self,
        account: Option<&str>,
        config: impl FnOnce() -> SdkConfig,
    ) -> Arc<IdentityClients> {
        let mut operators = self
            .operators
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(clients) = operators.get(&account.map(str::to_owned)) {
            return Arc::clone(clients);
        }
        let clients = Arc::new(IdentityClients::new(config(), Arc::clone(&self.built)));
        operators.insert(account.map(str::to_owned), Arc::clone(&clients));
        clients
    }

    /// The clients of the credentials `step` produced: the ones built before while
    /// the credentials are the same, new ones when they changed.
    pub fn step(
        &self,
        target: &Target,
        step: &str,
        credentials: &StepCredentials,
    ) -> Arc<IdentityClients> {
        let mut steps = self.steps.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = steps.get(step)
            && entry.is_for(credentials)
        {
            return Arc::clone(&entry.clients);
        }
        let config = config_for_static(
            target,
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.as_ref(),
        );
        let clients = Arc::new(IdentityClients::new(config, Arc::clone(&self.built)));
        tracing::trace!(step, "clients for new credentials");
        steps.insert(
            step.to_owned(),
            StepEntry {
                credentials: credentials.clone(),
                clients: Arc::clone(&clients),
            },
        );
        clients
    }

    /// How many SDK clients this run has built (each identity's service clients).
    pub fn built(&self) -> usize {
        self.built.load(Ordering::Relaxed)
    }
}

/// Counts only: identities' configs and credentials are never shown.
impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("built", &self.built())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    fn target() -> Target {
        Target::endpoint("http://127.0.0.1:9", "eu-west-1", None)
    }

    fn credentials(key: &str, secret: &str, token: Option<&str>) -> StepCredentials {
        StepCredentials {
            access_key_id: key.to_owned(),
            secret_access_key: Secret::new(secret),
            session_token: token.map(Secret::new),
            expiration: None,
        }
    }

    fn operator_config() -> SdkConfig {
        config_for_static(
            &target(),
            "AKIAOPERATOR",
            &Secret::new("operator-secret"),
            None,
        )
    }

    #[test]
    fn one_identity_gets_one_client_of_each_service() {
        let clients = Clients::new();
        let mut configs_built = 0;
        for _ in 0..3 {
            let operator = clients.operator(None, || {
                configs_built += 1;
                operator_config()
            });
            let _ = operator.iam();
            let _ = operator.iam();
            let _ = operator.s3();
        }
        assert_eq!(configs_built, 1);
        assert_eq!(clients.built(), 2, "one IAM and one S3 client");
        let user = credentials("AKIAUSER", "user-secret", None);
        for _ in 0..3 {
            let _ = clients.step(&target(), "user", &user).sts();
        }
        assert_eq!(
            clients.built(),
            3,
            "one STS client for the step's credentials"
        );
        // Another account's operator is another identity.
        let _ = clients.operator(Some("dev"), operator_config).iam();
        assert_eq!(clients.built(), 4);
    }

    #[test]
    fn changed_credentials_get_new_clients() {
        let clients = Clients::new();
        let first = clients.step(&target(), "user", &credentials("AKIAONE", "s1", None));
        let _ = first.iam();
        let again = clients.step(&target(), "user", &credentials("AKIAONE", "s1", None));
        assert!(Arc::ptr_eq(&first, &again));
        drop(again);
        let new_key = clients.step(&target(), "user", &credentials("AKIATWO", "s2", None));
        assert!(!Arc::ptr_eq(&first, &new_key));
        // The same key id with another secret or session token is another credential.
        let new_secret = clients.step(&target(), "user", &credentials("AKIATWO", "s3", None));
        assert!(!Arc::ptr_eq(&new_key, &new_secret));
        let session = clients.step(&target(), "user", &credentials("AKIATWO", "s3", Some("t")));
        assert!(!Arc::ptr_eq(&new_secret, &session));
        let _ = session.iam();
        assert_eq!(clients.built(), 2);
        // One entry a step: the old credentials' clients are dropped.
        assert_eq!(clients.steps.lock().unwrap().len(), 1);
        assert_eq!(Arc::strong_count(&first), 1);
    }

    #[test]
    fn debug_shows_no_credentials() {
        let clients = Clients::new();
        let user = clients.step(
            &target(),
            "user",
            &credentials(
                "AKIAVISIBLE",
                "never-shown-secret",
                Some("never-shown-token"),
            ),
        );
        let _ = user.sts();
        let shown = format!("{clients:?} {user:?}");
        assert!(!shown.contains("never-shown"), "{shown}");
        assert!(!shown.contains("AKIAVISIBLE"), "{shown}");
        assert!(shown.contains("sts: true"), "{shown}");
    }
}
