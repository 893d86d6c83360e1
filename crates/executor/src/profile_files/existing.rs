//! Profiles already in the AWS CLI files, whoever wrote them: what a profile holds
//! that is not secret ([`read_profile`], for the check that a profile holding the
//! sandbox's keys has an `endpoint_url`), and taking a profile's sections out when
//! the person asked for it to be replaced ([`take_out_profile`]).

use std::path::Path;

use super::sections::{lines, read_existing, section_name};
use super::{FileReceipt, ProfileError, ProfilePaths, ProfileReceipt, remove_profile};

/// The non-secret values of a profile: its access key id and its `endpoint_url`
/// (`None` where the profile has no such key, or no section at all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileView {
    /// Whether either file has a section for the profile.
    pub exists: bool,
    pub access_key_id: Option<String>,
    pub endpoint_url: Option<String>,
}

/// The section names of profile `name` in the config file.
fn config_sections(name: &str) -> Vec<String> {
    if name == "default" {
        vec!["default".to_owned(), "profile default".to_owned()]
    } else {
        vec![format!("profile {name}")]
    }
}

/// The properties (key, trimmed value) of every section named one of `names` in `text`.
fn properties<'t>(text: &'t str, names: &[String]) -> (bool, Vec<(&'t str, &'t str)>) {
    let mut found = false;
    let mut inside = false;
    let mut properties = Vec::new();
    for line in lines(text) {
        if let Some(section) = section_name(line) {
            inside = names.contains(&section);
            found |= inside;
            continue;
        }
        if inside && let Some(property) = super::sections::property(line) {
            properties.push(property);
        }
    }
    (found, properties)
}

fn read(path: &Path) -> Result<String, ProfileError> {
    Ok(read_existing(path)?.unwrap_or_default())
}

/// What profile `name` holds that is not secret. The AWS CLI reads `endpoint_url` from
/// the config file and keys from either file (the credentials file first).
pub fn read_profile(paths: &ProfilePaths, name: &str) -> Result<ProfileView, ProfileError> {
    let credentials = read(&paths.credentials)?;
    let config = read(&paths.config)?;
    let (in_credentials, credential_props) = properties(&credentials, &[name.to_owned()]);
    let (in_config, config_props) = properties(&config, &config_sections(name));
    let value = |props: &[(&str, &str)], key: &str| {
        props
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    };
    Ok(ProfileView {
        exists: in_credentials || in_config,
        access_key_id: value(&credential_props, "aws_access_key_id")
            .or_else(|| value(&config_props, "aws_access_key_id")),
        endpoint_url: value(&config_props, "endpoint_url"),
    })
}

/// Takes profile `name`'s sections out of both files, whatever they hold, leaving every
/// other byte as it was; says whether there was anything to take out. Only for a
/// profile the person asked to have replaced.
pub fn take_out_profile(paths: &ProfilePaths, name: &str) -> Result<bool, ProfileError> {
    let mut files = Vec::new();
    let credentials = read(&paths.credentials)?;
    let config = read(&paths.config)?;
    let candidates = std::iter::once((&paths.credentials, &credentials, name.to_owned())).chain(
        config_sections(name)
            .into_iter()
            .map(|section| (&paths.config, &config, section)),
    );
    for (path, text, section) in candidates {
        let (found, props) = properties(text, std::slice::from_ref(&section));
        if found {
            files.push(FileReceipt {
                path: path.clone(),
                section,
                keys: props.iter().map(|(key, _)| (*key).to_owned()).collect(),
                values: Vec::new(),
                separator: String::new(),
                created_file: false,
                temp: None,
            });
        }
    }
    if files.is_empty() {
        return Ok(false);
    }
    // One section at a time, the last of a name first: a name written twice goes whole.
    for _ in 0..8 {
        let receipt = ProfileReceipt {
            profile: name.to_owned(),
            files: files.clone(),
        };
        remove_profile(&receipt)?;
        let credentials = read(&paths.credentials)?;
        let config = read(&paths.config)?;
        files.retain(|file| {
            let text = if file.path == paths.credentials {
                &credentials
            } else {
                &config
            };
            properties(text, std::slice::from_ref(&file.section)).0
        });
        if files.is_empty() {
            break;
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dir: &Path) -> ProfilePaths {
        ProfilePaths {
            credentials: dir.join("credentials"),
            config: dir.join("config"),
        }
    }

    #[test]
    fn reads_key_and_endpoint_and_takes_a_profile_out_leaving_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        let credentials = "[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = s\n\n[lab]\naws_access_key_id = AKIALAB\naws_secret_access_key = t\n";
        let config = "[profile keep]\nregion = eu-west-1\n\n[profile lab]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:4566\n";
        std::fs::write(&paths.credentials, credentials).unwrap();
        std::fs::write(&paths.config, config).unwrap();
        let view = read_profile(&paths, "lab").unwrap();
        assert_eq!(view.access_key_id.as_deref(), Some("AKIALAB"));
        assert_eq!(view.endpoint_url.as_deref(), Some("http://127.0.0.1:4566"));
        assert!(view.exists);
        let keep = read_profile(&paths, "keep").unwrap();
        assert_eq!(keep.endpoint_url, None);
        assert!(!read_profile(&paths, "absent").unwrap().exists);

        assert!(take_out_profile(&paths, "lab").unwrap());
        let credentials_after = std::fs::read_to_string(&paths.credentials).unwrap();
        let config_after = std::fs::read_to_string(&paths.config).unwrap();
        assert!(
            credentials_after
                .starts_with("[keep]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = s\n")
        );
        assert!(!credentials_after.contains("lab"), "{credentials_after}");
        assert!(config_after.starts_with("[profile keep]\nregion = eu-west-1\n"));
        assert!(!config_after.contains("lab"), "{config_after}");
        assert!(!take_out_profile(&paths, "lab").unwrap());
    }
}
