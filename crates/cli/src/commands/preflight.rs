//! `up`'s preflight: before anything is created, the policy `awslab perms` derives
//! for the plan is simulated for the caller (`iam:SimulatePrincipalPolicy` on the
//! caller, or on its role for a role session), statement by statement, and every
//! action the caller may not take is listed with the statement that would grant it.
//! Runs on `--target aws` always, and on any target with `--preflight`. A caller that
//! may not simulate is warned about and the run goes on (AWS decides at each call).

use aws_config::SdkConfig;
use awslab_executor::client::{Target, iam_client};
use awslab_planner::SealedPlan;
use serde_json::json;

use super::operator_policy::{Scope, derive};
use crate::exit::{Failure, Status};

/// The IAM principal to simulate for `caller` (a role session's role).
fn principal_of(caller: &str) -> Option<String> {
    let rest = caller.strip_prefix("arn:aws:sts::")?;
    let (account, path) = rest.split_once(':')?;
    let role = path.strip_prefix("assumed-role/")?.split('/').next()?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

/// Checks that `caller` holds what the plan needs; a [`Failure`] (exit 4) listing what
/// is missing if not.
pub async fn check(
    sealed: &SealedPlan,
    operator: &SdkConfig,
    target: &Target,
    account: &str,
    caller: &str,
) -> Result<(), Failure> {
    if caller.ends_with(":root") {
        eprintln!("preflight: the caller is the account's root user, which may do anything");
        return Ok(());
    }
    let source = if caller.contains(":assumed-role/") {
        principal_of(caller).unwrap_or_else(|| caller.to_owned())
    } else {
        caller.to_owned()
    };
    let scope = Scope {
        account: account.to_owned(),
        region: target.region.clone(),
    };
    let derived = derive(sealed, &scope);
    let iam = iam_client(operator);
    let mut missing = Vec::new();
    let mut granting = Vec::new();
    let statements = derived.document["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for statement in &statements {
        let strings = |key: &str| -> Vec<String> {
            statement[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let answer = iam
            .simulate_principal_policy()
            .policy_source_arn(&source)
            .set_action_names(Some(strings("Action")))
            .set_resource_arns(Some(strings("Resource")))
            .max_items(1000)
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                let (_, error) =
                    awslab_executor::classify::describe("SimulatePrincipalPolicy", &error);
                eprintln!(
                    "warning: preflight skipped: cannot simulate `{source}`'s permissions ({error}); `iam:SimulatePrincipalPolicy` on it lets awslab check them before the run"
                );
                return Ok(());
            }
        };
        let before = missing.len();
        for result in answer.evaluation_results() {
            if result.eval_decision().as_str() != "allowed" {
                missing.push(format!(
                    "  {} on {} ({}; statement `{}`)",
                    result.eval_action_name(),
                    result.eval_resource_name().unwrap_or("*"),
                    result.eval_decision().as_str(),
                    statement["Sid"].as_str().unwrap_or_default()
                ));
            }
        }
        if missing.len() > before {
            granting.push(statement.clone());
        }
    }
    if missing.is_empty() {
        eprintln!(
            "preflight: `{source}` may take all {} statements' actions this plan needs",
            statements.len()
        );
        return Ok(());
    }
    let policy = json!({ "Version": "2012-10-17", "Statement": granting });
    eprintln!(
        "preflight: `{source}` lacks {} permission(s) this plan needs; nothing was created:\n{}\nthe statements that grant them:\n{}",
        missing.len(),
        missing.join("\n"),
        serde_json::to_string_pretty(&policy).unwrap_or_default()
    );
    Err(Failure::new(
        Status::Unreachable,
        "the operator lacks permissions the plan needs",
    )
    .hint("attach the statements above to the operator (`awslab perms PLAN` prints the whole policy), then run `up` again"))
}
