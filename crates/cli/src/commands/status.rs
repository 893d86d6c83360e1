//! `awslab status`: a run as its journal tells it: the plan and target, the status,
//! the steps' outputs and the resources that exist.

use awslab_executor::{Journal, ResourceState, replay};

use super::run_state::{journal_path, pick_run, run_status_word};
use crate::cli::StatusArgs;
use crate::exit::{Failure, OrFail as _, Status, finish};

pub fn status(args: &StatusArgs) -> Status {
    finish(status_run(args))
}

fn status_run(args: &StatusArgs) -> Result<Status, Failure> {
    let run_id =
        pick_run(&args.state.state_dir, args.run.as_deref(), false).or_fail(Status::Invalid)?;
    let state =
        replay(&journal_path(&args.state.state_dir, &run_id)).or_fail(Status::StepFailed)?;
    if let Some(meta) = &state.meta {
        println!(
            "Run `{run_id}` of plan `{}` ({}), started {}",
            meta.plan_name, meta.plan_path, meta.started_at
        );
        println!(
            "Target: {} ({}), account {}",
            meta.target.endpoint.as_deref().unwrap_or("AWS"),
            meta.target.region,
            meta.target.account.as_deref().unwrap_or("?")
        );
        if let Some(expires_at) = &meta.expires_at {
            println!("Expires: {expires_at} (`awslab reap` tears it down after that)");
        }
        let env = super::connect::env_words();
        if !env.is_empty() {
            println!(
                "  (as the run's journal recorded it; the environment's {} does not change it)",
                env.join(", ")
            );
        }
        for (name, account) in &meta.target.accounts {
            match &account.profile {
                Some(profile) => {
                    println!("  account `{name}`: {} (profile `{profile}`)", account.id);
                }
                None => println!("  account `{name}`: {}", account.id),
            }
        }
    }
    if state.is_damaged() {
        println!(
            "Status: DAMAGED journal ({}); the resources below are only what can still be read",
            state.damage_text()
        );
    } else {
        println!("Status: {}", run_status_word(state.status));
    }
    if let Some(steps) =
        crate::summary::saved_steps_text(&Journal::run_dir(&args.state.state_dir, &run_id))
    {
        print!("{steps}");
    }
    if let Some(learners) =
        super::class::status_text(&Journal::run_dir(&args.state.state_dir, &run_id), &state)
    {
        print!("{learners}");
    }
    if !state.outputs.is_empty() {
        println!("\nOutputs:");
        for (step, outputs) in &state.outputs {
            for (key, value) in outputs {
                println!("  {step}.{key} = {value}");
            }
        }
    }
    println!("\nResources ({}):", state.resources.len());
    let class = super::class::ClassRecord::read(&Journal::run_dir(&args.state.state_dir, &run_id));
    for live in &state.resources {
        // In a class, whose it is (a profile's name is the same in every bundle).
        let whose = class
            .as_ref()
            .and_then(|class| super::class::learner_of_step(live.step.as_deref(), &class.learners))
            .map(|learner| format!(" (learner {learner})"))
            .unwrap_or_default();
        let state_word = match &live.state {
            ResourceState::Exists => "exists".to_owned(),
            ResourceState::MayExist => "may exist (call interrupted)".to_owned(),
            ResourceState::Deleting => "being deleted".to_owned(),
            ResourceState::DeleteFailed { error } => format!("delete failed: {error}"),
        };
        match &live.account {
            Some(account) => println!(
                "  {}{whose} in account `{account}`  [{state_word}]",
                live.resource.label()
            ),
            None => println!("  {}{whose}  [{state_word}]", live.resource.label()),
        }
    }
    Ok(Status::Success)
}
