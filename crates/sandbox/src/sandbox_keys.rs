//! Whether an access key id is one the sandbox issued (a user's long-term key or a
//! temporary credential): how awslab recognises a profile holding sandbox keys.

use crate::sandbox::Sandbox;

impl Sandbox {
    /// Whether `access_key_id` is a key of this sandbox (any account, long-term or
    /// temporary). A sandbox that cannot be read knows no key.
    pub fn knows_access_key(&self, access_key_id: &str) -> bool {
        self.read(|world| {
            world.access_keys.get(access_key_id).is_some()
                || world.sessions.get(access_key_id).is_some()
        })
        .unwrap_or(false)
    }
}
