//! Replaying a journal: the lines of `journal.jsonl` folded, in order, into the
//! [`JournalState`] that resume and teardown work from. An intent without a result
//! counts as "may exist"; a torn last line is ignored; unreadable lines are skipped
//! and reported rather than blocking a teardown.

use std::fs;
use std::path::Path;

use indexmap::IndexMap;

use super::{JournalError, Record, ResourceRef, RunMeta, RunStatus, io_error};

/// Whether a journaled resource exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceState {
    /// Its creation was recorded.
    Exists,
    /// An intent without a result: the call may or may not have created it.
    MayExist,
    /// A delete was started but not finished.
    Deleting,
    /// The last delete failed.
    DeleteFailed { error: String },
}

/// A resource that exists or may exist, with the step that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveResource {
    pub step: Option<String>,
    pub resource: ResourceRef,
    pub state: ResourceState,
}

/// What a journal says, replayed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JournalState {
    pub meta: Option<RunMeta>,
    /// In creation order; teardown walks it backwards.
    pub resources: Vec<LiveResource>,
    /// Step id to its recorded outputs, merged over the step's results.
    pub outputs: IndexMap<String, IndexMap<String, String>>,
    /// Steps recorded as finished, in order.
    pub finished: Vec<String>,
    /// The status of the last `RunFinished`, if any.
    pub status: Option<RunStatus>,
    /// The last line was cut off mid-write and was ignored.
    pub torn_tail: bool,
    /// 1-based numbers of other lines that could not be read and were ignored.
    pub unreadable_lines: Vec<usize>,
}

impl JournalState {
    fn apply(&mut self, record: Record) {
        match record {
            Record::RunStarted(meta) => {
                self.meta.get_or_insert(meta);
            }
            Record::Intent { step, resource } => {
                self.resources.push(LiveResource {
                    step: Some(step),
                    resource,
                    state: ResourceState::MayExist,
                });
            }
            Record::Created {
                step,
                resource,
                outputs,
            } => {
                self.outputs
                    .entry(step.clone())
                    .or_default()
                    .extend(outputs);
                match self.find_intent(&step, &resource) {
                    Some(index) => {
                        self.resources[index].resource = resource;
                        self.resources[index].state = ResourceState::Exists;
                    }
                    // A second result for a resource already recorded (more outputs)
                    // adds nothing to teardown.
                    None if self.resources.iter().any(|live| live.resource == resource) => {}
                    None => self.resources.push(LiveResource {
                        step: Some(step),
                        resource,
                        state: ResourceState::Exists,
                    }),
                }
            }
            Record::CreateFailed { step, resource, .. } => {
                if let Some(index) = self.find_intent(&step, &resource) {
                    self.resources.remove(index);
                }
            }
            Record::DeleteIntent { resource } => self.set_state(&resource, ResourceState::Deleting),
            Record::DeleteFailed { resource, error } => {
                self.set_state(&resource, ResourceState::DeleteFailed { error });
            }
            Record::Deleted { resource, .. } => {
                if let Some(index) = self.find(&resource) {
                    self.resources.remove(index);
                }
            }
            Record::StepFinished { step, outputs } => {
                if !outputs.is_empty() {
                    self.outputs.insert(step.clone(), outputs);
                }
                if !self.finished.contains(&step) {
                    self.finished.push(step);
                }
            }
            Record::RunFinished { status } => self.status = Some(status),
        }
    }

    fn find_intent(&self, step: &str, resource: &ResourceRef) -> Option<usize> {
        self.resources.iter().rposition(|live| {
            live.state == ResourceState::MayExist
                && live.step.as_deref() == Some(step)
                && resource.fulfils(&live.resource)
        })
    }

    fn find(&self, resource: &ResourceRef) -> Option<usize> {
        self.resources
            .iter()
            .rposition(|live| &live.resource == resource)
            .or_else(|| {
                self.resources.iter().rposition(|live| {
                    live.state == ResourceState::MayExist && resource.fulfils(&live.resource)
                })
            })
    }

    fn set_state(&mut self, resource: &ResourceRef, state: ResourceState) {
        if let Some(index) = self.find(resource) {
            self.resources[index].state = state;
        }
    }
}

/// Reads a journal file back into a [`JournalState`].
pub fn replay(path: &Path) -> Result<JournalState, JournalError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    let mut state = JournalState::default();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty())
        .collect();
    let count = lines.len();
    for (index, line) in lines.into_iter().enumerate() {
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => state.apply(record),
            Err(_) if index + 1 == count && !complete => state.torn_tail = true,
            Err(error) => {
                tracing::warn!(path = %path.display(), line = index + 1, %error, "ignoring unreadable journal line");
                state.unreadable_lines.push(index + 1);
            }
        }
    }
    Ok(state)
}
