//! The command line: every command, its options, and the help text with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0    success
  1    a step or a verification failed
  2    the plan or the command line is invalid
  3    teardown left resources behind
  130  interrupted

Examples:
  awslab validate plans/*.yaml
  awslab plan plans/sts-assume-role.yaml
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
    /// Check plans without touching AWS: every problem at once, with file:line:column.
    #[command(after_help = "Examples:\n  awslab validate plans/*.yaml\n  awslab validate my-lab.yaml --var bucket=my-bucket\n\nExit status: 0 if every plan is valid (warnings allowed), 2 otherwise.")]
    Validate(ValidateArgs),
    /// Show what a plan will do: the steps in run order, what each creates, and the teardown order.
    #[command(after_help = "Example:\n  awslab plan plans/sts-assume-role.yaml --var user=alice")]
    Plan(PlanArgs),
    /// Print a plan's step graph as Graphviz dot, Mermaid or JSON.
    #[command(after_help = "Examples:\n  awslab graph plans/sts-assume-role.yaml | dot -Tsvg > lab.svg\n  awslab graph plans/sts-assume-role.yaml --format mermaid --teardown")]
    Graph(GraphArgs),
    /// Print the JSON Schema of plan files (for editor completion).
    #[command(after_help = "Example:\n  awslab schema > plan.schema.json")]
    Schema,
}

/// `--var NAME=VALUE`, shared by the commands that read a plan.
#[derive(Debug, Args, Clone)]
pub struct VarArgs {
    /// Override a plan variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
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
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The plan file.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub vars: VarArgs,
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
