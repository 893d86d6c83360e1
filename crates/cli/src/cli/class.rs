//! The options of a class (issue 21 §1): `--learners N` or `--roster FILE` for `up`,
//! `validate` and `plan`; `--bundle-dir` for `up`; `--learner` and `--keep-bundles`
//! for `down`.

use std::path::PathBuf;

use clap::Args;

/// Who the plan runs for: once, or once per learner of a class.
#[derive(Debug, Args, Default, Clone)]
pub struct ClassArgs {
    /// Run one namespaced copy of the plan per learner, `learner-01` to `learner-N`
    /// (1 to 500): step `s` becomes `s[learner-01]`, `${learner.name}` and
    /// `${learner.id}` are known, and names without them get the learner's suffix.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=500), conflicts_with = "roster")]
    pub learners: Option<u16>,
    /// Like --learners, for the learners a roster names: a CSV file with a header row
    /// (`name`, then any variable columns, `${learner.vars.COLUMN}`), or a YAML list of
    /// names or of maps with `name` and variables.
    #[arg(long, value_name = "FILE")]
    pub roster: Option<PathBuf>,
}

/// Where `up` writes a class's bundles.
#[derive(Debug, Args, Default, Clone)]
pub struct BundleArgs {
    /// With --learners or --roster: the folder of the learners' bundles, one folder
    /// each (`DIR/NAME/`: AWS CLI `config` and `credentials` with the profiles the plan
    /// writes, and a README.md). Default: the run's folder, `learners/`.
    #[arg(long, value_name = "DIR")]
    pub bundle_dir: Option<PathBuf>,
}

/// What `down` does to a class.
#[derive(Debug, Args, Default, Clone)]
pub struct DownClassArgs {
    /// Tear down one learner's copy of a class run (a later `down` does the rest).
    #[arg(long, value_name = "NAME")]
    pub learner: Option<String>,
    /// Leave the learners' bundle folders in place (their profiles are still removed).
    #[arg(long)]
    pub keep_bundles: bool,
}
