//! The world a sandbox starts with: its accounts, each with an operator (an IAM user
//! with `AdministratorAccess`) and the operator's access key.

use crate::ids;
use crate::state::World;
use crate::state::world::{AccessKey, Account, User};

/// The accounts a sandbox hosts (the example accounts of AWS's documentation). A world
/// made before the third was added gains it, with its operator, when it is opened.
pub const ACCOUNTS: &[&str] = &["111122223333", "444455556666", "777788889999"];

/// The operator's IAM user name in every account.
pub const OPERATOR: &str = "awslab-operator";

/// A new world: every account with its operator and key.
pub fn seed_world() -> World {
    let mut world = World {
        issuer_secret: ids::secret(),
        ..World::default()
    };
    for id in ACCOUNTS {
        add_account(&mut world, id);
    }
    world
}

/// Adds account `id` with its operator (`AdministratorAccess`) and the operator's key.
pub(crate) fn add_account(world: &mut World, id: &str) {
    let key = AccessKey {
        id: ids::long_term_key_id(),
        secret: ids::secret(),
        account: id.to_owned(),
        user: OPERATOR.to_owned(),
        active: true,
        created: world.now(),
        effective_at_ms: 0,
    };
    let user = User {
        name: OPERATOR.to_owned(),
        path: "/".to_owned(),
        id: ids::unique_id("AIDA"),
        arn: format!("arn:aws:iam::{id}:user/{OPERATOR}"),
        created: world.now(),
        attached: vec!["arn:aws:iam::aws:policy/AdministratorAccess".to_owned()],
        access_keys: vec![key.id.clone()],
        ..User::default()
    };
    let mut account = Account {
        id: id.to_owned(),
        operator: OPERATOR.to_owned(),
        ..Account::default()
    };
    account.users.insert(OPERATOR.to_owned(), user);
    world.accounts.insert(id.to_owned(), account);
    world.access_keys.insert(key.id.clone(), key);
}
