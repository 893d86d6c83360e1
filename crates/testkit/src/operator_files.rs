//! A temporary AWS CLI config and credentials pair for the operator (the admin keys of
//! a [`crate::MotoServer`], region `us-east-1`), and the environment a child process
//! needs to use it and nothing else.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::process::Command;

/// The operator's access key pair on a moto server ([`crate::MotoServer`]).
#[derive(Clone, Debug, Default)]
pub struct AdminKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Variables removed from a child's environment so it sees only the operator files.
const CLEARED: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
];

/// A config and credentials file pair in a temporary directory, removed on drop.
#[derive(Debug)]
pub struct OperatorFiles {
    dir: tempfile::TempDir,
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl OperatorFiles {
    /// Writes `[default]` with the admin keys, region `us-east-1` and, if given, the
    /// endpoint (so the real `aws` CLI reaches the emulator too).
    pub fn write(admin: &AdminKeys, endpoint_url: Option<&str>) -> io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        let mut config_text = "[default]\nregion = us-east-1\n".to_owned();
        if let Some(endpoint) = endpoint_url {
            config_text.push_str("endpoint_url = ");
            config_text.push_str(endpoint);
            config_text.push('\n');
        }
        fs::write(&config, config_text)?;
        fs::write(
            &credentials,
            format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                admin.access_key_id, admin.secret_access_key
            ),
        )?;
        Ok(Self {
            dir,
            config,
            credentials,
        })
    }

    /// The directory holding both files (a good place for other per-test files).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Environment changes for a child process: `Some` sets, `None` removes.
    pub fn env(&self) -> Vec<(&'static str, Option<OsString>)> {
        let mut env = vec![
            (
                "AWS_CONFIG_FILE",
                Some(self.config.clone().into_os_string()),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                Some(self.credentials.clone().into_os_string()),
            ),
        ];
        env.extend(CLEARED.iter().map(|name| (*name, None)));
        env
    }

    /// Applies [`OperatorFiles::env`] to `command`.
    pub fn apply(&self, command: &mut Command) {
        for (name, value) in self.env() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
    }
}
