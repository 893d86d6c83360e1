//! [`RunLock`]: an OS file lock on `<run dir>/lock`, held by `up` and `down` for the
//! whole command, so two commands never append to one journal at once. The lock file
//! names its holder (process id and command) for the error the second one gets; the
//! operating system releases the lock when the holder exits, even when it is killed.

use std::fs;
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::Path;

use super::{Journal, JournalError, RunId, io_error};

/// The lock of one run, released on drop.
#[derive(Debug)]
pub struct RunLock {
    _file: fs::File,
    /// The run's lock on S3, when the state folder is a shared state's mirror.
    remote: Option<(super::remote::RemoteState, super::remote::HeldLock)>,
}

impl Drop for RunLock {
    fn drop(&mut self) {
        if let Some((state, held)) = self.remote.take() {
            let result = super::remote::blocking(async move { state.unlock(&held).await });
            if let Err(error) = result {
                tracing::warn!(%error, "could not release the run's lock on the shared state");
            }
        }
    }
}

impl RunLock {
    pub const FILE_NAME: &'static str = "lock";

    /// Takes the lock of `run_id` for `command` (such as `awslab up`), creating the
    /// run's folder if needed; fails at once, naming the holder, if another process
    /// holds it.
    pub fn acquire(state_dir: &Path, run_id: &RunId, command: &str) -> Result<Self, JournalError> {
        let dir = Journal::run_dir(state_dir, run_id);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_error(&dir))?;
        let path = dir.join(Self::FILE_NAME);
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io_error(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another awslab process".to_owned()
                } else {
                    holder.to_owned()
                };
                return Err(JournalError::Locked {
                    run_id: run_id.clone(),
                    holder,
                });
            }
            Err(fs::TryLockError::Error(source)) => return Err(io_error(&path)(source)),
        }
        let holder = format!("process {} (`{command}`)", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()))
            .map_err(io_error(&path))?;
        let remote = match super::remote::shared(state_dir) {
            None => None,
            Some(shared) => {
                // Then the run's records are pulled again: another machine may have
                // appended since this command started.
                let (state, id, command, mirror) = (
                    shared.clone(),
                    run_id.clone(),
                    command.to_owned(),
                    state_dir.to_owned(),
                );
                let held = super::remote::blocking(async move {
                    let now = time::OffsetDateTime::now_utc().unix_timestamp();
                    let held = state.lock(&id, &command, now).await?;
                    if state.run_ids().await?.contains(&id) {
                        state.pull_run(&mirror, &id).await?;
                    }
                    Ok(held)
                })?;
                if let Some(previous) = &held.took_over {
                    tracing::warn!(run = %run_id, holder = %previous, "took over the expired lock of the run on the shared state");
                }
                Some((shared, held))
            }
        };
        Ok(Self {
            _file: file,
            remote,
        })
    }
}
