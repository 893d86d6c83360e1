//! Replaying a journal: the lines of `journal.jsonl` folded, in order, into the
//! [`JournalState`] that resume and teardown work from. An intent without a result
//! counts as "may exist"; a torn last line is ignored. Any other line that is not a
//! sound record (its checksum fails, or it is not a record), an empty or missing
//! journal, or one that does not begin with the run's header, is [`Damage`]: the
//! records that can be read are still replayed (teardown deletes what they name), but
//! nobody may conclude from them that nothing is left.

use std::fs;
use std::path::Path;

use indexmap::IndexMap;

use super::line::{Damage, decode};
use super::{Journal, JournalError, Record, ResourceRef, RunMeta, RunStatus, io_error};

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
    /// The plan's account it lives in; `None` for the plan's first or only account.
    pub account: Option<String>,
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
    /// Resources found to be someone else's and left on purpose (`down
    /// --forget-foreign`), with the reason, in the order they were left.
    pub left_on_purpose: Vec<(ResourceRef, String)>,
    /// The status of the last `RunFinished`, if any.
    pub status: Option<RunStatus>,
    /// The last line was cut off mid-write and was ignored.
    pub torn_tail: bool,
    /// What makes the journal unprovable (empty when it is sound).
    pub damage: Vec<Damage>,
    /// Records read without a checksum (a journal written before checksums).
    pub unchecked_records: usize,
}

impl JournalState {
    fn apply(&mut self, record: Record) {
        match record {
            Record::RunStarted(meta) => {
                self.meta.get_or_insert(meta);
            }
            Record::Intent {
                step,
                resource,
                account,
            } => {
                self.resources.push(LiveResource {
                    step: Some(step),
                    resource,
                    state: ResourceState::MayExist,
                    account,
                });
            }
            Record::Created {
                step,
                resource,
                outputs,
                account,
            } => {
                self.outputs
                    .entry(step.clone())
                    .or_default()
                    .extend(outputs);
                match self.find_intent(&step, &resource, account.as_deref()) {
                    Some(index) => {
                        self.resources[index].resource = resource;
                        self.resources[index].state = ResourceState::Exists;
                    }
                    // A second result for a resource already recorded (more outputs)
                    // adds nothing to teardown.
                    None if self
                        .resources
                        .iter()
                        .any(|live| live.resource == resource && live.account == account) => {}
                    None => self.resources.push(LiveResource {
                        step: Some(step),
                        resource,
                        state: ResourceState::Exists,
                        account,
                    }),
                }
            }
            Record::CreateFailed {
                step,
                resource,
                account,
                ..
            } => {
                if let Some(index) = self.find_intent(&step, &resource, account.as_deref()) {
                    self.resources.remove(index);
                }
            }
            Record::DeleteIntent { resource, account } => {
                self.set_state(&resource, account.as_deref(), ResourceState::Deleting);
            }
            Record::DeleteFailed {
                resource,
                error,
                account,
            } => {
                self.set_state(
                    &resource,
                    account.as_deref(),
                    ResourceState::DeleteFailed { error },
                );
            }
            Record::Deleted {
                resource, account, ..
            } => {
                if let Some(index) = self.find(&resource, account.as_deref()) {
                    self.resources.remove(index);
                }
            }
            Record::LeftOnPurpose {
                resource,
                reason,
                account,
            } => {
                if let Some(index) = self.find(&resource, account.as_deref()) {
                    self.resources.remove(index);
                }
                self.left_on_purpose.push((resource, reason));
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

    fn find_intent(
        &self,
        step: &str,
        resource: &ResourceRef,
        account: Option<&str>,
    ) -> Option<usize> {
        self.resources.iter().rposition(|live| {
            live.state == ResourceState::MayExist
                && live.step.as_deref() == Some(step)
                && live.account.as_deref() == account
                && resource.fulfils(&live.resource)
        })
    }

    /// The resource a delete record names: same account (same-named resources in two
    /// accounts are two resources), the same resource or the one an intent announced.
    fn find(&self, resource: &ResourceRef, account: Option<&str>) -> Option<usize> {
        self.resources
            .iter()
            .rposition(|live| &live.resource == resource && live.account.as_deref() == account)
            .or_else(|| {
                self.resources.iter().rposition(|live| {
                    live.state == ResourceState::MayExist
                        && live.account.as_deref() == account
                        && resource.fulfils(&live.resource)
                })
            })
    }

    fn set_state(&mut self, resource: &ResourceRef, account: Option<&str>, state: ResourceState) {
        if let Some(index) = self.find(resource, account) {
            self.resources[index].state = state;
        }
    }
}

impl JournalState {
    /// Whether the journal is damaged, so what it says cannot prove anything.
    pub fn is_damaged(&self) -> bool {
        !self.damage.is_empty()
    }

    /// The damage in one sentence: `line 3 does not match its checksum; ...`.
    pub fn damage_text(&self) -> String {
        self.damage
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Reads a journal file back into a [`JournalState`]. Damage is reported in
/// [`JournalState::damage`], not as an error; an error means the file could not be read.
pub fn replay(path: &Path) -> Result<JournalState, JournalError> {
    let mut state = JournalState::default();
    // A run created with checksums says so beside its journal.
    let checksummed = path
        .parent()
        .is_some_and(|dir| dir.join(Journal::RUN_FILE).is_file());
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && checksummed => {
            state.damage.push(Damage::Missing);
            return Ok(state);
        }
        Err(source) => return Err(io_error(path)(source)),
    };
    if bytes.is_empty() {
        state.damage.push(Damage::Empty);
        return Ok(state);
    }
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    let last = lines.len() - 1;
    let mut header_checked = false;
    for (index, line) in lines.into_iter().enumerate() {
        let number = index + 1;
        if line.is_empty() {
            continue;
        }
        match decode(line) {
            Ok(decoded) if !decoded.checked && checksummed => {
                state.damage.push(Damage::Unchecked { number });
            }
            Ok(decoded) => {
                if !decoded.checked {
                    state.unchecked_records += 1;
                }
                if !header_checked {
                    header_checked = true;
                    if !matches!(decoded.record, Record::RunStarted(_)) {
                        state.damage.push(Damage::NoHeader);
                    }
                }
                state.apply(decoded.record);
            }
            Err(_) if index == last && !complete => state.torn_tail = true,
            Err(fault) => {
                tracing::warn!(path = %path.display(), line = number, ?fault, "damaged journal line");
                state.damage.push(Damage::Line { number, fault });
            }
        }
    }
    if state.meta.is_none() && !state.damage.contains(&Damage::NoHeader) {
        state.damage.push(Damage::NoHeader);
    }
    Ok(state)
}
