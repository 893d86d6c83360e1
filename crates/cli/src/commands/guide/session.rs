//! A guide run opened: the target and the operator (as `up` connects), the run's
//! journal (created or resumed, locked while the guide works on it), the runbook of
//! the plan for this run id, and the guide's progress. `check` asks [`super::world`]
//! and journals what it adopts; `skip` and the checks of verifies run the executor's
//! own step on the steps done so far, as a resumed `up` does.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use awslab_executor::profile_files::ProfilePaths;
use awslab_executor::{
    Engine, EngineOptions, Journal, Record, RunId, RunLock, Scheduler, SecretsStore, StepStatus,
    Target, TargetInfo, replay,
};
use awslab_planner::{SealedPlan, StepId};
use awslab_runbook::{Runbook, Section};

use super::progress::{How, Progress};
use super::world::{self, Adopted, Verdict};
use crate::cli::GuideArgs;
use crate::exit::{Failure, OrFail as _, Status};

pub struct Session {
    pub sealed: Arc<SealedPlan>,
    run_id: RunId,
    state_dir: PathBuf,
    run_dir: PathBuf,
    journal: Journal,
    _lock: RunLock,
    pub target: Target,
    pub operator: SdkConfig,
    pub account: String,
    pub sandbox: Option<PathBuf>,
    /// The sandbox folder of the learner's lab: in-process, or (the runbook goes to
    /// the sandbox) the one `serve` serves.
    sandbox_dir: Option<PathBuf>,
    accounts: indexmap::IndexMap<String, awslab_executor::AccountOperator>,
    runbook: Runbook,
    progress: Progress,
    times: awslab_executor::tags::RunTimes,
    /// The outputs of the executor's last run, by step.
    engine_outputs: indexmap::IndexMap<String, indexmap::IndexMap<String, String>>,
}

impl Session {
    pub async fn open(
        args: &GuideArgs,
        sealed: Arc<SealedPlan>,
        run_id: RunId,
        resumed: bool,
    ) -> Result<Self, Failure> {
        let plan_accounts = super::super::up::plan_accounts(&sealed);
        let first_profile =
            super::super::connect::first_account_profile(&args.target, plan_accounts.first());
        let recorded = if resumed {
            replay(&super::super::run_state::journal_path(
                &args.state.state_dir,
                &run_id,
            ))
            .ok()
            .and_then(|state| state.meta.map(|m| m.target))
        } else {
            None
        };
        let connection =
            super::super::connect::connect(&args.target, recorded.as_ref(), first_profile).await?;
        let target = connection.target.clone();
        let accounts =
            super::super::connect::operators(&connection, &args.target, &plan_accounts, None)
                .await?;
        let operator = accounts.first().map_or_else(
            || connection.operator.clone(),
            |(_, (_, o))| o.config.clone(),
        );
        let (account, _caller) = awslab_executor::credentials::whoami(&operator, &target).await?;
        let times = super::super::sweep::run_times(&connection, None)?;
        let lock = super::super::run_state::lock_run(
            &args.state.state_dir,
            &run_id,
            "awslab guide",
            Status::Invalid,
        )?;
        let (journal, _) = super::super::up::open_journal(
            &args.state.state_dir,
            &run_id,
            &sealed,
            TargetInfo {
                accounts: accounts
                    .iter()
                    .map(|(name, (info, _))| (name.clone(), info.clone()))
                    .collect(),
                ..connection.info(&account)
            },
            &args.vars.vars,
            None,
        )
        .or_fail(Status::Invalid)?;
        let run_dir = Journal::run_dir(&args.state.state_dir, &run_id);
        let progress = Progress::load(&run_dir).or_fail(Status::Invalid)?;
        progress.save().or_fail(Status::Invalid)?;
        let runbook = awslab_runbook::build(&sealed, &super::auto::options(args, &run_id));
        let sandbox_dir = connection.sandbox.clone().or_else(|| {
            (runbook.sandbox && args.target.sandbox_dir.is_dir())
                .then(|| args.target.sandbox_dir.clone())
        });
        Ok(Session {
            sealed,
            run_id,
            state_dir: args.state.state_dir.clone(),
            run_dir,
            journal,
            _lock: lock,
            target,
            operator,
            account,
            sandbox: connection.sandbox.clone(),
            sandbox_dir,
            accounts: accounts
                .into_iter()
                .map(|(name, (_, operator))| (name, operator))
                .collect(),
            runbook,
            progress,
            times,
            engine_outputs: indexmap::IndexMap::new(),
        })
    }

    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    pub fn total(&self) -> usize {
        self.runbook.sections.len()
    }

    /// The runbook's opening commands (the operators of the plan's other accounts).
    pub fn setup(&self) -> &[String] {
        &self.runbook.setup
    }

    pub fn section(&self, index: usize) -> &Section {
        &self.runbook.sections[index.min(self.runbook.sections.len().saturating_sub(1))]
    }

    /// The steps the journal says are finished.
    fn finished(&self) -> Vec<String> {
        replay(&self.run_dir.join(Journal::FILE_NAME))
            .map(|state| state.finished)
            .unwrap_or_default()
    }

    /// The index of the first step (in run order) not done yet.
    pub fn current(&self) -> Option<usize> {
        let finished = self.finished();
        self.runbook
            .sections
            .iter()
            .position(|s| !finished.contains(&s.step))
    }

    /// When the run began (Unix seconds), as its journal says.
    fn started(&self) -> Option<i64> {
        let state = replay(&self.run_dir.join(Journal::FILE_NAME)).ok()?;
        let text = state.meta?.started_at;
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(time::OffsetDateTime::unix_timestamp)
    }

    /// The outputs recorded so far, by step.
    pub fn outputs(&self) -> indexmap::IndexMap<String, indexmap::IndexMap<String, String>> {
        replay(&self.run_dir.join(Journal::FILE_NAME))
            .map(|state| state.outputs)
            .unwrap_or_default()
    }

    /// Checks `step` against the world; done: journals what the learner made (by
    /// immutable id), the step's outputs and credentials, and records it.
    pub async fn check(&mut self, step: &str) -> Result<Verdict, Failure> {
        let id = StepId::new(step);
        let Some(plan_step) = self.sealed.step(&id).cloned() else {
            return Err(Failure::new(
                Status::Invalid,
                format!("no step `{step}` in the plan"),
            ));
        };
        if matches!(plan_step.kind, awslab_planner::StepKind::Verify(_)) {
            // A claim: the executor's verify, as the identities the learner made.
            return match self.run_engine(&id).await? {
                Ok(()) => {
                    self.finish(step, indexmap::IndexMap::new(), How::ByHand)?;
                    Ok(Verdict::Done("the claim holds".to_owned()))
                }
                Err(reason) => Ok(Verdict::NotDone(reason)),
            };
        }
        let outputs = self.outputs();
        let account_name = self.account_name(&plan_step);
        let (operator, account) = match account_name
            .as_ref()
            .and_then(|name| self.accounts.get(name))
        {
            Some(other) => (&other.config, other.id.as_str()),
            None => (&self.operator, self.account.as_str()),
        };
        let account_ids: indexmap::IndexMap<String, String> = self
            .accounts
            .iter()
            .map(|(name, operator)| (name.clone(), operator.id.clone()))
            .collect();
        let cx = world::WorldCx {
            sealed: &self.sealed,
            step: &plan_step,
            operator,
            target: &self.target,
            account,
            first_account: &self.account,
            accounts: &account_ids,
            run_id: self.run_id.as_str(),
            outputs: &outputs,
            endpoint: self.runbook.endpoint_url.as_deref(),
            started: self.started(),
            sandbox_dir: self.sandbox_dir.as_deref(),
        };
        match world::check(&cx).await {
            Ok(adopted) => {
                let note = adopted.note.clone();
                self.adopt(step, account_name.as_deref(), adopted)?;
                Ok(Verdict::Done(note))
            }
            Err(reason) => Ok(Verdict::NotDone(reason)),
        }
    }

    /// The name of the plan's account `step` runs in, as the journal records it (as
    /// the executor's `StepCx::account_name`): `None` for the plan's first (or only).
    fn account_name(&self, step: &awslab_planner::Step) -> Option<String> {
        let plan = &self.sealed.plan;
        let index = plan.account_index(step);
        (index > 0)
            .then(|| plan.accounts.get_index(index).map(|(name, _)| name.clone()))
            .flatten()
    }

    /// Journals what the learner made, as `up` journals what it creates: an intent and
    /// a creation per resource (with the ids AWS assigned and the plan account it is
    /// in, so `down` deletes it there), then the step's outputs.
    fn adopt(
        &mut self,
        step: &str,
        account: Option<&str>,
        adopted: Adopted,
    ) -> Result<(), Failure> {
        let account = account.map(str::to_owned);
        for resource in adopted.resources {
            self.journal
                .append(&Record::Intent {
                    step: step.to_owned(),
                    resource: resource.clone(),
                    account: account.clone(),
                })
                .or_fail(Status::StepFailed)?;
            self.journal
                .append(&Record::Created {
                    step: step.to_owned(),
                    resource,
                    account: account.clone(),
                    outputs: indexmap::IndexMap::new(),
                })
                .or_fail(Status::StepFailed)?;
        }
        if adopted.credentials.is_some() || adopted.mfa_seed.is_some() {
            let mut secrets = SecretsStore::open(&self.run_dir).or_fail(Status::StepFailed)?;
            if let Some(credentials) = adopted.credentials {
                secrets.put(step, credentials).or_fail(Status::StepFailed)?;
            }
            if let Some(seed) = adopted.mfa_seed {
                secrets
                    .put_mfa_seed(step, seed)
                    .or_fail(Status::StepFailed)?;
            }
        }
        self.finish(step, adopted.outputs, How::ByHand)
    }

    fn finish(
        &mut self,
        step: &str,
        outputs: indexmap::IndexMap<String, String>,
        how: How,
    ) -> Result<(), Failure> {
        self.journal
            .append(&Record::StepFinished {
                step: step.to_owned(),
                outputs,
            })
            .or_fail(Status::StepFailed)?;
        self.progress.record(step, how).or_fail(Status::StepFailed)
    }

    /// Lets the executor do `step`; `Ok(Err(reason))` when the step failed.
    pub async fn skip(&mut self, step: &str) -> Result<Result<(), String>, Failure> {
        let id = StepId::new(step);
        let result = self.run_engine(&id).await?;
        if result.is_ok() {
            let outputs = self.engine_outputs.shift_remove(step).unwrap_or_default();
            let mutates = self.sealed.step(&id).is_some_and(|s| s.kind.mutates());
            if mutates {
                // The engine journaled its `step_finished`.
                self.progress
                    .record(step, How::Skipped)
                    .or_fail(Status::StepFailed)?;
            } else {
                self.finish(step, outputs, How::Skipped)?;
            }
        }
        Ok(result)
    }

    /// Runs the executor on the steps up to `step` (those finished are not run again,
    /// as on a resumed `up`); `Ok(Err(reason))` when `step` failed.
    async fn run_engine(&mut self, step: &StepId) -> Result<Result<(), String>, Failure> {
        let state = replay(&self.run_dir.join(Journal::FILE_NAME)).or_fail(Status::StepFailed)?;
        let secrets = SecretsStore::open(&self.run_dir).or_fail(Status::StepFailed)?;
        let options = EngineOptions {
            target: self.target.clone(),
            run_id: self.run_id.clone(),
            account: self.account.clone(),
            accounts: self.accounts.clone(),
            settle_timeout: Duration::from_mins(2),
            profile_paths: ProfilePaths::from_env().or_fail(Status::Invalid)?,
            learner_bundles: None,
            run_dir: self.run_dir.clone(),
            times: self.times.clone(),
        };
        let engine = Arc::new(Engine::new(
            Arc::clone(&self.sealed),
            options,
            self.operator.clone(),
            self.journal.clone(),
            secrets,
            &state,
        ));
        // The steps in run order up to `step`: a prefix of the order holds every
        // dependency of each of its steps.
        let order: Vec<StepId> = self.sealed.order().cloned().collect();
        let end = order
            .iter()
            .position(|s| s == step)
            .map_or(order.len(), |i| i + 1);
        let nodes: Vec<(StepId, Vec<StepId>)> = super::super::up::graph_nodes(&self.sealed)
            .into_iter()
            .filter(|(id, _)| order[..end].contains(id))
            .collect();
        let report = Scheduler::new(nodes)
            .or_fail(Status::StepFailed)?
            .parallel(1)
            .run(Arc::clone(&engine))
            .await
            .map_err(|e| Failure::new(Status::StepFailed, format!("the scheduler stopped: {e}")))?;
        self.engine_outputs = engine.outputs();
        let step_notes = engine.notes();
        let Some(line) = report.steps.iter().find(|r| &r.step == step) else {
            return Ok(Err(format!("step `{step}` did not run")));
        };
        Ok(match &line.status {
            StepStatus::Succeeded => Ok(()),
            StepStatus::Failed { message } | StepStatus::Cancelled { message } => {
                let mut reason = awslab_executor::redaction::redact(message).into_owned();
                if let Some(verdict) = step_notes
                    .get(step.as_str())
                    .and_then(|n| n.verdict.as_ref())
                {
                    let _ = write!(reason, " ({verdict})");
                }
                if let Some(explanation) = self.explain(step_notes.get(step.as_str())) {
                    reason.push('\n');
                    reason.push_str(&explanation);
                }
                Err(reason)
            }
            StepStatus::Skipped { because } => {
                Err(format!("step `{because}` it needs failed first"))
            }
            StepStatus::NotStarted { .. } => Err("the run stopped before this step".to_owned()),
        })
    }

    /// The sandbox's explanation of the last request of a failed step (which statement
    /// allowed or denied it), as `awslab sandbox explain` gives it.
    fn explain(&self, note: Option<&awslab_executor::StepNote>) -> Option<String> {
        let dir = self.sandbox.as_ref()?;
        let id = note?.request_ids.last()?;
        let sandbox = awslab_sandbox::Sandbox::open(dir).ok()?;
        let text = sandbox.explain(id).ok()??;
        Some(awslab_executor::redaction::redact(&text).into_owned())
    }

    /// Steps done by hand or skipped, and the claims seen to hold.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let mut claims = 0;
        for section in &self.runbook.sections {
            let how = self
                .progress
                .steps
                .get(&section.step)
                .map_or("not done", |h| h.words());
            if section.claim.is_some()
                && self.progress.steps.get(&section.step) == Some(&How::ByHand)
            {
                claims += 1;
            }
            let _ = writeln!(out, "  {:<24} {}", section.step, how);
        }
        let total_claims = self
            .runbook
            .sections
            .iter()
            .filter(|s| s.claim.is_some())
            .count();
        let _ = writeln!(out, "claims seen to hold: {claims} of {total_claims}");
        out
    }

    pub fn state_dir(&self) -> &std::path::Path {
        &self.state_dir
    }
}
