//! A class run (issue 21 §1): the record of its learners and bundle folder in the
//! run's folder (`class.json`, written before any step) and each learner's bundle (a
//! folder 0700 with the AWS CLI `config` and `credentials` the plan's profile steps
//! write, files 0600 from creation, and a README.md without secrets). `report` is the
//! end of `up` and `status` per learner (the table, `--output json`'s `learners`, a
//! `JUnit` test suite each); `down` tears down one learner or all, reported per
//! learner, with the bundles removed unless `--keep-bundles`.

mod down;
mod report;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use awslab_executor::RunId;
use awslab_planner::{SealedPlan, StepKind};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::cli::BundleArgs;
use crate::exit::{Failure, Status};

pub use down::{after_down, learner_of_step, scope_down};
pub use report::{conclude, status_text};

/// The file in a run's folder that names a class run's learners and bundle folder.
pub const RECORD: &str = "class.json";
/// The README of each learner's bundle.
const README: &str = "README.md";

/// What a class run records before its first step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ClassRecord {
    /// The folder of the bundles (absolute): `DIR/NAME/` per learner.
    pub bundle_dir: PathBuf,
    /// The learners' names, in order.
    pub learners: Vec<String>,
}

impl ClassRecord {
    /// The record of the run whose folder is `run_dir`, if it is a class run.
    pub fn read(run_dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(run_dir.join(RECORD)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record atomically (a private temporary file, renamed).
    fn save(&self, run_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let temp = run_dir.join(format!("{RECORD}.tmp"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, run_dir.join(RECORD))
    }

    /// A learner's bundle folder.
    pub fn folder(&self, learner: &str) -> PathBuf {
        self.bundle_dir.join(learner)
    }
}

/// Before a class run's first step: its record (kept as it was when the run resumes)
/// and a private folder per learner. `None` for a plan run once.
pub fn prepare(
    run_dir: &Path,
    sealed: &SealedPlan,
    args: &BundleArgs,
) -> Result<Option<ClassRecord>, Failure> {
    let learners = &sealed.plan.learners;
    if learners.is_empty() {
        if args.bundle_dir.is_some() {
            return Err(Failure::new(
                Status::Invalid,
                "--bundle-dir is for a class: pass --learners N or --roster FILE too",
            ));
        }
        return Ok(None);
    }
    let record = match ClassRecord::read(run_dir) {
        Some(record) if record.learners.iter().eq(learners.keys()) => record,
        Some(_) => {
            return Err(Failure::new(
                Status::Invalid,
                "this run was started for other learners; resume it with the same --learners or --roster",
            ));
        }
        None => new_record(run_dir, learners.keys().cloned().collect(), args)?,
    };
    let private = |dir: &Path, recursive: bool| {
        std::fs::DirBuilder::new()
            .recursive(recursive)
            .mode(0o700)
            .create(dir)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| {
                Failure::new(
                    Status::Invalid,
                    format!("cannot create bundle folder `{}`: {e}", dir.display()),
                )
            })
    };
    private(&record.bundle_dir, true)?;
    for name in &record.learners {
        private(&record.folder(name), false)?;
    }
    Ok(Some(record))
}

/// The record of a new class run, saved: its bundle folder must not hold a learner's
/// files already.
fn new_record(
    run_dir: &Path,
    learners: Vec<String>,
    args: &BundleArgs,
) -> Result<ClassRecord, Failure> {
    let bundle_dir = match &args.bundle_dir {
        Some(dir) => std::path::absolute(dir).map_err(|e| {
            Failure::new(
                Status::Invalid,
                format!("cannot use bundle folder `{}`: {e}", dir.display()),
            )
        })?,
        None => run_dir.join("learners"),
    };
    let record = ClassRecord {
        bundle_dir,
        learners,
    };
    for name in &record.learners {
        let folder = record.folder(name);
        if ["config", "credentials", README]
            .iter()
            .any(|file| folder.join(file).exists())
        {
            return Err(Failure::new(
                Status::Invalid,
                format!(
                    "the bundle folder `{}` already holds a learner's files",
                    folder.display()
                ),
            )
            .hint("choose another --bundle-dir, or tear down the run that wrote it"));
        }
    }
    record.save(run_dir).map_err(|e| {
        Failure::new(
            Status::StepFailed,
            format!("cannot record the class in `{}`: {e}", run_dir.display()),
        )
    })?;
    Ok(record)
}

/// Writes each learner's README.md: what the bundle holds and what to run. No secret:
/// profile names, paths and the endpoint only.
pub(super) fn write_readmes(
    sealed: &SealedPlan,
    record: &ClassRecord,
    outputs: &IndexMap<String, IndexMap<String, String>>,
    endpoint: Option<&str>,
    run_id: &RunId,
) -> std::io::Result<()> {
    let plan = &sealed.plan;
    let mut profiles: HashMap<&str, Vec<&str>> = HashMap::new();
    for step in plan.steps.values() {
        if let (StepKind::AwsProfile(_), Some(learner)) =
            (&step.kind, plan.learner_of(step.id.as_str()))
            && let Some(name) = outputs.get(step.id.as_str()).and_then(|o| o.get("name"))
        {
            profiles
                .entry(learner.name.as_str())
                .or_default()
                .push(name.as_str());
        }
    }
    for learner in plan.learners.values() {
        let text = readme(
            &plan.name.value,
            plan.description.as_deref(),
            &learner.name,
            profiles
                .get(learner.name.as_str())
                .map_or(&[][..], Vec::as_slice),
            endpoint,
            run_id,
        );
        let path = record.folder(&learner.name).join(README);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(text.as_bytes())?;
    }
    Ok(())
}

fn readme(
    plan: &str,
    description: Option<&str>,
    learner: &str,
    profiles: &[&str],
    endpoint: Option<&str>,
    run_id: &RunId,
) -> String {
    let mut out = format!("# Lab `{plan}`, for {learner}\n\n");
    if let Some(description) = description {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    if profiles.is_empty() {
        out.push_str(
            "This lab writes no AWS CLI profile for you: your instructor tells you what to do.\n",
        );
    } else {
        out.push_str(
            "This folder holds your AWS CLI files: `config` and `credentials` (your keys: keep\n\
             them to yourself). From this folder, tell the AWS CLI to use them:\n\n\
             ```sh\n\
             export AWS_CONFIG_FILE=\"$PWD/config\" AWS_SHARED_CREDENTIALS_FILE=\"$PWD/credentials\"\n",
        );
        for profile in profiles {
            let _ = writeln!(out, "aws sts get-caller-identity --profile {profile}");
        }
        out.push_str("```\n\nYour profiles: ");
        let named: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
        let _ = writeln!(out, "{}.", named.join(", "));
    }
    if let Some(endpoint) = endpoint {
        let _ = writeln!(
            out,
            "\nThe lab runs on the awslab sandbox at {endpoint} (your profiles name it as\n\
             `endpoint_url`): `awslab sandbox serve` must be running there."
        );
    }
    let _ = writeln!(
        out,
        "\nWhen the class ends your instructor runs `awslab down {run_id}`: everything of the\nlab is deleted and these keys stop working."
    );
    out
}
