//! IAM's `CloudFormation` resource types, one module each; users, roles and groups
//! share how their policies, managed policies and groups are made, updated and
//! undone ([`entity`]).

/// A user, role or group type: its schema, and `entity`'s create, update and delete
/// for its [`Entity`](crate::services::iam::calls::Entity) kind. The three differ
/// only in these values; everything they do is `entity`'s.
macro_rules! entity_type {
    (
        $(#[$doc:meta])*
        $type:ident: $kind:ident {
            name: $name:literal,
            required: $required:expr,
            optional: $optional:expr,
            attributes: $attributes:expr,
            named_by: $named_by:literal,
            replaced_by: $replaced_by:expr $(,)?
        }
    ) => {
        use serde_json::Value;

        use super::{SERVICE, entity};
        use crate::services::ApiError;
        use crate::services::cloudformation::intrinsics::Made;
        use crate::services::cloudformation::resources::Actor;
        use crate::services::cloudformation::types::{Replacement, ResourceType};
        use crate::services::iam::calls::Entity;
        use crate::state::World;

        $(#[$doc])*
        pub struct $type;

        impl ResourceType for $type {
            fn name(&self) -> &'static str {
                $name
            }

            fn service(&self) -> &'static str {
                SERVICE
            }

            fn required(&self) -> &'static [&'static str] {
                $required
            }

            fn optional(&self) -> &'static [&'static str] {
                $optional
            }

            fn attributes(&self) -> &'static [&'static str] {
                $attributes
            }

            fn iam_name_property(&self) -> Option<&'static str> {
                Some($named_by)
            }

            fn replacement(&self) -> Replacement {
                Replacement::On($replaced_by)
            }

            fn create(
                &self,
                actor: &mut Actor<'_, '_>,
                world: &mut World,
                logical: &str,
                properties: &Value,
            ) -> Result<Made, (Option<Made>, ApiError)> {
                entity::create(Entity::$kind, actor, world, logical, properties)
            }

            fn update(
                &self,
                actor: &mut Actor<'_, '_>,
                world: &mut World,
                made: &Made,
                old: &Value,
                new: &Value,
            ) -> Result<Made, ApiError> {
                entity::update(Entity::$kind, actor, world, made, old, new)
            }

            fn delete(
                &self,
                actor: &mut Actor<'_, '_>,
                world: &mut World,
                made: &Made,
                properties: &Value,
            ) -> Result<(), ApiError> {
                entity::delete(Entity::$kind, actor, world, made, properties)
            }
        }
    };
}

mod access_key;
mod entity;
mod group;
mod instance_profile;
mod managed_policy;
mod oidc_provider;
mod policy;
mod role;
mod saml_provider;
mod user;
mod user_to_group_addition;

pub use access_key::AccessKey;
pub use group::Group;
pub use instance_profile::InstanceProfile;
pub use managed_policy::ManagedPolicy;
pub use oidc_provider::OidcProvider;
pub use policy::Policy;
pub use role::Role;
pub use saml_provider::SamlProvider;
pub use user::User;
pub use user_to_group_addition::UserToGroupAddition;

use crate::services::cloudformation::types::ResourceType;

/// IAM's `CloudFormation` types, as the registry lists them.
pub const TYPES: &[&dyn ResourceType] = &[
    &User,
    &Role,
    &Policy,
    &ManagedPolicy,
    &AccessKey,
    &Group,
    &UserToGroupAddition,
    &InstanceProfile,
    &OidcProvider,
    &SamlProvider,
];

/// The service IAM types name in a failed event's reason.
const SERVICE: &str = "Iam";
