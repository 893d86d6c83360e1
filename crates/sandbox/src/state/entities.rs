//! The entity list, once: every [`Table`](super::table::Table) of the world, of an
//! account and of a bucket, with the name its rows carry in the durable store. From it
//! come `rows::Kind` (names, parents and the order rows are applied in), the
//! `swap_tables` that leave an account's, a bucket's or the world's own row without
//! what has rows of its own, and the walks that list, apply and lazily read rows.
//!
//! Adding an entity kind is one line here. Each struct's fields are listed whole
//! (tables, then the fields kept in its own row), and the generated `swap_tables`
//! destructures the struct without `..`: a field added to `World`, `Account` or
//! `Bucket` and not named here is a compile error, never a table silently kept whole in
//! its parent's row.

use std::sync::Arc;

use super::lazy::{self, RowSource};
use super::rows::{self, Change, Parent, Rows};
use super::world::{Account, Bucket, World};

macro_rules! entities {
    (
        world {
            tables: [$($table:ident: $TableKind:ident = $table_name:literal),* $(,)?],
            scalars: [$($world_scalar:ident),* $(,)?] $(,)?
        }
        $(
            $parent:ident: $Parent:ident as $ParentKind:ident = $parent_name:literal {
                tables: [$($child:ident: $ChildKind:ident = $child_name:literal),* $(,)?],
                scalars: [$($parent_scalar:ident),* $(,)?] $(,)?
            }
        )*
    ) => {
        /// What a row holds. The order puts parents (world, accounts, buckets) before
        /// the entities under them, the order rows are applied in.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub(crate) enum Kind {
            World,
            $($ParentKind,)*
            $($TableKind,)*
            $($($ChildKind,)*)*
        }

        impl Kind {
            /// Every kind, in order.
            pub(crate) const ALL: &'static [Kind] = &[
                Kind::World,
                $(Kind::$ParentKind,)*
                $(Kind::$TableKind,)*
                $($(Kind::$ChildKind,)*)*
            ];

            /// The name its rows carry in the database.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    Self::World => "world",
                    $(Self::$ParentKind => $parent_name,)*
                    $(Self::$TableKind => $table_name,)*
                    $($(Self::$ChildKind => $child_name,)*)*
                }
            }

            pub(crate) fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|kind| kind.name() == name)
            }

            /// The kinds scoped under a row of this kind.
            pub(crate) fn children(self) -> &'static [Kind] {
                match self {
                    $(Self::$ParentKind => &[$(Kind::$ChildKind),*],)*
                    _ => &[],
                }
            }
        }

        impl World {
            /// Swaps every top-level table of `self` and `other`, leaving the scalars:
            /// the store serializes a world without its tables as the row of scalars.
            pub(crate) fn swap_tables(&mut self, other: &mut Self) {
                let World { $($parent,)* $($table,)* $($world_scalar: _,)* } = self;
                $(std::mem::swap($parent, &mut other.$parent);)*
                $(std::mem::swap($table, &mut other.$table);)*
            }
        }

        $(
            impl Parent for $Parent {
                const KIND: Kind = Kind::$ParentKind;

                fn swap_tables(&mut self, other: &mut Self) {
                    let $Parent { $($child,)* $($parent_scalar: _,)* } = self;
                    $(std::mem::swap($child, &mut other.$child);)*
                }

                fn child_rows(
                    &mut self,
                    rows: &Rows<'_>,
                    changes: &mut Vec<Change>,
                ) -> Result<(), serde_json::Error> {
                    $(rows.of(changes, Kind::$ChildKind, &mut self.$child)?;)*
                    Ok(())
                }

                fn apply_child(
                    &mut self,
                    kind: Kind,
                    key: &str,
                    data: Option<&str>,
                ) -> Result<(), serde_json::Error> {
                    match kind {
                        $(Kind::$ChildKind => rows::set(&mut self.$child, key, data),)*
                        _ => Ok(()),
                    }
                }

                fn attach(&mut self, source: &Arc<dyn RowSource>, key: &str) {
                    $(self.$child.make_lazy(source, Kind::$ChildKind, key, lazy::leaf);)*
                }
            }
        )*

        /// The rows a transaction changed under the world's parents (accounts, buckets).
        pub(super) fn parent_changes(
            world: &mut World,
            serialize: bool,
            changes: &mut Vec<Change>,
        ) -> Result<(), serde_json::Error> {
            $(rows::parent_changes(&mut world.$parent, serialize, changes)?;)*
            Ok(())
        }

        /// Every row of the world's parents and what hangs under them.
        pub(super) fn parent_all_rows(
            world: &mut World,
            changes: &mut Vec<Change>,
        ) -> Result<(), serde_json::Error> {
            $(rows::parent_all_rows(&mut world.$parent, changes)?;)*
            Ok(())
        }

        /// The rows of the world's own tables.
        pub(super) fn world_table_rows(
            rows: &Rows<'_>,
            changes: &mut Vec<Change>,
            world: &mut World,
        ) -> Result<(), serde_json::Error> {
            $(rows.of(changes, Kind::$TableKind, &mut world.$table)?;)*
            Ok(())
        }

        /// Puts a row other than the world's into `world`, without marking anything.
        pub(super) fn apply_row(
            world: &mut World,
            source: &Arc<dyn RowSource>,
            kind: Kind,
            scope: &str,
            key: &str,
            data: Option<&str>,
        ) -> Result<(), serde_json::Error> {
            match kind {
                Kind::World => Ok(()),
                $(Kind::$ParentKind => rows::apply_parent(&mut world.$parent, source, key, data),)*
                $(Kind::$TableKind => rows::set(&mut world.$table, key, data),)*
                $($(Kind::$ChildKind)|* => match world.$parent.get_mut_untracked(scope) {
                    Some(parent) => parent.apply_child(kind, key, data),
                    // Its parent's own row removes or brings it.
                    None => Ok(()),
                },)*
            }
        }

        /// Makes every table of `world` read what it does not hold from `source`.
        pub(super) fn make_lazy(world: &mut World, source: &Arc<dyn RowSource>) {
            $(world.$parent.make_lazy(source, Kind::$ParentKind, "", rows::attach_parent);)*
            $(world.$table.make_lazy(source, Kind::$TableKind, "", lazy::leaf);)*
        }
    };
}

entities! {
    world {
        tables: [
            access_keys: AccessKey = "access_key",
            sessions: Session = "session",
            stacks: Stack = "stack",
        ],
        scalars: [clock_offset_seconds, issuer_secret, saml_signer, propagation_delay_ms, blobs],
    }
    accounts: Account as Account = "account" {
        tables: [
            users: User = "user",
            roles: Role = "role",
            groups: Group = "group",
            policies: Policy = "policy",
            oidc_providers: OidcProvider = "oidc_provider",
            saml_providers: SamlProvider = "saml_provider",
        ],
        // Virtual MFA devices are few and small: kept in the account's own row.
        scalars: [id, operator, mfa_devices],
    }
    buckets: Bucket as Bucket = "bucket" {
        tables: [
            objects: Object = "object",
            uploads: Upload = "upload",
            parts: Part = "part",
        ],
        scalars: [name, account, region, created, policy, tags, versioning],
    }
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn every_kind_has_one_name_and_parents_come_before_their_children() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(*kind));
            for child in kind.children() {
                assert!(kind < child, "{kind:?} is applied after its {child:?}");
            }
        }
        let mut names: Vec<_> = Kind::ALL.iter().map(|kind| kind.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        assert_eq!(Kind::from_name("unknown"), None);
    }
}
