//! The engine: runs a sealed plan's steps as a [`StepRunner`] for the scheduler. It
//! owns the run's [`RunState`], hands each step a [`StepCx`] over it, records the
//! step's outputs (journaled with its `step_finished` record, so a resumed run reads
//! the same outputs a fresh run made), and turns a step's error into its status: a
//! failed step is a status, a journal failure stops the run.

use std::sync::Arc;

use aws_config::SdkConfig;
use awslab_planner::{SealedPlan, StepId};
use indexmap::IndexMap;

use crate::context::{EngineOptions, RunState, StepCx, StepNote};
use crate::error::StepError;
use crate::journal::{Journal, JournalState, Record};
use crate::scheduler::{StepContext, StepOutcome, StepRunner};
use crate::secrets::SecretsStore;

/// Runs steps; shared by the scheduler's tasks.
pub struct Engine {
    run: RunState,
    finished: Vec<String>,
}

impl Engine {
    pub fn new(
        plan: Arc<SealedPlan>,
        options: EngineOptions,
        operator: SdkConfig,
        journal: Journal,
        secrets: SecretsStore,
        resumed: &JournalState,
    ) -> Self {
        Self {
            run: RunState::new(plan, options, operator, journal, secrets, resumed),
            finished: resumed.finished.clone(),
        }
    }

    /// The outputs recorded so far, by step.
    pub fn outputs(&self) -> IndexMap<String, IndexMap<String, String>> {
        self.run.outputs()
    }

    /// The notes recorded so far, by step.
    pub fn notes(&self) -> IndexMap<String, StepNote> {
        self.run.notes()
    }

    pub fn journal(&self) -> &Journal {
        self.run.journal()
    }

    pub fn options(&self) -> &EngineOptions {
        &self.run.options
    }

    /// How many SDK clients the run has built: one per identity and service it
    /// called (see [`crate::clients`]).
    pub fn clients_built(&self) -> usize {
        self.run.clients_built()
    }

    async fn run_step(&self, id: &StepId, context: &StepContext<StepId>) -> Result<(), StepError> {
        let step = self
            .run
            .plan
            .step(id)
            .ok_or_else(|| StepError::Local(format!("step `{id}` is not in the plan")))?;
        let cx = StepCx::new(&self.run, id, context);
        let span = tracing::info_span!("step", step = %id, kind = step.kind.label());
        let (outputs, request_ids) = crate::request_ids::collecting(Box::pin(
            tracing::Instrument::instrument(crate::steps::run(step, &cx), span),
        ))
        .await;
        if !request_ids.is_empty() {
            cx.note(|n| n.request_ids = request_ids);
        }
        let outputs = outputs?;
        self.run.set_outputs(id, outputs.clone());
        if step.kind.mutates() {
            self.run
                .append(Record::StepFinished {
                    step: id.to_string(),
                    outputs,
                })
                .await?;
        }
        Ok(())
    }
}

impl StepRunner<StepId> for Engine {
    async fn run(&self, id: &StepId, context: StepContext<StepId>) -> StepOutcome {
        if self.finished.iter().any(|f| f == id.as_str()) {
            // Resumed run: the journal says this step finished (its outputs too).
            return StepOutcome::Succeeded;
        }
        match self.run_step(id, &context).await {
            Ok(()) => StepOutcome::Succeeded,
            Err(error) if error.stops_run() => StepOutcome::Aborted {
                message: error.to_string(),
            },
            Err(error) if context.is_cancelled() => StepOutcome::Cancelled {
                message: error.to_string(),
            },
            Err(error) => StepOutcome::Failed {
                message: error.to_string(),
            },
        }
    }
}
