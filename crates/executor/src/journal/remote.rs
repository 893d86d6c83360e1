//! Shared state on S3 (`--state s3://BUCKET/PREFIX`): the journals of runs kept where
//! another machine can read them, written only with S3's conditional writes so two
//! machines racing on one run can never tear or lose a journal.
//!
//! Layout under `PREFIX/runs/<run-id>/`:
//! - `records/<seq>`: one checksummed journal line (see `line`), `seq` in 10 digits
//!   from `0000000000` (the run's header). Each is created with `If-None-Match: *`, so
//!   of two writers of one sequence number exactly one wins; the loser gets `412` on a
//!   known key and stops with [`JournalError::RaceLost`], never a torn journal.
//! - `lock`: who holds the run (host, process, command) and until when, created with
//!   `If-None-Match: *`, taken over when expired with `If-Match: <its ETag>`, and
//!   deleted by its holder after checking its `ETag` is still the one it wrote.
//!
//! The commands work on a local mirror (`<state folder>/s3/<bucket>/<prefix>/`): a
//! [`RemoteState::pull`] writes each run's records, in sequence order, into the
//! mirror's `journal.jsonl` (and `run.json`), so today's [`super::replay`] and
//! [`super::list_runs`] read it and apply today's damage rules: a missing sequence
//! number becomes an unreadable line and a record whose checksum fails stays one,
//! both damage, never "clean". Appends go to the mirror and then to S3 (a
//! [`RemoteAppender`] on the [`super::Journal`]). Secrets never go to S3: the journal
//! holds none, and the secrets of a run stay in the local state folder.

use std::fmt;
use std::fs;
use std::future::Future;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::{Journal, JournalError, RunId};

/// Where the state of runs lives: a local folder, or a bucket and prefix on S3.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateLocation {
    Local(PathBuf),
    S3 { bucket: String, prefix: String },
}

impl StateLocation {
    /// Reads `s3://BUCKET/PREFIX` (the prefix may be empty) or a folder.
    pub fn parse(value: &str) -> Result<Self, String> {
        let Some(rest) = value.strip_prefix("s3://") else {
            if let Some((scheme, _)) = value.split_once("://") {
                return Err(format!(
                    "`{value}` is a `{scheme}://` address, which awslab cannot keep state in; write `s3://BUCKET/PREFIX` for shared state, or a folder"
                ));
            }
            return Ok(Self::Local(PathBuf::from(value)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid_bucket {
            return Err(format!(
                "`{value}` does not name an S3 bucket; write `s3://BUCKET/PREFIX` with a bucket name of 3 to 63 lowercase letters, digits, `.` or `-`"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == ".." || part == ".") {
            return Err(format!(
                "the prefix of `{value}` has a `.` or `..` part; name a plain prefix"
            ));
        }
        Ok(Self::S3 {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    /// The local folder the commands work in: the folder itself, or the S3 state's
    /// mirror under the local `state_dir`.
    pub fn working_dir(&self, state_dir: &Path) -> PathBuf {
        match self {
            Self::Local(dir) => dir.clone(),
            Self::S3 { bucket, prefix } => {
                let mut dir = state_dir.join("s3").join(bucket);
                for part in prefix.split('/').filter(|part| !part.is_empty()) {
                    dir.push(part);
                }
                dir
            }
        }
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(dir) => write!(f, "{}", dir.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// The lock record of a run on S3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockOwner {
    pub host: String,
    pub pid: u32,
    pub command: String,
    /// Seconds since the Unix epoch after which another command may take the lock.
    pub expires_at: i64,
}

impl fmt::Display for LockOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "process {} on `{}` (`{}`), until {}",
            self.pid,
            self.host,
            self.command,
            time::OffsetDateTime::from_unix_timestamp(self.expires_at)
                .ok()
                .and_then(|at| at
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok())
                .unwrap_or_else(|| self.expires_at.to_string())
        )
    }
}

/// A lock this process holds on S3; [`RemoteState::unlock`] releases it.
#[derive(Clone, Debug)]
pub struct HeldLock {
    pub run_id: RunId,
    etag: String,
    /// The expired holder this lock was taken over from, to be told to the user.
    pub took_over: Option<LockOwner>,
}

/// The S3 side of shared state: a client, a bucket and a prefix.
#[derive(Clone, Debug)]
pub struct RemoteState {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

/// How long a lock holds without its holder (a killed command's lock is taken over
/// after it). A command renews nothing: one that runs longer can be joined by another,
/// and then the records' conditional creates still keep the journal whole (one of the
/// two stops with [`JournalError::RaceLost`]).
pub const LOCK_TTL: Duration = Duration::from_mins(30);

const SEQ_DIGITS: usize = 10;

fn remote_error(what: &str, detail: impl fmt::Display) -> JournalError {
    JournalError::Remote {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

fn code_of<E: aws_sdk_s3::error::ProvideErrorMetadata>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Option<String> {
    error.code().map(str::to_owned).or_else(|| {
        error
            .raw_response()
            .map(|response| format!("HTTP {}", response.status().as_u16()))
    })
}

fn describe<E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static>(
    error: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> String {
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => aws_smithy_types::error::display::DisplayErrorContext(error).to_string(),
    }
}

impl RemoteState {
    pub fn new(client: aws_sdk_s3::Client, bucket: String, prefix: String) -> Self {
        Self {
            client,
            bucket,
            prefix,
        }
    }

    /// The state at `bucket`/`prefix`, reached with the command's own SDK config (its
    /// target, profile and credentials); path-style addressing off real AWS.
    pub fn from_config(
        config: &aws_config::SdkConfig,
        path_style: bool,
        bucket: String,
        prefix: String,
    ) -> Self {
        let config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build();
        Self::new(aws_sdk_s3::Client::from_conf(config), bucket, prefix)
    }

    /// Checks that the bucket exists and can be reached; awslab never creates it.
    pub async fn check_bucket(&self) -> Result<(), JournalError> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(()),
            Err(error) => {
                let status = error
                    .raw_response()
                    .map(|response| response.status().as_u16());
                let detail = match status {
                    Some(404) => "the bucket does not exist; awslab never creates the state bucket: create it first (`aws s3api create-bucket --bucket NAME`)".to_owned(),
                    Some(403) => "access to the bucket is denied; the operator needs s3:ListBucket on it and s3:GetObject, s3:PutObject and s3:DeleteObject on its objects".to_owned(),
                    _ => describe(&error),
                };
                Err(remote_error(&format!("use `s3://{}`", self.bucket), detail))
            }
        }
    }

    fn key(&self, rest: &str) -> String {
        if self.prefix.is_empty() {
            rest.to_owned()
        } else {
            format!("{}/{rest}", self.prefix)
        }
    }

    fn run_key(&self, run_id: &RunId, rest: &str) -> String {
        self.key(&format!("runs/{run_id}/{rest}"))
    }

    /// The key of record `seq` of `run_id`.
    pub fn record_key(&self, run_id: &RunId, seq: u64) -> String {
        self.run_key(run_id, &format!("records/{seq:0SEQ_DIGITS$}"))
    }

    /// Creates record `seq` of `run_id` with `If-None-Match: *`: a `412` means another
    /// writer got this sequence number first.
    pub async fn put_record(
        &self,
        run_id: &RunId,
        seq: u64,
        line: Vec<u8>,
    ) -> Result<(), JournalError> {
        let key = self.record_key(run_id, seq);
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(line))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    code_of(&error).as_deref(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict")
                ) =>
            {
                Err(JournalError::RaceLost {
                    run_id: run_id.clone(),
                    key,
                })
            }
            Err(error) => Err(remote_error(
                &format!("write `s3://{}/{key}`", self.bucket),
                describe(&error),
            )),
        }
    }

    /// Takes the lock of `run_id` for `command`: a conditional create; an expired lock
    /// is taken over with `If-Match` on its `ETag` (a `412` then means someone else took
    /// it first); a live one is [`JournalError::Locked`] naming its holder.
    pub async fn lock(
        &self,
        run_id: &RunId,
        command: &str,
        now: i64,
    ) -> Result<HeldLock, JournalError> {
        let key = self.run_key(run_id, "lock");
        let owner = LockOwner {
            host: hostname(),
            pid: std::process::id(),
            command: command.to_owned(),
            expires_at: now.saturating_add(i64::try_from(LOCK_TTL.as_secs()).unwrap_or(i64::MAX)),
        };
        let body = serde_json::to_vec(&owner).map_err(JournalError::Encode)?;
        let created = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(body.clone()))
            .send()
            .await;
        let error = match created {
            Ok(output) => {
                return Ok(HeldLock {
                    run_id: run_id.clone(),
                    etag: output.e_tag().unwrap_or_default().to_owned(),
                    took_over: None,
                });
            }
            Err(error) => error,
        };
        if !matches!(
            code_of(&error).as_deref(),
            Some("PreconditionFailed" | "ConditionalRequestConflict")
        ) {
            return Err(remote_error(
                &format!("lock `s3://{}/{key}`", self.bucket),
                describe(&error),
            ));
        }
        let (holder, etag) = self.read_lock(&key).await?;
        let locked = |holder: String| JournalError::Locked {
            run_id: run_id.clone(),
            holder,
        };
        let Some(holder) = holder else {
            return Err(locked(
                "an awslab process on another machine (its lock record is unreadable)".to_owned(),
            ));
        };
        if holder.expires_at > now {
            return Err(locked(holder.to_string()));
        }
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .if_match(&etag)
            .body(ByteStream::from(body))
            .send()
            .await
        {
            Ok(output) => Ok(HeldLock {
                run_id: run_id.clone(),
                etag: output.e_tag().unwrap_or_default().to_owned(),
                took_over: Some(holder),
            }),
            Err(error)
                if matches!(
                    code_of(&error).as_deref(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
                ) =>
            {
                Err(locked(
                    "another awslab process that took over the expired lock first".to_owned(),
                ))
            }
            Err(error) => Err(remote_error(
                &format!("take over `s3://{}/{key}`", self.bucket),
                describe(&error),
            )),
        }
    }

    async fn read_lock(&self, key: &str) -> Result<(Option<LockOwner>, String), JournalError> {
        let got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| {
                remote_error(
                    &format!("read `s3://{}/{key}`", self.bucket),
                    describe(&error),
                )
            })?;
        let etag = got.e_tag().unwrap_or_default().to_owned();
        let bytes = got
            .body
            .collect()
            .await
            .map_err(|error| remote_error(&format!("read `s3://{}/{key}`", self.bucket), error))?
            .into_bytes();
        Ok((serde_json::from_slice(&bytes).ok(), etag))
    }

    /// Releases `lock` if this process still holds it (its `ETag` is the one written).
    pub async fn unlock(&self, lock: &HeldLock) -> Result<(), JournalError> {
        let key = self.run_key(&lock.run_id, "lock");
        let Ok((_, etag)) = self.read_lock(&key).await else {
            return Ok(());
        };
        if etag != lock.etag {
            tracing::warn!(run = %lock.run_id, "the run's lock was taken over; leaving it");
            return Ok(());
        }
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| {
                remote_error(
                    &format!("unlock `s3://{}/{key}`", self.bucket),
                    describe(&error),
                )
            })
    }

    /// Every key under `prefix` (after this state's prefix), in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, JournalError> {
        let full = self.key(prefix);
        let mut keys = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| {
                remote_error(
                    &format!("list `s3://{}/{full}`", self.bucket),
                    describe(&error),
                )
            })?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_owned)),
            );
        }
        keys.sort();
        Ok(keys)
    }

    /// The run ids that have records under this state.
    pub async fn run_ids(&self) -> Result<Vec<RunId>, JournalError> {
        let base = self.key("runs/");
        let mut ids: Vec<RunId> = self
            .list("runs/")
            .await?
            .iter()
            .filter_map(|key| key.strip_prefix(&base)?.split_once("/records/"))
            .filter_map(|(run, _)| RunId::parse(run).ok())
            .collect();
        ids.dedup();
        Ok(ids)
    }

    /// Writes run `run_id`'s records into the mirror at `mirror` (its `journal.jsonl`,
    /// 0600, and `run.json`), in sequence order, a missing sequence number written as
    /// an unreadable line; returns the next sequence number to append.
    pub async fn pull_run(&self, mirror: &Path, run_id: &RunId) -> Result<u64, JournalError> {
        let base = self.run_key(run_id, "records/");
        let keys = self.list(&format!("runs/{run_id}/records/")).await?;
        let dir = Journal::run_dir(mirror, run_id);
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(super::io_error(&dir))?;
        let mut journal = Vec::new();
        let mut next = 0_u64;
        for key in &keys {
            let Some(seq) = key
                .strip_prefix(&base)
                .and_then(|seq| seq.parse::<u64>().ok())
            else {
                continue;
            };
            while next < seq {
                // A gap: a record that should be there is not, so the journal is damage.
                journal.extend_from_slice(b"{\"missing_remote_record\":true}\n");
                next += 1;
            }
            let got = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .map_err(|error| {
                    remote_error(
                        &format!("read `s3://{}/{key}`", self.bucket),
                        describe(&error),
                    )
                })?;
            let bytes = got
                .body
                .collect()
                .await
                .map_err(|error| {
                    remote_error(&format!("read `s3://{}/{key}`", self.bucket), error)
                })?
                .into_bytes();
            journal.extend_from_slice(&bytes);
            if !bytes.ends_with(b"\n") {
                journal.push(b'\n');
            }
            next = seq + 1;
        }
        let path = dir.join(Journal::FILE_NAME);
        write_private(&path, &journal)?;
        write_private(
            &dir.join(Journal::RUN_FILE),
            br#"{"journal":"journal.jsonl","checksums":"crc32","begins_with":"run_started","remote":true}
"#,
        )?;
        Ok(next)
    }

    /// Pulls every run of this state into the mirror at `mirror`.
    pub async fn pull(&self, mirror: &Path) -> Result<Vec<RunId>, JournalError> {
        let ids = self.run_ids().await?;
        for run_id in &ids {
            self.pull_run(mirror, run_id).await?;
        }
        Ok(ids)
    }

    /// A writer of `run_id`'s records from sequence number `next` on, for
    /// [`super::Journal::with_remote`].
    pub fn appender(&self, run_id: &RunId, next: u64) -> RemoteAppender {
        RemoteAppender::start(self.clone(), run_id.clone(), next)
    }
}

/// The S3 states whose mirrors this process works in, by mirror folder: a journal
/// created or opened in one of them, and a [`super::RunLock`] taken there, are shared.
static SHARED: Mutex<Vec<(PathBuf, RemoteState)>> = Mutex::new(Vec::new());

/// Makes `mirror` the working folder of `state` for this process.
pub fn share(mirror: &Path, state: RemoteState) {
    let mut shared = SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    shared.retain(|(dir, _)| dir != mirror);
    shared.push((mirror.to_owned(), state));
}

/// The S3 state whose mirror is `dir`, if it is one.
pub fn shared(dir: &Path) -> Option<RemoteState> {
    SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(mirror, _)| mirror == dir)
        .map(|(_, state)| state.clone())
}

/// Runs `work` to completion on a thread of its own with its own runtime: a blocking
/// call, usable from synchronous code that may itself run inside a runtime.
pub(super) fn blocking<T, F>(work: F) -> Result<T, JournalError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, JournalError>> + Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| remote_error("start a runtime for the shared state", error))?
            .block_on(work)
    })
    .join()
    .map_err(|_| remote_error("reach the shared state", "its thread panicked"))?
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(super::io_error(path))
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
        .or_else(|| {
            fs::read_to_string("/etc/hostname")
                .ok()
                .map(|name| name.trim().to_owned())
        })
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown host".to_owned())
}

type Request = (Vec<u8>, mpsc::Sender<Result<(), JournalError>>);

/// Sends a journal's appended lines to S3, one object each, in order, from a thread of
/// its own (with its own runtime), so that [`super::Journal::append`] stays a blocking
/// call that returns only when the record is on S3.
#[derive(Debug)]
pub struct RemoteAppender {
    requests: mpsc::Sender<Request>,
}

impl RemoteAppender {
    fn start(state: RemoteState, run_id: RunId, mut next: u64) -> Self {
        let (requests, received) = mpsc::channel::<Request>();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                for (_, reply) in received {
                    let _ = reply.send(Err(remote_error("start the S3 writer", "no runtime")));
                }
                return;
            };
            let mut failed = false;
            for (line, reply) in received {
                let result = if failed {
                    Err(remote_error(
                        "append to the shared journal",
                        "an earlier append failed",
                    ))
                } else {
                    runtime.block_on(state.put_record(&run_id, next, line))
                };
                failed = result.is_err();
                if !failed {
                    next += 1;
                }
                let _ = reply.send(result);
            }
        });
        Self { requests }
    }

    /// Writes `line` as the next record; blocks until S3 answered.
    pub fn append(&self, line: Vec<u8>) -> Result<(), JournalError> {
        let (reply, answer) = mpsc::channel();
        self.requests
            .send((line, reply))
            .map_err(|_| remote_error("append to the shared journal", "the S3 writer stopped"))?;
        answer
            .recv()
            .map_err(|_| remote_error("append to the shared journal", "the S3 writer stopped"))?
    }
}

#[cfg(test)]
mod tests {
    use super::StateLocation;
    use std::path::Path;

    #[test]
    fn reads_s3_locations_and_refuses_bad_ones() {
        assert_eq!(
            StateLocation::parse("s3://lab-state/ci/main").unwrap(),
            StateLocation::S3 {
                bucket: "lab-state".to_owned(),
                prefix: "ci/main".to_owned()
            }
        );
        assert_eq!(
            StateLocation::parse("s3://lab-state").unwrap().to_string(),
            "s3://lab-state"
        );
        assert!(StateLocation::parse("s3://").is_err());
        assert!(StateLocation::parse("s3://Bad_Bucket/x").is_err());
        assert!(StateLocation::parse("s3://bucket/../x").is_err());
        assert!(StateLocation::parse("http://x").is_err_and(|e| e.contains("s3://BUCKET/PREFIX")));
        assert_eq!(
            StateLocation::parse(".awslab").unwrap(),
            StateLocation::Local(".awslab".into())
        );
        let mirror = StateLocation::parse("s3://lab-state/ci/main")
            .unwrap()
            .working_dir(Path::new(".awslab"));
        assert_eq!(mirror, Path::new(".awslab/s3/lab-state/ci/main"));
    }
}
