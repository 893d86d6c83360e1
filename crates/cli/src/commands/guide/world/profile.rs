//! AWS CLI profiles.

use awslab_executor::resources::{self, ResourceRef};
use indexmap::IndexMap;

use super::{Adopted, WorldCx};

pub(super) fn aws_profile(
    cx: &WorldCx<'_>,
    spec: &awslab_planner::kinds::AwsProfile,
) -> Result<Adopted, String> {
    let name = cx.render(&spec.name.value)?;
    let paths = awslab_executor::ProfilePaths::from_env().map_err(|e| e.to_string())?;
    let config = std::fs::read_to_string(&paths.config).unwrap_or_default();
    let credentials = std::fs::read_to_string(&paths.credentials).unwrap_or_default();
    let config_section = section(&config, &format!("profile {name}")).or_else(|| {
        (name == "default")
            .then(|| section(&config, "default"))
            .flatten()
    });
    let credentials_section = section(&credentials, &name);
    let key = |s: &Option<Vec<(String, String)>>, k: &str| {
        s.as_ref().and_then(|pairs| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        })
    };
    if config_section.is_none() && credentials_section.is_none() {
        return Err(format!("there is no AWS CLI profile `{name}` yet"));
    }
    let has_key = key(&credentials_section, "aws_access_key_id")
        .or_else(|| key(&config_section, "aws_access_key_id"))
        .is_some();
    if !has_key {
        return Err(format!("the profile `{name}` has no aws_access_key_id"));
    }
    if let Some(url) = cx.endpoint
        && key(&config_section, "endpoint_url").is_none()
    {
        return Err(format!(
            "the profile `{name}` has no endpoint_url, so the aws CLI would send its keys to real AWS; add `endpoint_url = {url}` (aws configure set endpoint_url URL --profile {name})"
        ));
    }
    // Adopted as `up` records a profile it writes: the sections, their keys, and the
    // values that are not secret (while they are there, the section is the run's).
    let mut files = Vec::new();
    for (path, header, pairs) in [
        (
            &paths.config,
            config_header(&config, &name),
            &config_section,
        ),
        (&paths.credentials, Some(name.clone()), &credentials_section),
    ] {
        let (Some(header), Some(pairs)) = (header, pairs) else {
            continue;
        };
        files.push(awslab_executor::FileReceipt {
            path: path.clone(),
            section: header,
            keys: pairs.iter().map(|(k, _)| k.clone()).collect(),
            values: pairs
                .iter()
                .filter(|(k, _)| {
                    matches!(k.as_str(), "aws_access_key_id" | "region" | "endpoint_url")
                })
                .cloned()
                .collect(),
            separator: String::new(),
            created_file: false,
            temp: None,
        });
    }
    Ok(Adopted {
        resources: vec![ResourceRef::AwsProfile(resources::AwsProfile {
            receipt: awslab_executor::ProfileReceipt {
                profile: name.clone(),
                files,
            },
        })],
        outputs: IndexMap::from([("name".to_owned(), name.clone())]),
        credentials: None,
        mfa_seed: None,
        note: format!("the profile `{name}` is there"),
    })
}

/// The header of profile `name` in the config file (`profile NAME`, or `default`).
pub(super) fn config_header(config: &str, name: &str) -> Option<String> {
    let header = format!("profile {name}");
    if section(config, &header).is_some() {
        Some(header)
    } else if name == "default" && section(config, "default").is_some() {
        Some("default".to_owned())
    } else {
        None
    }
}

/// The `key = value` lines of `[header]` in an AWS CLI file.
pub(super) fn section(text: &str, header: &str) -> Option<Vec<(String, String)>> {
    let mut found = None;
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == header;
            if inside {
                found.get_or_insert_with(Vec::new);
            }
            continue;
        }
        if inside
            && let Some((key, value)) = line.split_once('=')
            && let Some(pairs) = found.as_mut()
        {
            pairs.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    found
}
