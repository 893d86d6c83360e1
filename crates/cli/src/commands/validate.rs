//! `awslab validate`: checks plans without touching AWS, every problem at once with
//! file, line and column (`--format sarif`: one SARIF log, in `sarif.rs`).

use super::plan_file::load_reporting_for;
use crate::cli::{ValidateArgs, ValidateFormat};
use crate::exit::Status;

pub fn validate(args: &ValidateArgs) -> Status {
    if args.format == ValidateFormat::Sarif {
        return super::sarif::validate(args);
    }
    let mut status = Status::Success;
    for path in &args.plans {
        match load_reporting_for(path, &args.vars, &args.class) {
            Some(sealed) => println!(
                "ok: `{}` ({}, {} steps)",
                path.display(),
                sealed.plan.name.value,
                sealed.plan.steps.len()
            ),
            None => status = Status::Invalid,
        }
    }
    status
}
