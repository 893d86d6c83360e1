//! The operator's credentials, checked before awslab makes its first call, and the
//! one question every run asks first: who is the operator ([`whoami`]).
//!
//! A profile named with `--profile` must exist in the AWS CLI's config or credentials
//! file, and is then the only source of credentials: the SDK's default chain would
//! silently skip a missing profile and end, much later, at the instance metadata
//! service. A profile named by `AWS_PROFILE` must exist too. Without a profile the
//! default chain must find credentials somewhere. Each failure is an
//! [`OperatorError`] that says what awslab looked at and what to do, and [`whoami`]
//! tells an endpoint that cannot be reached apart from credentials it rejects. The
//! SDK's own error chains are logged at `info` (`-v`), never put in these messages.

use std::fmt;
use std::path::{Path, PathBuf};

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials as _, SharedCredentialsProvider};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};

use crate::classify::{ErrorInfo, ErrorSource};
use crate::client::{self, Target};
use crate::profile_files::ProfilePaths;

/// One AWS CLI file awslab read while looking for a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSeen {
    pub path: PathBuf,
    /// `false` when the file does not exist (or cannot be read).
    pub exists: bool,
    /// Profiles it defines, in file order.
    pub profiles: Vec<String>,
}

impl fmt::Display for FileSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        if !self.exists {
            return write!(f, "`{path}` (does not exist)");
        }
        match self.profiles.len() {
            0 => write!(f, "`{path}` (no profiles)"),
            n => write!(
                f,
                "`{path}` ({n} profile{}: {})",
                if n == 1 { "" } else { "s" },
                quoted(&self.profiles)
            ),
        }
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why awslab cannot act as the operator on the target. The cli gives all of these
/// one exit status ("cannot reach or authenticate to the target").
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The profile named is in neither file.
    #[error(
        "profile `{profile}`{} is in neither the AWS config nor the credentials file",
        if *.from_env { " (from AWS_PROFILE)" } else { "" }
    )]
    UnknownProfile {
        profile: String,
        /// Named by `AWS_PROFILE` rather than `--profile`.
        from_env: bool,
        /// The config file, then the credentials file.
        files: Vec<FileSeen>,
    },
    /// The profile exists but gives no credentials.
    #[error("profile `{profile}` gives no usable credentials: {reason}")]
    ProfileUnusable { profile: String, reason: String },
    /// Nothing in the default credential chain gave credentials.
    #[error("no AWS credentials found for the operator")]
    NoCredentials {
        files: Vec<FileSeen>,
        /// The custom endpoint, if one was given (an emulator needs credentials too).
        endpoint: Option<String>,
    },
    /// The endpoint did not answer.
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    /// The endpoint answered, but refused the credentials.
    #[error("{endpoint} rejected the operator's credentials: {reason}")]
    Rejected { endpoint: String, reason: String },
}

impl OperatorError {
    /// What awslab looked at and what to do, as lines for a `hint:`.
    pub fn hint(&self) -> String {
        match self {
            Self::UnknownProfile { files, .. } => {
                let found: Vec<String> = files.iter().flat_map(|f| f.profiles.clone()).fold(
                    Vec::new(),
                    |mut all, name| {
                        if !all.contains(&name) {
                            all.push(name);
                        }
                        all
                    },
                );
                let mut lines = vec![format!("read {}", read_list(files))];
                if found.is_empty() {
                    lines.push(
                        "no profile exists yet: create one with `aws configure --profile NAME`, or rehearse offline on the embedded sandbox with --target sandbox"
                            .to_owned(),
                    );
                } else {
                    lines.push(format!("profiles found: {}", quoted(&found)));
                }
                lines.push(
                    "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE choose other files".to_owned(),
                );
                lines.join("\n")
            }
            Self::ProfileUnusable { .. } => {
                "give the profile `aws_access_key_id` and `aws_secret_access_key`, or a `role_arn` with a `source_profile`, or an SSO login (`aws sso login --profile NAME`); -v shows the SDK's answer".to_owned()
            }
            Self::NoCredentials { files, endpoint } => format!(
                "awslab looked at AWS_ACCESS_KEY_ID, AWS_PROFILE, the `default` profile in {}, web identity and container settings, and the instance metadata service (-v shows each answer)\n{}",
                read_list(files),
                match endpoint {
                    Some(url) => format!(
                        "an emulator needs an operator too: give the keys of an admin user of `{url}` with --profile NAME or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the README's moto recipe makes one)"
                    ),
                    None => "to rehearse offline, run on the embedded sandbox with --target sandbox (no account, no server), or point at an emulator with --endpoint-url; for an account, pass --profile NAME or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_owned(),
                }
            ),
            Self::Unreachable { .. } => {
                "is the server running and is the URL right? The README shows how to start moto; -v shows the SDK's answer".to_owned()
            }
            Self::Rejected { .. } => {
                "check the operator's access key and secret (or refresh its session); against moto, use the keys of the admin user you created".to_owned()
            }
        }
    }
}

fn read_list(files: &[FileSeen]) -> String {
    files
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The profiles a config file (`[default]`, `[profile NAME]`) or a credentials file
/// (`[NAME]`) defines, as the SDK reads them.
pub fn profiles_in(text: &str, kind: EnvConfigFileKind) -> Vec<String> {
    let mut names = Vec::new();
    for item in ini_roundtrip::Parser::new(text) {
        let ini_roundtrip::Item::Section { name, .. } = item else {
            continue;
        };
        let name = name.split_whitespace().collect::<Vec<_>>();
        let profile = match (kind, name.as_slice()) {
            (EnvConfigFileKind::Config, ["default"]) => Some("default"),
            (EnvConfigFileKind::Config, ["profile", profile])
            | (EnvConfigFileKind::Credentials, [profile]) => Some(*profile),
            _ => None,
        };
        if let Some(profile) = profile
            && !names.iter().any(|n| n == profile)
        {
            names.push(profile.to_owned());
        }
    }
    names
}

fn read_file(path: &Path, kind: EnvConfigFileKind) -> FileSeen {
    match std::fs::read(path) {
        Ok(bytes) => FileSeen {
            path: path.to_owned(),
            exists: true,
            profiles: profiles_in(&String::from_utf8_lossy(&bytes), kind),
        },
        Err(_) => FileSeen {
            path: path.to_owned(),
            exists: false,
            profiles: Vec::new(),
        },
    }
}

/// The config file and the credentials file, as read now. Without `HOME` and without
/// the variables that name them there are no files to read.
pub fn read_files(paths: Option<&ProfilePaths>) -> Vec<FileSeen> {
    let paths = match paths {
        Some(paths) => Some(paths.clone()),
        None => ProfilePaths::from_env().ok(),
    };
    paths.map_or_else(Vec::new, |paths| {
        vec![
            read_file(&paths.config, EnvConfigFileKind::Config),
            read_file(&paths.credentials, EnvConfigFileKind::Credentials),
        ]
    })
}

/// The profile the operator asked for: `--profile`, else `AWS_PROFILE`.
fn requested_profile(target: &Target) -> Option<(String, bool)> {
    if let Some(profile) = &target.profile {
        return Some((profile.clone(), false));
    }
    std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(|p| (p, true))
}

/// Checks that a requested profile exists in `files`.
pub fn check_profile(
    profile: &str,
    from_env: bool,
    files: &[FileSeen],
) -> Result<(), OperatorError> {
    if files
        .iter()
        .any(|f| f.profiles.iter().any(|p| p == profile))
    {
        return Ok(());
    }
    Err(OperatorError::UnknownProfile {
        profile: profile.to_owned(),
        from_env,
        files: files.to_vec(),
    })
}

/// The operator's config with its credentials resolved once: a named profile must
/// exist (and, with `--profile`, is the only source), and the credentials must load.
/// `files` replaces the files the environment names (tests stay away from `~/.aws`).
pub async fn operator(
    target: &Target,
    files: Option<&ProfilePaths>,
) -> Result<SdkConfig, OperatorError> {
    let requested = requested_profile(target);
    let seen = read_files(files);
    if let Some((profile, from_env)) = &requested {
        check_profile(profile, *from_env, &seen)?;
    }
    let mut config = client::operator_config_from(target, files).await;
    if let Some(profile) = &target.profile {
        config = config
            .to_builder()
            .credentials_provider(profile_only(profile, target, files))
            .build();
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(OperatorError::NoCredentials {
            files: seen,
            endpoint: target.endpoint_url().map(str::to_owned),
        });
    };
    if let Err(error) = provider.provide_credentials().await {
        tracing::info!(error = %chain(&error), "the credential chain gave no credentials");
        let profile = match &requested {
            Some((profile, false)) => Some(profile),
            Some((profile, true))
                if !matches!(error, CredentialsError::CredentialsNotLoaded(_)) =>
            {
                Some(profile)
            }
            _ => None,
        };
        return Err(match profile {
            Some(profile) => OperatorError::ProfileUnusable {
                profile: profile.clone(),
                reason: short_reason(&error),
            },
            None => OperatorError::NoCredentials {
                files: seen,
                endpoint: target.endpoint_url().map(str::to_owned),
            },
        });
    }
    Ok(config)
}

/// Credentials from one profile and nothing else.
fn profile_only(
    profile: &str,
    target: &Target,
    files: Option<&ProfilePaths>,
) -> SharedCredentialsProvider {
    let provider_config = ProviderConfig::without_region()
        .with_http_client(target.http_client())
        .with_region(Some(Region::new(target.region.clone())))
        .with_behavior_version(Some(client::behavior_version()));
    let mut builder = ProfileFileCredentialsProvider::builder()
        .configure(&provider_config)
        .profile_name(profile);
    if let Some(files) = files {
        builder = builder.profile_files(
            EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Config, &files.config)
                .with_file(EnvConfigFileKind::Credentials, &files.credentials)
                .build(),
        );
    }
    SharedCredentialsProvider::new(builder.build())
}

/// The operator's account and ARN (`sts:GetCallerIdentity`), telling an endpoint
/// that does not answer apart from one that refuses the credentials.
pub async fn whoami(
    config: &SdkConfig,
    target: &Target,
) -> Result<(String, String), OperatorError> {
    let endpoint = target.endpoint_url().map_or_else(
        || format!("AWS STS in {}", target.region),
        |url| format!("`{url}`"),
    );
    match client::sts_client(config)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(answer) => Ok((
            answer.account().unwrap_or_default().to_owned(),
            answer.arn().unwrap_or_default().to_owned(),
        )),
        Err(error) => {
            tracing::info!(error = %chain(&error), "sts:GetCallerIdentity failed");
            let info = ErrorInfo::from_sdk(&error);
            Err(match info.source {
                ErrorSource::Service | ErrorSource::Response => OperatorError::Rejected {
                    endpoint,
                    reason: info.to_string(),
                },
                _ => OperatorError::Unreachable {
                    endpoint,
                    reason: root_cause(&error),
                },
            })
        }
    }
}

/// Every message of an error chain, for logs.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The innermost cause's first line (`Connection refused (os error 111)`), without
/// the SDK's wrapping.
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut innermost = error;
    while let Some(cause) = innermost.source() {
        innermost = cause;
    }
    first_line(&innermost.to_string())
}

/// A credentials error's most specific first line.
fn short_reason(error: &CredentialsError) -> String {
    if let CredentialsError::CredentialsNotLoaded(_) = error {
        return "it holds no keys, `role_arn`, `credential_process` or SSO settings".to_owned();
    }
    std::error::Error::source(error).map_or_else(|| first_line(&error.to_string()), root_cause)
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|&i| line.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &line[..cut])
    } else {
        line.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_profiles_as_the_sdk_names_them() {
        let config = "[default]\nregion = eu-west-1\n[profile lab-admin]\nregion = x\n[sso-session corp]\nsso_region = x\n[dev]\n";
        assert_eq!(
            profiles_in(config, EnvConfigFileKind::Config),
            ["default", "lab-admin"]
        );
        let credentials = "# keys\n[default]\naws_access_key_id = A\n[ ci ]\n[default]\n";
        assert_eq!(
            profiles_in(credentials, EnvConfigFileKind::Credentials),
            ["default", "ci"]
        );
    }

    #[test]
    fn unknown_profile_names_the_profile_the_files_and_the_profiles_found() {
        let files = vec![
            FileSeen {
                path: "/home/u/.aws/config".into(),
                exists: false,
                profiles: Vec::new(),
            },
            FileSeen {
                path: "/home/u/.aws/credentials".into(),
                exists: true,
                profiles: vec!["default".into(), "dev".into()],
            },
        ];
        let error = check_profile("lab-admin", false, &files).unwrap_err();
        assert_eq!(
            error.to_string(),
            "profile `lab-admin` is in neither the AWS config nor the credentials file"
        );
        let hint = error.hint();
        assert!(
            hint.contains("`/home/u/.aws/config` (does not exist)"),
            "{hint}"
        );
        assert!(
            hint.contains("`/home/u/.aws/credentials` (2 profiles: `default`, `dev`)"),
            "{hint}"
        );
        assert!(hint.contains("profiles found: `default`, `dev`"), "{hint}");
        assert!(check_profile("dev", false, &files).is_ok());
    }

    #[test]
    fn no_credentials_says_what_to_do_for_aws_and_for_an_emulator() {
        let files = vec![FileSeen {
            path: "/home/u/.aws/credentials".into(),
            exists: false,
            profiles: Vec::new(),
        }];
        let for_aws = OperatorError::NoCredentials {
            files: files.clone(),
            endpoint: None,
        }
        .hint();
        assert!(
            for_aws.contains("`/home/u/.aws/credentials` (does not exist)"),
            "{for_aws}"
        );
        assert!(
            for_aws.contains("point at an emulator with --endpoint-url"),
            "{for_aws}"
        );
        let for_moto = OperatorError::NoCredentials {
            files,
            endpoint: Some("http://127.0.0.1:5000".into()),
        }
        .hint();
        assert!(
            for_moto.contains("an emulator needs an operator too")
                && for_moto.contains("`http://127.0.0.1:5000`"),
            "{for_moto}"
        );
    }

    #[test]
    fn long_reasons_are_cut_at_a_character_boundary() {
        let text = "é".repeat(300);
        let cut = first_line(&text);
        assert!(cut.len() <= 204 && cut.ends_with('…'), "{cut}");
    }
}
