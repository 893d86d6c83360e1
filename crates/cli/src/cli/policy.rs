//! `awslab policy simulate` and `awslab policy check`: their arguments and help text
//! (the commands are in `commands/policy/`).

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};

use super::OutputFormat;

const SIMULATE_ABOUT: &str = "Evaluate a request against policy files, offline, with AWS's policy evaluation \
logic, and explain the decision.

The decision is `allowed`, `explicitDeny` or `implicitDeny`, as `aws iam simulate-custom-policy` reports it, \
with the AccessDenied message AWS would return and, for every policy, its type and for every statement \
whether its action, resource, principal and each condition matched. AWS's service rules apply first \
(`sts:GetCallerIdentity` is always allowed; AWS managed policies, service-linked and `/aws-reserved/` roles \
and `alias/aws/` KMS aliases cannot be changed). The resource owner is `--resource-owner`, else the account \
in the resource ARN, else the caller's account. `--policy` may be left out for a caller whose access comes \
only from a resource-based or trust policy. The exit code is 0 whatever the decision; 2 means a policy file \
is malformed or the arguments are invalid.";

const SIMULATE_EXAMPLE: &str = "Examples:
  awslab policy simulate --policy user.json \\
      --action s3:ListBucket --resource arn:aws:s3:::lab-bucket \\
      --principal arn:aws:iam::123456789012:user/bob
  awslab policy simulate --policy role.json --resource-policy trust.json \\
      --action sts:AssumeRole --resource arn:aws:iam::123456789012:role/lab \\
      --context sts:ExternalId=abc --output json
  awslab policy simulate --resource-policy trust.json \\
      --action sts:AssumeRole --resource arn:aws:iam::123456789012:role/lab \\
      --principal arn:aws:iam::123456789012:user/lab-user

A key repeated in --context is multi-valued:
  --context aws:TagKeys=env --context aws:TagKeys=team

Exit codes: 0 evaluated (any decision); 2 malformed policy or usage error";

const CHECK_ABOUT: &str = "Check policy files for the problems IAM reports as MalformedPolicyDocument, all at \
once, with file, line and column: the same diagnostics the planner gives for policies embedded in plans.";

const CHECK_EXAMPLE: &str = "Examples:
  awslab policy check user.json bucket-policy.json
  awslab policy check --kind trust trust.json
  awslab policy check --quota user inline-user-policy.json

Sizes are checked against AWS's limits, whitespace not counted: inline policies of a user 2,048,
of a group 5,120, of a role 10,240 (together); a managed policy 6,144; a trust policy 2,048
(8,192 once raised); a session policy 2,048 characters; a bucket policy 20 KB (20,480 bytes).
With --quota or --kind the size is checked before the file is parsed. A key given twice in one
object is an error; past 100 problems in a file, the rest are counted, not listed.

Exit codes: 0 every file is well formed; 2 a file is malformed or unreadable";

/// `awslab policy ...`
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Evaluate a request against policy files and explain the decision
    #[command(long_about = SIMULATE_ABOUT, after_help = SIMULATE_EXAMPLE)]
    Simulate(SimulateArgs),
    /// Check policy files for malformed documents
    #[command(long_about = CHECK_ABOUT, after_help = CHECK_EXAMPLE)]
    Check(CheckArgs),
}

/// Arguments of `awslab policy simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Identity-based policy files (user, group or role policies); none for a caller
    /// whose access comes only from a resource-based or trust policy
    #[arg(long = "policy", value_name = "FILE", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// The resource's policy: a bucket or key policy, or the role's trust policy when the
    /// resource is an IAM role ARN (read as a trust policy, which has no `Resource`)
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// Session policy files (inline or managed session policies of the caller's session)
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policies: Vec<PathBuf>,
    /// Permissions boundary of the calling user or role
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// The action, as `service:Action`
    #[arg(long)]
    pub action: String,
    /// The resource ARN (`*` for actions without a resource)
    #[arg(long)]
    pub resource: String,
    /// The caller: a user, root, role, assumed-role or federated-user ARN, or a service principal
    #[arg(long, default_value = "arn:aws:iam::123456789012:user/simulated")]
    pub principal: String,
    /// The account that owns the resource (default: the account in the resource ARN, or
    /// the caller's account for ARNs without one, such as S3 buckets)
    #[arg(long, value_name = "ACCOUNT")]
    pub resource_owner: Option<String>,
    /// Request context values; repeat a key for a multi-valued key
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub context: Vec<(String, String)>,
    /// Output format: `human` (the decision, the matching statements and the denial message) or `json`
    #[arg(long, default_value = "human", value_parser = simulate_output_format())]
    pub output: OutputFormat,
}

/// Arguments of `awslab policy check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy files to check
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The kind of policy (`auto` guesses from the document)
    #[arg(long, default_value = "auto", value_parser = ["auto", "identity", "resource", "trust", "session", "boundary"])]
    pub kind: String,
    /// The size quota to check against: where the policy goes (default: `trust` for trust
    /// policies, `session` for session policies, `managed` for identity and boundary
    /// policies, `bucket` for resource policies; inline `user`, `group` and `role`
    /// policies have smaller or larger quotas)
    #[arg(long, value_parser = ["user", "group", "role", "managed", "trust", "session", "bucket"])]
    pub quota: Option<String>,
}

pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `--output` of `simulate`: the shared [`OutputFormat`], with help that says what
/// `simulate` prints in each.
fn simulate_output_format() -> impl TypedValueParser<Value = OutputFormat> {
    PossibleValuesParser::new([
        PossibleValue::new("human")
            .help("The decision, the statements that matched and AWS's denial message, for people"),
        PossibleValue::new("json").help("One JSON object, for tools"),
    ])
    .map(|value| {
        if value == "json" {
            OutputFormat::Json
        } else {
            OutputFormat::Human
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_values_must_be_key_equals_value() {
        assert_eq!(
            parse_key_value("a:b=c=d"),
            Ok(("a:b".to_owned(), "c=d".to_owned()))
        );
        assert!(parse_key_value("novalue").is_err());
    }
}
