//! The world behind a [`Store`]: an in-memory store for tests and one process, and a
//! durable `SQLite` store under a state folder that several processes may share. A
//! transaction sees the latest committed world and commits atomically or not at all.

pub mod blobs;
mod entities;
mod lazy;
mod memory;
mod open;
mod place;
pub(crate) mod rows;
mod sqlite;
mod table;
pub mod world;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;
pub use world::World;

/// What a transaction decided to do with its changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the changes.
    Commit,
    /// Nothing changed, or the change failed: drop it.
    Discard,
}

/// What a request's transaction decided: what to do with its changes, and the decision
/// to keep for `explain` (`None`: the request was not authorized, so nothing to keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub outcome: Outcome,
    pub decision: Option<DecisionRecord>,
}

/// A decision the sandbox recorded for `awslab sandbox explain REQUEST-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    pub request_id: String,
    /// When it was decided, in Unix seconds on the sandbox's clock.
    pub at: i64,
    /// The full explanation (principal, action, resource, policies, verdict).
    pub explanation: String,
    /// Whether a check of the request was denied.
    pub denied: bool,
}

/// A store failed: the state folder is unreadable, locked too long, or corrupt.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StoreError {
    #[error("the sandbox state database `{path}` could not be used: {source}")]
    #[diagnostic(
        code(sandbox::state),
        help("check the folder's permissions, or run `awslab sandbox reset` to start afresh")
    )]
    Database {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("the sandbox state in `{path}` is not readable: {source}")]
    #[diagnostic(
        code(sandbox::state_corrupt),
        help("run `awslab sandbox reset` to start afresh")
    )]
    Corrupt {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the sandbox state in `{path}` has an unknown format: {message}")]
    #[diagnostic(
        code(sandbox::state_format),
        help("run `awslab sandbox reset` to start afresh (it forgets the sandbox's state)")
    )]
    Format { path: String, message: String },
    #[error("the sandbox state database `{path}` is damaged: {problem}")]
    #[diagnostic(code(sandbox::state_damaged))]
    Damaged {
        path: String,
        problem: String,
        /// What to do, and what `awslab sandbox reset` would lose.
        #[help]
        help: String,
    },
    #[error("the sandbox state database `{path}` could not be read: {source}")]
    #[diagnostic(
        code(sandbox::state_read),
        help("check the file's and its folder's permissions")
    )]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox state database `{path}` could not be written: {source}")]
    #[diagnostic(
        code(sandbox::state_write),
        help("check the folder's permissions and free space")
    )]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the sandbox state folder `{path}` could not be created: {source}")]
    #[diagnostic(code(sandbox::state_folder))]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Where the world lives. Implementations must make `transact` atomic and isolated
/// (serializable) across every process that shares them.
pub trait Store: Send + Sync {
    /// Runs `change` on the latest world; its changes are kept only on
    /// [`Outcome::Commit`]. `change` must validate before it mutates, so a discarded
    /// transaction leaves nothing half done (a store may still reload after one).
    fn transact(&self, change: &mut dyn FnMut(&mut World) -> Outcome) -> Result<(), StoreError>;

    /// [`Store::transact`] for a request: keeps the decision `change` returns (for
    /// `explain`) in the same transaction, with the change or, on
    /// [`Outcome::Discard`], alone. When this returns `Ok`, both are committed, so the
    /// answer may go out and another process's `explain` finds the decision. When it
    /// fails, neither is kept. A store without transactions of its own commits them one
    /// after the other (this default).
    fn transact_deciding(
        &self,
        change: &mut dyn FnMut(&mut World) -> Decided,
    ) -> Result<(), StoreError> {
        let mut decision = None;
        self.transact(&mut |world| {
            let decided = change(world);
            decision = decided.decision;
            decided.outcome
        })?;
        decision.map_or(Ok(()), |record| self.record_decision(record))
    }

    /// Keeps a decision for `explain`; only the most recent ones are kept.
    fn record_decision(&self, record: DecisionRecord) -> Result<(), StoreError>;

    /// The decision recorded for `request_id`, if it is still kept.
    fn decision(&self, request_id: &str) -> Result<Option<DecisionRecord>, StoreError>;

    /// The most recent recorded denial, if any is still kept.
    fn latest_denial(&self) -> Result<Option<DecisionRecord>, StoreError>;

    /// Replaces the world (reset).
    fn replace(&self, world: World) -> Result<(), StoreError>;
}

/// How many decisions a store keeps for `explain`.
pub const KEPT_DECISIONS: usize = 10_000;
