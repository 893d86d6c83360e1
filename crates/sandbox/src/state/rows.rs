//! The world as rows, one per entity, for the durable store: what a transaction
//! changed (from the [`Table`]s' touched keys), and how a row read back goes into a
//! cached world. A row is `(kind, scope, key, data)`: `scope` is the account of an IAM
//! entity and the bucket of an object (empty otherwise), `data` the entity's JSON, or
//! nothing for a deleted one. An account's and a bucket's own row leave out what hangs
//! under them (IAM entities, objects), which have rows of their own; the world's one
//! row holds its scalars (clock offset, issuer secret). The kinds, and the walks over
//! every table, come from the one entity list (`state::entities`).

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::entities;
pub(crate) use super::entities::Kind;
use super::lazy::RowSource;
use super::table::Table;
use super::world::World;

/// One row a transaction wrote.
#[derive(Debug)]
pub(crate) struct Change {
    pub kind: Kind,
    pub scope: String,
    pub key: String,
    /// The entity's JSON; `None` when it was deleted (or when not serialized).
    pub data: Option<String>,
    /// An account or bucket inserted or removed as a whole: the rows under it are
    /// replaced by the ones that follow (none when it was removed).
    pub whole: bool,
}

/// An account or a bucket: a row of its own, with tables of rows under it, scoped by
/// its key. Implemented by the entity list (`state::entities`).
pub(crate) trait Parent: Serialize + DeserializeOwned + Clone + Default {
    const KIND: Kind;
    /// Swaps the tables of `self` and `other`, leaving the fields of its own row.
    fn swap_tables(&mut self, other: &mut Self);
    /// The rows of the tables under it.
    fn child_rows(
        &mut self,
        rows: &Rows<'_>,
        changes: &mut Vec<Change>,
    ) -> Result<(), serde_json::Error>;
    /// Puts a row of one of its tables in, without marking it.
    fn apply_child(
        &mut self,
        kind: Kind,
        key: &str,
        data: Option<&str>,
    ) -> Result<(), serde_json::Error>;
    /// Makes its tables read what they do not hold from `source`, scoped by `key`.
    fn attach(&mut self, source: &Arc<dyn RowSource>, key: &str);
}

/// The rows written since the last call, forgetting the marks. With `serialize`
/// false the data is left out, and so are the entities under a whole parent (a
/// discarded transaction reloads those by scope).
pub(crate) fn take_changes(
    world: &mut World,
    serialize: bool,
) -> Result<Vec<Change>, serde_json::Error> {
    let mut changes = Vec::new();
    entities::parent_changes(world, serialize, &mut changes)?;
    let rows = Rows {
        scope: "",
        whole: false,
        serialize,
    };
    entities::world_table_rows(&rows, &mut changes, world)?;
    Ok(changes)
}

/// Every row of `world` (a new or replaced database), forgetting the marks.
pub(crate) fn all_rows(world: &mut World) -> Result<Vec<Change>, serde_json::Error> {
    take_changes(world, false)?;
    let mut changes = vec![change(
        Kind::World,
        "",
        String::new(),
        Some(world_row(world)?),
        false,
    )];
    entities::parent_all_rows(world, &mut changes)?;
    entities::world_table_rows(&Rows::everything(""), &mut changes, world)?;
    Ok(changes)
}

/// The rows a transaction changed in one parent table and under its parents.
pub(crate) fn parent_changes<P: Parent>(
    table: &mut Table<String, P>,
    serialize: bool,
    changes: &mut Vec<Change>,
) -> Result<(), serde_json::Error> {
    let touched = table.take_touched();
    for key in touched.keys {
        let whole = touched.replaced.contains(&key);
        let Some(parent) = table.get_mut_untracked(&key) else {
            changes.push(change(P::KIND, "", key, None, true));
            continue;
        };
        let data = if serialize {
            Some(parent_row(parent)?)
        } else {
            None
        };
        changes.push(change(P::KIND, "", key.clone(), data, whole));
        let rows = Rows {
            scope: &key,
            whole,
            serialize,
        };
        parent.child_rows(&rows, changes)?;
    }
    Ok(())
}

/// Every row of one parent table and of what hangs under its parents.
pub(crate) fn parent_all_rows<P: Parent>(
    table: &mut Table<String, P>,
    changes: &mut Vec<Change>,
) -> Result<(), serde_json::Error> {
    for (key, parent) in table.iter_mut_untracked() {
        changes.push(change(
            P::KIND,
            "",
            key.clone(),
            Some(parent_row(parent)?),
            true,
        ));
        parent.child_rows(&Rows::everything(key), changes)?;
    }
    Ok(())
}

fn change(kind: Kind, scope: &str, key: String, data: Option<String>, whole: bool) -> Change {
    Change {
        kind,
        scope: scope.to_owned(),
        key,
        data,
        whole,
    }
}

/// How to list the rows of one table.
pub(crate) struct Rows<'scope> {
    scope: &'scope str,
    /// Every row, not only the touched ones (the parent is new or replaced).
    whole: bool,
    serialize: bool,
}

impl<'scope> Rows<'scope> {
    fn everything(scope: &'scope str) -> Self {
        Self {
            scope,
            whole: true,
            serialize: true,
        }
    }

    pub(crate) fn of<V: Serialize + Clone + DeserializeOwned>(
        &self,
        changes: &mut Vec<Change>,
        kind: Kind,
        table: &mut Table<String, V>,
    ) -> Result<(), serde_json::Error> {
        let touched = table.take_touched();
        if !self.serialize {
            if !self.whole {
                changes.extend(
                    touched
                        .keys
                        .into_iter()
                        .map(|key| change(kind, self.scope, key, None, false)),
                );
            }
            return Ok(());
        }
        if self.whole {
            for (key, value) in table.iter() {
                let data = serde_json::to_string(value)?;
                changes.push(change(kind, self.scope, key.clone(), Some(data), false));
            }
        } else {
            for key in touched.keys {
                let data = table.get(&key).map(serde_json::to_string).transpose()?;
                changes.push(change(kind, self.scope, key, data, false));
            }
        }
        Ok(())
    }
}

/// The world's row: its scalars, without its tables.
pub(crate) fn world_row(world: &mut World) -> Result<String, serde_json::Error> {
    let mut tables = World::default();
    world.swap_tables(&mut tables);
    let row = serde_json::to_string(world);
    world.swap_tables(&mut tables);
    row
}

fn parent_row<P: Parent>(parent: &mut P) -> Result<String, serde_json::Error> {
    let mut tables = P::default();
    parent.swap_tables(&mut tables);
    let row = serde_json::to_string(parent);
    parent.swap_tables(&mut tables);
    row
}

/// Puts a row read from the database into `world`, without marking anything. An
/// account or bucket new to the cache comes with lazy tables (read from `source`
/// when asked); an entity whose account or bucket is not in the cache is ignored (its
/// parent's own row removes or brings it).
pub(crate) fn apply(
    world: &mut World,
    source: &Arc<dyn RowSource>,
    kind: Kind,
    scope: &str,
    key: &str,
    data: Option<&str>,
) -> Result<(), serde_json::Error> {
    if kind == Kind::World {
        if let Some(data) = data {
            let mut fresh: World = serde_json::from_str(data)?;
            world.swap_tables(&mut fresh);
            std::mem::swap(world, &mut fresh);
        }
        return Ok(());
    }
    entities::apply_row(world, source, kind, scope, key, data)
}

/// A world read from its row alone, every table lazy (a cache's cold start).
pub(crate) fn lazy_world(
    data: &str,
    source: &Arc<dyn RowSource>,
) -> Result<World, serde_json::Error> {
    let mut world: World = serde_json::from_str(data)?;
    entities::make_lazy(&mut world, source);
    Ok(world)
}

pub(crate) fn apply_parent<P: Parent>(
    table: &mut Table<String, P>,
    source: &Arc<dyn RowSource>,
    key: &str,
    data: Option<&str>,
) -> Result<(), serde_json::Error> {
    let Some(data) = data else {
        table.set_untracked(key.to_owned(), None);
        return Ok(());
    };
    let mut fresh: P = serde_json::from_str(data)?;
    let Some(existing) = table.get_mut_untracked(key) else {
        fresh.attach(source, key);
        table.set_untracked(key.to_owned(), Some(fresh));
        return Ok(());
    };
    existing.swap_tables(&mut fresh);
    std::mem::swap(existing, &mut fresh);
    Ok(())
}

/// Makes a parent read from a source lazy in turn.
pub(crate) fn attach_parent<P: Parent>(parent: &mut P, source: &Arc<dyn RowSource>, key: &str) {
    parent.attach(source, key);
}

pub(crate) fn set<V: Clone + DeserializeOwned>(
    table: &mut Table<String, V>,
    key: &str,
    data: Option<&str>,
) -> Result<(), serde_json::Error> {
    let value = data.map(serde_json::from_str).transpose()?;
    table.set_untracked(key.to_owned(), value);
    Ok(())
}

/// Forgets every mark (a store that keeps the world as it is).
pub(crate) fn forget_changes(world: &mut World) {
    // Without serializing, listing the changes cannot fail.
    let _ = take_changes(world, false);
}
