//! The in-memory store: one world behind a mutex, for tests and single processes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::blobs::MemoryBlobs;

use super::{DecisionRecord, KEPT_DECISIONS, Outcome, Store, StoreError, World};

/// A world that lives as long as the process.
#[derive(Debug, Default)]
pub struct MemoryStore {
    world: Mutex<World>,
    decisions: Mutex<VecDeque<DecisionRecord>>,
    /// Object bodies (`state::blobs`), in memory too.
    blobs: Arc<MemoryBlobs>,
}

impl MemoryStore {
    pub fn new(world: World) -> Self {
        Self {
            world: Mutex::new(world),
            decisions: Mutex::default(),
            blobs: Arc::default(),
        }
    }
}

impl Store for MemoryStore {
    fn transact(&self, change: &mut dyn FnMut(&mut World) -> Outcome) -> Result<(), StoreError> {
        let mut world = self.world.lock().unwrap_or_else(PoisonError::into_inner);
        // Services validate before they mutate, so a discarded change left the world as
        // it was; nothing to roll back.
        world.blobs.begin(self.blobs.clone());
        let outcome = change(&mut world);
        super::rows::forget_changes(&mut world);
        if outcome == Outcome::Commit {
            self.blobs
                .commit(&mut world.blobs)
                .map_err(|source| StoreError::Write {
                    path: "memory".to_owned(),
                    source,
                })?;
        }
        Ok(())
    }

    fn record_decision(&self, record: DecisionRecord) -> Result<(), StoreError> {
        let mut decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if decisions.len() >= KEPT_DECISIONS {
            decisions.pop_front();
        }
        decisions.push_back(record);
        Ok(())
    }

    fn decision(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(decisions
            .iter()
            .rev()
            .find(|record| record.request_id == request_id)
            .cloned())
    }

    fn latest_denial(&self) -> Result<Option<DecisionRecord>, StoreError> {
        let decisions = self
            .decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(decisions.iter().rev().find(|record| record.denied).cloned())
    }

    fn replace(&self, mut world: World) -> Result<(), StoreError> {
        super::rows::forget_changes(&mut world);
        self.blobs.clear();
        *self.world.lock().unwrap_or_else(PoisonError::into_inner) = world;
        self.decisions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }
}
