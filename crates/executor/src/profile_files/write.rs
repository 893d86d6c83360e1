//! Writing a profile in two halves, so the journal can name everything first:
//! [`prepare_profile`] takes the locks, reads both files, refuses a profile that
//! exists, and settles every byte and name (sections, separators, whether a file is
//! new, the temporary file beside each file); [`PreparedProfile::commit`] then writes,
//! each file through its temporary file (created 0600, or narrower when the file is,
//! in one `open`; written, synced, renamed over the file). A crash at any point leaves
//! only what the receipt names, so teardown restores the exact bytes.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use super::sections::{
    FileLock, lines, lock_path, read_existing, remove_section, section_name, write_atomically,
};
use super::{
    CONFIG_PUBLIC, CREDENTIAL_PUBLIC, FileReceipt, Layout, ProfileError, ProfilePaths,
    ProfileReceipt, ProfileSpec, public_values,
};

/// A point of a file's write, for tests that stop a write there as a kill would.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePoint {
    /// The temporary file exists, empty.
    TempCreated,
    /// The new contents are in the temporary file, not yet synced.
    Written,
    /// The temporary file is synced.
    Synced,
    /// The temporary file has replaced the file.
    Renamed,
}

/// One file's pending write.
struct PendingWrite {
    path: PathBuf,
    temp: PathBuf,
    bytes: Vec<u8>,
    mode: u32,
}

/// A profile ready to be written, with both files locked until it is committed or
/// dropped. Journal [`PreparedProfile::receipt`] first.
pub struct PreparedProfile {
    receipt: ProfileReceipt,
    writes: Vec<PendingWrite>,
    _locks: (FileLock, FileLock),
}

impl PreparedProfile {
    /// Everything the commit will add, and the temporary files it will use.
    pub fn receipt(&self) -> &ProfileReceipt {
        &self.receipt
    }

    /// Writes both files; if the config file cannot be written, the credentials
    /// section is taken out again.
    pub fn commit(self) -> Result<ProfileReceipt, ProfileError> {
        self.commit_observed(|_, _| {})
    }

    /// [`PreparedProfile::commit`], calling `observe` with each [`WritePoint`] and the
    /// temporary file's path as it is reached.
    pub fn commit_observed(
        self,
        mut observe: impl FnMut(WritePoint, &Path),
    ) -> Result<ProfileReceipt, ProfileError> {
        for (index, write) in self.writes.iter().enumerate() {
            let written = write_atomically(
                &write.path,
                &write.temp,
                &write.bytes,
                write.mode,
                &mut observe,
            );
            if let Err(error) = written {
                for done in &self.receipt.files[..index] {
                    if let Err(rollback) = remove_section(done) {
                        tracing::warn!(error = %rollback, path = %done.path.display(), "could not roll back a profile section");
                    }
                }
                return Err(error);
            }
        }
        Ok(self.receipt)
    }
}

/// Appends the profile to both files; nothing is written if either already holds it.
pub fn write_profile(
    paths: &ProfilePaths,
    spec: &ProfileSpec<'_>,
) -> Result<ProfileReceipt, ProfileError> {
    prepare_profile(paths, spec)?.commit()
}

/// Locks and reads both files and settles what [`PreparedProfile::commit`] will write.
pub fn prepare_profile(
    paths: &ProfilePaths,
    spec: &ProfileSpec<'_>,
) -> Result<PreparedProfile, ProfileError> {
    let Layout {
        credential_keys,
        config_keys,
        config_section,
        config_taken,
    } = Layout::new(spec)?;
    if lock_path(&paths.credentials) == lock_path(&paths.config) {
        return Err(ProfileError::SameFile {
            path: paths.credentials.clone(),
        });
    }
    let locks = (
        FileLock::acquire(&paths.credentials)?,
        FileLock::acquire(&paths.config)?,
    );
    let credentials_text = read_existing(&paths.credentials)?;
    let config_text = read_existing(&paths.config)?;
    let checks = [
        (
            &paths.credentials,
            &credentials_text,
            vec![spec.name.to_owned()],
        ),
        (&paths.config, &config_text, config_taken),
    ];
    for (path, text, taken) in &checks {
        let text = text.as_deref().unwrap_or_default();
        if let Some(section) =
            lines(text).find_map(|line| section_name(line).filter(|name| taken.contains(name)))
        {
            return Err(ProfileError::AlreadyExists {
                profile: spec.name.to_owned(),
                path: (*path).clone(),
                section,
            });
        }
    }
    let (credentials_receipt, credentials_write) = plan_file(
        &paths.credentials,
        credentials_text.as_deref(),
        spec.name,
        &credential_keys,
        CREDENTIAL_PUBLIC,
        true,
    );
    let (config_receipt, config_write) = plan_file(
        &paths.config,
        config_text.as_deref(),
        &config_section,
        &config_keys,
        CONFIG_PUBLIC,
        false,
    );
    Ok(PreparedProfile {
        receipt: ProfileReceipt {
            profile: spec.name.to_owned(),
            files: vec![credentials_receipt, config_receipt],
        },
        writes: vec![credentials_write, config_write],
        _locks: locks,
    })
}

/// The section appended to one file, with the separator it needs, and the write.
/// A file that will hold secrets is written no wider than 0600.
fn plan_file(
    path: &Path,
    existing: Option<&str>,
    section: &str,
    keys: &[(&str, &str)],
    public: &[&str],
    secret: bool,
) -> (FileReceipt, PendingWrite) {
    let text = existing.unwrap_or_default();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let separator = if text.is_empty() || text.ends_with(&format!("{newline}{newline}")) {
        String::new()
    } else if text.ends_with('\n') {
        newline.to_owned()
    } else {
        format!("{newline}{newline}")
    };
    let mut updated = format!("{text}{separator}[{section}]{newline}");
    for (key, value) in keys {
        let _ = write!(updated, "{key} = {value}{newline}");
    }
    let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let mut mode = fs::metadata(&target).map_or(0o600, |m| m.permissions().mode() & 0o777);
    if secret {
        mode &= 0o600;
    }
    let temp = temp_beside(&target);
    let receipt = FileReceipt {
        path: path.to_owned(),
        section: section.to_owned(),
        keys: keys.iter().map(|(key, _)| (*key).to_owned()).collect(),
        values: public_values(keys, public),
        separator,
        created_file: existing.is_none(),
        temp: Some(temp.clone()),
    };
    let write = PendingWrite {
        path: path.to_owned(),
        temp,
        bytes: updated.into_bytes(),
        mode,
    };
    (receipt, write)
}

/// A temporary file's name beside `target`, random, not yet created:
/// `.credentials.awslab-<16 hex digits>.tmp`.
pub(super) fn temp_beside(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = target
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    dir.join(format!(".{name}.awslab-{:016x}.tmp", rand::random::<u64>()))
}
