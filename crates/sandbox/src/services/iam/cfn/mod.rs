//! IAM's `CloudFormation` resource types, one module each; users, roles and groups
//! share how their policies, managed policies and groups are made, updated and
//! undone ([`entity`]).

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

/// The service IAM types name in a failed event's reason.
const SERVICE: &str = "Iam";
