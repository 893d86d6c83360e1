//! [`Table`]: a sorted map that remembers which keys a transaction wrote, so the
//! durable store commits (and, after a discarded transaction, reloads) only those rows.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, btree_map};
use std::fmt;
use std::ops::RangeBounds;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `BTreeMap` with the methods the services use; every way to change a value
/// (`get_mut`, `insert`, `remove`, `retain`, `values_mut`) marks its key as touched.
/// Reading never does.
#[derive(Clone)]
pub struct Table<K, V> {
    rows: BTreeMap<K, V>,
    touched: BTreeSet<K>,
    /// Touched keys whose value was inserted or removed as a whole (not changed in
    /// place): a store rewrites what hangs under such a value.
    replaced: BTreeSet<K>,
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
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Table<K, V> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.debug_map().entries(self.rows.iter()).finish()
    }
}

impl<K: Ord + Clone, V> Table<K, V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.rows.get(key)
    }

    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.rows.contains_key(key)
    }

    /// The value of `key` to change; marks `key` touched.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let owned = self.rows.get_key_value(key)?.0.clone();
        self.touched.insert(owned);
        self.rows.get_mut(key)
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.touched.insert(key.clone());
        self.replaced.insert(key.clone());
        self.rows.insert(key, value)
    }

    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let (owned, value) = self.rows.remove_entry(key)?;
        self.touched.insert(owned.clone());
        self.replaced.insert(owned);
        Some(value)
    }

    /// Keeps the rows `keep` accepts; marks the others touched.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
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
        self.touched.extend(self.rows.keys().cloned());
        self.rows.values_mut()
    }

    pub fn iter(&self) -> btree_map::Iter<'_, K, V> {
        self.rows.iter()
    }

    pub fn keys(&self) -> btree_map::Keys<'_, K, V> {
        self.rows.keys()
    }

    pub fn values(&self) -> btree_map::Values<'_, K, V> {
        self.rows.values()
    }

    pub fn range<T, R>(&self, range: R) -> btree_map::Range<'_, K, V>
    where
        T: Ord + ?Sized,
        K: Borrow<T>,
        R: RangeBounds<T>,
    {
        self.rows.range(range)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The keys written since the last [`Table::take_touched`], forgetting them.
    pub(crate) fn take_touched(&mut self) -> Touched<K> {
        Touched {
            keys: std::mem::take(&mut self.touched),
            replaced: std::mem::take(&mut self.replaced),
        }
    }

    /// Every value, to change, without marking them (the store writing rows).
    pub(crate) fn iter_mut_untracked(&mut self) -> btree_map::IterMut<'_, K, V> {
        self.rows.iter_mut()
    }

    /// Whether any key was written since the last [`Table::take_touched`].
    #[cfg(test)]
    pub(crate) fn is_touched(&self) -> bool {
        !self.touched.is_empty()
    }

    /// The value of `key` to change, without marking it (the store loading rows).
    pub(crate) fn get_mut_untracked<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.rows.get_mut(key)
    }

    /// Sets or removes `key` without marking it (the store loading rows).
    pub(crate) fn set_untracked(&mut self, key: K, value: Option<V>) {
        match value {
            Some(value) => {
                self.rows.insert(key, value);
            }
            None => {
                self.rows.remove(&key);
            }
        }
    }
}

impl<'table, K, V> IntoIterator for &'table Table<K, V> {
    type Item = (&'table K, &'table V);
    type IntoIter = btree_map::Iter<'table, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
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

impl<K: Serialize, V: Serialize> Serialize for Table<K, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(serializer)
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
