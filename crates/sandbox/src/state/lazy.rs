//! Where a [`Table`](super::table::Table) of the durable store's cache reads the rows
//! it does not hold yet: a [`RowSource`] (the open database) asked for one row by key
//! (a `get`) or for every row of one table in one scope (an iteration). A request so
//! reads only the entities it touches, never the whole world.
//!
//! A source is only asked inside a store transaction, which holds the database's write
//! lock, so what it reads is the transaction's own snapshot. It cannot return an error
//! through `get`: it keeps the first failure, and the store fails the transaction (and
//! forgets its cache) before anything is committed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use elsa::sync::FrozenBTreeMap;

use super::rows::Kind;

/// Rows read back from the store, as JSON.
pub(crate) trait RowSource: Send + Sync {
    /// The data of the live row `(kind, scope, key)`; `None` when there is none.
    fn row(&self, kind: Kind, scope: &str, key: &str) -> Option<String>;
    /// Every live row of `kind` in `scope`: key and data.
    fn rows(&self, kind: Kind, scope: &str) -> Vec<(String, String)>;
    /// Keeps a row that could not be read (the first failure wins).
    fn corrupt(&self, error: serde_json::Error);
}

/// One table's rows in a [`RowSource`].
#[derive(Clone)]
pub(crate) struct Source {
    pub rows: Arc<dyn RowSource>,
    pub kind: Kind,
    /// The account or bucket the table hangs under; empty for the world's tables.
    pub scope: String,
}

/// What a value read from a source is given before it is kept: an account's or a
/// bucket's tables become lazy, under its key.
pub(crate) type Attach<V> = fn(&mut V, &Arc<dyn RowSource>, &str);

/// A leaf entity: nothing hangs under it.
pub(crate) fn leaf<V>(_value: &mut V, _rows: &Arc<dyn RowSource>, _key: &str) {}

/// The part of a table that is not read yet.
pub(crate) struct Lazy<K, V> {
    pub source: Source,
    pub attach: Attach<V>,
    /// Whether the table holds every row (an iteration read them all).
    pub complete: bool,
    /// Keys the source was asked for and does not hold.
    pub absent: BTreeSet<K>,
    /// Rows read through `&self` (a `get` in a transaction), kept here until the
    /// next `&mut` call moves them into the table (`None`: absent).
    pub read: FrozenBTreeMap<K, Box<Option<V>>>,
    /// Every row, read through `&self` by an iteration, with the transaction's own
    /// changes on top; moved into the table by the next `&mut` call.
    pub all: OnceLock<BTreeMap<K, V>>,
}

impl<K: Clone + Ord, V: Clone> Clone for Lazy<K, V> {
    fn clone(&self) -> Self {
        Self {
            source: self.source.clone(),
            attach: self.attach,
            complete: self.complete,
            absent: self.absent.clone(),
            read: self.read.clone(),
            all: self.all.clone(),
        }
    }
}

impl<K: Clone + Ord, V> Lazy<K, V> {
    pub fn new(source: Source, attach: Attach<V>) -> Self {
        Self {
            source,
            attach,
            complete: false,
            absent: BTreeSet::new(),
            read: FrozenBTreeMap::new(),
            all: OnceLock::new(),
        }
    }
}

impl<K, V: serde::de::DeserializeOwned> Lazy<K, V> {
    /// Reads the value of `key` from the source.
    pub fn read_one(&self, key: &str) -> Option<V> {
        let data = self
            .source
            .rows
            .row(self.source.kind, &self.source.scope, key)?;
        self.value(key, &data)
    }

    /// Reads every value of the table from the source.
    pub fn read_every(&self) -> Vec<(String, V)> {
        self.source
            .rows
            .rows(self.source.kind, &self.source.scope)
            .into_iter()
            .filter_map(|(key, data)| self.value(&key, &data).map(|value| (key, value)))
            .collect()
    }

    fn value(&self, key: &str, data: &str) -> Option<V> {
        match serde_json::from_str::<V>(data) {
            Ok(mut value) => {
                (self.attach)(&mut value, &self.source.rows, key);
                Some(value)
            }
            Err(error) => {
                self.source.rows.corrupt(error);
                None
            }
        }
    }
}
