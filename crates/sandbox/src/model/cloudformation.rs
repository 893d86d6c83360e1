//! A `CloudFormation` stack as the world keeps it: its template, parameters, events,
//! resources (each with what was [`Made`]), outputs and change sets. The behaviour
//! (frames of events on the sandbox's clock) is `services::cloudformation::stack`'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A resource already made: what `Ref` and `Fn::GetAtt` give.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Made {
    pub physical: String,
    /// What `Ref` gives when it is not the physical id (a managed policy's ARN).
    pub reference: Option<String>,
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stack {
    /// The stack id: `arn:aws:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`.
    pub id: String,
    pub name: String,
    pub account: String,
    pub region: String,
    pub description: Option<String>,
    /// The template body as given.
    pub template: String,
    pub parameters: Vec<(String, String)>,
    /// Parameters whose values are shown as `****`.
    pub no_echo: Vec<String>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub disable_rollback: bool,
    pub timeout_minutes: Option<i64>,
    pub created: i64,
    pub updated: Option<i64>,
    pub deleted: Option<i64>,
    pub events: Vec<StackEvent>,
    /// Which stack-level event is the status now shown (see the module doc).
    pub shown: usize,
    /// When the shown frame began, on the sandbox's clock.
    pub shown_at: i64,
    /// Resources that exist, in creation order.
    pub resources: Vec<StackResource>,
    pub outputs: Vec<StackOutput>,
    /// Exports this stack imports (`Fn::ImportValue`).
    pub imports: Vec<String>,
    pub change_sets: Vec<ChangeSet>,
    /// The change set whose execution made the current state.
    pub change_set_id: Option<String>,
    /// The service role `CloudFormation` acts as (`RoleARN`), instead of the caller.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// `OnFailure: DELETE`: a failed creation is rolled back, then deleted.
    #[serde(default)]
    pub delete_on_failure: bool,
    /// `EnableTerminationProtection`: `DeleteStack` is refused.
    #[serde(default)]
    pub termination_protection: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StackResource {
    pub logical: String,
    pub kind: String,
    pub made: Made,
    /// Properties as evaluated when created or last updated.
    pub properties: Value,
    pub deletion_policy: Option<String>,
    pub updated: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StackEvent {
    pub id: String,
    pub logical: String,
    pub physical: String,
    pub kind: String,
    pub status: String,
    pub reason: Option<String>,
    pub at: i64,
    pub properties: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StackOutput {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    pub name: String,
    /// `CREATE` or `UPDATE`.
    pub kind: String,
    pub description: Option<String>,
    pub template: String,
    pub parameters: Vec<(String, String)>,
    pub capabilities: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub created: i64,
    pub status: String,
    pub status_reason: Option<String>,
    pub execution_status: String,
    /// (action, logical id, physical id, type, replacement).
    pub changes: Vec<(String, String, String, String, String)>,
    /// The service role to act as when executed.
    #[serde(default)]
    pub role_arn: Option<String>,
}
