//! `awslab policy simulate` (the offline counterpart of `aws iam simulate-custom-policy`)
//! and `awslab policy check` (the structural checks the planner applies to embedded
//! policies): reads policy files, runs `awslab-policy`, and renders the decision as
//! text or JSON, or the malformed-policy diagnostics with miette.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use awslab_policy::{
    Context, Decision, EvaluationInput, Explanation, NamedPolicy, PolicyDocument, PolicyError,
    PolicyKind, Principal, Quota, Request,
};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

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

/// How to print the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The decision, the statements that matched and AWS's denial message, for people
    Human,
    /// One JSON object, for tools
    Json,
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
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
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

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// Runs a `policy` subcommand and returns its exit code.
pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Simulate(args) => simulate(&args),
        PolicyCommand::Check(args) => check(&args),
    }
}

/// A usage or input problem, already reported; the exit code is 2.
struct Failed;

fn simulate(args: &SimulateArgs) -> ExitCode {
    match simulate_output(args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(Failed) => ExitCode::from(2),
    }
}

fn simulate_output(args: &SimulateArgs) -> Result<String, Failed> {
    let principal = principal_of(&args.principal).ok_or_else(|| {
        eprintln!(
            "error: `{}` is not a principal: use a user, root, role, assumed-role or federated-user ARN, \
             or a service principal such as `s3.amazonaws.com`",
            args.principal
        );
        Failed
    })?;
    let mut failed = false;
    let mut load_all =
        |paths: &[PathBuf], kind: Option<PolicyKind>| -> Vec<(String, PolicyDocument)> {
            paths
                .iter()
                .filter_map(|path| {
                    let loaded = load(path, kind).ok();
                    failed |= loaded.is_none();
                    loaded.map(|document| (path.display().to_string(), document))
                })
                .collect()
        };
    let identity = load_all(&args.policies, Some(PolicyKind::Identity));
    let resource = load_all(
        args.resource_policy.as_slice(),
        Some(resource_policy_kind(&args.resource)),
    );
    let session = load_all(&args.session_policies, Some(PolicyKind::Session));
    let boundary = load_all(args.boundary.as_slice(), Some(PolicyKind::Boundary));
    if failed {
        return Err(Failed);
    }
    let input = EvaluationInput {
        identity_policies: named(&identity),
        resource_policy: named(&resource).into_iter().next(),
        session_policies: (!session.is_empty()).then(|| named(&session)),
        boundary: named(&boundary).into_iter().next(),
    };
    let mut context = Context::new();
    for (key, value) in &args.context {
        context.insert(key, value.as_str());
    }
    let request = Request {
        principal,
        action: args.action.clone(),
        resource: args.resource.clone(),
        resource_account: args.resource_owner.clone(),
        context,
    };
    let decision = awslab_policy::evaluate(&input, &request);
    let explanation = awslab_policy::explain(&input, &request);
    Ok(match args.output {
        OutputFormat::Human => explanation.to_text(),
        OutputFormat::Json => render_json(&decision, &explanation, &request),
    })
}

/// A `--resource-policy` is the role's trust policy when the resource is an IAM role,
/// otherwise a resource-based policy: never an identity policy, so that a document
/// without `Principal` is reported instead of being silently ignored.
fn resource_policy_kind(resource: &str) -> PolicyKind {
    let role = resource.starts_with("arn:")
        && resource
            .split(':')
            .nth(2)
            .is_some_and(|service| service == "iam")
        && resource
            .splitn(6, ':')
            .nth(5)
            .is_some_and(|rest| rest.starts_with("role/"));
    if role {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn named(documents: &[(String, PolicyDocument)]) -> Vec<NamedPolicy<'_>> {
    documents
        .iter()
        .map(|(name, document)| NamedPolicy::new(name, document))
        .collect()
}

/// The caller for `--principal`: a role ARN stands for a session of that role.
fn principal_of(text: &str) -> Option<Principal> {
    if let Some(principal) = Principal::from_arn(text) {
        return Some(principal);
    }
    if let Some((prefix, path)) = text.split_once(":role/") {
        let account = prefix.rsplit(':').next()?;
        let name = path.rsplit('/').next()?;
        let mut session = Principal::role_session(account, name, "simulated");
        session.source_arn = Some(text.to_owned());
        return Some(session);
    }
    let service = text.ends_with(".amazonaws.com") && !text.contains(['/', ':']);
    service.then(|| Principal::service(text))
}

/// Reads and parses one policy file, reporting problems on stderr.
fn load(path: &Path, kind: Option<PolicyKind>) -> Result<PolicyDocument, Failed> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{}`: {error}", path.display());
        Failed
    })?;
    let parsed = match kind {
        Some(kind) => PolicyDocument::parse_as(&text, kind),
        None => PolicyDocument::parse(&text),
    };
    parsed.map_err(|errors| {
        eprint!("{}", render_errors(path, &text, errors));
        Failed
    })
}

/// The quota a policy is checked against: the one asked for, or the one its kind
/// implies (resource policies: S3's bucket policy limit, the only resource policy the
/// sandbox keeps).
fn quota_for(kind: PolicyKind, asked: Option<&str>) -> Quota {
    asked.and_then(Quota::from_label).unwrap_or(match kind {
        PolicyKind::Trust => Quota::Trust,
        PolicyKind::Session => Quota::Session,
        PolicyKind::Identity | PolicyKind::Boundary => Quota::Managed,
        PolicyKind::Resource => Quota::Bucket,
    })
}

/// The quota known before the file is parsed: asked for, or implied by `--kind`.
fn known_quota(kind: Option<PolicyKind>, asked: Option<&str>) -> Option<Quota> {
    match (kind, asked) {
        (_, Some(label)) => Quota::from_label(label),
        (Some(kind), None) => Some(quota_for(kind, None)),
        (None, None) => None,
    }
}

/// Checks a policy file's size against `quota` (counted as AWS counts it, see
/// `awslab_policy::Quota`); returns the size for the report, or reports the excess on
/// stderr.
fn check_size(path: &Path, quota: Quota) -> Result<String, Failed> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        eprintln!("error: cannot read `{}`: {error}", path.display());
        Failed
    })?;
    let size = quota.size_of_text(&text);
    match quota.check(size) {
        Ok(_) => Ok(format!(
            "{size} of the {} {} allowed for {}",
            quota.limit(),
            awslab_policy::unit(quota.counting()),
            quota.noun()
        )),
        Err(exceeded) => {
            eprintln!(
                "error: `{}`: {}",
                path.display(),
                crate::report::render_diagnostic(&exceeded)
            );
            Err(Failed)
        }
    }
}

/// Renders parse errors with miette: file, line, column and the offending text.
fn render_errors(path: &Path, text: &str, errors: Vec<PolicyError>) -> String {
    let mut out = String::new();
    // The planner's source counts columns in characters (miette counts bytes); one copy
    // of the text, shared by every error.
    let source = awslab_planner::SourceFile::new(path, text.to_owned()).named_source();
    for error in errors {
        let report = miette::Report::new(error).with_source_code(std::sync::Arc::clone(&source));
        let _ = writeln!(out, "{}", crate::report::render_diagnostic(report.as_ref()));
    }
    out
}

fn render_json(decision: &Decision, explanation: &Explanation, request: &Request) -> String {
    let matched: Vec<serde_json::Value> = decision
        .matched
        .iter()
        .map(|matched| {
            json!({
                "policy": matched.policy,
                "policyType": matched.policy_type.label(),
                "statement": matched.statement,
                "sid": matched.sid,
                "effect": matched.effect.label(),
            })
        })
        .collect();
    let value = json!({
        "decision": decision.verdict.label(),
        "matched": matched,
        "reason": decision.reason_clause(&request.action),
        "serviceRule": explanation.service_rule,
        "accessDeniedMessage": decision.access_denied_message(request),
        "request": {
            "principal": request.principal.arn,
            "action": request.action,
            "resource": request.resource,
            "resourceOwner": request.resource_owner(),
            "resourceOwnerSource": request.resource_owner_source().label(),
        },
        "explanation": explanation,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    )
}

fn check(args: &CheckArgs) -> ExitCode {
    let kind = PolicyKind::from_label(&args.kind);
    let mut failed = false;
    for path in &args.files {
        // A size limit known beforehand is checked before the file is parsed.
        if let Some(quota) = known_quota(kind, args.quota.as_deref())
            && check_size(path, quota).is_err()
        {
            failed = true;
            continue;
        }
        match load(path, kind) {
            Ok(document) => {
                let count = document.statements().len();
                let quota = quota_for(document.kind(), args.quota.as_deref());
                let Ok(size) = check_size(path, quota) else {
                    failed = true;
                    continue;
                };
                println!(
                    "`{}`: well-formed {} policy ({count} statement{}, {size})",
                    path.display(),
                    document.kind().label(),
                    if count == 1 { "" } else { "s" }
                );
            }
            Err(Failed) => failed = true,
        }
    }
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap_or_else(|error| panic!("{error}"));
        path
    }

    fn args(
        policies: Vec<PathBuf>,
        action: &str,
        resource: &str,
        output: OutputFormat,
    ) -> SimulateArgs {
        SimulateArgs {
            policies,
            resource_policy: None,
            session_policies: Vec::new(),
            boundary: None,
            action: action.to_owned(),
            resource: resource.to_owned(),
            principal: "arn:aws:iam::123456789012:user/bob".to_owned(),
            resource_owner: None,
            context: Vec::new(),
            output,
        }
    }

    const LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::lab"}]}"#;

    #[test]
    fn simulate_prints_json_with_decision_and_matched_statements() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(dir.path(), "user.json", LIST);
        let text = simulate_output(&args(
            vec![policy.clone()],
            "s3:ListBucket",
            "arn:aws:s3:::lab",
            OutputFormat::Json,
        ))
        .unwrap_or_else(|_| panic!("simulate failed"));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(value["decision"], "allowed");
        assert_eq!(value["matched"][0]["policy"], policy.display().to_string());
        assert_eq!(value["matched"][0]["statement"], 0);
        assert_eq!(value["matched"][0]["sid"], "List");
        assert_eq!(value["matched"][0]["effect"], "Allow");
    }

    #[test]
    fn simulate_explains_an_implicit_deny_with_the_access_denied_message() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(dir.path(), "user.json", LIST);
        let text = simulate_output(&args(
            vec![policy],
            "s3:GetObject",
            "arn:aws:s3:::lab/k",
            OutputFormat::Human,
        ))
        .unwrap_or_else(|_| panic!("simulate failed"));
        assert!(text.starts_with("Decision: implicitDeny\n"), "{text}");
        assert!(
            text.contains(
                "Reason: because no identity-based policy allows the `s3:GetObject` action"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "AccessDenied message: User: arn:aws:iam::123456789012:user/bob is not authorized"
            ),
            "{text}"
        );
    }

    #[test]
    fn simulate_treats_a_repeated_context_key_as_multi_valued() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let policy = write(
            dir.path(),
            "tags.json",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*",
                "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}}]}"#,
        );
        let mut simulate = args(vec![policy], "ec2:CreateTags", "*", OutputFormat::Json);
        simulate.context = vec![
            ("aws:TagKeys".into(), "env".into()),
            ("aws:TagKeys".into(), "owner".into()),
        ];
        let text = simulate_output(&simulate).unwrap_or_else(|_| panic!("simulate failed"));
        assert!(text.contains("\"decision\": \"implicitDeny\""), "{text}");
    }

    #[test]
    fn malformed_policies_render_with_file_line_and_column() {
        let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}";
        let errors = PolicyDocument::parse_as(text, PolicyKind::Identity)
            .err()
            .unwrap_or_default();
        let rendered = render_errors(Path::new("user.json"), text, errors);
        assert!(rendered.contains("policy::unknown_effect"), "{rendered}");
        assert!(rendered.contains("user.json:3:18"), "{rendered}");
    }

    #[test]
    fn principal_accepts_roles_and_services() {
        let role =
            principal_of("arn:aws:iam::123456789012:role/lab").map(|principal| principal.kind);
        assert_eq!(role, Some(awslab_policy::PrincipalKind::AssumedRole));
        let service = principal_of("ec2.amazonaws.com").map(|principal| principal.kind);
        assert_eq!(service, Some(awslab_policy::PrincipalKind::Service));
        assert!(principal_of("bob").is_none());
    }

    #[test]
    fn context_values_must_be_key_equals_value() {
        assert_eq!(
            parse_key_value("a:b=c=d"),
            Ok(("a:b".to_owned(), "c=d".to_owned()))
        );
        assert!(parse_key_value("novalue").is_err());
    }
}
