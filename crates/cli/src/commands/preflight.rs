//! `up`'s preflight: before anything is created, the policy `awslab perms` derives
//! for the plan is simulated for the caller (`iam:SimulatePrincipalPolicy` on the
//! caller, or on its role for a role session), statement by statement, and every
//! action the caller may not take is listed with the statement that would grant it.
//! A plan with `accounts:` is checked account by account: each account's operator
//! against that account's policy. Runs on `--target aws` always, and on any target
//! with `--preflight`. A caller that may not simulate is warned about and the run goes
//! on (AWS decides at each call).

use aws_config::SdkConfig;
use awslab_executor::client::{Target, iam_client};
use awslab_executor::{AccountInfo, AccountOperator};
use awslab_planner::SealedPlan;
use indexmap::IndexMap;
use serde_json::{Value, json};

use super::perms::{Scope, derive_account};
use crate::exit::{Failure, Status};

/// The role name and account of a role session's caller ARN
/// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`).
fn session_role(caller: &str) -> Option<(&str, &str)> {
    let rest = caller.strip_prefix("arn:aws:sts::")?;
    let (account, path) = rest.split_once(':')?;
    let role = path.strip_prefix("assumed-role/")?.split('/').next()?;
    Some((account, role))
}

/// The IAM principal to simulate for `caller`: the caller itself, or for a role
/// session its role's ARN with the role's path (an assumed-role ARN has none), which
/// `iam:GetRole` gives; without that permission, the ARN of a role at `/`.
async fn principal_of(operator: &SdkConfig, caller: &str) -> String {
    let Some((account, role)) = session_role(caller) else {
        return caller.to_owned();
    };
    match iam_client(operator).get_role().role_name(role).send().await {
        Ok(answer) => match answer.role() {
            Some(found) => found.arn().to_owned(),
            None => format!("arn:aws:iam::{account}:role/{role}"),
        },
        Err(error) => {
            let (_, error) = awslab_executor::classify::describe("GetRole", &error);
            eprintln!(
                "note: preflight cannot read role `{role}` ({error}): simulating it as a role at path `/` (`iam:GetRole` on it gives its path)"
            );
            format!("arn:aws:iam::{account}:role/{role}")
        }
    }
}

/// Checks that each account's operator holds what the plan needs of it; a [`Failure`]
/// (exit 4) listing what is missing if not. `accounts` are the plan's accounts and
/// their operators (empty for a plan without `accounts:`, whose one operator is
/// `operator`, in `account`, calling as `caller`).
pub async fn check(
    sealed: &SealedPlan,
    target: &Target,
    accounts: &IndexMap<String, (AccountInfo, AccountOperator)>,
    first: (&SdkConfig, &str, &str),
) -> Result<(), Failure> {
    let (operator, account, caller) = first;
    let mut missing = Vec::new();
    if accounts.is_empty() {
        missing.extend(check_account(sealed, target, None, 0, operator, account, caller).await?);
    }
    for (index, (name, (info, account_operator))) in accounts.iter().enumerate() {
        let caller = if index == 0 {
            caller.to_owned()
        } else {
            awslab_executor::credentials::whoami(&account_operator.config, target)
                .await?
                .1
        };
        missing.extend(
            check_account(
                sealed,
                target,
                Some(name),
                index,
                &account_operator.config,
                &info.id,
                &caller,
            )
            .await?,
        );
    }
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("{}", missing.join("\n"));
    Err(Failure::new(
        Status::Unreachable,
        "the operator lacks permissions the plan needs",
    )
    .hint("attach the statements above to the operator (`awslab perms PLAN` prints the whole policy), then run `up` again"))
}

/// Simulates the policy of the plan's account at `index` (named `name`, when the plan
/// names accounts) for `caller`, its operator; the report of what it lacks, if any.
async fn check_account(
    sealed: &SealedPlan,
    target: &Target,
    name: Option<&str>,
    index: usize,
    operator: &SdkConfig,
    account: &str,
    caller: &str,
) -> Result<Option<String>, Failure> {
    let whose = name.map_or_else(String::new, |name| format!("account `{name}`: "));
    if caller.ends_with(":root") {
        eprintln!("preflight: {whose}the caller is the account's root user, which may do anything");
        return Ok(None);
    }
    let iam = iam_client(operator);
    let source = principal_of(operator, caller).await;
    let scope = Scope {
        account: account.to_owned(),
        region: target.region.clone(),
    };
    let derived = derive_account(sealed, &scope, index);
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
                    "warning: {whose}preflight skipped: cannot simulate `{source}`'s permissions ({error}); `iam:SimulatePrincipalPolicy` on it lets awslab check them before the run"
                );
                return Ok(None);
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
            "preflight: {whose}`{source}` may take all {} statements' actions this plan needs",
            statements.len()
        );
        return Ok(None);
    }
    let policy: Value = json!({ "Version": "2012-10-17", "Statement": granting });
    Ok(Some(format!(
        "preflight: {whose}`{source}` lacks {} permission(s) this plan needs; nothing was created:\n{}\nthe statements that grant them:\n{}",
        missing.len(),
        missing.join("\n"),
        serde_json::to_string_pretty(&policy).unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::session_role;

    #[test]
    fn reads_a_role_sessions_account_and_role() {
        assert_eq!(
            session_role("arn:aws:sts::111122223333:assumed-role/deployer/ci-run"),
            Some(("111122223333", "deployer"))
        );
        assert_eq!(
            session_role("arn:aws:iam::111122223333:user/ci/alice"),
            None
        );
    }
}
