//! ARNs and tags that AWS would refuse, checked when known before the run.
//!
//! ARNs (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>):
//! `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; IAM ARNs have no region, and
//! their resource is `TYPE/PATH/NAME` (`role/...`, `policy/...`). The account is 12
//! digits, or `aws` for AWS managed policies. STS's `RoleArn` has 20 to 2,048
//! characters, and at most 10 `PolicyArns` are passed (`AssumeRole` API reference).
//!
//! Tags (IAM's `Tag` type and "IAM and AWS STS quotas"): at most 50 per user or role
//! (awslab adds one, `awslab:run`), keys 1..128 and values 0..256 characters of
//! letters, digits, spaces and `_ . : / = + - @`; keys starting `aws:` are AWS's.

use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::plan::Plan;
use crate::source::Span;
use crate::values::Text;

use super::Statics;

/// Partitions AWS documents for ARNs.
const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The IAM resource type an ARN must name.
#[derive(Clone, Copy)]
enum Expected {
    Role,
    Policy,
}

impl Expected {
    fn word(self) -> &'static str {
        match self {
            Expected::Role => "role",
            Expected::Policy => "policy",
        }
    }
    fn example(self) -> &'static str {
        match self {
            Expected::Role => "arn:aws:iam::123456789012:role/lab-role",
            Expected::Policy => "arn:aws:iam::aws:policy/ReadOnlyAccess",
        }
    }
    fn max_name(self) -> usize {
        match self {
            Expected::Role => 64,
            Expected::Policy => 128,
        }
    }
}

fn iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Why `arn` is not an IAM ARN of the `expected` type, if it is not.
fn arn_problem(arn: &str, expected: Expected) -> Option<String> {
    let word = expected.word();
    if !(20..=2048).contains(&arn.chars().count()) {
        return Some(format!(
            "an ARN has 20 to 2,048 characters, not {}",
            arn.chars().count()
        ));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Some("an ARN has six parts separated by `:`".to_owned());
    };
    if *prefix != "arn" {
        return Some("an ARN starts with `arn:`".to_owned());
    }
    if !PARTITIONS.contains(partition) {
        return Some(format!(
            "`{partition}` is not a partition; use `aws` (or `aws-cn`, `aws-us-gov`, ...)"
        ));
    }
    if *service != "iam" {
        return Some(format!("a {word} ARN names service `iam`, not `{service}`"));
    }
    if !region.is_empty() {
        return Some(format!(
            "IAM ARNs have no region, but this one has `{region}`"
        ));
    }
    let account_ok = (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit()))
        || (matches!(expected, Expected::Policy) && *account == "aws");
    if !account_ok {
        return Some(if matches!(expected, Expected::Policy) {
            format!("the account is 12 digits, or `aws` for AWS managed policies, not `{account}`")
        } else {
            format!("the account is 12 digits, not `{account}`")
        });
    }
    let Some(rest) = resource.strip_prefix(&format!("{word}/")) else {
        return Some(format!(
            "the resource part must start with `{word}/`, not `{resource}`"
        ));
    };
    let (path, name) = rest.rsplit_once('/').map_or(("", rest), |(p, n)| (p, n));
    if name.is_empty() {
        return Some(format!("the {word} name is missing after `{word}/`"));
    }
    if name.chars().count() > expected.max_name() || !name.chars().all(iam_name_char) {
        return Some(format!(
            "the {word} name `{name}` must have 1 to {} letters, digits and `+=,.@_-`",
            expected.max_name()
        ));
    }
    if path
        .split('/')
        .any(|segment| !segment.chars().all(|c| c.is_ascii_graphic()))
    {
        return Some(format!(
            "the path `/{path}/` has characters IAM does not allow"
        ));
    }
    None
}

fn check_arn(
    diags: &mut Diagnostics,
    statics: &Statics,
    text: &Text,
    expected: Expected,
    field: &str,
) {
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    if let Some(problem) = arn_problem(&value, expected) {
        diags
            .error(
                "plan::invalid_arn",
                text.span,
                format!(
                    "`{field}` `{value}` is not a {} ARN: {problem}",
                    expected.word()
                ),
            )
            .help(format!(
                "a {} ARN looks like `{}`",
                expected.word(),
                expected.example()
            ))
            .emit();
    }
}

/// A permissions boundary: the ARN of a managed policy (AWS's or the account's; an
/// inline policy cannot be one). Written as a reference to a step, it must be an
/// `iam.policy` step's `arn`.
fn check_boundary(diags: &mut Diagnostics, statics: &Statics, text: &Text) {
    let Ok(template) = crate::template::Template::parse(&text.value) else {
        return;
    };
    for (reference, _, _) in template.references() {
        let crate::template::Reference::Step { step, path } = reference else {
            continue;
        };
        let Some(target) = statics.plan().steps.get(&crate::plan::StepId::new(step)) else {
            continue;
        };
        let is_policy_arn = matches!(target.kind, StepKind::IamPolicy(_))
            && path.first().map(String::as_str) == Some("arn");
        if !is_policy_arn {
            diags
                .error(
                    "plan::invalid_arn",
                    text.span,
                    format!(
                        "`permissions_boundary` refers to `${{{reference}}}`, which is not the ARN of a managed policy"
                    ),
                )
                .help(format!(
                    "a boundary is a managed policy: make one with an `iam.policy` step and write `${{POLICY-STEP.arn}}`, or give a policy ARN such as `{}`",
                    Expected::Policy.example()
                ))
                .emit();
            return;
        }
    }
    check_arn(
        diags,
        statics,
        text,
        Expected::Policy,
        "permissions_boundary",
    );
}

fn check_policy_arns(
    diags: &mut Diagnostics,
    statics: &Statics,
    arns: &[Text],
    span: Span,
    field: &str,
) {
    for arn in arns {
        check_arn(diags, statics, arn, Expected::Policy, field);
    }
    if arns.len() > 10 {
        diags
            .error(
                "plan::invalid_arn",
                arns.get(10).map_or(span, |a| a.span),
                format!("`{field}` has {} ARNs; STS accepts at most 10", arns.len()),
            )
            .emit();
    }
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

fn check_tags(
    diags: &mut Diagnostics,
    statics: &Statics,
    tags: &indexmap::IndexMap<String, Text>,
    span: Span,
) {
    if tags.len() > 49 {
        diags
            .error(
                "plan::invalid_tag",
                span,
                format!(
                    "{} tags; IAM allows 50 per user, role or MFA device, and awslab adds `awslab:run`",
                    tags.len()
                ),
            )
            .help("keep at most 49 tags")
            .emit();
    }
    for (key, value) in tags {
        // The key's own span is not kept; point at its value.
        let at = value.span;
        let len = key.chars().count();
        let problem = if !(1..=128).contains(&len) {
            Some(format!(
                "tag key `{key}` has {len} characters; IAM allows 1 to 128"
            ))
        } else if key.to_ascii_lowercase().starts_with("aws:") || key == "awslab:run" {
            Some(format!(
                "tag key `{key}` is reserved (`aws:` is AWS's, `awslab:run` awslab's)"
            ))
        } else {
            key.chars()
                .find(|c| !tag_char(*c))
                .map(|bad| format!("tag key `{key}` contains `{bad}`, which IAM does not allow"))
        };
        if let Some(problem) = problem {
            diags
                .error("plan::invalid_tag", at, problem)
                .help("tag keys have letters, digits, spaces and `_ . : / = + - @`")
                .emit();
        }
        let Some(rendered) = statics.render(&value.value) else {
            continue;
        };
        let len = rendered.chars().count();
        if len > 256 {
            diags
                .error(
                    "plan::invalid_tag",
                    at,
                    format!(
                        "the value of tag `{key}` has {len} characters; IAM allows at most 256"
                    ),
                )
                .emit();
        } else if let Some(bad) = rendered.chars().find(|c| !tag_char(*c)) {
            diags
                .error(
                    "plan::invalid_tag",
                    at,
                    format!("the value of tag `{key}` contains `{bad}`, which IAM does not allow"),
                )
                .help("tag values have letters, digits, spaces and `_ . : / = + - @`")
                .emit();
        }
    }
}

/// `ProviderId` of `AssumeRoleWithWebIdentity`: "Currently www.amazon.com and
/// graph.facebook.com are the only supported identity providers for OAuth 2.0 access
/// tokens" (STS API reference); `OpenID` Connect tokens take none.
fn check_provider(diags: &mut Diagnostics, statics: &Statics, text: Option<&Text>) {
    let Some(text) = text else { return };
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    if !matches!(value.as_str(), "www.amazon.com" | "graph.facebook.com") {
        diags
            .error(
                "plan::invalid_value",
                text.span,
                format!("`provider_id` `{value}` is not one STS accepts"),
            )
            .help("give `www.amazon.com` or `graph.facebook.com` for OAuth 2.0 tokens, and no `provider_id` for OpenID Connect tokens")
            .emit();
    }
}

/// `CloudFormation` parameter names are alphanumeric, at most 255 characters, and a
/// stack takes at most 200 parameters ("`CloudFormation` quotas").
fn check_parameters(
    diags: &mut Diagnostics,
    parameters: &indexmap::IndexMap<String, Text>,
    span: Span,
) {
    if parameters.len() > 200 {
        diags
            .error(
                "plan::invalid_value",
                span,
                format!("{} parameters; a stack takes at most 200", parameters.len()),
            )
            .emit();
    }
    for (name, value) in parameters {
        if name.is_empty() || name.len() > 255 || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            diags
                .error(
                    "plan::invalid_name",
                    value.span,
                    format!("`{name}` is not a CloudFormation parameter name"),
                )
                .help("parameter names are the template's logical ids: 1 to 255 letters and digits")
                .emit();
        }
    }
}

/// Checks every ARN and tag in the plan.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    for step in plan.steps.values() {
        let span = step.kind_span;
        match &step.kind {
            StepKind::StsAssumeRole(a) => {
                check_arn(diags, statics, &a.role_arn, Expected::Role, "role_arn");
                check_policy_arns(diags, statics, &a.policy_arns, span, "policy_arns");
            }
            StepKind::StsAssumeRoleWithWebIdentity(w) => {
                check_arn(diags, statics, &w.role_arn, Expected::Role, "role_arn");
                check_provider(diags, statics, w.provider_id.as_ref());
            }
            StepKind::StsAssumeRoleWithSaml(s) => {
                check_arn(diags, statics, &s.role_arn, Expected::Role, "role_arn");
            }
            StepKind::CfnStack(s) => check_parameters(diags, &s.parameters, span),
            StepKind::StsGetFederationToken(f) => {
                check_policy_arns(diags, statics, &f.policy_arns, span, "policy_arns");
            }
            StepKind::IamUserPolicyAttachment(a) => {
                check_arn(
                    diags,
                    statics,
                    &a.policy_arn,
                    Expected::Policy,
                    "policy_arn",
                );
            }
            StepKind::IamRolePolicyAttachment(a) => {
                check_arn(
                    diags,
                    statics,
                    &a.policy_arn,
                    Expected::Policy,
                    "policy_arn",
                );
            }
            StepKind::IamRole(r) => {
                for arn in &r.managed_policies {
                    check_arn(diags, statics, arn, Expected::Policy, "managed_policies");
                }
                if let Some(boundary) = &r.permissions_boundary {
                    check_boundary(diags, statics, boundary);
                }
                check_tags(diags, statics, &r.tags, span);
            }
            StepKind::IamUser(u) => {
                if let Some(boundary) = &u.permissions_boundary {
                    check_boundary(diags, statics, boundary);
                }
                check_tags(diags, statics, &u.tags, span);
            }
            StepKind::IamOidcProvider(p) => check_tags(diags, statics, &p.tags, span),
            StepKind::IamSamlProvider(p) => check_tags(diags, statics, &p.tags, span),
            StepKind::IamVirtualMfaDevice(d) => check_tags(diags, statics, &d.tags, span),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_role_and_policy_arns() {
        for (arn, expected) in [
            ("arn:aws:iam::123456789012:role/lab", Expected::Role),
            ("arn:aws:iam::123456789012:role/path/to/lab", Expected::Role),
            ("arn:aws:iam::aws:policy/ReadOnlyAccess", Expected::Policy),
            ("arn:aws-cn:iam::123456789012:policy/p", Expected::Policy),
        ] {
            assert_eq!(arn_problem(arn, expected), None, "{arn}");
        }
    }

    #[test]
    fn rejects_malformed_arns() {
        for (arn, expected) in [
            ("not-an-arn-but-long-enough", Expected::Role),
            ("arn:aws:iam::aws:policy", Expected::Policy),
            ("arn:aws:iam::aws:policy/", Expected::Policy),
            ("arn:aws:s3:::bucket-name-long", Expected::Role),
            ("arn:aws:iam::12345:role/lab-role", Expected::Role),
            ("arn:aws:iam::aws:role/lab-role-x", Expected::Role),
            ("arn:awz:iam::123456789012:role/lab", Expected::Role),
            ("arn:aws:iam:us-east-1:123456789012:role/x", Expected::Role),
            ("arn:aws:iam::123456789012:user/lab", Expected::Role),
            ("arn:aws:iam::123456789012:role/bad name", Expected::Role),
        ] {
            assert!(arn_problem(arn, expected).is_some(), "{arn}");
        }
    }
}
