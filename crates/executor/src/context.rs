//! The narrow context a step kind works through, below both the engine and the step
//! modules: render a template, the clients of an identity (one per identity per run,
//! see [`crate::clients`]), a journaled
//! [`StepCx::create`], credentials, notes, and [`StepCx::settle`] to wait on IAM's
//! eventual consistency. Step modules never see the engine; the engine owns the
//! [`RunState`] and hands each step a [`StepCx`] over it.

use std::collections::HashSet;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use awslab_planner::template::{Reference, render_json, render_str};
use awslab_planner::values::{Document, IdentityName, OPERATOR, Text};
use awslab_planner::{SealedPlan, StepId};
use indexmap::IndexMap;

use crate::classify::{ErrorClass, ErrorInfo};
use crate::client::Target;
use crate::clients::{Clients, IdentityClients};
use crate::error::StepError;
use crate::journal::{Journal, JournalState, Record, ResourceState, RunId};
use crate::profile_files::ProfilePaths;
use crate::resources::{RUN_TAG, ResourceRef};
use crate::scheduler::StepContext;
use crate::secrets::{SecretsStore, StepCredentials};
use crate::settle::{Probe, SettleError, SettlePolicy, settle};

/// The operator of one of the plan's accounts (`accounts:`).
#[derive(Debug, Clone)]
pub struct AccountOperator {
    /// The account's id (from `sts:GetCallerIdentity`).
    pub id: String,
    /// The operator's SDK config in that account.
    pub config: SdkConfig,
}

/// What a run needs besides the plan.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub target: Target,
    pub run_id: RunId,
    /// The operator's account id (from `sts:GetCallerIdentity`): the plan's first
    /// account.
    pub account: String,
    /// The operator of each account the plan names, by name, in the plan's order (the
    /// first is the operator above); empty when the plan names none.
    pub accounts: IndexMap<String, AccountOperator>,
    pub settle_timeout: Duration,
    pub profile_paths: ProfilePaths,
    /// A class's bundles (`up --learners`): each learner's profiles go into
    /// `DIR/NAME/config` and `DIR/NAME/credentials` instead of `profile_paths`.
    pub learner_bundles: Option<PathBuf>,
    pub run_dir: PathBuf,
    /// `awslab:created-at` and `awslab:expires-at` (with `--ttl`), RFC 3339 UTC on the
    /// target's clock; see [`crate::tags`].
    pub times: crate::tags::RunTimes,
}

/// Facts a step recorded for the summary and reports (never secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StepNote {
    /// What was checked and found, for verifies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// How long waiting for IAM to propagate took, and how many attempts.
    #[serde(skip)]
    pub settled: Option<(Duration, u32)>,
    /// When temporary credentials expire (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The request ids of the step's calls, oldest first (the latest
    /// [`crate::request_ids::MAX_KEPT`]); the last is the answer its outcome rests on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<String>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The state of a run that its steps share.
pub struct RunState {
    pub plan: Arc<SealedPlan>,
    pub options: EngineOptions,
    operator: SdkConfig,
    journal: Journal,
    secrets: Mutex<SecretsStore>,
    outputs: Mutex<IndexMap<String, IndexMap<String, String>>>,
    /// Resources a resumed run's journal says may exist (a call was interrupted),
    /// with their account.
    uncertain: Vec<(Option<String>, ResourceRef)>,
    notes: Mutex<IndexMap<String, StepNote>>,
    /// Identities (steps) whose credentials STS has accepted in this run.
    accepted: Mutex<HashSet<String>>,
    /// The SDK clients of each identity, built on first use.
    clients: Clients,
}

impl RunState {
    pub fn new(
        plan: Arc<SealedPlan>,
        options: EngineOptions,
        operator: SdkConfig,
        journal: Journal,
        secrets: SecretsStore,
        resumed: &JournalState,
    ) -> Self {
        Self {
            plan,
            options,
            operator,
            journal,
            secrets: Mutex::new(secrets),
            outputs: Mutex::new(resumed.outputs.clone()),
            uncertain: resumed
                .resources
                .iter()
                .filter(|r| r.state == ResourceState::MayExist)
                .map(|r| (r.account.clone(), r.resource.clone()))
                .collect(),
            notes: Mutex::new(IndexMap::new()),
            accepted: Mutex::new(HashSet::new()),
            clients: Clients::new(),
        }
    }

    /// How many SDK clients the run has built so far (one per identity and service).
    pub fn clients_built(&self) -> usize {
        self.clients.built()
    }

    pub fn outputs(&self) -> IndexMap<String, IndexMap<String, String>> {
        lock(&self.outputs).clone()
    }

    pub fn notes(&self) -> IndexMap<String, StepNote> {
        lock(&self.notes).clone()
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Records a finished step's outputs (they replace anything recorded before).
    pub fn set_outputs(&self, step: &StepId, outputs: IndexMap<String, String>) {
        lock(&self.outputs).insert(step.to_string(), outputs);
    }

    fn lookup(&self, reference: &Reference) -> Option<String> {
        match reference {
            Reference::Var(name) => {
                let value = self.plan.plan.vars.get(name)?;
                render_str(&value.value, |r| self.lookup(r)).ok()
            }
            Reference::RunId => Some(self.options.run_id.to_string()),
            Reference::RunRegion => Some(self.options.target.region.clone()),
            Reference::AccountId => Some(self.options.account.clone()),
            Reference::AccountIdOf(name) => self.options.accounts.get(name).map(|a| a.id.clone()),
            Reference::Step { step, path } => {
                lock(&self.outputs).get(step)?.get(&path.join(".")).cloned()
            }
        }
    }

    fn may_have_created(&self, account: Option<&str>, resource: &ResourceRef) -> bool {
        self.uncertain.iter().any(|(in_account, r)| {
            in_account.as_deref() == account && (resource.fulfils(r) || r == resource)
        })
    }

    pub(crate) async fn append(&self, record: Record) -> Result<(), StepError> {
        self.journal
            .append_async(record)
            .await
            .map_err(StepError::from)
    }
}

/// One step's view of the run.
pub struct StepCx<'a> {
    run: &'a RunState,
    step: &'a StepId,
    scheduler: &'a StepContext<StepId>,
}

impl<'a> StepCx<'a> {
    pub fn new(run: &'a RunState, step: &'a StepId, scheduler: &'a StepContext<StepId>) -> Self {
        Self {
            run,
            step,
            scheduler,
        }
    }

    pub fn id(&self) -> &StepId {
        self.step
    }

    pub fn target(&self) -> &Target {
        &self.run.options.target
    }

    pub fn run_id(&self) -> &RunId {
        &self.run.options.run_id
    }

    /// The id of the account this step runs in.
    pub fn account(&self) -> &str {
        self.account_operator()
            .map_or(&self.run.options.account, |a| &a.id)
    }

    /// The name of the plan's account this step runs in, as the journal records it:
    /// `None` for the plan's first (or only) account.
    pub fn account_name(&self) -> Option<String> {
        let plan = &self.run.plan.plan;
        let step = plan.steps.get(self.step)?;
        let index = plan.account_index(step);
        (index > 0)
            .then(|| plan.accounts.get_index(index).map(|(name, _)| name.clone()))
            .flatten()
    }

    /// The operator of the account this step runs in, when it is not the first.
    fn account_operator(&self) -> Option<&AccountOperator> {
        self.account_name()
            .and_then(|name| self.run.options.accounts.get(&name))
    }

    /// The AWS CLI files the step's profiles go into: the operator's, or in a class the
    /// learner's bundle.
    pub fn profile_paths(&self) -> ProfilePaths {
        let options = &self.run.options;
        match (
            &options.learner_bundles,
            self.run.plan.plan.learner_of(self.step.as_str()),
        ) {
            (Some(bundles), Some(learner)) => {
                crate::profile_files::bundle_paths(bundles, &learner.name)
            }
            _ => options.profile_paths.clone(),
        }
    }

    /// The folder the plan's relative paths start from.
    pub fn base_dir(&self) -> &Path {
        self.run.plan.base_dir()
    }

    /// awslab's run tag: `(key, value)`.
    /// How long a wait on IAM's eventual consistency may take (`--settle-timeout`).
    pub fn settle_timeout(&self) -> std::time::Duration {
        self.run.options.settle_timeout
    }

    pub fn run_tag(&self) -> (&'static str, String) {
        (RUN_TAG, self.run.options.run_id.to_string())
    }

    /// Every tag awslab puts on what this run creates: its own (`awslab:run` first)
    /// and the plan's `tags:`, rendered; see [`crate::tags::run_tags`].
    pub fn run_tags(&self) -> Result<Vec<(String, String)>, StepError> {
        let plan = &self.run.plan.plan;
        let mut own = Vec::with_capacity(plan.tags.len());
        for (key, value) in &plan.tags {
            own.push((key.clone(), self.render(&value.value)?));
        }
        Ok(crate::tags::run_tags(
            self.run.options.run_id.as_str(),
            &plan.name.value,
            &self.run.options.times,
            own,
        ))
    }

    /// Renders a templated value with what is known now.
    pub fn render(&self, text: &str) -> Result<String, StepError> {
        render_str(text, |r| self.run.lookup(r)).map_err(StepError::Template)
    }

    pub fn render_opt(&self, text: Option<&Text>) -> Result<Option<String>, StepError> {
        text.map(|t| self.render(&t.value)).transpose()
    }

    /// Renders a policy document to its JSON text.
    pub fn render_document(&self, document: &Document) -> Result<String, StepError> {
        let json = document.json().map_err(StepError::Template)?;
        let rendered =
            render_json(&json, &mut |r| self.run.lookup(r)).map_err(StepError::Template)?;
        serde_json::to_string(&rendered).map_err(|e| StepError::Local(e.to_string()))
    }

    /// The SDK config of the operator of the account this step runs in.
    pub fn operator(&self) -> &SdkConfig {
        self.account_operator()
            .map_or(&self.run.operator, |a| &a.config)
    }

    /// The clients of the operator of the account this step runs in, shared by every
    /// step of the run that acts as that operator.
    pub fn operator_clients(&self) -> Arc<IdentityClients> {
        let account = self.account_name();
        self.run
            .clients
            .operator(account.as_deref(), || self.operator().clone())
    }

    /// The clients of a step's `as:` identity (the operator when it has none).
    pub fn clients_of(
        &self,
        identity: Option<&IdentityName>,
    ) -> Result<Arc<IdentityClients>, StepError> {
        self.clients_as(identity.map(|i| i.value.as_str()))
    }

    /// The clients of an identity: the operator (none, or `operator`) or a step's
    /// credentials (new clients when they changed).
    pub fn clients_as(&self, identity: Option<&str>) -> Result<Arc<IdentityClients>, StepError> {
        match identity {
            None | Some(OPERATOR) => Ok(self.operator_clients()),
            Some(step) => {
                let creds = self.credentials(step).ok_or_else(|| {
                    StepError::Local(format!("step `{step}` has no credentials (did it run?)"))
                })?;
                Ok(self.run.clients.step(self.target(), step, &creds))
            }
        }
    }

    /// The credentials a step produced.
    pub fn credentials(&self, step: &str) -> Option<StepCredentials> {
        lock(&self.run.secrets).get(step).cloned()
    }

    /// Stores this step's credentials (mode 0600 file).
    pub fn store_credentials(&self, credentials: StepCredentials) -> Result<(), StepError> {
        lock(&self.run.secrets)
            .put(self.step.as_str(), credentials)
            .map_err(|e| StepError::Local(format!("cannot store credentials: {e}")))
    }

    /// Stores the TOTP seed of the MFA device this step created (mode 0600 file).
    pub fn store_mfa_seed(&self, seed: crate::secrets::MfaSeed) -> Result<(), StepError> {
        lock(&self.run.secrets)
            .put_mfa_seed(self.step.as_str(), seed)
            .map_err(|e| StepError::Local(format!("cannot store the MFA seed: {e}")))
    }

    /// The MFA seed the `iam.virtual_mfa_device` step `step` keeps.
    pub fn mfa_seed(&self, step: &str) -> Option<crate::secrets::MfaSeed> {
        lock(&self.run.secrets).mfa_seed(step).cloned()
    }

    pub fn note(&self, update: impl FnOnce(&mut StepNote)) {
        update(
            lock(&self.run.notes)
                .entry(self.step.to_string())
                .or_default(),
        );
    }

    /// Journals the intent to create `resource`, makes the call, and on failure
    /// journals whether it certainly created nothing. A name that exists already is an
    /// error, never adopted.
    pub async fn create<T, E, Fut>(&self, resource: &ResourceRef, call: Fut) -> Result<T, StepError>
    where
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        self.intent(resource).await?;
        match call.await {
            Ok(value) => Ok(value),
            Err(error) => {
                let info = ErrorInfo::from_sdk(&error);
                let what = format!("cannot create {}", resource.label());
                self.create_failed(resource, &info, &what).await?;
                Err(self.refusal(resource, info, what))
            }
        }
    }

    /// Journals the intent to create `resource` (before any byte or call).
    pub async fn intent(&self, resource: &ResourceRef) -> Result<(), StepError> {
        tracing::debug!(resource = %resource.label(), "creating");
        self.run
            .append(Record::Intent {
                step: self.step.to_string(),
                resource: resource.clone(),
                account: self.account_name(),
            })
            .await
    }

    /// Journals that `resource` exists now (with the ids AWS assigned).
    pub async fn created(&self, resource: &ResourceRef) -> Result<(), StepError> {
        tracing::info!(resource = %resource.label(), "created");
        self.run
            .append(Record::Created {
                step: self.step.to_string(),
                resource: resource.clone(),
                outputs: IndexMap::new(),
                account: self.account_name(),
            })
            .await
    }

    /// Journals that a create call failed; the intent is closed only if the failure
    /// certainly created nothing.
    pub async fn create_failed(
        &self,
        resource: &ResourceRef,
        info: &ErrorInfo,
        what: &str,
    ) -> Result<(), StepError> {
        if !resource.created_nothing(info) {
            return Ok(());
        }
        self.nothing_created(resource, &format!("{what}: {info}"))
            .await
    }

    /// Journals that an attempt to create `resource` certainly created nothing.
    pub async fn nothing_created(
        &self,
        resource: &ResourceRef,
        message: &str,
    ) -> Result<(), StepError> {
        self.run
            .append(Record::CreateFailed {
                step: self.step.to_string(),
                resource: resource.clone(),
                error: message.to_owned(),
                account: self.account_name(),
            })
            .await
    }

    /// The error of a failed create, saying what to do when the name is taken.
    fn refusal(&self, resource: &ResourceRef, info: ErrorInfo, what: String) -> StepError {
        if info.class() != ErrorClass::AlreadyExists {
            return StepError::Aws { what, info };
        }
        let run_id = self.run_id();
        if self
            .run
            .may_have_created(self.account_name().as_deref(), resource)
        {
            StepError::Exists(format!(
                "{} already exists: this run may have created it before it was interrupted. Run `awslab down {run_id}` (it deletes it only if it is this run's), then `awslab up` again",
                resource.label()
            ))
        } else {
            StepError::Exists(format!(
                "{} already exists and this run did not create it; awslab never adopts or deletes it. Choose another name (`${{run.id}}` keeps names unique)",
                resource.label()
            ))
        }
    }

    /// Waits on the real signal: runs `probe` until it answers `Ok(Ok(value))`, fails
    /// (`Err`), the settle deadline passes, or the run is cancelled; `Ok(Err(reason))`
    /// means "not yet", reported as a retry. See [`crate::settle`].
    pub async fn settle<T, F, Fut>(&self, what: &str, probe: F) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Result<T, String>, StepError>>,
    {
        let policy = SettlePolicy::with_deadline(self.run.options.settle_timeout);
        self.settle_within(what, policy, probe).await
    }

    /// [`StepCx::settle`] with another policy (a stack's own deadline and first poll).
    pub async fn settle_within<T, F, Fut>(
        &self,
        what: &str,
        policy: SettlePolicy,
        mut probe: F,
    ) -> Result<T, StepError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Result<T, String>, StepError>>,
    {
        let slot: Mutex<Option<Result<T, StepError>>> = Mutex::new(None);
        let result = settle(
            &policy,
            self.scheduler.cancel_token(),
            || {
                let future = probe();
                let slot = &slot;
                async move {
                    match future.await {
                        Err(error) => {
                            let message = error.to_string();
                            *lock(slot) = Some(Err(error));
                            Probe::Fail(message)
                        }
                        Ok(Err(reason)) => Probe::Retry(reason),
                        Ok(Ok(value)) => {
                            *lock(slot) = Some(Ok(value));
                            Probe::Done
                        }
                    }
                }
            },
            |attempt, reason, _| {
                self.scheduler
                    .retrying(attempt, format!("{what}: {reason}"));
            },
        )
        .await;
        match result {
            Ok(settled) => {
                if settled.attempts > 1 {
                    self.note(|n| n.settled = Some((settled.waited, settled.attempts)));
                }
                lock(&slot)
                    .take()
                    .unwrap_or_else(|| Err(StepError::Wait(format!("{what}: no answer"))))
            }
            Err(SettleError::Failed { reason, .. }) => Err(lock(&slot)
                .take()
                .and_then(Result::err)
                .unwrap_or(StepError::Wait(reason))),
            Err(error @ SettleError::TimedOut { .. }) => Err(StepError::Wait(format!(
                "{what}: {error}; raise --settle-timeout if IAM is slow"
            ))),
            Err(error) => Err(StepError::Wait(format!("{what}: {error}"))),
        }
    }

    /// The clients of a step's `as:` identity, once STS accepts its credentials.
    /// A new access key is awaited here, by the first step that uses it, not by the
    /// step that made it: steps that need only the user (a stack that trusts it, its
    /// policy) run while IAM propagates the key, so the waits overlap.
    pub async fn accepted_clients_of(
        &self,
        identity: Option<&IdentityName>,
    ) -> Result<Arc<IdentityClients>, StepError> {
        let name = identity.map(|i| i.value.as_str());
        if let Some(step) = name.filter(|step| *step != OPERATOR) {
            self.await_identity(step).await?;
        }
        self.clients_as(name)
    }

    /// Waits until STS accepts the credentials of step `step`, once per run.
    pub async fn await_identity(&self, step: &str) -> Result<(), StepError> {
        if step == OPERATOR || lock(&self.run.accepted).contains(step) {
            return Ok(());
        }
        self.await_credentials_of(step).await
    }

    /// Waits until STS accepts this step's new credentials (a new key answers
    /// `InvalidClientTokenId` for a while on AWS).
    pub async fn await_credentials(&self) -> Result<(), StepError> {
        self.await_credentials_of(self.step.as_str()).await
    }

    async fn await_credentials_of(&self, step: &str) -> Result<(), StepError> {
        let sts = self.clients_as(Some(step))?.sts();
        let what = if step == self.step.as_str() {
            "waiting for the new credentials".to_owned()
        } else {
            format!("waiting for the credentials of `{step}`")
        };
        self.settle(&what, || async {
            match sts.get_caller_identity().send().await {
                Ok(_) => Ok(Ok(())),
                Err(error) => {
                    let error = StepError::aws("GetCallerIdentity", &error);
                    match error.class() {
                        Some(class @ (ErrorClass::Propagating | ErrorClass::Retryable))
                            if self.may_still_change(class) =>
                        {
                            Ok(Err(format!("not accepted yet ({error})")))
                        }
                        _ => Err(error),
                    }
                }
            }
        })
        .await?;
        lock(&self.run.accepted).insert(step.to_owned());
        Ok(())
    }

    pub fn is_cancelled(&self) -> bool {
        self.scheduler.is_cancelled()
    }

    /// Whether an answer of `class` may still change if asked again: a retryable error
    /// (throttling, a 5xx) always; a denial or a credential not accepted yet only where
    /// changes take a while to be in force. Elsewhere (the sandbox without a
    /// propagation delay) the first such answer is final.
    pub fn may_still_change(&self, class: ErrorClass) -> bool {
        match class {
            ErrorClass::Retryable => true,
            ErrorClass::Denied | ErrorClass::Propagating => self.run.options.target.propagates(),
            _ => false,
        }
    }

    pub fn cancel_token(&self) -> &tokio_util::sync::CancellationToken {
        self.scheduler.cancel_token()
    }

    /// Reports a retry (a poll, a backoff) for live progress.
    pub fn retrying(&self, attempt: u32, reason: impl Into<String>) {
        self.scheduler.retrying(attempt, reason);
    }
}
