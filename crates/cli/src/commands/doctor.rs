//! `awslab doctor`: checks, on the target `up` would use, what a run needs before it
//! starts (credentials found and accepted, region, account, clock skew, each service
//! answering), one line a check with `ok`, `warn` or `fail` and what to do. The calls
//! are in `awslab_executor::doctor`; `doctor oidc` is in `doctor_oidc.rs`.

use std::fmt::Write as _;

use awslab_executor::doctor::{self, Reach};

use super::connect::{self, Connection};
use crate::cli::doctor::{DoctorArgs, DoctorCommand};
use crate::exit::{Failure, Status, finish};

/// AWS refuses a request signed more than 15 minutes off its clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;
/// Past this the clock is worth fixing before it drifts further.
const WARN_SKEW_SECONDS: i64 = 60;

pub fn run(args: &DoctorArgs) -> Status {
    match &args.command {
        Some(DoctorCommand::Oidc(oidc)) => finish(super::doctor_oidc::oidc(oidc)),
        None => finish(doctor(args)),
    }
}

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One line of the report: the check, what was found, and what to do.
#[derive(Debug, Clone)]
pub struct Line {
    pub level: Level,
    pub check: &'static str,
    pub found: String,
    pub todo: Option<String>,
}

impl Line {
    pub fn new(level: Level, check: &'static str, found: impl Into<String>) -> Self {
        Line {
            level,
            check,
            found: found.into(),
            todo: None,
        }
    }

    pub fn todo(mut self, todo: impl Into<String>) -> Self {
        self.todo = Some(todo.into());
        self
    }

    /// Text shown as it is, after the checks (an explanation).
    pub fn detail(text: String) -> Self {
        Line {
            level: Level::Ok,
            check: "",
            found: text,
            todo: None,
        }
    }

    pub fn render(&self) -> String {
        if self.check.is_empty() {
            return self.found.clone();
        }
        let level = match self.level {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        };
        let mut text = format!("{level:<4}  {}: {}\n", self.check, self.found);
        if let Some(todo) = &self.todo {
            for (index, line) in todo.lines().enumerate() {
                let lead = if index == 0 { "do:" } else { "   " };
                let _ = writeln!(text, "      {lead} {line}");
            }
        }
        text
    }
}

fn doctor(args: &DoctorArgs) -> Result<Status, Failure> {
    let runtime = super::up::runtime()?;
    let lines = runtime.block_on(checks(args))?;
    for line in &lines {
        print!("{}", line.render());
    }
    let worst = lines
        .iter()
        .map(|line| line.level)
        .max()
        .unwrap_or(Level::Ok);
    Ok(if worst == Level::Fail {
        Status::Unreachable
    } else {
        Status::Success
    })
}

async fn checks(args: &DoctorArgs) -> Result<Vec<Line>, Failure> {
    let mut lines = Vec::new();
    let connection = match connect::connect(&args.target, None, None).await {
        Ok(connection) => connection,
        // No credentials, an unknown profile: a failed check, not the end of the report.
        Err(failure) if failure.status == Status::Unreachable => {
            lines.push(region_line(args));
            let mut line = Line::new(Level::Fail, "credentials", failure.message);
            if let Some(hint) = failure.hint {
                line = line.todo(hint);
            }
            lines.push(line);
            return Ok(lines);
        }
        Err(failure) => return Err(failure),
    };
    println!("target: {}{}", connection.describe(), connection.env_note());
    lines.push(region_line(args));
    lines.push(credentials_line(&connection).await);
    let (server_time, caller) = doctor::caller(&connection.operator, &connection.target).await;
    match &caller {
        Ok(caller) => {
            lines.push(Line::new(
                Level::Ok,
                "credentials accepted",
                format!("`{}` (sts:GetCallerIdentity)", caller.1),
            ));
            lines.push(account_line(&caller.0, args.account.as_deref()));
            lines.push(Line::new(
                Level::Ok,
                "STS",
                "answers (sts:GetCallerIdentity)",
            ));
        }
        Err(error) => {
            lines.push(
                Line::new(Level::Fail, "credentials accepted", error.to_string())
                    .todo(error.hint()),
            );
            if let Some(expected) = &args.account {
                lines.push(Line::new(
                    Level::Fail,
                    "account",
                    format!(
                        "unknown: the target did not say who the operator is (--account {expected})"
                    ),
                ));
            }
        }
    }
    if matches!(
        caller,
        Err(awslab_executor::credentials::OperatorError::Unreachable { .. })
    ) {
        // No answer: no clock to compare with, and no other service to try.
        return Ok(lines);
    }
    lines.push(clock_line(&connection, server_time));
    for probe in doctor::reach(&connection.operator).await {
        lines.push(reach_line(&probe));
    }
    Ok(lines)
}

/// The region awslab uses, and where it came from.
fn region_line(args: &DoctorArgs) -> Line {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let (region, from) = if let Some(region) = &args.target.region {
        (region.clone(), "--region")
    } else if let Some(region) = env("AWS_REGION") {
        (region, "AWS_REGION")
    } else if let Some(region) = env("AWS_DEFAULT_REGION") {
        (region, "AWS_DEFAULT_REGION")
    } else {
        ("us-east-1".to_owned(), "the default")
    };
    if region_shaped(&region) {
        Line::new(Level::Ok, "region", format!("`{region}` (from {from})"))
    } else {
        Line::new(
            Level::Warn,
            "region",
            format!("`{region}` (from {from}) is not shaped like an AWS region"),
        )
        .todo("name a region such as `us-east-1` or `eu-west-1` (--region or AWS_REGION)")
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-3`.
fn region_shaped(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()))
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

async fn credentials_line(connection: &Connection) -> Line {
    if let Some(dir) = &connection.sandbox {
        return Line::new(
            Level::Ok,
            "credentials",
            format!(
                "found: the operator of the sandbox's first account (kept in `{}`)",
                dir.display()
            ),
        );
    }
    let named = match &connection.target.profile {
        Some(profile) => format!("profile `{profile}`"),
        None if connection.from_env.is_empty() => "the default credential chain".to_owned(),
        None => connection.from_env.join(", "),
    };
    let (source, expiry) = doctor::credential_source(&connection.operator).await;
    let mut found = format!("found through {named}");
    if let Some(source) = source {
        let _ = write!(found, ": {source}");
    }
    let Some(expiry) = expiry else {
        return Line::new(Level::Ok, "credentials", found);
    };
    let left = expiry
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    let _ = write!(
        found,
        "; they expire in {}",
        humantime::format_duration(std::time::Duration::from_secs(left.as_secs()))
    );
    if left < std::time::Duration::from_mins(15) {
        Line::new(Level::Warn, "credentials", found)
            .todo("a lab and its teardown can take longer: refresh the session (a longer `role-duration-seconds`, `aws sso login`) before `up`")
    } else {
        Line::new(Level::Ok, "credentials", found)
    }
}

fn account_line(account: &str, expected: Option<&str>) -> Line {
    match expected {
        None => Line::new(Level::Ok, "account", format!("`{account}`")),
        Some(expected) if expected == account => Line::new(
            Level::Ok,
            "account",
            format!("`{account}` (matches --account)"),
        ),
        Some(expected) => Line::new(
            Level::Fail,
            "account",
            format!("the operator is in account `{account}`, not `{expected}` (--account)"),
        )
        .todo("use the profile or role of the account you mean (--profile), or correct --account"),
    }
}

fn clock_line(connection: &Connection, server_time: Option<i64>) -> Line {
    let Some(server) = server_time else {
        return if connection.sandbox.is_some() {
            Line::new(
                Level::Ok,
                "clock",
                "the in-process sandbox checks signatures with this machine's clock",
            )
        } else {
            Line::new(
                Level::Warn,
                "clock",
                "the target's answer had no `Date` header: the skew cannot be measured",
            )
            .todo("keep this machine's clock synchronized (NTP): AWS refuses requests signed more than 15 minutes off")
        };
    };
    skew_line(time::OffsetDateTime::now_utc().unix_timestamp() - server)
}

/// The clock check for a skew (this machine's clock minus the target's, in seconds).
fn skew_line(skew: i64) -> Line {
    let size = humantime::format_duration(std::time::Duration::from_secs(skew.unsigned_abs()));
    let direction = if skew >= 0 { "ahead of" } else { "behind" };
    let found = if skew == 0 {
        "this machine's clock agrees with the target's (`Date` header)".to_owned()
    } else {
        format!("this machine's clock is {size} {direction} the target's (`Date` header)")
    };
    if skew.abs() > MAX_SKEW_SECONDS {
        Line::new(Level::Fail, "clock", found).todo(
            "AWS refuses requests signed more than 15 minutes off (SignatureDoesNotMatch \"Signature expired\", S3 RequestTimeTooSkewed): synchronize this machine's clock (NTP)",
        )
    } else if skew.abs() > WARN_SKEW_SECONDS {
        Line::new(Level::Warn, "clock", found)
            .todo("synchronize this machine's clock (NTP) before it drifts past AWS's 15 minutes")
    } else {
        Line::new(Level::Ok, "clock", found)
    }
}

fn reach_line(probe: &doctor::Probe) -> Line {
    let call = probe.call;
    match &probe.reach {
        Reach::Answered => Line::new(Level::Ok, probe.service, format!("answers ({call})")),
        Reach::Denied { code } => Line::new(
            Level::Warn,
            probe.service,
            format!("answers, and denies {call} ({code})"),
        )
        .todo("the operator may lack permissions a lab needs: `awslab perms PLAN` prints the policy it needs"),
        Reach::Refused { code } => Line::new(
            Level::Fail,
            probe.service,
            format!("refuses the operator's credentials ({code} on {call})"),
        )
        .todo("check the access key (or refresh the session); -v shows the SDK's answer"),
        Reach::Failed { code } => Line::new(
            Level::Warn,
            probe.service,
            format!("answers {call} with {code}"),
        )
        .todo("-v shows the answer; an emulator may not implement the call"),
        Reach::Unreachable { reason } => Line::new(
            Level::Fail,
            probe.service,
            format!("does not answer {call}: {reason}"),
        )
        .todo("is the endpoint right and reachable from here (proxy, firewall, VPC endpoints)? -v shows the SDK's answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_checked_for_their_shape() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-3",
        ] {
            assert!(region_shaped(region), "{region}");
        }
        for region in ["useast1", "us-east", "US-EAST-1", "us_east_1", "", "us--1"] {
            assert!(!region_shaped(region), "{region}");
        }
    }

    #[test]
    fn an_account_other_than_asked_fails() {
        assert_eq!(account_line("111122223333", None).level, Level::Ok);
        assert_eq!(
            account_line("111122223333", Some("111122223333")).level,
            Level::Ok
        );
        let wrong = account_line("111122223333", Some("444455556666"));
        assert_eq!(wrong.level, Level::Fail);
        assert!(
            wrong.render().contains("not `444455556666`"),
            "{}",
            wrong.render()
        );
    }

    #[test]
    fn a_clock_off_by_more_than_fifteen_minutes_fails() {
        assert_eq!(skew_line(0).level, Level::Ok);
        assert_eq!(skew_line(-30).level, Level::Ok);
        let drifting = skew_line(120);
        assert_eq!(drifting.level, Level::Warn);
        assert!(
            drifting.render().contains("2m ahead of the target's"),
            "{}",
            drifting.render()
        );
        let refused = skew_line(-16 * 60);
        assert_eq!(refused.level, Level::Fail);
        assert!(
            refused.render().contains("16m behind the target's"),
            "{}",
            refused.render()
        );
        assert!(
            refused
                .render()
                .contains("AWS refuses requests signed more than 15 minutes off")
        );
    }

    #[test]
    fn lines_say_level_check_and_what_to_do() {
        let line = Line::new(Level::Warn, "clock", "2m ahead").todo("sync\nnow");
        assert_eq!(
            line.render(),
            "warn  clock: 2m ahead\n      do: sync\n          now\n"
        );
    }
}
