//! Secrets a run produced (secret access keys, session tokens, MFA seeds) and the one file that
//! holds them: `<state_dir>/runs/<run-id>/secrets.json`, mode 0600, replaced atomically
//! on every write. [`Secret`] wraps a secret string so that `Debug` and `Display` print
//! `***`; the value is reachable only through [`Secret::expose`], which makes every
//! place that handles the real value easy to find.

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// A secret string. `Debug` and `Display` print `***`; use [`Secret::expose`] to read it.
///
/// It serializes as the plain string so that it can be stored in the secrets file; never
/// put it in a type that is logged, journaled or reported.
///
/// Every secret made (or read back from a secrets store) is remembered by
/// [`crate::redaction`], so that the cli's log writer blanks it wherever it appears.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(#[serde(deserialize_with = "remembered")] String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        crate::redaction::remember(&value);
        Self(value)
    }

    /// The secret value itself. Call it only where the value must leave the process
    /// (an SDK credential, a credentials file, `awslab env`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Reads a secret's value and remembers it for redaction.
fn remembered<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    crate::redaction::remember(&value);
    Ok(value)
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Credentials a step produced: an access key pair, with a session token and an
/// expiration (RFC 3339) for temporary credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<String>,
}

/// The TOTP seed of a virtual MFA device a step created (`iam.virtual_mfa_device`):
/// its serial number, and the seed (base32) the codes are computed from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaSeed {
    pub serial_number: String,
    pub base32_seed: Secret,
}

/// What the store keeps for one step. Untagged, so a file written before MFA seeds
/// existed (credentials only) reads as it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Entry {
    Credentials(StepCredentials),
    MfaSeed(MfaSeed),
}

/// Errors of the secrets store.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read secrets file `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("secrets file `{path}` is not valid JSON")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot write secrets file `{path}`")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The per-run secrets file: step id to the credentials that step produced.
///
/// The whole map is rewritten on each [`SecretsStore::put`] (a run holds a handful of
/// credentials), through a temporary file in the same directory, so a reader sees the
/// old or the new file, never a partial one.
#[derive(Debug)]
pub struct SecretsStore {
    path: PathBuf,
    entries: IndexMap<String, Entry>,
}

impl SecretsStore {
    /// File name of the store inside a run directory.
    pub const FILE_NAME: &'static str = "secrets.json";

    /// Opens the store of the run directory `run_dir` (created with mode 0700 if
    /// missing); a missing file is an empty store.
    pub fn open(run_dir: &Path) -> Result<Self, SecretsError> {
        let path = run_dir.join(Self::FILE_NAME);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(run_dir)
            .map_err(|source| SecretsError::Write {
                path: path.clone(),
                source,
            })?;
        let entries = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| SecretsError::Parse {
                path: path.clone(),
                source,
            })?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => IndexMap::new(),
            Err(source) => return Err(SecretsError::Read { path, source }),
        };
        Ok(Self { path, entries })
    }

    /// Path of the secrets file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The credentials `step` produced, if any.
    pub fn get(&self, step: &str) -> Option<&StepCredentials> {
        match self.entries.get(step)? {
            Entry::Credentials(credentials) => Some(credentials),
            Entry::MfaSeed(_) => None,
        }
    }

    /// The MFA seed `step` (an `iam.virtual_mfa_device`) keeps, if any.
    pub fn mfa_seed(&self, step: &str) -> Option<&MfaSeed> {
        match self.entries.get(step)? {
            Entry::MfaSeed(seed) => Some(seed),
            Entry::Credentials(_) => None,
        }
    }

    /// Step ids with stored credentials, in insertion order.
    pub fn steps(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, entry)| matches!(entry, Entry::Credentials(_)))
            .map(|(step, _)| step.as_str())
    }

    /// Stores the credentials of `step` and rewrites the file before returning.
    pub fn put(&mut self, step: &str, credentials: StepCredentials) -> Result<(), SecretsError> {
        self.entries
            .insert(step.to_owned(), Entry::Credentials(credentials));
        self.persist()
    }

    /// Stores the MFA seed of `step` and rewrites the file before returning.
    pub fn put_mfa_seed(&mut self, step: &str, seed: MfaSeed) -> Result<(), SecretsError> {
        self.entries.insert(step.to_owned(), Entry::MfaSeed(seed));
        self.persist()
    }

    /// Forgets the credentials of `step` (after teardown deleted them).
    pub fn remove(&mut self, step: &str) -> Result<(), SecretsError> {
        if self.entries.shift_remove(step).is_some() {
            self.persist()?;
        }
        Ok(())
    }

    /// Forgets every entry (credentials or MFA seed) whose step id `forget` picks, and
    /// rewrites the file if one was.
    pub fn remove_where(
        &mut self,
        mut forget: impl FnMut(&str) -> bool,
    ) -> Result<(), SecretsError> {
        let before = self.entries.len();
        self.entries.retain(|step, _| !forget(step));
        if self.entries.len() != before {
            self.persist()?;
        }
        Ok(())
    }

    fn persist(&self) -> Result<(), SecretsError> {
        let write_error = |source| SecretsError::Write {
            path: self.path.clone(),
            source,
        };
        let bytes = serde_json::to_vec_pretty(&self.entries)
            .map_err(io::Error::other)
            .map_err(write_error)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(write_error)?;
        temp.write_all(&bytes).map_err(write_error)?;
        temp.as_file().sync_all().map_err(write_error)?;
        temp.persist(&self.path)
            .map_err(|error| write_error(error.error))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> StepCredentials {
        StepCredentials {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI"),
            session_token: Some(Secret::new("FwoGZXIvYXdzEXAMPLETOKEN")),
            expiration: None,
        }
    }

    #[test]
    fn debug_and_display_redact_secrets() {
        let creds = credentials();
        let debug = format!("{creds:?}");
        assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
        assert!(!debug.contains("FwoGZXIvYXdzEXAMPLETOKEN"), "{debug}");
        assert!(debug.contains("AKIAEXAMPLE"));
        assert_eq!(format!("{}", creds.secret_access_key), "***");
        assert_eq!(creds.secret_access_key.expose(), "wJalrXUtnFEMI");
    }

    #[test]
    fn writes_secrets_file_with_mode_0600_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = dir.path().join("runs").join("r1");
        let mut store = SecretsStore::open(&run_dir).unwrap();
        store.put("user", credentials()).unwrap();
        let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(&run_dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);

        let reopened = SecretsStore::open(&run_dir).unwrap();
        assert_eq!(reopened.get("user"), Some(&credentials()));
        assert_eq!(reopened.steps().collect::<Vec<_>>(), ["user"]);
    }

    #[test]
    fn remove_where_forgets_the_picked_steps_on_disk_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SecretsStore::open(dir.path()).unwrap();
        for step in ["user[ada]", "assume[ada]", "user[bob]"] {
            store.put(step, credentials()).unwrap();
        }
        store.remove_where(|step| step.ends_with("[ada]")).unwrap();
        let reopened = SecretsStore::open(dir.path()).unwrap();
        assert_eq!(reopened.steps().collect::<Vec<_>>(), ["user[bob]"]);
        let mode = fs::metadata(reopened.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn keeps_mfa_seeds_beside_credentials_and_reads_files_without_them() {
        let dir = tempfile::tempdir().unwrap();
        // A file written before MFA seeds existed.
        fs::write(
            dir.path().join(SecretsStore::FILE_NAME),
            r#"{"user":{"access_key_id":"AKIAEXAMPLE","secret_access_key":"wJalrXUtnFEMI","session_token":"FwoGZXIvYXdzEXAMPLETOKEN"}}"#,
        )
        .unwrap();
        let mut store = SecretsStore::open(dir.path()).unwrap();
        assert_eq!(store.get("user"), Some(&credentials()));
        let seed = MfaSeed {
            serial_number: "arn:aws:iam::123456789012:mfa/phone".into(),
            base32_seed: Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
        };
        assert!(!format!("{seed:?}").contains("JBSWY3DPEHPK3PXP"));
        store.put_mfa_seed("phone", seed.clone()).unwrap();
        let reopened = SecretsStore::open(dir.path()).unwrap();
        assert_eq!(reopened.mfa_seed("phone"), Some(&seed));
        assert_eq!(reopened.get("phone"), None, "a seed is not credentials");
        assert_eq!(reopened.mfa_seed("user"), None);
        assert_eq!(reopened.steps().collect::<Vec<_>>(), ["user"]);
        let mode = fs::metadata(reopened.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn removing_credentials_rewrites_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SecretsStore::open(dir.path()).unwrap();
        store.put("user", credentials()).unwrap();
        store.remove("user").unwrap();
        let text = fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
    }
}
