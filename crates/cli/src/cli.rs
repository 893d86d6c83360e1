//! The command line: every command, its options, and the help text with examples.
//!
//! Every clap type of awslab (`Parser`, `Subcommand`, `Args`, `ValueEnum`) is here or in
//! a submodule of a command group (`cli/policy.rs`, `cli/sandbox.rs`, `cli/doctor.rs`).
//! This module is the bottom layer of the crate: it imports nothing of `commands`,
//! `progress`, `report` or `summary` (tests/module_layers.rs checks it), so every
//! command module can use its types and no import circle goes through here.
#![expect(
    clippy::doc_markdown,
    reason = "doc comments here are --help text for people, not rustdoc"
)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use class::{BundleArgs, ClassArgs, DownClassArgs};

mod class;
pub mod complete;
pub mod doctor;
pub mod policy;
pub mod sandbox;

const AFTER_HELP: &str = "\
Exit status:
  0    success
  1    a step or a verification failed
  2    the plan or the command line is invalid
  3    teardown left resources behind, or cannot prove it left none (a damaged
       journal, a run another command is using)
  4    cannot reach or authenticate to the target (no credentials, unknown
       profile, endpoint not answering, credentials refused), or `up`'s preflight
       found actions the operator may not call
  130  interrupted

Examples:
  awslab validate plans/*.yaml
  awslab plan plans/sts-assume-role.yaml
  awslab up plans/sts-assume-role.yaml            # offline, on the embedded sandbox
  awslab down
  awslab graph plans/sts-assume-role.yaml --format mermaid --teardown";

/// awslab turns a hands-on AWS identity lab into a YAML plan: it checks the plan,
/// provisions it as a dependency graph, verifies it and tears it down.
#[derive(Debug, Parser)]
#[command(name = "awslab", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); logs go to stderr.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check plans without touching AWS: every problem at once, with file, line and column.
    #[command(
        after_help = "Examples:\n  awslab validate plans/*.yaml\n  awslab validate my-lab.yaml --var bucket=my-bucket\n  awslab validate plans/*.yaml --format sarif > awslab.sarif   # for code scanning\n\nExit status: 0 if every plan is valid (warnings allowed), 2 otherwise."
    )]
    Validate(ValidateArgs),
    /// Show what a plan will do: the steps in run order, what each creates, and the teardown order.
    #[command(after_help = "Example:\n  awslab plan plans/sts-assume-role.yaml --var user=alice")]
    Plan(PlanArgs),
    /// Print a plan's step graph as Graphviz dot, Mermaid or JSON.
    #[command(
        after_help = "Examples:\n  awslab graph plans/sts-assume-role.yaml | dot -Tsvg > lab.svg\n  awslab graph plans/sts-assume-role.yaml --format mermaid --teardown"
    )]
    Graph(GraphArgs),
    /// Provision a plan against an AWS endpoint, verify it, and keep a journal for teardown.
    #[command(
        after_help = "Examples:\n  awslab up plans/sts-assume-role.yaml                # on the embedded sandbox\n  awslab up plans/sts-assume-role.yaml --endpoint-url http://127.0.0.1:5000\n  awslab up plans/sts-assume-role.yaml --profile lab-admin --yes --junit report.xml\n  awslab up plans/sts-assume-role.yaml --run-id r1   # resumes run r1 if it exists\n\nThe target: --target, --endpoint-url or --profile; else AWS_ENDPOINT_URL, AWS_PROFILE or\nan exported AWS_ACCESS_KEY_ID (named in the first line); else awslab's embedded sandbox,\noffline, in this process. On a real AWS account awslab shows the account and caller\nand asks before creating anything (--yes skips the question). A plan's other accounts\n(`accounts:`) take --account-profile NAME=PROFILE off the sandbox."
    )]
    Up(UpArgs),
    /// Tear down a run: delete everything its journal says it created, newest first.
    #[command(
        after_help = "Examples:\n  awslab down            # the latest run that still has resources\n  awslab down r1 --yes\n  awslab down r1 --forget-foreign   # keep what someone else put in its place\n\nExit status: 0 when nothing is left, 3 when something could not be deleted, when the\nrun's journal is damaged (it cannot prove that nothing is left) or when another\ncommand is working on the run, 4 when the target cannot be reached or refuses the\noperator's credentials."
    )]
    Down(DownArgs),
    /// Show a run: its steps' outputs and the resources its journal says exist.
    #[command(after_help = "Example:\n  awslab status r1")]
    Status(StatusArgs),
    /// List runs in the state folder.
    #[command(
        after_help = "Examples:\n  awslab runs\n  awslab runs --prune   # forget runs with nothing left (their folders go)"
    )]
    Runs(RunsArgs),
    /// Print a step's credentials as shell exports (the only command that prints secrets).
    #[command(
        after_help = "Examples:\n  eval \"$(awslab env r1 assumed)\"\n  eval \"$(awslab env assumed)\"     # a step of the latest run\n  aws sts get-caller-identity"
    )]
    Env(EnvArgs),
    /// Evaluate and check IAM policy documents offline, as AWS's policy evaluation logic does.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Print the least-privilege IAM policy the operator needs to run `up` and `down` of a plan.
    #[command(
        after_help = "Examples:\n  awslab perms plans/sts-assume-role.yaml\n  awslab perms plans/sts-assume-role.yaml --account 123456789012 --region eu-west-1 > operator.json\n  awslab perms plans/cross-account.yaml --output json      # one policy per account\n  awslab perms plans/cross-account.yaml --account b=444455556666\n\nThe policy's ARNs name the plan's resources; `${run.id}` and outputs known only at run\ntime become `*`. Without --account they name any account (`*`).\nExit status: 0 with the policy on stdout, 2 if the plan is invalid."
    )]
    Perms(OperatorPolicyArgs),
    /// Run the embedded offline AWS (IAM, STS, S3, CloudFormation): serve it, print its credentials, reset it.
    #[command(
        subcommand,
        after_help = "Rehearse a real account: `awslab sandbox serve --propagation-delay 5s --throttle 20/s`\n(also on `awslab up` and `down` with the sandbox target): new keys, policies and trust\npolicies take effect 5 s late, and over 20 requests a second per account and service\nthe sandbox answers Throttling (S3: SlowDown)."
    )]
    Sandbox(sandbox::SandboxCommand),
    /// Find what awslab made in the account by its tags (`awslab:run`), even with no journal; delete it with --yes.
    #[command(after_help = SWEEP_HELP)]
    Sweep(SweepArgs),
    /// Tear down every run past its `--ttl`: from its journal, or by its tags when the journal is gone.
    #[command(after_help = REAP_HELP)]
    Reap(ReapArgs),
    /// Print the JSON Schema of plan files (for editor completion).
    #[command(after_help = "Example:\n  awslab schema > plan.schema.json")]
    Schema,
    /// Print a shell completion script for bash, zsh, fish, elvish or PowerShell.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page, made from the same definitions as --help (or write one page a command).
    #[command(
        after_help = "Examples:\n  awslab man > awslab.1 && man ./awslab.1\n  awslab man --dir ~/.local/share/man/man1   # awslab.1, awslab-up.1, ..."
    )]
    Man(ManArgs),
    /// Write a plan as the runbook a learner follows by hand (markdown), or as a bash script that runs it with the aws CLI and checks each claim.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// A step-by-step lab: you run each step's aws CLI commands yourself, awslab checks the world and adopts what you made.
    #[command(after_help = GUIDE_HELP)]
    Guide(GuideArgs),
    /// Check what a run needs on the target: credentials, region, account, clock skew,
    /// reachability of IAM, STS, S3 and CloudFormation; `doctor oidc` explains a CI trust.
    #[command(after_help = doctor::AFTER_HELP)]
    Doctor(doctor::DoctorArgs),
}

// issue 20 §1: `awslab export`.
const EXPORT_HELP: &str = "\
Examples:
  awslab export plans/sts-assume-role.yaml > lab.md
  awslab export plans/sts-assume-role.yaml --format sh --out lab && bash lab/run.sh
  awslab export plans/sts-assume-role.yaml --target aws --profile lab-admin --out lab

Every command is the aws CLI's, with the plan's values (`--var`, `--run-id`); outputs
are captured into shell variables with --query, policies and templates go beside the
runbook (--out) and are read with file://. Secret variables are never written: the
runbook reads them from AWSLAB_VAR_<NAME> when it runs. On the sandbox (the default)
the commands go to `awslab sandbox serve` (--sandbox-port).
The script prints PASS or FAIL for each claim, cleans up on exit, and exits 1 if a
claim failed, 3 if cleanup left something.";

/// Only the target flags, read from the environment (`AWS_PROFILE`, ...), for commands
/// that have none but must reach the target (`--state s3://` on `status`, `runs`, `env`).
#[derive(Debug, Parser)]
pub struct TargetOnly {
    #[command(flatten)]
    pub target: TargetArgs,
}

/// `awslab export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// `markdown`: a runbook in the seeds' style; `sh`: a bash script that runs the lab
    /// with the aws CLI, checks each claim and cleans up.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: ExportFormat,
    /// Write into this folder (`README.md` or `run.sh`, and the policies and templates
    /// they read) instead of one file on stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The run id names derive from, as `up` names them (default: a new one).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    /// A plan for a class: its learners (default: the plan's `learners:`).
    #[command(flatten)]
    pub class: ClassArgs,
    /// A plan for a class: write the runbook of this learner, with their names, their
    /// roster variables and their profile (default: the class's first learner).
    #[arg(long, value_name = "NAME")]
    pub learner: Option<String>,
}

/// What `awslab export` writes.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportFormat {
    Markdown,
    Sh,
}

// issue 20 §2: `awslab guide`.
const GUIDE_HELP: &str = "\
Examples:
  awslab guide plans/sts-assume-role.yaml                  # interactive: check, hint, solution, skip, quit
  awslab guide plans/sts-assume-role.yaml --check          # non-interactive: is the current step done?
  awslab guide plans/sts-assume-role.yaml --run-id R --skip  # let awslab do the current step
  awslab guide plans/sts-assume-role.yaml --run-id R --auto  # do every step with the aws CLI, checking each

Progress is a run (`awslab status R`, `awslab down R`): what you made by hand is
adopted into its journal by its immutable id, so `awslab down R` removes it too.
Exit status: 0 the step (or the lab) is done, 1 it is not (what is wrong, the hint and
the command are printed), 2 invalid plan or usage, 4 the target cannot be reached.";

/// `awslab guide`.
#[derive(Debug, Args)]
pub struct GuideArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The guide's run: resume it (default: a new run).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Check the current step against the world, then exit: 0 done (recorded, the
    /// guide moves on), 1 not done (with what is wrong, the hint and the command).
    #[arg(long, conflicts_with_all = ["auto", "skip"])]
    pub check: bool,
    /// Do every remaining step with the aws CLI (the runbook's commands), checking each.
    #[arg(long, conflicts_with = "skip")]
    pub auto: bool,
    /// Let awslab do the current step itself (as `up` does), then exit.
    #[arg(long)]
    pub skip: bool,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

const SWEEP_HELP: &str = "\
Examples:
  awslab sweep                              # list what carries awslab's tags
  awslab sweep --run r1 --yes               # delete run r1's resources, journal or not
  awslab sweep --expired --output json      # the removal plan of expired runs
  awslab sweep --target aws --account 123456789012 --older-than 7d --yes

Found by tag: IAM users, roles, managed policies, OIDC and SAML providers, virtual MFA
devices, S3 buckets and CloudFormation stacks carrying `awslab:run`. Untaggable things
go with their tagged parent: a user's access keys, inline and attached policies, group
memberships and login profile; a role's policies; a bucket's objects; a stack's
resources go with the stack, whole. IAM groups take no tags: only `down` (from the
journal) removes them. Never touched: anything without `awslab:run`, and anything whose
`awslab:run` names another run than the one swept (the tag is read again just before
each delete). Deletes in AWS's prerequisite order (MFA devices, users, roles, policies,
providers, buckets, stacks). The account and caller come first; on a real account
`--account ID` must match the caller's, or nothing is touched. A resource that no
journal in the state folder knows is marked `no journal`.

Exit status: 0 when nothing is left, 3 when something remains (listed; a dry run that
finds anything), 2 for a usage error or an `--account` mismatch.";

const REAP_HELP: &str = "\
Examples:
  awslab reap --yes                          # in cron or a scheduled CI workflow
  awslab sandbox clock advance 3h && awslab reap

Every run past its `up --ttl` (its journal's expiry, or the `awslab:expires-at` tag when
its journal is gone) is torn down: from its journal where the state folder has one, as
`awslab down` does, else by tag sweep. On the sandbox, expiry is judged by the sandbox's
clock (`awslab sandbox clock advance`). On a real account, reap asks first unless --yes.
Reports each run.

Exit status: 0 when every expired run is gone, 3 when something remains.";

const COMPLETIONS_HELP: &str = "\
Install (then open a new shell):
  Run ids and step names too (`awslab down <TAB>`, `awslab env r1 <TAB>`), from the state
  folder at the moment of completion:
  bash:  echo 'source <(COMPLETE=bash awslab)' >> ~/.bashrc
  zsh:   echo 'source <(COMPLETE=zsh awslab)' >> ~/.zshrc
  fish:  echo 'COMPLETE=fish awslab | source' >> ~/.config/fish/config.fish
  Commands and flags only, as a static script:
  bash:  awslab completions bash > ~/.local/share/bash-completion/completions/awslab
  zsh:   awslab completions zsh > ~/.zfunc/_awslab   # with fpath+=(~/.zfunc) before compinit
  fish:  awslab completions fish > ~/.config/fish/completions/awslab.fish";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `awslab.1` and one page a command (`awslab-up.1`, ...) into this folder
    /// instead of printing `awslab.1`.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `--var NAME=VALUE`, `--secret-var NAME=VALUE`, `--var-file FILE` and `--allow-files-from DIR`, shared by
/// the commands that read a plan.
#[derive(Debug, Args, Clone)]
pub struct VarArgs {
    /// Override a plan variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Override a plan variable with a secret value (a token, a password): never printed, never journaled in clear (repeatable).
    #[arg(long = "secret-var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub secret_vars: Vec<(String, String)>,
    /// Set plan variables from a YAML file of `NAME: value` lines, lists and maps included (repeatable: later files win, `--var` wins over files).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// Let the plan read templates, objects and token files from this folder too; by default only from the plan's own folder tree (repeatable).
    #[arg(long = "allow-files-from", value_name = "DIR", value_parser = existing_folder)]
    pub allow_files_from: Vec<PathBuf>,
}

impl VarArgs {
    /// The planner's options for these arguments.
    pub fn load_options(&self) -> awslab_planner::LoadOptions {
        awslab_planner::LoadOptions {
            overrides: self.vars.clone(),
            secret_overrides: self.secret_vars.clone(),
            allowed_dirs: self.allow_files_from.clone(),
            var_files: self.var_files.clone(),
        }
    }
}

/// A folder that exists (a misspelt `--allow-files-from` would otherwise allow nothing
/// and say nothing).
fn existing_folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if path.is_dir() {
        Ok(path)
    } else {
        Err(format!("`{text}` is not a folder that exists"))
    }
}

/// The longest `--propagation-delay` (a longer one only makes every wait time out).
const MAX_PROPAGATION_DELAY: std::time::Duration = std::time::Duration::from_hours(1);

/// `--propagation-delay`: a duration with its unit (`5s`, `500ms`, `1m`), at most 1h.
pub fn parse_propagation_delay(text: &str) -> Result<std::time::Duration, String> {
    let delay = humantime::parse_duration(text.trim()).map_err(|error| {
        format!("`{text}` is not a duration ({error}); write it with its unit, such as `5s`, `500ms` or `1m`")
    })?;
    if delay > MAX_PROPAGATION_DELAY {
        return Err(format!("`{text}` is longer than the longest delay, 1h"));
    }
    Ok(delay)
}

/// `--throttle`: `N/s`.
pub fn parse_rate(text: &str) -> Result<awslab_sandbox::Rate, String> {
    text.parse()
        .map_err(|error: awslab_sandbox::RateError| error.to_string())
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Plan files to check.
    #[arg(required = true, value_name = "PLAN")]
    pub plans: Vec<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub class: ClassArgs,
    /// Output format: `human` (diagnostics on stderr), or `sarif` (one SARIF 2.1.0 log
    /// of every error and warning on stdout, for code-scanning annotations).
    #[arg(long, value_enum, default_value = "human")]
    pub format: ValidateFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ValidateFormat {
    Human,
    Sarif,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub class: ClassArgs,
}

/// `awslab perms`.
#[derive(Debug, Args)]
pub struct OperatorPolicyArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The operator's 12-digit account id, to scope ARNs to it (default: any account, `*`).
    /// For a plan with `accounts:`, one account's policy: `NAME`, or `NAME=ID` scoped to ID.
    #[arg(long, value_name = "ID|NAME[=ID]")]
    pub account: Option<String>,
    /// The region of the stacks' ARNs (default: any region, `*`).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// `human`: one policy, or for a plan with `accounts:` a heading per account then its
    /// policy; `json`: one policy, or an object of the policies keyed by account name.
    #[arg(long, value_enum, default_value = "human")]
    pub output: OutputFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Show the teardown order (edges reversed) instead of the run order.
    #[arg(long)]
    pub teardown: bool,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// Where run state lives.
#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// The state folder (journals and secrets of runs).
    #[arg(
        long,
        env = "AWSLAB_STATE_DIR",
        default_value = ".awslab",
        value_name = "DIR"
    )]
    pub state_dir: PathBuf,
    /// Where the journals of runs live: `s3://BUCKET/PREFIX` for state shared between
    /// machines (appended with S3 conditional writes; secrets stay in the state
    /// folder; the bucket must exist, awslab never creates or deletes it), or a folder.
    #[arg(long, env = "AWSLAB_STATE", value_name = "LOCATION")]
    pub state: Option<String>,
    /// The shared state in use, once resolved (not a flag).
    #[arg(skip)]
    pub shared: Option<String>,
}

/// Where calls go.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Where calls go: `sandbox` (awslab's embedded, offline AWS, in this process, on
    /// the world `awslab sandbox serve` exposes) or `aws` (a real account). Without
    /// `--target`, `--endpoint-url` or `--profile`: `AWS_ENDPOINT_URL`, `AWS_PROFILE` or
    /// exported keys if set, else the sandbox (`down` follows the run's journal).
    #[arg(
        long,
        value_enum,
        value_name = "TARGET",
        conflicts_with = "endpoint_url"
    )]
    pub target: Option<TargetKind>,
    /// An AWS-compatible endpoint (moto server, LocalStack, `awslab sandbox serve`).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// The sandbox's state folder (with `--target sandbox`).
    #[arg(
        long,
        env = "AWSLAB_SANDBOX_DIR",
        default_value = ".awslab/sandbox",
        value_name = "DIR"
    )]
    pub sandbox_dir: PathBuf,
    /// The port `awslab sandbox serve` listens on: profiles written for the sandbox
    /// point the aws CLI there.
    #[arg(
        long,
        env = "AWSLAB_SANDBOX_PORT",
        default_value_t = 4566,
        value_name = "PORT"
    )]
    pub sandbox_port: u16,
    /// The region (default: AWS_REGION, AWS_DEFAULT_REGION, or us-east-1).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// The operator's AWS CLI profile, in a real account (`--target aws` without it: the
    /// default credential chain). With `--target sandbox`: run as the sandbox user or
    /// role whose keys the profile holds (a least-privilege operator, see `awslab perms`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The operator of one of the plan's accounts (`accounts:`): its AWS CLI profile
    /// (repeatable; overrides the plan's `profile:`). On the sandbox the profile's keys
    /// name a sandbox identity of that account.
    #[arg(long, value_name = "NAME=PROFILE")]
    pub account_profile: Vec<String>,
    #[command(flatten)]
    pub rehearse: RehearseArgs,
}

/// What a real account does to a lab, rehearsed by the sandbox.
#[derive(Debug, Args, Clone, Default)]
pub struct RehearseArgs {
    /// Sandbox only: new access keys, policies (inline, attached, new default versions,
    /// group memberships) and trust policies take effect only this long after each
    /// change, as IAM propagates on AWS (`5s`, `500ms`, `1m`; at most 1h). Until then a
    /// new key answers InvalidClientTokenId, a new grant AccessDenied, and AssumeRole
    /// sees the previous trust policy. Removals take effect at once.
    #[arg(long, value_name = "DURATION", value_parser = parse_propagation_delay, allow_hyphen_values = true)]
    pub propagation_delay: Option<std::time::Duration>,
    /// Sandbox only: at most N requests a second per account and service (`20/s`);
    /// more answer Throttling ("Rate exceeded", HTTP 400), S3 SlowDown (HTTP 503), as
    /// AWS does; the SDK and the aws CLI retry them.
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub throttle: Option<awslab_sandbox::Rate>,
}

impl RehearseArgs {
    /// The sandbox's options, `None` when nothing is rehearsed.
    pub fn options(&self) -> Option<awslab_sandbox::Options> {
        (self.propagation_delay.is_some() || self.throttle.is_some()).then(|| {
            awslab_sandbox::Options {
                propagation_delay: self.propagation_delay.unwrap_or_default(),
                throttle: self.throttle,
            }
        })
    }

    /// The flags given, for an error that names them.
    pub fn named(&self) -> Vec<&'static str> {
        let mut named = Vec::new();
        if self.propagation_delay.is_some() {
            named.push("--propagation-delay");
        }
        if self.throttle.is_some() {
            named.push("--throttle");
        }
        named
    }
}

/// The kinds of target `--target` names.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TargetKind {
    /// A real AWS account (the default credential chain or `--profile`).
    Aws,
    /// The embedded, offline sandbox, in this process.
    Sandbox,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Live progress on stderr and a summary table on stdout.
    Human,
    /// A stream of JSON events on stdout, one object a line.
    Json,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// The run id (1 to 20 lowercase letters, digits and -); an existing run is resumed.
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Before creating anything, simulate the operator's permissions for this plan
    /// (`iam:SimulatePrincipalPolicy`, as `awslab perms` derives them) and stop with
    /// exit status 4, listing what is missing. Always on with `--target aws`.
    #[arg(long)]
    pub preflight: bool,
    /// How many steps may run at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// Stop scheduling new steps after the first failure (default: skip only its dependents).
    #[arg(long)]
    pub fail_fast: bool,
    /// How long to wait for IAM to propagate a new key or policy, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub settle_timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Write a JUnit report with one test case per verify step.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Do not ask before creating resources in a real AWS account.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long the run may live (`2h`, `30m`, `1d`): its expiry goes into the journal
    /// and the `awslab:expires-at` tag of everything it creates; `awslab reap` tears it
    /// down after that (on the sandbox, by the sandbox's clock).
    #[arg(long, value_name = "DURATION", value_parser = parse_ttl)]
    pub ttl: Option<std::time::Duration>,
    #[command(flatten)]
    pub class: ClassArgs,
    #[command(flatten)]
    pub bundles: BundleArgs,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// The run to tear down (default: the latest run that has resources left).
    #[arg(value_name = "RUN", add = clap_complete::ArgValueCompleter::new(complete::runs))]
    pub run: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// How long to wait for a CloudFormation stack to be deleted, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub stack_timeout: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// Do not ask before deleting resources in a real AWS account.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Record that resources found replaced by someone else's (same name, not this
    /// run's) are left on purpose, so later teardowns succeed; they are never deleted.
    #[arg(long)]
    pub forget_foreign: bool,
    #[command(flatten)]
    pub class: DownClassArgs,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Forget the runs that have nothing left: remove their folders (journal, secrets).
    /// A run with anything left, or a damaged journal, is kept and named.
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The run (default: the latest).
    #[arg(value_name = "RUN", add = clap_complete::ArgValueCompleter::new(complete::runs))]
    pub run: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The run (default: the latest), then the step whose credentials to print; with
    /// one word, the step of the latest run.
    #[arg(
        value_name = "RUN",
        num_args = 1..=2,
        required = true,
        add = clap_complete::ArgValueCompleter::new(complete::env_words)
    )]
    pub words: Vec<String>,
    /// The port `awslab sandbox serve` listens on (the endpoint for a run on the sandbox).
    #[arg(
        long,
        env = "AWSLAB_SANDBOX_PORT",
        default_value_t = 4566,
        value_name = "PORT"
    )]
    pub sandbox_port: u16,
    #[command(flatten)]
    pub state: StateArgs,
}

// ---- issue 19: sweep, reap and --ttl (tags) ----

/// `--ttl`, `--older-than`: a duration with its unit, from 1 minute to 1 year.
pub fn parse_ttl(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text.trim()).map_err(|error| {
        format!("`{text}` is not a duration ({error}); write it with its unit, such as `2h`, `30m` or `7d`")
    })?;
    if duration < std::time::Duration::from_mins(1) {
        return Err(format!("`{text}` is shorter than a minute"));
    }
    if duration > std::time::Duration::from_hours(366 * 24) {
        return Err(format!("`{text}` is longer than a year"));
    }
    Ok(duration)
}

/// `--older-than`: like `--ttl`, and `0s` is allowed (everything).
pub fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text.trim()).map_err(|error| {
        format!("`{text}` is not a duration ({error}); write it with its unit, such as `2h`, `30m` or `7d`")
    })?;
    if duration > std::time::Duration::from_hours(100 * 366 * 24) {
        return Err(format!("`{text}` is longer than a century"));
    }
    Ok(duration)
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Only the resources of this run (its `awslab:run` tag).
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Only the resources of this plan (its `awslab:plan` tag).
    #[arg(long, value_name = "NAME")]
    pub plan: Option<String>,
    /// Only resources created at least this long ago (`awslab:created-at`; `2h`, `7d`).
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub older_than: Option<std::time::Duration>,
    /// Only resources whose run has expired (`awslab:expires-at`, from `up --ttl`).
    #[arg(long)]
    pub expired: bool,
    /// The account to sweep: if the caller's account is another, nothing is touched.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Delete what is listed (without it, sweep only lists).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// `human`: a table; `json`: the removal plan, in deletion order, on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// How long to wait for a CloudFormation stack to be deleted, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub stack_timeout: u64,
}

#[derive(Debug, Args)]
pub struct ReapArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// Do not ask before deleting in a real AWS account.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to wait for a CloudFormation stack to be deleted, in seconds.
    #[arg(long, default_value_t = 900, value_name = "SECONDS")]
    pub stack_timeout: u64,
}
