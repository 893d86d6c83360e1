//! [`Table`]: a sorted map that remembers which keys a transaction wrote, so the
//! durable store commits (and, after a discarded transaction, reloads) only those rows.
//! In the durable store's cache a table is lazy (`state::lazy`): a `get` of a key it
//! does not hold reads that one row, an iteration reads that table's rows, so a
//! request reads only the entities it touches.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::fmt;
use std::ops::RangeBounds;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::lazy::{Attach, Lazy, RowSource, Source};

/// A `BTreeMap` with the methods the services use; every way to change a value
/// (`get_mut`, `insert`, `remove`, `retain`, `values_mut`) marks its key as touched.
/// Reading never does.
pub struct Table<K, V> {
    rows: BTreeMap<K, V>,
    touched: BTreeSet<K>,
    /// Touched keys whose value was inserted or removed as a whole (not changed in
    /// place): a store rewrites what hangs under such a value.
    replaced: BTreeSet<K>,
    /// Where the rows not in `rows` are; `None`: `rows` holds them all.
    lazy: Option<Box<Lazy<K, V>>>,
}

/// The keys written since the last [`Table::take_touched`].
#[derive(Debug)]
pub(crate) struct Touched<K> {
    pub keys: BTreeSet<K>,
    /// The keys among them whose value was inserted or removed as a whole.
    pub replaced: BTreeSet<K>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            touched: BTreeSet::new(),
            replaced: BTreeSet::new(),
            lazy: None,
        }
    }
}

impl<K: Ord + Clone, V: Clone> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Self {
            rows: self.rows.clone(),
            touched: self.touched.clone(),
            replaced: self.replaced.clone(),
            lazy: self.lazy.clone(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Table<K, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.rows.iter()).finish()
    }
}

/// What a table's keys are: strings, as the store's rows name them.
pub trait Key: Ord + Clone + AsRef<str> + From<String> {}

impl<K: Ord + Clone + AsRef<str> + From<String>> Key for K {}

impl<K: Key, V: Clone + DeserializeOwned> Table<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The part not read yet, unless the table holds every row.
    fn pending(&self) -> Option<&Lazy<K, V>> {
        self.lazy.as_deref().filter(|lazy| !lazy.complete)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized + ToOwned<Owned = K>,
    {
        let Some(lazy) = self.pending() else {
            return self.rows.get(key);
        };
        if let Some(all) = lazy.all.get() {
            return all.get(key);
        }
        if let Some(value) = self.rows.get(key) {
            return Some(value);
        }
        // Removed by this transaction, or known to be absent.
        if self.touched.contains(key) || lazy.absent.contains(key) {
            return None;
        }
        if let Some(read) = lazy.read.get(key) {
            return read.as_ref();
        }
        let owned = key.to_owned();
        let value = lazy.read_one(owned.as_ref());
        lazy.read.insert(owned, Box::new(value)).as_ref()
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized + ToOwned<Owned = K>,
    {
        self.get(key).is_some()
    }

    /// The value of `key` to change; marks `key` touched.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized + ToOwned<Owned = K>,
    {
        self.know(key);
        let owned = self.rows.get_key_value(key)?.0.clone();
        self.touched.insert(owned);
        self.rows.get_mut(key)
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.know(&key);
        if let Some(lazy) = self.lazy.as_deref_mut() {
            lazy.absent.remove(&key);
        }
        self.touched.insert(key.clone());
        self.replaced.insert(key.clone());
        self.rows.insert(key, value)
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized + ToOwned<Owned = K>,
    {
        self.know(key);
        let (owned, value) = self.rows.remove_entry(key)?;
        if let Some(lazy) = self.lazy.as_deref_mut() {
            lazy.absent.insert(owned.clone());
        }
        self.touched.insert(owned.clone());
        self.replaced.insert(owned);
        Some(value)
    }

    /// Keeps the rows `keep` accepts; marks the others touched.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.know_all();
        let (touched, replaced) = (&mut self.touched, &mut self.replaced);
        self.rows.retain(|key, value| {
            let kept = keep(key, value);
            if !kept {
                touched.insert(key.clone());
                replaced.insert(key.clone());
            }
            kept
        });
    }

    /// Every value, to change; marks every key touched (so a commit writes them all:
    /// prefer `get_mut` on the keys that change).
    pub fn values_mut(&mut self) -> btree_map::ValuesMut<'_, K, V> {
        self.know_all();
        self.touched.extend(self.rows.keys().cloned());
        self.rows.values_mut()
    }

    /// Every row: the table's own, or (lazy) every row of its source with this
    /// transaction's changes on top, read once.
    fn view(&self) -> &BTreeMap<K, V> {
        let Some(lazy) = self.pending() else {
            return &self.rows;
        };
        lazy.all.get_or_init(|| {
            let mut all: BTreeMap<K, V> = lazy
                .read_every()
                .into_iter()
                .map(|(key, value)| (K::from(key), value))
                .collect();
            for key in &self.touched {
                all.remove(key);
            }
            for (key, value) in &self.rows {
                all.insert(key.clone(), value.clone());
            }
            all
        })
    }

    pub fn iter(&self) -> btree_map::Iter<'_, K, V> {
        self.view().iter()
    }

    pub fn keys(&self) -> btree_map::Keys<'_, K, V> {
        self.view().keys()
    }

    pub fn values(&self) -> btree_map::Values<'_, K, V> {
        self.view().values()
    }

    pub fn range<T, R>(&self, range: R) -> btree_map::Range<'_, K, V>
    where
        T: Ord + ?Sized,
        K: Borrow<T>,
        R: RangeBounds<T>,
    {
        self.view().range(range)
    }

    pub fn len(&self) -> usize {
        self.view().len()
    }

    pub fn is_empty(&self) -> bool {
        self.view().is_empty()
    }

    /// Moves what reads through `&self` found into the table.
    fn settle(&mut self) {
        let Some(lazy) = self.lazy.as_deref_mut() else {
            return;
        };
        if let Some(all) = lazy.all.take() {
            self.rows = all;
            lazy.complete = true;
            lazy.absent.clear();
        }
        let read = std::mem::take(&mut lazy.read).into_tuple_vec();
        if lazy.complete {
            return;
        }
        for (key, value) in read {
            match *value {
                Some(value) => {
                    self.rows.entry(key).or_insert(value);
                }
                None => {
                    lazy.absent.insert(key);
                }
            }
        }
    }

    /// Settles, and reads `key` into the table if it is neither there nor known absent.
    fn know<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized + ToOwned<Owned = K>,
    {
        self.settle();
        let Some(lazy) = self.lazy.as_deref_mut().filter(|lazy| !lazy.complete) else {
            return;
        };
        if self.rows.contains_key(key) || self.touched.contains(key) || lazy.absent.contains(key) {
            return;
        }
        let owned = key.to_owned();
        match lazy.read_one(owned.as_ref()) {
            Some(value) => {
                self.rows.insert(owned, value);
            }
            None => {
                lazy.absent.insert(owned);
            }
        }
    }

    /// Settles, and reads every row into the table.
    fn know_all(&mut self) {
        self.settle();
        if self.pending().is_some() {
            let _all = self.view();
            self.settle();
        }
    }

    /// The keys written since the last [`Table::take_touched`], forgetting them.
    pub(crate) fn take_touched(&mut self) -> Touched<K> {
        self.settle();
        Touched {
            keys: std::mem::take(&mut self.touched),
            replaced: std::mem::take(&mut self.replaced),
        }
    }

    /// Every value the table holds, to change, without marking them (the store writing
    /// rows). A lazy table's rows not read are not among them.
    pub(crate) fn iter_mut_untracked(&mut self) -> btree_map::IterMut<'_, K, V> {
        self.settle();
        self.rows.iter_mut()
    }

    /// Whether any key was written since the last [`Table::take_touched`].
    #[cfg(test)]
    pub(crate) fn is_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// The value of `key` to change, if the table holds it, without marking it or
    /// reading it (the store loading rows).
    pub(crate) fn get_mut_untracked<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.settle();
        self.rows.get_mut(key)
    }

    /// Sets or removes `key` without marking it (the store loading rows).
    pub(crate) fn set_untracked(&mut self, key: K, value: Option<V>) {
        self.settle();
        if let Some(lazy) = self.lazy.as_deref_mut().filter(|lazy| !lazy.complete) {
            if value.is_some() {
                lazy.absent.remove(&key);
            } else {
                lazy.absent.insert(key.clone());
            }
        }
        match value {
            Some(value) => {
                self.rows.insert(key, value);
            }
            None => {
                self.rows.remove(&key);
            }
        }
    }

    /// Makes the table read what it does not hold from `source` (kind and scope),
    /// giving each value read `attach`; it keeps what it holds.
    pub(crate) fn make_lazy(
        &mut self,
        rows: &Arc<dyn RowSource>,
        kind: super::rows::Kind,
        scope: &str,
        attach: Attach<V>,
    ) {
        self.settle();
        let source = Source {
            rows: Arc::clone(rows),
            kind,
            scope: scope.to_owned(),
        };
        self.lazy = Some(Box::new(Lazy::new(source, attach)));
    }
}

impl<'table, K: Key, V: Clone + DeserializeOwned> IntoIterator for &'table Table<K, V> {
    type Item = (&'table K, &'table V);
    type IntoIter = btree_map::Iter<'table, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Table<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            rows: iter.into_iter().collect(),
            ..Self::default()
        }
    }
}

impl<K: Key + Serialize, V: Clone + DeserializeOwned + Serialize> Serialize for Table<K, V> {
    /// Every row (a lazy table reads them all).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

impl<'de, K: Ord + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Table<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self {
            rows: BTreeMap::deserialize(deserializer)?,
            ..Self::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn writes_mark_keys_and_reads_do_not() {
        let mut table: Table<String, i32> = [("a".to_owned(), 1), ("b".to_owned(), 2)]
            .into_iter()
            .collect();
        assert_eq!(table.get("a"), Some(&1));
        assert!(table.contains_key("b"));
        assert_eq!(table.iter().count(), 2);
        assert!(!table.is_touched());
        if let Some(value) = table.get_mut("a") {
            *value = 3;
        }
        assert_eq!(table.get_mut("missing"), None);
        table.insert("c".to_owned(), 4);
        table.remove("b");
        table.remove("never");
        let touched = table.take_touched();
        assert_eq!(
            touched.keys.into_iter().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(touched.replaced.into_iter().collect::<Vec<_>>(), ["b", "c"]);
        assert!(!table.is_touched());
        table.retain(|_, value| *value > 3);
        let touched = table.take_touched();
        assert_eq!(touched.keys.into_iter().collect::<Vec<_>>(), ["a"]);
        assert_eq!(table.keys().collect::<Vec<_>>(), ["c"]);
    }
}
