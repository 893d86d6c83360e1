//! Typed step outputs. Each step kind's module declares its outputs with
//! [`step_outputs!`]: a struct whose field names are the `${STEP.FIELD}` names the
//! planner declares for the kind (a test in `steps` proves the two lists agree for
//! every kind), turned into the string map that templates read and the journal keeps.

use indexmap::IndexMap;

/// A step's outputs.
pub trait StepOutputs {
    /// The field names, as `${STEP.FIELD}` references them.
    const FIELDS: &'static [&'static str];
    /// The values by field; an open field (`outputs`) becomes `outputs.NAME` entries.
    fn into_map(self) -> IndexMap<String, String>;
}

/// A value an output field may hold.
pub trait OutputValue {
    fn put(self, field: &str, map: &mut IndexMap<String, String>);
}

impl OutputValue for String {
    fn put(self, field: &str, map: &mut IndexMap<String, String>) {
        map.insert(field.to_owned(), self);
    }
}

/// Absent when `None` (`iam.user` without an access key has no `access_key_id`).
impl OutputValue for Option<String> {
    fn put(self, field: &str, map: &mut IndexMap<String, String>) {
        if let Some(value) = self {
            map.insert(field.to_owned(), value);
        }
    }
}

/// An open field: every entry becomes `FIELD.NAME` (a stack's `outputs.RoleArn`).
impl OutputValue for IndexMap<String, String> {
    fn put(self, field: &str, map: &mut IndexMap<String, String>) {
        for (name, value) in self {
            map.insert(format!("{field}.{name}"), value);
        }
    }
}

/// Declares a step kind's outputs struct.
#[macro_export]
macro_rules! step_outputs {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[allow(clippy::struct_field_names, reason = "field names are the plan's output names")]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl $crate::outputs::StepOutputs for $name {
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),*];

            #[allow(unused_mut)]
            fn into_map(self) -> ::indexmap::IndexMap<String, String> {
                let mut map = ::indexmap::IndexMap::new();
                $($crate::outputs::OutputValue::put(self.$field, stringify!($field), &mut map);)*
                map
            }
        }
    };
}

step_outputs! {
    /// For kinds that output nothing (`verify`).
    NoOutputs {}
}
