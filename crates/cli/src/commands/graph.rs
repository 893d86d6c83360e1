//! `awslab graph`: a plan's step graph as Graphviz dot, Mermaid or JSON, in run or
//! teardown order.

use awslab_planner::render::{to_dot, to_json, to_mermaid};

use super::plan_file::load_reporting;
use crate::cli::{GraphArgs, GraphFormat};
use crate::exit::Status;

pub fn graph(args: &GraphArgs) -> Status {
    let Some(sealed) = load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    match args.format {
        GraphFormat::Dot => print!("{}", to_dot(&sealed, args.teardown)),
        GraphFormat::Mermaid => print!("{}", to_mermaid(&sealed, args.teardown)),
        GraphFormat::Json => {
            let text =
                serde_json::to_string_pretty(&to_json(&sealed, args.teardown)).unwrap_or_default();
            println!("{text}");
        }
    }
    Status::Success
}
