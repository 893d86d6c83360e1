//! `awslab perms PLAN`: the least-privilege IAM policy the operator needs to run `up`
//! and `down` of a plan, as a JSON policy document; for a plan with `accounts:`, one
//! policy for each account's operator (or the one `--account NAME` names).
//!
//! How it is derived: for each step that runs as the operator, the calls its kind
//! makes ([`awslab_executor::permissions`]: creation, reads, waits and teardown) and
//! the calls it makes as its identity when that is the operator (an `sts.assume_role`,
//! an `s3.object`, a `verify`); each call's IAM action from the call table
//! ([`awslab_apimodel::find_call`]); each action's resource type and ARN template from
//! the Service Authorization Reference table ([`awslab_sandbox::authorization_of`]),
//! filled with the names the plan gives that step, as far as they are known before the
//! run (`${run.id}` becomes `*`, an output known only at run time the type's
//! wildcard). A `cfn.stack` adds the actions `CloudFormation` takes on the caller's
//! behalf for the template's resources ([`cfn::cfn_resources`]). One statement per
//! step and resource set, so removing any statement takes away what one step needs.
//! An account's policy holds the steps that run in that account; its ARNs name that
//! account (`--account NAME=ID`, else `*`), other accounts' ids `*`.
//!
//! Here the command: which accounts, and how their policies are printed.
//! [`derive_account`] makes one account's policy from [`names`] (the resources a step
//! names), [`actions`] (the actions it needs) and [`cfn`] (a stack's template).

mod actions;
mod cfn;
mod derive;
mod names;

pub use derive::{Derived, Scope, derive_account};

use serde_json::Value;

use crate::cli::{OperatorPolicyArgs, OutputFormat};
use crate::exit::Status;

pub fn perms(args: &OperatorPolicyArgs) -> Status {
    let Some(sealed) = super::plan_file::load_reporting(&args.plan, &args.vars) else {
        return Status::Invalid;
    };
    let names: Vec<&str> = sealed
        .plan
        .accounts
        .values()
        .map(|account| account.name.value.as_str())
        .collect();
    let chosen = match choose(args.account.as_deref(), &names) {
        Ok(chosen) => chosen,
        Err((error, hint)) => {
            eprintln!("error: {error}");
            if let Some(hint) = hint {
                eprintln!("  hint: {hint}");
            }
            return Status::Invalid;
        }
    };
    let region = args.region.clone().unwrap_or_else(|| "*".to_owned());
    let policies: Vec<(Option<&str>, Derived)> = chosen
        .iter()
        .map(|(index, account)| {
            let scope = Scope {
                account: account.clone().unwrap_or_else(|| "*".to_owned()),
                region: region.clone(),
            };
            (
                names.get(*index).copied(),
                derive_account(&sealed, &scope, *index),
            )
        })
        .collect();
    let several = policies.len() > 1;
    match (several, chosen.first()) {
        (true, _) => eprintln!(
            "note: the plan names {} accounts: a policy for each account's operator, whose resources name any account (`*`); `--account NAME=ID` prints one account's, scoped to it",
            policies.len()
        ),
        (false, Some((_, Some(account)))) => {
            eprintln!("note: resources are scoped to account {account}");
        }
        (false, _) => eprintln!(
            "note: no `--account`: resources name any account (`*`); pass `--account ID` to scope them to one"
        ),
    }
    for (name, derived) in &policies {
        for note in &derived.notes {
            match name {
                Some(name) if several => eprintln!("note: account `{name}`: {note}"),
                _ => eprintln!("note: {note}"),
            }
        }
    }
    match render(&policies, args.output) {
        Ok(text) => {
            println!("{text}");
            Status::Success
        }
        Err(error) => {
            eprintln!("error: cannot write the policy: {error}");
            Status::StepFailed
        }
    }
}

/// An error and its hint.
type Refusal = (String, Option<String>);

/// The accounts whose policies to print, by index among the plan's `accounts:` (`0`
/// for a plan without), each with the account id its ARNs name (`None`: any), from
/// `--account` (`ID`, `NAME` or `NAME=ID`) and the plan's account `names`.
fn choose(given: Option<&str>, names: &[&str]) -> Result<Vec<(usize, Option<String>)>, Refusal> {
    let is_id = |text: &str| text.len() == 12 && text.chars().all(|c| c.is_ascii_digit());
    let listed = || {
        names
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let index_of = |name: &str| names.iter().position(|n| *n == name);
    let Some(given) = given else {
        return Ok((0..names.len().max(1)).map(|index| (index, None)).collect());
    };
    if let Some((name, id)) = given.split_once('=') {
        if !is_id(id) {
            return Err((
                format!("`--account {given}`: `{id}` is not a 12-digit AWS account id"),
                None,
            ));
        }
        return match index_of(name) {
            Some(index) => Ok(vec![(index, Some(id.to_owned()))]),
            None if names.is_empty() => Err((
                format!(
                    "`--account {given}` names account `{name}`, and the plan names no accounts (`accounts:`)"
                ),
                Some(format!("pass the account id alone: `--account {id}`")),
            )),
            None => Err((
                format!("`--account {given}` names account `{name}`, which the plan does not name"),
                Some(format!("the plan's accounts are {}", listed())),
            )),
        };
    }
    if is_id(given) {
        return if names.len() > 1 {
            Err((
                format!(
                    "`--account {given}`: the plan names {} accounts, and an id scopes one of them",
                    names.len()
                ),
                Some(format!(
                    "say whose id it is, as `--account {}={given}` (the plan's accounts are {})",
                    names[0],
                    listed()
                )),
            ))
        } else {
            Ok(vec![(0, Some(given.to_owned()))])
        };
    }
    match index_of(given) {
        Some(index) => Ok(vec![(index, None)]),
        None if names.is_empty() => Err((
            format!("`--account {given}` is not a 12-digit AWS account id"),
            None,
        )),
        None => Err((
            format!(
                "`--account {given}` is neither a 12-digit AWS account id nor one of the plan's accounts"
            ),
            Some(format!("the plan's accounts are {}", listed())),
        )),
    }
}

/// The policies as printed: one policy document alone; several as a heading per
/// account then its document (`human`), or one object keyed by account name (`json`).
fn render(
    policies: &[(Option<&str>, Derived)],
    output: OutputFormat,
) -> Result<String, serde_json::Error> {
    if let [(_, derived)] = policies {
        return serde_json::to_string_pretty(&derived.document);
    }
    match output {
        OutputFormat::Json => {
            let object: serde_json::Map<String, Value> = policies
                .iter()
                .map(|(name, derived)| {
                    (
                        name.unwrap_or_default().to_owned(),
                        derived.document.clone(),
                    )
                })
                .collect();
            serde_json::to_string_pretty(&Value::Object(object))
        }
        OutputFormat::Human => {
            let mut parts = Vec::new();
            for (name, derived) in policies {
                parts.push(format!(
                    "# account `{}`\n{}",
                    name.unwrap_or_default(),
                    serde_json::to_string_pretty(&derived.document)?
                ));
            }
            Ok(parts.join("\n\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::choose;

    #[test]
    fn chooses_accounts_from_an_id_a_name_or_both() {
        let none: &[&str] = &[];
        let two = &["a", "b"];
        assert_eq!(choose(None, none), Ok(vec![(0, None)]));
        assert_eq!(choose(None, two), Ok(vec![(0, None), (1, None)]));
        assert_eq!(
            choose(Some("123456789012"), none),
            Ok(vec![(0, Some("123456789012".to_owned()))])
        );
        assert_eq!(choose(Some("b"), two), Ok(vec![(1, None)]));
        assert_eq!(
            choose(Some("b=444455556666"), two),
            Ok(vec![(1, Some("444455556666".to_owned()))])
        );
        for (given, names, error) in [
            ("12ab", none, "is not a 12-digit AWS account id"),
            ("123456789012", &two[..], "names 2 accounts"),
            ("c", &two[..], "neither a 12-digit AWS account id"),
            ("c=444455556666", &two[..], "which the plan does not name"),
            ("b=4444", &two[..], "`4444` is not a 12-digit"),
            ("a=444455556666", none, "the plan names no accounts"),
        ] {
            let (message, _) = choose(Some(given), names).expect_err(given);
            assert!(message.contains(error), "{given}: {message}");
        }
    }
}
