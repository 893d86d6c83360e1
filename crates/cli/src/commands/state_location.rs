//! `--state s3://BUCKET/PREFIX` (or `AWSLAB_STATE`): before a command that reads or
//! writes runs, the shared state's runs are pulled into a local mirror
//! (`<state folder>/s3/BUCKET/PREFIX/`), the mirror becomes the command's state folder,
//! and the executor shares it (`awslab_executor::journal::remote`): journals created
//! or opened there append to S3 with conditional writes, and run locks are taken on
//! S3 too. The S3 client is the command's own target (the sandbox by default), so on
//! the sandbox the state lives in the sandbox's S3. Secrets stay in the local folder.

use clap::Parser as _;

use awslab_executor::journal::remote::{RemoteState, StateLocation, share};

use crate::cli::{StateArgs, TargetArgs};
use crate::exit::{Failure, Status};

/// Resolves `--state`: a folder replaces the state folder; an S3 location is pulled
/// into its mirror, which becomes the state folder. `Err` is the status to exit with
/// (the error already printed).
pub fn prepare(state: &mut StateArgs, target: Option<&TargetArgs>) -> Result<(), Status> {
    let Some(given) = state.state.clone() else {
        return Ok(());
    };
    let location = StateLocation::parse(&given)
        .map_err(|message| Failure::new(Status::Invalid, format!("--state: {message}")).report())?;
    let StateLocation::S3 { bucket, prefix } = &location else {
        state.state_dir = location.working_dir(&state.state_dir);
        return Ok(());
    };
    let defaults;
    let target = if let Some(target) = target {
        target
    } else {
        defaults = crate::cli::TargetOnly::try_parse_from(["awslab"])
            .map_err(|error| Failure::new(Status::Invalid, format!("--state: {error}")).report())?;
        &defaults.target
    };
    let mirror = location.working_dir(&state.state_dir);
    let pulled = super::up::runtime()
        .map_err(Failure::report)?
        .block_on(async {
            let connection = super::connect::connect(target, None, None).await?;
            let remote = RemoteState::from_config(
                &connection.operator,
                connection.target.endpoint_url().is_some(),
                bucket.clone(),
                prefix.clone(),
            );
            let fail = |error: awslab_executor::JournalError| {
                Failure::new(Status::Unreachable, error.to_string()).hint(format!(
                    "--state {location}: the bucket is reached as the command's target's operator"
                ))
            };
            remote.check_bucket().await.map_err(fail)?;
            remote.pull(&mirror).await.map_err(fail)?;
            Ok::<_, Failure>(remote)
        });
    let remote = pulled.map_err(Failure::report)?;
    share(&mirror, remote);
    tracing::debug!(state = %location, mirror = %mirror.display(), "working on shared state");
    state.shared = Some(location.to_string());
    state.state_dir = mirror;
    Ok(())
}
