//! The world as rows, one per entity, for the durable store: what a transaction
//! changed (from the [`Table`]s' touched keys), and how a row read back goes into a
//! cached world. A row is `(kind, scope, key, data)`: `scope` is the account of an IAM
//! entity and the bucket of an object (empty otherwise), `data` the entity's JSON, or
//! nothing for a deleted one. An account's and a bucket's own row leave out what hangs
//! under them (IAM entities, objects), which have rows of their own; the world's one
//! row holds its scalars (clock offset, issuer secret).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::table::Table;
use super::world::{Account, Bucket, World};

/// What a row holds. The order puts parents (world, accounts, buckets) before the
/// entities under them, the order rows are applied in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    World,
    Account,
    Bucket,
    AccessKey,
    Session,
    Stack,
    User,
    Role,
    Group,
    Policy,
    OidcProvider,
    SamlProvider,
    Object,
    Upload,
    Part,
}

/// The kinds kept under an account, scoped by its id.
pub(crate) const ACCOUNT_CHILDREN: [Kind; 6] = [
    Kind::User,
    Kind::Role,
    Kind::Group,
    Kind::Policy,
    Kind::OidcProvider,
    Kind::SamlProvider,
];

/// The kinds kept under a bucket, scoped by its name.
pub(crate) const BUCKET_CHILDREN: [Kind; 3] = [Kind::Object, Kind::Upload, Kind::Part];

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::World => "world",
            Self::Account => "account",
            Self::Bucket => "bucket",
            Self::AccessKey => "access_key",
            Self::Session => "session",
            Self::Stack => "stack",
            Self::User => "user",
            Self::Role => "role",
            Self::Group => "group",
            Self::Policy => "policy",
            Self::OidcProvider => "oidc_provider",
            Self::SamlProvider => "saml_provider",
            Self::Object => "object",
            Self::Upload => "upload",
            Self::Part => "part",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "world" => Self::World,
            "account" => Self::Account,
            "bucket" => Self::Bucket,
            "access_key" => Self::AccessKey,
            "session" => Self::Session,
            "stack" => Self::Stack,
            "user" => Self::User,
            "role" => Self::Role,
            "group" => Self::Group,
            "policy" => Self::Policy,
            "oidc_provider" => Self::OidcProvider,
            "saml_provider" => Self::SamlProvider,
            "object" => Self::Object,
            "upload" => Self::Upload,
            "part" => Self::Part,
            _ => return None,
        })
    }

    /// The kinds scoped under a row of this kind.
    pub(crate) fn children(self) -> &'static [Kind] {
        match self {
            Self::Account => &ACCOUNT_CHILDREN,
            Self::Bucket => &BUCKET_CHILDREN,
            _ => &[],
        }
    }
}

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

/// The rows written since the last call, forgetting the marks. With `serialize`
/// false the data is left out, and so are the entities under a whole parent (a
/// discarded transaction reloads those by scope).
pub(crate) fn take_changes(
    world: &mut World,
    serialize: bool,
) -> Result<Vec<Change>, serde_json::Error> {
    let mut changes = Vec::new();
    let touched = world.accounts.take_touched();
    for key in touched.keys {
        let whole = touched.replaced.contains(&key);
        let Some(account) = world.accounts.get_mut_untracked(&key) else {
            changes.push(change(Kind::Account, "", key, None, true));
            continue;
        };
        let data = if serialize {
            Some(account_row(account)?)
        } else {
            None
        };
        changes.push(change(Kind::Account, "", key.clone(), data, whole));
        let rows = Rows {
            scope: &key,
            whole,
            serialize,
        };
        rows.of_account(&mut changes, account)?;
    }
    let touched = world.buckets.take_touched();
    for key in touched.keys {
        let whole = touched.replaced.contains(&key);
        let Some(bucket) = world.buckets.get_mut_untracked(&key) else {
            changes.push(change(Kind::Bucket, "", key, None, true));
            continue;
        };
        let data = if serialize {
            Some(bucket_row(bucket)?)
        } else {
            None
        };
        changes.push(change(Kind::Bucket, "", key.clone(), data, whole));
        let rows = Rows {
            scope: &key,
            whole,
            serialize,
        };
        rows.of_bucket(&mut changes, bucket)?;
    }
    let rows = Rows {
        scope: "",
        whole: false,
        serialize,
    };
    rows.of_world(&mut changes, world)?;
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
    for (key, account) in world.accounts.iter_mut_untracked() {
        changes.push(change(
            Kind::Account,
            "",
            key.clone(),
            Some(account_row(account)?),
            true,
        ));
        let rows = Rows::everything(key);
        rows.of_account(&mut changes, account)?;
    }
    for (key, bucket) in world.buckets.iter_mut_untracked() {
        changes.push(change(
            Kind::Bucket,
            "",
            key.clone(),
            Some(bucket_row(bucket)?),
            true,
        ));
        let rows = Rows::everything(key);
        rows.of_bucket(&mut changes, bucket)?;
    }
    let rows = Rows::everything("");
    rows.of_world(&mut changes, world)?;
    Ok(changes)
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
struct Rows<'scope> {
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

    /// The rows of the world's own tables (not accounts and buckets, which have rows
    /// of their own with tables under them).
    fn of_world(
        &self,
        changes: &mut Vec<Change>,
        world: &mut World,
    ) -> Result<(), serde_json::Error> {
        self.of(changes, Kind::AccessKey, &mut world.access_keys)?;
        self.of(changes, Kind::Session, &mut world.sessions)?;
        self.of(changes, Kind::Stack, &mut world.stacks)
    }

    /// The rows of the tables under an account ([`ACCOUNT_CHILDREN`]).
    fn of_account(
        &self,
        changes: &mut Vec<Change>,
        account: &mut Account,
    ) -> Result<(), serde_json::Error> {
        self.of(changes, Kind::User, &mut account.users)?;
        self.of(changes, Kind::Role, &mut account.roles)?;
        self.of(changes, Kind::Group, &mut account.groups)?;
        self.of(changes, Kind::Policy, &mut account.policies)?;
        self.of(changes, Kind::OidcProvider, &mut account.oidc_providers)?;
        self.of(changes, Kind::SamlProvider, &mut account.saml_providers)
    }

    /// The rows of the tables under a bucket ([`BUCKET_CHILDREN`]).
    fn of_bucket(
        &self,
        changes: &mut Vec<Change>,
        bucket: &mut Bucket,
    ) -> Result<(), serde_json::Error> {
        self.of(changes, Kind::Object, &mut bucket.objects)?;
        self.of(changes, Kind::Upload, &mut bucket.uploads)?;
        self.of(changes, Kind::Part, &mut bucket.parts)
    }

    fn of<V: Serialize>(
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

fn account_row(account: &mut Account) -> Result<String, serde_json::Error> {
    let mut tables = Account::default();
    account.swap_tables(&mut tables);
    let row = serde_json::to_string(account);
    account.swap_tables(&mut tables);
    row
}

fn bucket_row(bucket: &mut Bucket) -> Result<String, serde_json::Error> {
    let mut tables = Bucket::default();
    bucket.swap_tables(&mut tables);
    let row = serde_json::to_string(bucket);
    bucket.swap_tables(&mut tables);
    row
}

/// Puts a row read from the database into `world`, without marking anything.
/// Returns whether an account or bucket appeared that the cache did not hold, whose
/// entities the caller must then load by scope. An entity whose account or bucket
/// is not in the cache is ignored (its parent's own row removes or brings it).
pub(crate) fn apply(
    world: &mut World,
    kind: Kind,
    scope: &str,
    key: &str,
    data: Option<&str>,
) -> Result<bool, serde_json::Error> {
    match kind {
        Kind::World => {
            if let Some(data) = data {
                let mut fresh: World = serde_json::from_str(data)?;
                world.swap_tables(&mut fresh);
                std::mem::swap(world, &mut fresh);
            }
        }
        Kind::Account => {
            let Some(data) = data else {
                world.accounts.set_untracked(key.to_owned(), None);
                return Ok(false);
            };
            let mut fresh: Account = serde_json::from_str(data)?;
            let Some(existing) = world.accounts.get_mut_untracked(key) else {
                world.accounts.set_untracked(key.to_owned(), Some(fresh));
                return Ok(true);
            };
            existing.swap_tables(&mut fresh);
            std::mem::swap(existing, &mut fresh);
        }
        Kind::Bucket => {
            let Some(data) = data else {
                world.buckets.set_untracked(key.to_owned(), None);
                return Ok(false);
            };
            let mut fresh: Bucket = serde_json::from_str(data)?;
            let Some(existing) = world.buckets.get_mut_untracked(key) else {
                world.buckets.set_untracked(key.to_owned(), Some(fresh));
                return Ok(true);
            };
            existing.swap_tables(&mut fresh);
            std::mem::swap(existing, &mut fresh);
        }
        Kind::AccessKey => set(&mut world.access_keys, key, data)?,
        Kind::Session => set(&mut world.sessions, key, data)?,
        Kind::Stack => set(&mut world.stacks, key, data)?,
        Kind::User
        | Kind::Role
        | Kind::Group
        | Kind::Policy
        | Kind::OidcProvider
        | Kind::SamlProvider => {
            if let Some(account) = world.accounts.get_mut_untracked(scope) {
                match kind {
                    Kind::User => set(&mut account.users, key, data)?,
                    Kind::Role => set(&mut account.roles, key, data)?,
                    Kind::Group => set(&mut account.groups, key, data)?,
                    Kind::Policy => set(&mut account.policies, key, data)?,
                    Kind::SamlProvider => set(&mut account.saml_providers, key, data)?,
                    _ => set(&mut account.oidc_providers, key, data)?,
                }
            }
        }
        Kind::Object | Kind::Upload | Kind::Part => {
            if let Some(bucket) = world.buckets.get_mut_untracked(scope) {
                match kind {
                    Kind::Object => set(&mut bucket.objects, key, data)?,
                    Kind::Upload => set(&mut bucket.uploads, key, data)?,
                    _ => set(&mut bucket.parts, key, data)?,
                }
            }
        }
    }
    Ok(false)
}

fn set<V: DeserializeOwned>(
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
