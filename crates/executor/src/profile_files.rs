//! AWS CLI profiles written into the CLI's own files. [`prepare_profile`] locks both
//! files (a lock file in the temporary folder named by a hash of the file's path, so
//! nothing is left beside the user's AWS files), reads them and settles everything it
//! will do: the sections, the separators, whether a file is new and the name of each
//! temporary file. That [`ProfileReceipt`] (no secrets in it) is journaled as the
//! intent before any byte is written; [`PreparedProfile::commit`] then appends a
//! `[NAME]` section to the shared credentials file and a `[profile NAME]` (or
//! `[default]`) section to the config file, each atomically (temporary file created
//! 0600 or narrower, `sync_all`, rename). It never overwrites: a section that already
//! exists is an error. [`remove_profile`] removes a leftover temporary file and takes
//! out exactly what was added, separator included, leaving every other byte of the
//! files as it was, and only while the values awslab wrote are still there: a section
//! a person rewrote is left. [`planned_receipt`] is the receipt of journals written
//! before the intent held separators.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::secrets::StepCredentials;

mod existing;
mod sections;
mod write;

pub use existing::{ProfileView, read_profile, take_out_profile};
use sections::{FileLock, leftover_temp, remove_section};
pub use write::{PreparedProfile, WritePoint, prepare_profile, write_profile};

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

/// The AWS CLI files of a class learner's bundle: `DIR/NAME/config` and
/// `DIR/NAME/credentials`.
pub fn bundle_paths(bundles: &Path, learner: &str) -> ProfilePaths {
    let folder = bundles.join(learner);
    ProfilePaths {
        credentials: folder.join("credentials"),
        config: folder.join("config"),
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
    /// The values awslab wrote that are not secret (access key id, region, endpoint),
    /// by key: while they are still there, the section is awslab's to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<(String, String)>,
    /// Line breaks added before the section to separate it from the previous content.
    pub separator: String,
    /// Whether the file did not exist before.
    pub created_file: bool,
    /// The temporary file (beside the file) through which awslab writes this file for
    /// this profile, named before it is created: teardown removes it if a crash left
    /// it. (Absent in journals written before it was recorded.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp: Option<PathBuf>,
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

/// What [`write_profile`] will write, before it writes: files, sections, keys and the
/// non-secret values (separators and whether a file is new are not known yet).
pub fn planned_receipt(
    paths: &ProfilePaths,
    spec: &ProfileSpec<'_>,
) -> Result<ProfileReceipt, ProfileError> {
    let layout = Layout::new(spec)?;
    let file = |path: &Path, section: &str, keys: &[(&str, &str)], public: &[&str]| FileReceipt {
        path: path.to_owned(),
        section: section.to_owned(),
        keys: keys.iter().map(|(key, _)| (*key).to_owned()).collect(),
        values: public_values(keys, public),
        separator: String::new(),
        created_file: false,
        temp: None,
    };
    Ok(ProfileReceipt {
        profile: spec.name.to_owned(),
        files: vec![
            file(
                &paths.credentials,
                spec.name,
                &layout.credential_keys,
                CREDENTIAL_PUBLIC,
            ),
            file(
                &paths.config,
                &layout.config_section,
                &layout.config_keys,
                CONFIG_PUBLIC,
            ),
        ],
    })
}

/// Keys of the credentials file whose values are not secret.
const CREDENTIAL_PUBLIC: &[&str] = &["aws_access_key_id"];
/// Keys of the config file whose values are not secret.
const CONFIG_PUBLIC: &[&str] = &["region", "endpoint_url"];

fn public_values(keys: &[(&str, &str)], public: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .filter(|(key, _)| public.contains(key))
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// The sections and keys of a profile.
struct Layout<'a> {
    credential_keys: Vec<(&'static str, &'a str)>,
    config_keys: Vec<(&'static str, &'a str)>,
    config_section: String,
    config_taken: Vec<String>,
}

impl<'a> Layout<'a> {
    fn new(spec: &ProfileSpec<'a>) -> Result<Self, ProfileError> {
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
        Ok(Self {
            credential_keys,
            config_keys,
            config_section,
            config_taken,
        })
    }
}

/// What is in a file where awslab wrote (or meant to write) a profile section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionState {
    /// The section is there with the values awslab wrote.
    Ours,
    /// No such section (never written, or removed since).
    Gone,
    /// The section is there, but a value awslab wrote was changed: a person's now.
    Changed(String),
}

/// The state of each section of `receipt`, without changing anything.
pub fn inspect_profile(
    receipt: &ProfileReceipt,
) -> Result<Vec<(PathBuf, SectionState)>, ProfileError> {
    receipt
        .files
        .iter()
        .map(|file| Ok((file.path.clone(), sections::inspect_section(file)?)))
        .collect()
}

/// The temporary files of `receipt` that a crash left beside the AWS files.
pub fn leftover_temps(receipt: &ProfileReceipt) -> Vec<PathBuf> {
    receipt
        .files
        .iter()
        .filter_map(|file| leftover_temp(file).map(Path::to_owned))
        .collect()
}

/// Removes what [`write_profile`] added, section by section, and says what each
/// section was: removed (`Ours`), already gone, or changed by someone and left. If
/// someone added keys of their own to an intact section, only awslab's keys go and
/// the section header stays.
pub fn remove_profile(
    receipt: &ProfileReceipt,
) -> Result<Vec<(PathBuf, SectionState)>, ProfileError> {
    let locks = receipt
        .files
        .iter()
        .map(|file| FileLock::acquire(&file.path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut states = Vec::with_capacity(receipt.files.len());
    for file in &receipt.files {
        states.push((file.path.clone(), remove_section(file)?));
    }
    drop(locks);
    Ok(states)
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
