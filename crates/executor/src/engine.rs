//! The engine: runs a sealed plan's steps as a [`StepRunner`] for the scheduler. It
//! renders each step's templates from the outputs of the steps before it, picks the
//! identity a step acts as, journals every mutating call before and after it, keeps
//! credentials in the run's secrets store, and records what each step found (verify
//! verdicts, settle waits, credential expiry) for the run summary.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_config::SdkConfig;
use awslab_planner::template::{Reference, render_json, render_str};
use awslab_planner::{SealedPlan, StepId};
use indexmap::IndexMap;

use crate::client::{Target, config_for_static};
use crate::journal::{Journal, Record, ResourceRef};
use crate::profile_files::ProfilePaths;
use crate::scheduler::{StepContext, StepOutcome, StepRunner};
use crate::secrets::{SecretsStore, StepCredentials};
use crate::settle::{Probe, SettleError, SettlePolicy, settle};

/// The tag key every resource awslab creates carries; its value is the run id.
pub const RUN_TAG: &str = "awslab:run";

/// What the engine needs besides the plan.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub target: Target,
    pub run_id: crate::journal::RunId,
    /// The operator's account id (from `sts:GetCallerIdentity`).
    pub account: String,
    pub settle_timeout: Duration,
    pub profile_paths: ProfilePaths,
    pub run_dir: PathBuf,
}

/// Facts a step recorded for the summary and reports (never secrets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepNote {
    /// What was checked and found, for verifies.
    pub verdict: Option<String>,
    /// How long waiting for IAM to propagate took, and how many attempts.
    pub settled: Option<(Duration, u32)>,
    /// When temporary credentials expire (RFC 3339).
    pub expires: Option<String>,
}

/// Runs steps; shared by the scheduler's tasks.
pub struct Engine {
    pub plan: Arc<SealedPlan>,
    pub options: EngineOptions,
    operator: SdkConfig,
    journal: Journal,
    secrets: Mutex<SecretsStore>,
    outputs: Mutex<IndexMap<String, IndexMap<String, String>>>,
    finished: Vec<String>,
    /// Resources a resumed run's journal says may exist (a call was interrupted).
    uncertain: Vec<ResourceRef>,
    notes: Mutex<IndexMap<String, StepNote>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A step's failure message (a status, not an engine error).
pub type StepResult<T> = Result<T, String>;

impl Engine {
    pub fn new(
        plan: Arc<SealedPlan>,
        options: EngineOptions,
        operator: SdkConfig,
        journal: Journal,
        secrets: SecretsStore,
        resumed: &crate::journal::JournalState,
    ) -> Self {
        Engine {
            plan,
            options,
            operator,
            journal,
            secrets: Mutex::new(secrets),
            outputs: Mutex::new(resumed.outputs.clone()),
            finished: resumed.finished.clone(),
            uncertain: resumed
                .resources
                .iter()
                .filter(|r| r.state == crate::journal::ResourceState::MayExist)
                .map(|r| r.resource.clone())
                .collect(),
            notes: Mutex::new(IndexMap::new()),
        }
    }

    /// The outputs recorded so far, by step.
    pub fn outputs(&self) -> IndexMap<String, IndexMap<String, String>> {
        lock(&self.outputs).clone()
    }

    /// The notes recorded so far, by step.
    pub fn notes(&self) -> IndexMap<String, StepNote> {
        lock(&self.notes).clone()
    }

    pub fn note(&self, step: &StepId, update: impl FnOnce(&mut StepNote)) {
        update(lock(&self.notes).entry(step.to_string()).or_default());
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
            Reference::Step { step, path } => {
                lock(&self.outputs).get(step)?.get(&path.join(".")).cloned()
            }
        }
    }

    /// Renders a templated value with what is known now.
    pub fn render(&self, text: &str) -> StepResult<String> {
        render_str(text, |r| self.lookup(r))
    }

    /// Renders an optional templated value.
    pub fn render_opt(
        &self,
        text: Option<&awslab_planner::values::Text>,
    ) -> StepResult<Option<String>> {
        text.map(|t| self.render(&t.value)).transpose()
    }

    /// Renders a policy document to its JSON text.
    pub fn render_document(
        &self,
        document: &awslab_planner::values::Document,
    ) -> StepResult<String> {
        let json = document.json()?;
        let rendered = render_json(&json, &mut |r| self.lookup(r))?;
        serde_json::to_string(&rendered).map_err(|e| e.to_string())
    }

    /// The SDK config of an identity: `operator` (or none) or a step's credentials.
    pub fn identity(&self, name: Option<&str>) -> StepResult<SdkConfig> {
        match name {
            None | Some(awslab_planner::values::OPERATOR) => Ok(self.operator.clone()),
            Some(step) => {
                let secrets = lock(&self.secrets);
                let creds = secrets
                    .get(step)
                    .ok_or_else(|| format!("step `{step}` has no credentials (did it run?)"))?;
                Ok(config_for_static(
                    &self.options.target,
                    &creds.access_key_id,
                    &creds.secret_access_key,
                    creds.session_token.as_ref(),
                ))
            }
        }
    }

    pub fn operator(&self) -> &SdkConfig {
        &self.operator
    }

    /// The credentials a step produced.
    pub fn credentials(&self, step: &str) -> Option<StepCredentials> {
        lock(&self.secrets).get(step).cloned()
    }

    /// Stores a step's credentials (mode 0600 file).
    pub fn store_credentials(&self, step: &StepId, credentials: StepCredentials) -> StepResult<()> {
        lock(&self.secrets)
            .put(step.as_str(), credentials)
            .map_err(|e| format!("cannot store credentials: {e}"))
    }

    /// Records a step's outputs.
    pub fn set_outputs(&self, step: &StepId, outputs: IndexMap<String, String>) {
        lock(&self.outputs)
            .entry(step.to_string())
            .or_default()
            .extend(outputs);
    }

    /// True if an interrupted earlier attempt of this run may have created `resource`.
    pub fn may_have_created(&self, resource: &ResourceRef) -> bool {
        self.uncertain
            .iter()
            .any(|r| resource.fulfils(r) || r == resource)
    }

    /// Journals the intent to create `resource`; the engine stops if it cannot.
    pub async fn intent(&self, step: &StepId, resource: &ResourceRef) -> StepResult<()> {
        tracing::debug!(resource = %resource.label(), "creating");
        self.append(Record::Intent {
            step: step.to_string(),
            resource: resource.clone(),
        })
        .await
    }

    /// Journals that `resource` now exists, with the step's (non-secret) outputs.
    pub async fn created(
        &self,
        step: &StepId,
        resource: &ResourceRef,
        outputs: IndexMap<String, String>,
    ) -> StepResult<()> {
        tracing::info!(resource = %resource.label(), "created");
        self.append(Record::Created {
            step: step.to_string(),
            resource: resource.clone(),
            outputs,
        })
        .await
    }

    /// Journals that creating `resource` certainly created nothing.
    pub async fn create_failed(
        &self,
        step: &StepId,
        resource: &ResourceRef,
        error: &str,
    ) -> StepResult<()> {
        self.append(Record::CreateFailed {
            step: step.to_string(),
            resource: resource.clone(),
            error: error.to_owned(),
        })
        .await
    }

    async fn append(&self, record: Record) -> StepResult<()> {
        self.journal
            .append_async(record)
            .await
            .map_err(|e| format!("journal: {e}"))
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Waits on the real signal: runs `probe` until it answers `Ok(Ok(value))`, fails
    /// (`Err`), the settle deadline passes, or the run is cancelled; `Ok(Err(reason))`
    /// means "not yet", reported as a retry. See [`crate::settle`].
    pub async fn settle<T, F, Fut>(
        &self,
        step: &StepId,
        context: &StepContext<StepId>,
        what: &str,
        mut probe: F,
    ) -> StepResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = StepResult<Result<T, String>>>,
    {
        let slot: Mutex<Option<T>> = Mutex::new(None);
        let policy = SettlePolicy::with_deadline(self.options.settle_timeout);
        let result = settle(
            &policy,
            context.cancel_token(),
            || {
                let future = probe();
                let slot = &slot;
                async move {
                    match future.await {
                        Err(message) => Probe::Fail(message),
                        Ok(Err(reason)) => Probe::Retry(reason),
                        Ok(Ok(value)) => {
                            *lock(slot) = Some(value);
                            Probe::Done
                        }
                    }
                }
            },
            |attempt, reason, _| context.retrying(attempt, format!("{what}: {reason}")),
        )
        .await;
        match result {
            Ok(settled) => {
                if settled.attempts > 1 {
                    self.note(step, |n| {
                        n.settled = Some((settled.waited, settled.attempts));
                    });
                }
                lock(&slot)
                    .take()
                    .ok_or_else(|| format!("{what}: no answer"))
            }
            Err(SettleError::Failed { reason, .. }) => Err(reason),
            Err(error @ SettleError::TimedOut { .. }) => Err(format!(
                "{what}: {error}; raise --settle-timeout if IAM is slow"
            )),
            Err(error) => Err(format!("{what}: {error}")),
        }
    }
}

impl StepRunner<StepId> for Engine {
    async fn run(&self, id: &StepId, context: StepContext<StepId>) -> StepOutcome {
        let Some(step) = self.plan.step(id) else {
            return StepOutcome::Failed {
                message: format!("step `{id}` is not in the plan"),
            };
        };
        if self.finished.iter().any(|f| f == id.as_str()) {
            // Resumed run: the journal says this step finished.
            return StepOutcome::Succeeded;
        }
        let span = tracing::info_span!("step", step = %id, kind = step.kind.label());
        match Box::pin(tracing::Instrument::instrument(
            crate::steps::run(self, step, &context),
            span,
        ))
        .await
        {
            Ok(()) if step.kind.mutates() => match self
                .append(Record::StepFinished {
                    step: id.to_string(),
                })
                .await
            {
                Ok(()) => StepOutcome::Succeeded,
                Err(message) => StepOutcome::Failed { message },
            },
            Ok(()) => StepOutcome::Succeeded,
            Err(message) if context.is_cancelled() => StepOutcome::Cancelled { message },
            Err(message) => StepOutcome::Failed { message },
        }
    }
}

/// The operator's account id and ARN, from `sts:GetCallerIdentity`.
pub async fn caller_identity(config: &SdkConfig) -> Result<(String, String), String> {
    let answer = crate::client::sts_client(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| {
            crate::steps::describe(
                "cannot tell who the operator is (sts:GetCallerIdentity)",
                &e,
            )
            .1
        })?;
    Ok((
        answer.account().unwrap_or_default().to_owned(),
        answer.arn().unwrap_or_default().to_owned(),
    ))
}
