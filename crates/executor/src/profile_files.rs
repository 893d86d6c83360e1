//! AWS CLI profiles written into the CLI's own files. [`write_profile`] appends a
//! `[NAME]` section to the shared credentials file and a `[profile NAME]` (or
//! `[default]`) section to the config file, each atomically (temporary file in the same
//! directory, `sync_all`, rename) while holding a lock on a lock file in the temporary folder named by a hash of
//! the file's path (nothing is left beside the user's AWS files).
//! It never overwrites: a section that already exists is an error. The returned
//! [`ProfileReceipt`] (no secrets in it) is journaled, and [`remove_profile`] takes out
//! exactly what was added, leaving every other byte of the files as it was.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secrets::StepCredentials;

mod sections;

use sections::{
    FileLock, append_section, lines, lock_path, read_existing, remove_section, section_name,
};

/// The two files of the AWS CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfilePaths {
    pub credentials: PathBuf,
    pub config: PathBuf,
}

impl ProfilePaths {
    /// Paths the AWS CLI would use: `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`,
    /// else `~/.aws/credentials` and `~/.aws/config`.
    pub fn from_env() -> Result<Self, ProfileError> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// Like [`ProfilePaths::from_env`] with the variables read through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Self, ProfileError> {
        let set = |name: &str| {
            var(name)
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        };
        let aws_dir = || {
            set("HOME")
                .map(|home| home.join(".aws"))
                .ok_or(ProfileError::HomeNotSet)
        };
        let credentials = match set("AWS_SHARED_CREDENTIALS_FILE") {
            Some(path) => path,
            None => aws_dir()?.join("credentials"),
        };
        let config = match set("AWS_CONFIG_FILE") {
            Some(path) => path,
            None => aws_dir()?.join("config"),
        };
        Ok(Self {
            credentials,
            config,
        })
    }
}

/// What to write: a profile name, its credentials, its region and, for a custom
/// endpoint, its `endpoint_url`.
#[derive(Clone, Copy, Debug)]
pub struct ProfileSpec<'a> {
    pub name: &'a str,
    pub credentials: &'a StepCredentials,
    pub region: &'a str,
    pub endpoint_url: Option<&'a str>,
}

/// What [`write_profile`] added, enough for [`remove_profile`] to take it out again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileReceipt {
    pub profile: String,
    pub files: Vec<FileReceipt>,
}

/// The section added to one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReceipt {
    pub path: PathBuf,
    /// Section name as written between the brackets (`profile assumed`).
    pub section: String,
    /// Keys written into the section, in order.
    pub keys: Vec<String>,
    /// Line breaks added before the section to separate it from the previous content.
    pub separator: String,
    /// Whether the file did not exist before.
    pub created_file: bool,
}

/// Errors writing or removing a profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot find the AWS CLI files: `HOME` is not set")]
    HomeNotSet,
    #[error("profile name `{name}` is not usable: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("value of `{key}` for profile `{profile}` contains a line break")]
    InvalidValue { profile: String, key: String },
    #[error(
        "profile `{profile}` already exists in `{path}` (section `[{section}]`); awslab never overwrites a profile it did not create"
    )]
    AlreadyExists {
        profile: String,
        path: PathBuf,
        section: String,
    },
    #[error("`{path}` is not UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error(
        "AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE both name `{path}`; the AWS CLI keeps credentials and config in two files"
    )]
    SameFile { path: PathBuf },
    #[error("cannot update `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ProfileError + '_ {
    move |source| ProfileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Appends the profile to both files; nothing is written if either already holds it.
pub fn write_profile(
    paths: &ProfilePaths,
    spec: &ProfileSpec<'_>,
) -> Result<ProfileReceipt, ProfileError> {
    validate_name(spec.name)?;
    let credentials = &spec.credentials;
    let mut credential_keys = vec![
        ("aws_access_key_id", credentials.access_key_id.as_str()),
        (
            "aws_secret_access_key",
            credentials.secret_access_key.expose(),
        ),
    ];
    if let Some(token) = &credentials.session_token {
        credential_keys.push(("aws_session_token", token.expose()));
    }
    let mut config_keys = vec![("region", spec.region)];
    if let Some(endpoint) = spec.endpoint_url {
        config_keys.push(("endpoint_url", endpoint));
    }
    for (key, value) in credential_keys.iter().chain(&config_keys) {
        if value.contains(['\n', '\r']) {
            return Err(ProfileError::InvalidValue {
                profile: spec.name.to_owned(),
                key: (*key).to_owned(),
            });
        }
    }
    let config_section = if spec.name == "default" {
        "default".to_owned()
    } else {
        format!("profile {}", spec.name)
    };
    let config_taken = if spec.name == "default" {
        vec!["default".to_owned(), "profile default".to_owned()]
    } else {
        vec![config_section.clone()]
    };

    if lock_path(&paths.credentials) == lock_path(&paths.config) {
        return Err(ProfileError::SameFile {
            path: paths.credentials.clone(),
        });
    }
    let _credentials_lock = FileLock::acquire(&paths.credentials)?;
    let _config_lock = FileLock::acquire(&paths.config)?;
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

    let credentials_receipt = append_section(
        &paths.credentials,
        credentials_text.as_deref(),
        spec.name,
        &credential_keys,
    )?;
    let config_receipt = match append_section(
        &paths.config,
        config_text.as_deref(),
        &config_section,
        &config_keys,
    ) {
        Ok(receipt) => receipt,
        Err(error) => {
            if let Err(rollback) = remove_section(&credentials_receipt) {
                tracing::warn!(error = %rollback, path = %paths.credentials.display(), "could not roll back credentials section");
            }
            return Err(error);
        }
    };
    Ok(ProfileReceipt {
        profile: spec.name.to_owned(),
        files: vec![credentials_receipt, config_receipt],
    })
}

/// Removes what [`write_profile`] added. A section that is already gone counts as
/// removed. If someone added keys of their own to the section, only awslab's keys go
/// and the section header stays.
pub fn remove_profile(receipt: &ProfileReceipt) -> Result<(), ProfileError> {
    let locks = receipt
        .files
        .iter()
        .map(|file| FileLock::acquire(&file.path))
        .collect::<Result<Vec<_>, _>>()?;
    for file in &receipt.files {
        remove_section(file)?;
    }
    drop(locks);
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ProfileError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.trim() != name || name.contains(char::is_whitespace) {
        Some("it contains whitespace")
    } else if name.contains(['[', ']', '#', ';', '=']) {
        Some("it contains one of `[`, `]`, `#`, `;`, `=`")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(ProfileError::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}
