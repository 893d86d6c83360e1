//! `awslab guide PLAN`: a lab done step by step by the learner. The guide's progress
//! is a run (a journal and a state folder, as `up` keeps), so `--run-id R` resumes it
//! and `awslab status R` / `awslab down R` work on it. For the current step it shows
//! the step's description and, on request, the runbook's commands (crates/runbook, the
//! same commands `awslab export` writes); `check` looks at the world ([`world`]) and
//! adopts what the learner made into the journal by immutable id; `skip` lets the
//! executor do the step, journaled as `up` does; `--auto` runs the runbook's commands
//! with the aws CLI ([`auto`]). The interactive loop ([`interactive`]) is a thin layer
//! over the same functions as `--check` and `--skip`.

mod auto;
mod interactive;
mod progress;
mod session;
mod world;

use std::sync::Arc;

use awslab_executor::RunId;
use awslab_runbook::Section;

use crate::cli::GuideArgs;
use crate::exit::{Failure, OrFail as _, Status, finish};

use super::plan_file::load_reporting;
use session::Session;

pub fn guide(args: &GuideArgs) -> Status {
    let Some(sealed) = load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    let sealed = Arc::new(sealed);
    let result = run_id(args, &sealed).and_then(|(run_id, resumed)| {
        if args.auto {
            return auto::auto(args, &sealed, &run_id, resumed);
        }
        super::up::runtime()?.block_on(async {
            let mut session = Session::open(args, Arc::clone(&sealed), run_id, resumed).await?;
            if args.check {
                Ok(check_current(&mut session, Mode::Print).await)
            } else if args.skip {
                Ok(skip_current(&mut session).await)
            } else {
                interactive::run(&mut session).await
            }
        })
    });
    finish(result)
}

/// The run: `--run-id R`, or the latest guide run of this plan not torn down, or a new
/// one. The second value says whether it is resumed.
fn run_id(args: &GuideArgs, sealed: &awslab_planner::SealedPlan) -> Result<(RunId, bool), Failure> {
    let state_dir = &args.state.state_dir;
    if let Some(id) = &args.run_id {
        crate::commands::export::checked_run_id(id)?;
        let run_id = RunId::parse(id).or_fail(Status::Invalid)?;
        let exists = awslab_executor::Journal::run_dir(state_dir, &run_id)
            .join(awslab_executor::Journal::FILE_NAME)
            .is_file();
        return Ok((run_id, exists));
    }
    let runs = awslab_executor::list_runs(state_dir).unwrap_or_default();
    let latest = runs.into_iter().rev().find(|run| {
        run.plan_name.as_deref() == Some(sealed.plan.name.value.as_str())
            && run.status.is_none()
            && progress::Progress::exists(&awslab_executor::Journal::run_dir(
                state_dir,
                &run.run_id,
            ))
    });
    Ok(match latest {
        Some(run) => (run.run_id, true),
        None => (RunId::generate(), false),
    })
}

/// How `check` reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Print what is wrong with the hint and the commands (`--check`).
    Print,
    /// Print what is wrong only (`check` in the interactive loop; `hint` and
    /// `solution` show the rest).
    Brief,
}

/// Checks the current step; done: records it and says what is next (exit 0); not
/// done: what is wrong, the hint and the commands (exit 1).
pub(crate) async fn check_current(session: &mut Session, mode: Mode) -> Status {
    let Some(index) = session.current() else {
        print_finished(session);
        return Status::Success;
    };
    let section = session.section(index).clone();
    print_step(session, index, &section);
    match session.check(&section.step).await {
        Ok(world::Verdict::Done(note)) => {
            println!("done: {note}");
            print_next(session);
            Status::Success
        }
        Ok(world::Verdict::NotDone(reason)) => {
            println!("not done: {reason}");
            if mode == Mode::Print {
                print_hint(&section);
                print_solution(&section, session.setup());
            }
            Status::StepFailed
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.status
        }
    }
}

/// Lets awslab do the current step (the executor's step, journaled as `up` does).
pub(crate) async fn skip_current(session: &mut Session) -> Status {
    let Some(index) = session.current() else {
        print_finished(session);
        return Status::Success;
    };
    let section = session.section(index).clone();
    print_step(session, index, &section);
    match session.skip(&section.step).await {
        Ok(Ok(())) => {
            println!("done by awslab: `{}`", section.step);
            print_next(session);
            Status::Success
        }
        Ok(Err(reason)) => {
            println!("awslab could not do it: {reason}");
            Status::StepFailed
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.status
        }
    }
}

fn print_step(session: &Session, index: usize, section: &Section) {
    println!(
        "guide run `{}` of `{}`",
        session.run_id(),
        session.sealed.plan.name.value
    );
    println!(
        "step {}/{} `{}` ({}): {}",
        index + 1,
        session.total(),
        section.step,
        section.kind,
        section.description
    );
}

pub(crate) fn print_hint(section: &Section) {
    println!("hint: {}", section.action);
    for note in &section.notes {
        println!("  note: {note}");
    }
}

/// The runbook's commands of the step (and, for a claim, the command and its outcome);
/// `setup` is the runbook's opening commands (another account's operator), shown when
/// the step's commands need them.
pub(crate) fn print_solution(section: &Section, setup: &[String]) {
    if section.commands.is_empty() && section.claim.is_none() {
        println!("  (nothing to type: `awslab guide --check` does this step)");
        return;
    }
    println!("run:");
    for command in &section.commands {
        for line in command.line.lines() {
            println!("  {line}");
        }
    }
    let helpers: Vec<&str> = ["as_identity", "wait_for_credentials", "new_profile", "totp"]
        .into_iter()
        .filter(|h| section.commands.iter().any(|c| c.line.contains(h)))
        .collect();
    if !helpers.is_empty() {
        println!(
            "  (`{}`: shell functions defined at the top of `awslab export PLAN --format sh`)",
            helpers.join("`, `")
        );
    }
    let uses = |word: &str| section.commands.iter().any(|c| c.line.contains(word));
    let other_accounts = !setup.is_empty() && (uses("as_identity ACCOUNT_") || uses("as_profile "));
    if other_accounts {
        println!("  (once, in your shell, for the plan's other accounts:)");
        for line in setup {
            println!("  {line}");
        }
    }
    let setup_uses_awslab = other_accounts && setup.iter().any(|l| l.contains("$AWSLAB"));
    if uses("$WORK") || uses("${WORK}") || uses("$AWSLAB") || setup_uses_awslab {
        println!(
            "  (`$WORK` is a private folder for the lab's files, `$AWSLAB` the awslab program: set them once with `export WORK=$(mktemp -d) AWSLAB=awslab`)"
        );
    }
    let exports: Vec<&str> = section
        .commands
        .iter()
        .flat_map(|c| c.captures.iter().map(|c| c.var.as_str()))
        .collect();
    if !exports.is_empty() {
        println!("  export {}", exports.join(" "));
        println!(
            "  (exported, so that `awslab guide --check` can act as what you made; they stay in your shell)"
        );
    }
    if let Some(claim) = &section.claim {
        println!("  {}", claim.command);
        let expected = match &claim.expected {
            awslab_runbook::Expected::Success => "it succeeds".to_owned(),
            awslab_runbook::Expected::Error(codes) => {
                format!("it fails with {}", codes.join(" or "))
            }
            awslab_runbook::Expected::Fields(fields) => fields
                .iter()
                .map(|f| format!("`{}` matches `{}`", f.field, f.shown))
                .collect::<Vec<_>>()
                .join(", "),
        };
        println!("  expect: {expected}");
    }
}

fn print_next(session: &Session) {
    match session.current() {
        Some(next) => {
            let section = session.section(next);
            println!(
                "next: step {}/{} `{}`: {}",
                next + 1,
                session.total(),
                section.step,
                section.description
            );
        }
        None => print_finished(session),
    }
}

pub(crate) fn print_finished(session: &Session) {
    println!("the lab is complete");
    print!("{}", session.summary());
    println!("remove what it made: awslab down {}", session.run_id());
}
