//! `awslab env RUN STEP`: a step's credentials as shell exports, the one command that
//! prints secrets (to stdout, for `eval`; never to a log).

use awslab_executor::{Journal, SecretsStore, replay};

use super::run_state::pick_run;
use crate::cli::EnvArgs;
use crate::exit::{Failure, OrFail as _, Status, finish};

/// Quotes a value for a POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

pub fn env(args: &EnvArgs) -> Status {
    finish(env_run(args))
}

fn env_run(args: &EnvArgs) -> Result<Status, Failure> {
    let (run, step) = match args.words.as_slice() {
        [step] => (None, step),
        [run, step, ..] => (Some(run.as_str()), step),
        [] => {
            return Err(Failure::new(
                Status::Invalid,
                "name the step: `awslab env [RUN] STEP`",
            ));
        }
    };
    let run_id = pick_run(&args.state.state_dir, run, false).or_fail(Status::Invalid)?;
    let run_dir = Journal::run_dir(&args.state.state_dir, &run_id);
    let secrets = SecretsStore::open(&run_dir).or_fail(Status::Invalid)?;
    let Some(credentials) = secrets.get(step) else {
        let known: Vec<&str> = secrets.steps().collect();
        let hint = if known.is_empty() && args.state.shared.is_some() {
            // Shared state: the journal is on S3, the secrets never left their machine.
            "none on this machine: secrets never leave the machine that ran `up` (they are not in the shared state); run `awslab env` there".to_owned()
        } else if known.is_empty() {
            "none (torn down?)".to_owned()
        } else {
            known.join(", ")
        };
        return Err(Failure::new(
            Status::Invalid,
            format!("step `{step}` of run `{run_id}` has no credentials"),
        )
        .hint(format!("steps with credentials: {hint}")));
    };
    println!(
        "export AWS_ACCESS_KEY_ID={}",
        shell_quote(&credentials.access_key_id)
    );
    println!(
        "export AWS_SECRET_ACCESS_KEY={}",
        shell_quote(credentials.secret_access_key.expose())
    );
    match &credentials.session_token {
        Some(token) => println!("export AWS_SESSION_TOKEN={}", shell_quote(token.expose())),
        None => println!("unset AWS_SESSION_TOKEN"),
    }
    println!("unset AWS_PROFILE");
    if let Ok(state) = replay(&run_dir.join(Journal::FILE_NAME))
        && let Some(meta) = state.meta
    {
        println!("export AWS_REGION={}", shell_quote(&meta.target.region));
        if meta.target.sandbox.is_some() {
            // The run went to the sandbox in-process; the aws CLI reaches the same
            // world through `awslab sandbox serve`.
            println!(
                "export AWS_ENDPOINT_URL={}",
                shell_quote(&format!("http://127.0.0.1:{}", args.sandbox_port))
            );
            println!("# run `awslab sandbox serve` for the aws CLI to reach the sandbox");
        } else if let Some(endpoint) = meta.target.endpoint {
            println!("export AWS_ENDPOINT_URL={}", shell_quote(&endpoint));
        }
    }
    if let Some(expiration) = &credentials.expiration {
        println!("# expires {expiration}");
    }
    Ok(Status::Success)
}
