//! Name rules: IAM user, role and policy names, session and federated-user names,
//! external ids, bucket names, stack names, IAM paths and profile names, each checked
//! against the rule AWS documents, whenever the value is known before the run.

use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::plan::Plan;
use crate::source::Span;
use crate::values::Text;

use super::statics::Statics;

fn iam_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// A rule: what it is called, the bounds on length, and the characters allowed.
struct Rule {
    what: &'static str,
    min: usize,
    max: usize,
    chars: fn(char) -> bool,
    allowed: &'static str,
}

const USER: Rule = Rule {
    what: "IAM user name",
    min: 1,
    max: 64,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const ROLE: Rule = Rule {
    what: "IAM role name",
    min: 1,
    max: 64,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const GROUP: Rule = Rule {
    what: "IAM group name",
    min: 1,
    max: 128,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const POLICY: Rule = Rule {
    what: "policy name",
    min: 1,
    max: 128,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const MFA_DEVICE: Rule = Rule {
    what: "virtual MFA device name",
    min: 1,
    max: 226,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const SESSION: Rule = Rule {
    what: "role session name",
    min: 2,
    max: 64,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const FEDERATED: Rule = Rule {
    what: "federated user name",
    min: 2,
    max: 32,
    chars: iam_chars,
    allowed: "letters, digits and `+=,.@_-`",
};
const EXTERNAL_ID: Rule = Rule {
    what: "external id",
    min: 2,
    max: 1224,
    chars: |c| iam_chars(c) || c == ':' || c == '/',
    allowed: "letters, digits and `+=,.@:/_-`",
};
const SAML_PROVIDER: Rule = Rule {
    what: "SAML provider name",
    min: 1,
    max: 128,
    chars: |c| c.is_ascii_alphanumeric() || "._-".contains(c),
    allowed: "letters, digits and `._-`",
};
const PROFILE: Rule = Rule {
    what: "profile name",
    min: 1,
    max: 128,
    chars: |c| c.is_ascii_graphic() && c != '[' && c != ']' && c != '#' && c != ';',
    allowed: "printable characters other than `[`, `]`, `#` and `;`",
};

fn check_rule(diags: &mut Diagnostics, statics: &Statics, text: &Text, rule: &Rule) {
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    check_value(diags, text.span, &value, rule);
}

fn check_value(diags: &mut Diagnostics, span: Span, value: &str, rule: &Rule) {
    let len = value.chars().count();
    if len < rule.min || len > rule.max {
        diags
            .error(
                "plan::invalid_name",
                span,
                format!(
                    "{} `{value}` has {len} characters; AWS allows {} to {}",
                    rule.what, rule.min, rule.max
                ),
            )
            .help(format!("use {} to {} {}", rule.min, rule.max, rule.allowed))
            .emit();
    } else if let Some(bad) = value.chars().find(|&c| !(rule.chars)(c)) {
        diags
            .error(
                "plan::invalid_name",
                span,
                format!(
                    "{} `{value}` contains `{bad}`, which AWS does not allow",
                    rule.what
                ),
            )
            .help(format!("use only {}", rule.allowed))
            .emit();
    }
}

/// The names, paths, descriptions and keys a step gives AWS, which AWS shows to anyone
/// who may list them and awslab prints, journals and reports: what each is called.
fn visible_texts(kind: &StepKind) -> Vec<(&'static str, &Text)> {
    let mut texts = Vec::new();
    match kind {
        StepKind::IamUser(u) => {
            texts.push(("an IAM user name", &u.name));
            texts.extend(u.path.iter().map(|path| ("an IAM path", path)));
        }
        StepKind::IamRole(r) => {
            texts.push(("an IAM role name", &r.name));
            texts.extend(r.path.iter().map(|path| ("an IAM path", path)));
            texts.extend(
                r.description
                    .iter()
                    .map(|text| ("a role description", text)),
            );
        }
        StepKind::IamGroup(g) => {
            texts.push(("an IAM group name", &g.name));
            texts.extend(g.path.iter().map(|path| ("an IAM path", path)));
        }
        StepKind::IamVirtualMfaDevice(d) => {
            texts.push(("an MFA device name", &d.name));
            texts.extend(d.path.iter().map(|path| ("an IAM path", path)));
        }
        StepKind::IamGroupPolicy(p) => texts.push(("a policy name", &p.name)),
        StepKind::IamUserPolicy(p) => texts.push(("a policy name", &p.name)),
        StepKind::IamRolePolicy(p) => texts.push(("a policy name", &p.name)),
        StepKind::IamPolicy(p) => {
            texts.push(("a policy name", &p.name));
            texts.extend(p.path.iter().map(|path| ("an IAM path", path)));
            texts.extend(
                p.description
                    .iter()
                    .map(|text| ("a policy description", text)),
            );
        }
        StepKind::StsAssumeRole(a) => texts.push(("a role session name", &a.session_name)),
        StepKind::StsAssumeRoleWithWebIdentity(w) => {
            texts.push(("a role session name", &w.session_name));
        }
        StepKind::StsAssumeRoleWithSaml(s) => {
            if let Some(minted) = &s.sandbox_assertion {
                texts.push(("a SAML subject", &minted.subject));
                texts.extend(
                    minted
                        .session_name
                        .iter()
                        .map(|name| ("a role session name", name)),
                );
            }
        }
        StepKind::StsGetFederationToken(f) => texts.push(("a federated user name", &f.name)),
        StepKind::S3Bucket(b) => texts.push(("a bucket name", &b.name)),
        StepKind::CfnStack(s) => texts.push(("a stack name", &s.name)),
        StepKind::AwsProfile(p) => texts.push(("a profile name", &p.name)),
        StepKind::S3Object(o) => texts.push(("an S3 object key", &o.key)),
        StepKind::IamOidcProvider(p) => texts.push(("an OIDC provider URL", &p.url)),
        StepKind::IamSamlProvider(p) => texts.push(("a SAML provider name", &p.name)),
        StepKind::IamAccessKey(_)
        | StepKind::IamUserPolicyAttachment(_)
        | StepKind::IamGroupMembership(_)
        | StepKind::IamRolePolicyAttachment(_)
        | StepKind::IamTrustPolicy(_)
        | StepKind::StsGetSessionToken(_)
        | StepKind::Verify(_) => {}
    }
    texts
}

/// Refuses a secret variable in a name: AWS shows names to anyone who may list them,
/// and awslab prints, journals and reports them, so a secret there would be seen.
/// Followed through other variables and through other steps' names (`${user.name}`).
fn check_secrets(diags: &mut Diagnostics, plan: &Plan) {
    if plan.secrets.is_empty() {
        return;
    }
    let marking = Statics::marking_secrets(plan);
    for step in plan.steps.values() {
        for (what, text) in visible_texts(&step.kind) {
            if marking.carries_secret(&text.value) {
                diags
                    .error(
                        "plan::secret_in_name",
                        text.span,
                        format!("{what} in step `{}` uses a secret variable", step.id),
                    )
                    .help("AWS shows names to anyone who may list them, and awslab prints and journals them; keep secrets to tokens, external ids and policy documents, and name the resource with a plain variable or `${run.id}`")
                    .emit();
            }
        }
    }
}

/// Checks every name in the plan.
/// `sts.assume_role_with_saml`: the minted session name's rule, and exactly one way to
/// give the SAML response.
fn check_saml(
    diags: &mut Diagnostics,
    statics: &Statics,
    step: &crate::plan::Step,
    s: &crate::kinds::StsAssumeRoleWithSaml,
) {
    if let Some(name) = s
        .sandbox_assertion
        .as_ref()
        .and_then(|m| m.session_name.as_ref())
    {
        check_rule(diags, statics, name, &SESSION);
    }
    let given = [
        s.assertion.is_some(),
        s.assertion_file.is_some(),
        s.sandbox_assertion.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        diags
            .error("plan::missing_key", step.kind_span, format!("step `{}` needs exactly one of `assertion`, `assertion_file` and `sandbox_assertion`", step.id))
            .help("give the base64 SAML response inline as `assertion:`, a file holding it as `assertion_file:`, or, on the sandbox, `sandbox_assertion: { subject: NAME }`")
            .emit();
    }
}

pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    check_secrets(diags, plan);
    for step in plan.steps.values() {
        match &step.kind {
            StepKind::IamUser(u) => {
                check_rule(diags, statics, &u.name, &USER);
                check_path(diags, statics, u.path.as_ref());
            }
            StepKind::IamRole(r) => {
                check_rule(diags, statics, &r.name, &ROLE);
                check_description(diags, statics, r.description.as_ref());
                check_path(diags, statics, r.path.as_ref());
                for (name, document) in &r.policies {
                    check_value(diags, document.0.span, name, &POLICY);
                }
            }
            StepKind::IamGroup(g) => {
                check_rule(diags, statics, &g.name, &GROUP);
                check_path(diags, statics, g.path.as_ref());
            }
            StepKind::IamVirtualMfaDevice(d) => {
                check_rule(diags, statics, &d.name, &MFA_DEVICE);
                check_path(diags, statics, d.path.as_ref());
            }
            StepKind::IamGroupPolicy(p) => check_rule(diags, statics, &p.name, &POLICY),
            StepKind::IamUserPolicy(p) => check_rule(diags, statics, &p.name, &POLICY),
            StepKind::IamRolePolicy(p) => check_rule(diags, statics, &p.name, &POLICY),
            StepKind::IamPolicy(p) => {
                check_rule(diags, statics, &p.name, &POLICY);
                check_description(diags, statics, p.description.as_ref());
                check_path(diags, statics, p.path.as_ref());
            }
            StepKind::StsAssumeRole(a) => {
                check_rule(diags, statics, &a.session_name, &SESSION);
                if let Some(id) = &a.external_id {
                    check_rule(diags, statics, id, &EXTERNAL_ID);
                }
            }
            StepKind::StsAssumeRoleWithWebIdentity(w) => {
                check_rule(diags, statics, &w.session_name, &SESSION);
                let given = [
                    w.token.is_some(),
                    w.token_file.is_some(),
                    w.sandbox_token.is_some(),
                ];
                if given.iter().filter(|g| **g).count() != 1 {
                    diags
                        .error("plan::missing_key", step.kind_span, format!("step `{}` needs exactly one of `token`, `token_file` and `sandbox_token`", step.id))
                        .help("give the OIDC token inline as `token:`, a file holding it as `token_file:`, or, on the sandbox, `sandbox_token: { subject: NAME, audience: CLIENT-ID }`")
                        .emit();
                }
            }
            StepKind::StsAssumeRoleWithSaml(s) => check_saml(diags, statics, step, s),
            StepKind::StsGetFederationToken(f) => check_rule(diags, statics, &f.name, &FEDERATED),
            StepKind::S3Bucket(b) => check_bucket(diags, statics, &b.name),
            StepKind::CfnStack(s) => check_stack(diags, statics, &s.name),
            StepKind::AwsProfile(p) => check_rule(diags, statics, &p.name, &PROFILE),
            StepKind::S3Object(o) => {
                if o.body.is_some() && o.file.is_some() {
                    diags
                        .error(
                            "plan::invalid_value",
                            step.kind_span,
                            format!("step `{}` has both `body` and `file`", step.id),
                        )
                        .help("give the content one way: `body:` text or a `file:` to read")
                        .emit();
                }
                if let Some(key) = statics.render(&o.key.value)
                    && (key.is_empty() || key.len() > 1024)
                {
                    diags
                        .error(
                            "plan::invalid_name",
                            o.key.span,
                            "an S3 object key has 1 to 1024 bytes",
                        )
                        .emit();
                }
            }
            StepKind::IamSamlProvider(p) => check_rule(diags, statics, &p.name, &SAML_PROVIDER),
            // Kinds that name nothing new: their names refer to other steps' resources;
            // an OIDC provider is named by its URL (`checks::providers`).
            StepKind::IamOidcProvider(_)
            | StepKind::IamAccessKey(_)
            | StepKind::IamUserPolicyAttachment(_)
            | StepKind::IamGroupMembership(_)
            | StepKind::IamRolePolicyAttachment(_)
            | StepKind::IamTrustPolicy(_)
            | StepKind::StsGetSessionToken(_)
            | StepKind::Verify(_) => {}
        }
    }
}

/// A role's or managed policy's description: at most 1,000 characters of tab, line
/// feed, carriage return and U+0020..U+007E, U+00A1..U+00FF (`CreateRole`,
/// `CreatePolicy` in the IAM API reference).
fn check_description(diags: &mut Diagnostics, statics: &Statics, text: Option<&Text>) {
    let Some(text) = text else { return };
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}');
    let len = value.chars().count();
    if len > 1_000 {
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!("a description has {len} characters; IAM allows at most 1,000"),
            )
            .emit();
    } else if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!("the description contains `{bad}`, which IAM does not allow"),
            )
            .help("IAM descriptions use Latin-1 characters (U+0020 to U+00FF, without U+007F to U+00A0)")
            .emit();
    }
}

fn check_path(diags: &mut Diagnostics, statics: &Statics, path: Option<&Text>) {
    let Some(text) = path else { return };
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    if !(value.starts_with('/') && value.ends_with('/'))
        || value.len() > 512
        || value.contains("//")
    {
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!("IAM path `{value}` must start and end with `/`"),
            )
            .help("use `/` or a path such as `/labs/`")
            .emit();
    }
}

/// Why `name` is not a valid S3 bucket name, if it is not.
pub fn bucket_problem(name: &str) -> Option<String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Some(format!("has {len} characters; a bucket name has 3 to 63"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Some(format!(
            "contains `{bad}`; use lowercase letters, digits, `.` and `-`"
        ));
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("must start and end with a letter or digit".to_owned());
    }
    if name.contains("..") {
        return Some("must not contain `..`".to_owned());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("must not look like an IP address".to_owned());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Some(format!("must not start with `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"] {
        if name.ends_with(suffix) {
            return Some(format!("must not end with `{suffix}`"));
        }
    }
    None
}

fn check_bucket(diags: &mut Diagnostics, statics: &Statics, text: &Text) {
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    if let Some(problem) = bucket_problem(&value) {
        let help = if text.value.contains("${run.id}") {
            format!("checked with a sample run id (`{}`)", super::SAMPLE_RUN_ID)
        } else {
            "bucket names are global: add `${run.id}` to keep them unique".to_owned()
        };
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!("bucket name `{value}` {problem}"),
            )
            .help(help)
            .emit();
    }
}

fn check_stack(diags: &mut Diagnostics, statics: &Statics, text: &Text) {
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    let ok = value.len() <= 128
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !ok {
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!("stack name `{value}` is not valid"),
            )
            .help("a stack name starts with a letter and has at most 128 letters, digits and `-`")
            .emit();
    }
}

#[cfg(test)]
mod tests {
    use super::bucket_problem;

    #[test]
    fn accepts_good_bucket_names() {
        for name in ["sts-lab-a1b2c3d4", "abc", "my.bucket-1"] {
            assert_eq!(bucket_problem(name), None, "{name}");
        }
    }

    #[test]
    fn rejects_bad_bucket_names() {
        for name in [
            "ab",
            "Upper",
            "-start",
            "end-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "x_y",
            &"a".repeat(64),
        ] {
            assert!(bucket_problem(name).is_some(), "{name}");
        }
    }
}
