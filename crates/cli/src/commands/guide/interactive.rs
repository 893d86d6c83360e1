//! The interactive guide: shows the current step's description, then reads one word
//! a line (`check`, `hint`, `solution`, `skip`, `quit`) from stdin, a terminal or a
//! pipe, and answers with the same functions as `--check` and `--skip`. Ends with the
//! summary when the lab is complete (or on `quit`, with how to resume).

use std::io::BufRead as _;

use super::session::Session;
use super::{Mode, check_current, print_hint, print_solution, skip_current};
use crate::exit::{Failure, Status};

/// The longest line read; a longer one is refused rather than held.
const MAX_LINE: usize = 1024;

pub async fn run(session: &mut Session) -> Result<Status, Failure> {
    println!(
        "guide run `{}`: resume with --run-id {}; `awslab down {}` removes what it made",
        session.run_id(),
        session.run_id(),
        session.run_id()
    );
    show(session);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        if session.current().is_none() {
            super::print_finished(session);
            return Ok(Status::Success);
        }
        println!("[check, hint, solution, skip, quit]");
        let mut line = String::new();
        let read = std::io::Read::take(&mut input, MAX_LINE as u64).read_line(&mut line);
        match read {
            Ok(0) | Err(_) => return Ok(quit(session)),
            Ok(_) => {}
        }
        match line.trim() {
            "check" | "c" => {
                if check_current(session, Mode::Brief).await == Status::Success {
                    show(session);
                }
            }
            "hint" | "h" => {
                if let Some(index) = session.current() {
                    print_hint(session.section(index));
                }
            }
            "solution" | "s" => {
                if let Some(index) = session.current() {
                    print_solution(session.section(index), session.setup());
                }
            }
            "skip" => {
                if skip_current(session).await == Status::Success {
                    show(session);
                }
            }
            "quit" | "q" | "exit" => return Ok(quit(session)),
            "" => {}
            other => {
                let other: String = other.chars().take(40).collect();
                println!("unknown command `{other}`: type check, hint, solution, skip or quit");
            }
        }
    }
}

/// The current step's description.
fn show(session: &Session) {
    if let Some(index) = session.current() {
        let section = session.section(index);
        println!();
        println!(
            "step {}/{} `{}` ({}): {}",
            index + 1,
            session.total(),
            section.step,
            section.kind,
            section.description
        );
        println!("do it yourself with the aws CLI, then type `check`");
    }
}

fn quit(session: &Session) -> Status {
    print!("{}", session.summary());
    println!(
        "stopped; resume with `awslab guide {} --run-id {}`, or remove what it made with `awslab down {}`",
        session.sealed.path.display(),
        session.run_id(),
        session.run_id()
    );
    if session.current().is_none() {
        Status::Success
    } else {
        Status::StepFailed
    }
}
