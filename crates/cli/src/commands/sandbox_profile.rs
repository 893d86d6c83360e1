//! Profiles for the sandbox: `awslab sandbox env --profile NAME` writes the operator's
//! keys into the AWS CLI files with the sandbox's `endpoint_url`, so no profile holding
//! the sandbox's keys sends them to real AWS; and [`warn_unpointed`], the check that a
//! profile a command is given does not hold sandbox keys without an `endpoint_url`.
//!
//! What `sandbox env --profile` wrote is remembered in the sandbox folder
//! (`profiles/NAME.json`: files, sections and the values that are not secret), so
//! writing it again replaces awslab's own profile, and only that one: a profile awslab
//! did not write, or one a person changed since, is refused unless `--replace`.

use std::path::{Path, PathBuf};

use awslab_executor::profile_files::{read_profile, take_out_profile};
use awslab_executor::{
    ProfilePaths, ProfileReceipt, ProfileSpec, Secret, SectionState, StepCredentials,
    remove_profile, write_profile,
};
use awslab_sandbox::{Operator, Sandbox};

use crate::cli::sandbox::EnvArgs;
use crate::exit::{Failure, OrFail as _, Status};

/// Where the receipt of profile `name` is kept.
fn receipt_path(sandbox_dir: &Path, name: &str) -> PathBuf {
    sandbox_dir.join("profiles").join(format!("{name}.json"))
}

/// The sandbox's endpoint for the aws CLI.
pub fn endpoint(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

pub fn write(args: &EnvArgs, name: &str, operator: &Operator) -> Result<Status, Failure> {
    let paths = ProfilePaths::from_env().or_fail(Status::Invalid)?;
    let sandbox_dir = &args.state.state_dir;
    let receipt_file = receipt_path(sandbox_dir, name);
    // awslab's own profile from an earlier `sandbox env --profile`: take it out, while
    // it still holds what awslab wrote.
    let mut ours_gone = false;
    if let Ok(text) = std::fs::read_to_string(&receipt_file)
        && let Ok(receipt) = serde_json::from_str::<ProfileReceipt>(&text)
        && receipt.profile == name
        && receipt
            .files
            .iter()
            .zip([&paths.credentials, &paths.config])
            .all(|(file, path)| &file.path == path)
    {
        let states = remove_profile(&receipt).or_fail(Status::Invalid)?;
        ours_gone = states
            .iter()
            .all(|(_, state)| !matches!(state, SectionState::Changed(_)));
    }
    let existing = read_profile(&paths, name).or_fail(Status::Invalid)?;
    if existing.exists {
        if !args.replace {
            let whose = if ours_gone {
                "it was changed since awslab wrote it"
            } else {
                "awslab did not write it"
            };
            return Err(Failure::new(
                Status::Invalid,
                format!(
                    "profile `{name}` already exists in `{}` or `{}`, and {whose}; nothing was written",
                    paths.credentials.display(),
                    paths.config.display()
                ),
            )
            .hint(format!(
                "pick another name, or pass --replace to replace profile `{name}` (every other profile stays as it is)"
            )));
        }
        take_out_profile(&paths, name).or_fail(Status::Invalid)?;
        eprintln!("replacing profile `{name}` (--replace)");
    }
    let credentials = StepCredentials {
        access_key_id: operator.access_key_id.clone(),
        secret_access_key: Secret::new(operator.secret_access_key.clone()),
        session_token: None,
        expiration: None,
    };
    let endpoint = endpoint(args.port);
    let receipt = write_profile(
        &paths,
        &ProfileSpec {
            name,
            credentials: &credentials,
            region: "us-east-1",
            endpoint_url: Some(&endpoint),
        },
    )
    .or_fail(Status::Invalid)?;
    // The receipt holds no secret (key id, region, endpoint, file names).
    if let Some(parent) = receipt_file.parent() {
        std::fs::create_dir_all(parent).or_fail(Status::Invalid)?;
    }
    let json = serde_json::to_vec_pretty(&receipt).or_fail(Status::Invalid)?;
    std::fs::write(&receipt_file, json).or_fail(Status::Invalid)?;
    println!(
        "profile `{name}` written ({} and {}): operator {} of account {}, endpoint {endpoint}",
        paths.credentials.display(),
        paths.config.display(),
        operator.arn,
        operator.account
    );
    println!(
        "use it with `awslab sandbox serve --port {}` running: aws sts get-caller-identity --profile {name}",
        args.port
    );
    Ok(Status::Success)
}

/// Warns on stderr when profile `name` holds keys the sandbox in `sandbox_dir` issued
/// but no `endpoint_url`: the aws CLI would send them to real AWS. Says whether it
/// warned. Never fails: a profile or sandbox that cannot be read is not this check's.
pub fn warn_unpointed(name: &str, sandbox_dir: &Path) -> bool {
    let Ok(paths) = ProfilePaths::from_env() else {
        return false;
    };
    let Ok(view) = read_profile(&paths, name) else {
        return false;
    };
    let (Some(key_id), None) = (view.access_key_id, view.endpoint_url) else {
        return false;
    };
    if !sandbox_dir.exists() {
        return false;
    }
    let Ok(sandbox) = Sandbox::open(sandbox_dir) else {
        return false;
    };
    if !sandbox.knows_access_key(&key_id) {
        return false;
    }
    eprintln!(
        "warning: profile `{name}` holds keys of the awslab sandbox ({key_id}) but no `endpoint_url`: \
         the aws CLI would send them to real AWS. Write it with `awslab sandbox env --profile {name} --replace`, \
         or add `endpoint_url = http://127.0.0.1:4566` to `[profile {name}]` in {}",
        paths.config.display()
    );
    true
}
