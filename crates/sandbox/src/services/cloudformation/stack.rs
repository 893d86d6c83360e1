//! A stack as the world keeps it, and how its status is seen: every operation's work
//! is done when it starts (inside one store transaction, resource by resource), and
//! its events are revealed on the sandbox's clock. Each stack-level event starts a
//! frame; a `DescribeStacks` that sees a frame moves the stack to the next one, and so
//! does the clock after [`FRAME_SECONDS`]. So the first poll after `CreateStack` sees
//! `CREATE_IN_PROGRESS` (with the events so far), a later one the terminal status.

use serde_json::Value;

/// After this many seconds on the sandbox's clock a frame moves on unobserved.
pub const FRAME_SECONDS: i64 = 30;

/// Deleted stacks kept per account for `ListStacks` and lookups by id.
pub const KEPT_DELETED: usize = 100;

/// Events kept per stack, newest.
pub const KEPT_EVENTS: usize = 2_000;

/// Change sets kept per stack (`LimitExceededException` past it).
pub const MAX_CHANGE_SETS: usize = 100;

/// Stacks per account and region (AWS's default quota).
pub const MAX_STACKS: usize = 2_000;

pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

pub use crate::model::cloudformation::{ChangeSet, Stack, StackEvent, StackOutput, StackResource};

impl Stack {
    fn frames(&self) -> Vec<usize> {
        self.events
            .iter()
            .enumerate()
            .filter(|(_, event)| event.kind == STACK_TYPE && event.logical == self.name)
            .map(|(index, _)| index)
            .collect()
    }

    /// The events visible now, oldest first.
    pub fn visible_events(&self) -> &[StackEvent] {
        let frames = self.frames();
        match frames.get(self.shown + 1) {
            Some(end) => &self.events[..*end],
            None => &self.events,
        }
    }

    /// The status shown now, and its reason.
    pub fn status(&self) -> (String, Option<String>) {
        let frames = self.frames();
        frames
            .get(self.shown.min(frames.len().saturating_sub(1)))
            .and_then(|index| self.events.get(*index))
            .map_or_else(
                || ("REVIEW_IN_PROGRESS".to_owned(), None),
                |event| (event.status.clone(), event.reason.clone()),
            )
    }

    /// The final status of the latest operation (what the stack will show).
    pub fn final_status(&self) -> String {
        self.frames()
            .last()
            .and_then(|index| self.events.get(*index))
            .map_or_else(
                || "REVIEW_IN_PROGRESS".to_owned(),
                |event| event.status.clone(),
            )
    }

    pub fn settled(&self) -> bool {
        self.shown + 1 >= self.frames().len()
    }

    /// A `DescribeStacks` saw the shown frame: the next poll sees the next one.
    pub fn observed(&mut self, now: i64) {
        if !self.settled() {
            self.shown += 1;
            self.shown_at = now;
        }
    }

    /// Frames move on with the clock even when nobody polls.
    pub fn catch_up(&mut self, now: i64) -> bool {
        let mut moved = false;
        while !self.settled() && now - self.shown_at >= FRAME_SECONDS {
            self.shown += 1;
            self.shown_at += FRAME_SECONDS;
            moved = true;
        }
        moved
    }

    /// Shows the latest frame at once (a new operation starts on a settled stack).
    pub fn settle(&mut self) {
        self.shown = self.frames().len().saturating_sub(1);
    }

    /// Starts a new operation: its first stack event is the next frame shown. Old
    /// events are forgotten past [`KEPT_EVENTS`] (AWS keeps 90 days of them).
    pub fn begin(&mut self, now: i64) {
        if self.events.len() > KEPT_EVENTS {
            let excess = self.events.len() - KEPT_EVENTS;
            self.events.drain(..excess);
        }
        self.shown = self.frames().len();
        self.shown_at = now;
    }

    /// Appends an event.
    #[expect(clippy::too_many_arguments, reason = "an event's fields")]
    pub fn event(
        &mut self,
        now: i64,
        logical: &str,
        physical: &str,
        kind: &str,
        status: &str,
        reason: Option<String>,
        properties: Option<&Value>,
    ) {
        self.events.push(StackEvent {
            id: crate::ids::request_id(),
            logical: logical.to_owned(),
            physical: physical.to_owned(),
            kind: kind.to_owned(),
            status: status.to_owned(),
            reason,
            at: now,
            properties: properties.map(Value::to_string),
        });
    }

    /// Appends a stack-level event (a new frame).
    pub fn stack_event(&mut self, now: i64, status: &str, reason: Option<String>) {
        let (name, id) = (self.name.clone(), self.id.clone());
        self.event(now, &name, &id, STACK_TYPE, status, reason, None);
    }

    /// The resource whose latest visible event is for `logical`, with that event.
    pub fn visible_status(&self, logical: &str) -> Option<&StackEvent> {
        self.visible_events()
            .iter()
            .rev()
            .find(|event| event.logical == logical && event.kind != STACK_TYPE)
    }

    /// Whether the stack is gone (its deletion is visible).
    pub fn is_deleted(&self) -> bool {
        self.status().0 == "DELETE_COMPLETE"
    }
}
