//! `awslab guide --auto`: does each remaining step as a learner would, with the aws
//! CLI: one bash process runs the runbook's commands of each step (the same commands
//! `hint`/`solution` show and `awslab export` writes), exports what they captured, and
//! calls `awslab guide --check` for the step, which looks at the world and adopts what
//! the commands made. Values of steps done earlier reach bash through its environment
//! (never a file); the files the commands read (templates, policies) go to a private
//! folder that bash removes on exit.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use awslab_executor::{Journal, RunId, SecretsStore};
use awslab_planner::SealedPlan;
use awslab_runbook::{Options, Runbook, sh, var_name};

use super::session::Session;
use crate::cli::{GuideArgs, TargetKind};
use crate::exit::{Failure, OrFail as _, Status};

/// The runbook's options: the run id, the region, and where the learner's aws CLI goes
/// (the sandbox's `serve` by default), as `awslab export` chooses them.
pub fn options(args: &GuideArgs, run_id: &RunId) -> Options {
    crate::commands::export::runbook_options(&args.target, run_id.to_string())
}

pub fn auto(
    args: &GuideArgs,
    sealed: &Arc<SealedPlan>,
    run_id: &RunId,
    resumed: bool,
) -> Result<Status, Failure> {
    if !args.vars.secret_vars.is_empty() {
        // Each step's check is another awslab process: a secret would have to go on
        // its command line, where other users of the machine can read it.
        return Err(Failure::new(
            Status::Invalid,
            "--auto does not take --secret-var",
        )
        .hint("put secret values in a --var-file (mode 0600), or do the steps with `awslab guide` and `check`"));
    }
    let runtime = super::super::up::runtime()?;
    // Open (or create) the run, see where it stands, and let go of its lock: each
    // step's `--check` takes it in turn.
    let (first, environment) = runtime.block_on(async {
        let session = Session::open(args, Arc::clone(sealed), run_id.clone(), resumed).await?;
        let first = session.current();
        let environment = known_values(&session, args)?;
        Ok::<_, Failure>((first, environment))
    })?;
    let runbook = awslab_runbook::build(sealed, &options(args, run_id));
    if let Some(first) = first {
        if runbook.sandbox
            && std::net::TcpStream::connect(("127.0.0.1", args.target.sandbox_port)).is_err()
        {
            return Err(Failure::new(
                Status::Unreachable,
                format!(
                    "nothing listens on 127.0.0.1:{}, where the aws CLI sends the lab's commands",
                    args.target.sandbox_port
                ),
            )
            .hint(
                "start the sandbox's endpoint first: `awslab sandbox serve &` (same --sandbox-dir)",
            ));
        }
        let script = script(args, &runbook, first, run_id)?;
        let status = run_bash(args, &script, &environment)?;
        if !status {
            eprintln!("--auto stopped: a step's commands failed or its check did not pass");
        }
    }
    runtime.block_on(async {
        let session = Session::open(args, Arc::clone(sealed), run_id.clone(), true).await?;
        let done = session.current().is_none();
        if done {
            super::print_finished(&session);
            Ok(Status::Success)
        } else {
            print!("{}", session.summary());
            Ok(Status::StepFailed)
        }
    })
}

/// The shell variables of what earlier steps made (outputs and credentials), for a
/// run resumed in the middle: passed to bash in its environment.
fn known_values(session: &Session, _args: &GuideArgs) -> Result<Vec<(String, String)>, Failure> {
    let mut values = Vec::new();
    for (step, outputs) in session.outputs() {
        for (field, value) in outputs {
            let mut parts = vec![step.as_str()];
            parts.extend(field.split('.'));
            values.push((var_name(&parts), value));
        }
    }
    let run_dir = Journal::run_dir(session.state_dir(), session.run_id());
    let secrets = SecretsStore::open(&run_dir).or_fail(Status::StepFailed)?;
    let steps: Vec<String> = secrets.steps().map(str::to_owned).collect();
    for step in steps {
        if let Some(credentials) = secrets.get(&step) {
            values.push((
                var_name(&[&step, "access_key_id"]),
                credentials.access_key_id.clone(),
            ));
            values.push((
                var_name(&[&step, "secret_access_key"]),
                credentials.secret_access_key.expose().to_owned(),
            ));
            if let Some(token) = &credentials.session_token {
                values.push((
                    var_name(&[&step, "session_token"]),
                    token.expose().to_owned(),
                ));
            }
        }
    }
    Ok(values)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[expect(
    clippy::too_many_lines,
    reason = "the script, top to bottom, in one place"
)]
/// The bash script: the runbook's helpers, its files, and for each step from `first`
/// on its commands, the export of what they captured, and the guide's check.
fn script(
    args: &GuideArgs,
    runbook: &Runbook,
    first: usize,
    run_id: &RunId,
) -> Result<String, Failure> {
    let awslab = std::env::current_exe().or_fail(Status::StepFailed)?;
    let mut check = vec![
        quote(&awslab.display().to_string()),
        "guide".to_owned(),
        quote(&absolute(&args.plan).display().to_string()),
        "--run-id".to_owned(),
        run_id.to_string(),
        "--check".to_owned(),
    ];
    let target = &args.target;
    if let Some(kind) = target.target {
        check.push("--target".to_owned());
        check.push(match kind {
            TargetKind::Aws => "aws".to_owned(),
            TargetKind::Sandbox => "sandbox".to_owned(),
        });
    }
    for (flag, value) in [
        ("--endpoint-url", &target.endpoint_url),
        ("--region", &target.region),
        ("--profile", &target.profile),
    ] {
        if let Some(value) = value {
            check.push(flag.to_owned());
            check.push(quote(value));
        }
    }
    for (name, value) in &args.vars.vars {
        check.push("--var".to_owned());
        check.push(quote(&format!("{name}={value}")));
    }
    for file in &args.vars.var_files {
        check.push("--var-file".to_owned());
        check.push(quote(&absolute(file).display().to_string()));
    }
    for dir in &args.vars.allow_files_from {
        check.push("--allow-files-from".to_owned());
        check.push(quote(&absolute(dir).display().to_string()));
    }
    let check = check.join(" ");
    let mut out = String::new();
    out.push_str("set -euo pipefail\numask 077\n");
    let _ = write!(
        out,
        "REGION={}\nexport AWS_DEFAULT_REGION=\"$REGION\" AWS_PAGER=\"\"\n",
        quote(&runbook.region)
    );
    if let Some(profile) = &runbook.profile {
        let _ = writeln!(out, "export AWS_PROFILE={}", quote(profile));
    }
    let _ = writeln!(out, "AWSLAB={}", quote(&awslab.display().to_string()));
    if runbook.sandbox {
        let _ = writeln!(
            out,
            "eval \"$(\"$AWSLAB\" sandbox env --port {})\"",
            args.target.sandbox_port
        );
    }
    if let Some(url) = &runbook.endpoint_url {
        let _ = writeln!(out, "export AWS_ENDPOINT_URL={}", quote(url));
    }
    out.push_str("WORK=$(mktemp -d)\ntrap 'rm -rf \"$WORK\"' EXIT\n");
    out.push_str(sh::HELPERS);
    out.push('\n');
    for line in &runbook.setup {
        out.push_str(line);
        out.push('\n');
    }
    if runbook.needs_account_id {
        out.push_str("ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)\n");
    }
    for file in &runbook.files {
        if let Some(parent) = Path::new(&file.path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            let _ = writeln!(
                out,
                "mkdir -p \"$WORK\"/{}",
                quote(&parent.display().to_string())
            );
        }
        // `printf` (a builtin: no length limit) writes the bytes as they are; a
        // here-document would add a newline to contents that end without one.
        let _ = writeln!(
            out,
            "printf '%s' {} >\"$WORK\"/{}",
            quote(&file.contents),
            quote(&file.path)
        );
    }
    out.push_str("cd \"$WORK\"\n");
    for section in runbook.sections.iter().skip(first) {
        let _ = write!(out, "\n# --- {} ({})\n", section.step, section.kind);
        let _ = writeln!(
            out,
            "echo {}",
            quote(&format!("== {}: {}", section.step, section.description))
        );
        for command in &section.commands {
            out.push_str(&command.line);
            out.push('\n');
        }
        let captures: Vec<&str> = section
            .commands
            .iter()
            .flat_map(|c| c.captures.iter().map(|c| c.var.as_str()))
            .collect();
        if !captures.is_empty() {
            let _ = writeln!(out, "export {}", captures.join(" "));
        }
        out.push_str(&check);
        out.push('\n');
    }
    Ok(out)
}

/// `text` as one bash word, single-quoted.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Runs the script with bash (fed on stdin, never written to a file), the state and
/// sandbox folders in its environment; true when it succeeded.
fn run_bash(args: &GuideArgs, script: &str, values: &[(String, String)]) -> Result<bool, Failure> {
    let mut command = std::process::Command::new("bash");
    command
        .arg("-s")
        .env("AWSLAB_STATE_DIR", absolute(&args.state.state_dir))
        .env("AWSLAB_SANDBOX_DIR", absolute(&args.target.sandbox_dir))
        .env("AWSLAB_SANDBOX_PORT", args.target.sandbox_port.to_string())
        .stdin(Stdio::piped());
    for (name, value) in values {
        command.env(name, value);
    }
    let mut child = command.spawn().map_err(|e| {
        Failure::new(Status::StepFailed, format!("cannot run bash: {e}"))
            .hint("--auto runs each step's commands with bash and the aws CLI; install them, or do the steps by hand")
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .or_fail(Status::StepFailed)?;
    }
    let status = child.wait().or_fail(Status::StepFailed)?;
    Ok(status.success())
}
