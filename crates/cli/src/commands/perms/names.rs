//! The resources each step of a plan acts on, as ARNs (or ARN patterns) known before
//! the run, and the resources each IAM action of a step is authorized on.

use std::collections::{BTreeMap, BTreeSet};

use awslab_planner::checks::{SAMPLE_RUN_ID, Statics, sample_account};
use awslab_planner::values::Text;
use awslab_planner::{SealedPlan, Step, StepKind};

use super::derive::Scope;

/// The names a step gives each resource type, as ARNs (or ARN patterns).
#[derive(Default)]
pub(super) struct Names {
    pub(super) by_type: BTreeMap<&'static str, BTreeSet<String>>,
}

impl Names {
    pub(super) fn add(&mut self, kind: &'static str, arn: String) {
        self.by_type.entry(kind).or_default().insert(arn);
    }
}

/// Derives one account's policy: renders the plan's text as known before the run, in
/// that account.
pub(super) struct Deriver<'a> {
    pub(super) sealed: &'a SealedPlan,
    pub(super) statics: Statics<'a>,
    pub(super) scope: &'a Scope,
    /// The index, among the plan's accounts, of the account whose policy this is.
    pub(super) account_index: usize,
    pub(super) notes: Vec<String>,
}

impl Deriver<'_> {
    /// `text` as known before the run, with the sample run id as `*`, this account's
    /// sample id as the scope's account and other accounts' as `*`; `None` when it
    /// depends on a run-time output.
    pub(super) fn render(&self, text: &str) -> Option<String> {
        let value = self.statics.render(text)?.replace(SAMPLE_RUN_ID, "*");
        let samples: Vec<(String, &str)> = (0..self.sealed.plan.accounts.len().max(1))
            .map(|index| {
                let account = if index == self.account_index {
                    self.scope.account.as_str()
                } else {
                    "*"
                };
                (sample_account(index), account)
            })
            .collect();
        Some(replace_each(&value, &samples))
    }

    /// The ARN of an IAM entity of `kind` at `path` (a plan's text) named `name`.
    fn iam_arn(&self, kind: &str, path: Option<&Text>, name: Option<String>) -> String {
        let path = path
            .and_then(|p| self.render(p))
            .unwrap_or_else(|| "/".to_owned());
        let name = name.unwrap_or_else(|| "*".to_owned());
        let path = if path.ends_with('/') {
            path
        } else {
            format!("{path}/")
        };
        format!("arn:aws:iam::{}:{kind}{path}{name}", self.scope.account)
    }

    /// A name or ARN the plan gives as `text`: an ARN is kept, a name made one.
    fn arn_or_name(&self, kind: &str, text: &str) -> String {
        match self.render(text) {
            Some(value) if value.starts_with("arn:") => value,
            Some(value) => self.iam_arn(kind, None, Some(value)),
            None => self.iam_arn(kind, None, None),
        }
    }

    /// An ARN of this account's `service` with a `kind/name` resource.
    fn account_arn(&self, service: &str, kind: &str, name: Option<String>) -> String {
        format!(
            "arn:aws:{service}::{}:{kind}/{}",
            self.scope.account,
            name.unwrap_or_else(|| "*".to_owned())
        )
    }

    /// The resources `step` names: what it makes, what it changes, and the rest.
    pub(super) fn names(&self, step: &Step) -> Names {
        let mut names = Names::default();
        let name = |text: &str| self.render(text);
        // What the step makes: an IAM entity at its path.
        let made = match &step.kind {
            StepKind::IamUser(u) => Some(("user", u.path.as_ref(), &u.name)),
            StepKind::IamGroup(g) => Some(("group", g.path.as_ref(), &g.name)),
            StepKind::IamRole(r) => Some(("role", r.path.as_ref(), &r.name)),
            StepKind::IamPolicy(p) => Some(("policy", p.path.as_ref(), &p.name)),
            StepKind::IamVirtualMfaDevice(d) => Some(("mfa", d.path.as_ref(), &d.name)),
            _ => None,
        };
        if let Some((kind, path, text)) = made {
            names.add(kind, self.iam_arn(kind, path, name(text)));
        }
        // What the step changes: IAM entities it names (or gives the ARN of).
        let changed: Vec<(&'static str, &Text)> = match &step.kind {
            StepKind::IamAccessKey(k) => vec![("user", &k.user)],
            StepKind::IamUserPolicy(p) => vec![("user", &p.user)],
            StepKind::IamUserPolicyAttachment(p) => vec![("user", &p.user)],
            StepKind::IamVirtualMfaDevice(d) => vec![("user", &d.user)],
            StepKind::IamGroupPolicy(p) => vec![("group", &p.group)],
            StepKind::IamGroupMembership(m) => vec![("group", &m.group), ("user", &m.user)],
            StepKind::IamRolePolicy(p) => vec![("role", &p.role)],
            StepKind::IamRolePolicyAttachment(p) => vec![("role", &p.role)],
            StepKind::IamTrustPolicy(p) => vec![("role", &p.role)],
            StepKind::StsAssumeRole(a) => vec![("role", &a.role_arn)],
            _ => Vec::new(),
        };
        for (kind, text) in changed {
            names.add(kind, self.arn_or_name(kind, text));
        }
        match &step.kind {
            StepKind::IamOidcProvider(p) => {
                let host = name(&p.url).map(|url| {
                    url.trim_start_matches("https://")
                        .trim_end_matches('/')
                        .to_owned()
                });
                names.add(
                    "oidc-provider",
                    self.account_arn("iam", "oidc-provider", host),
                );
            }
            StepKind::IamSamlProvider(p) => names.add(
                "saml-provider",
                self.account_arn("iam", "saml-provider", name(&p.name)),
            ),
            StepKind::StsGetFederationToken(f) => names.add(
                "federated-user",
                self.account_arn("sts", "federated-user", name(&f.name)),
            ),
            StepKind::S3Bucket(b) => names.add("bucket", bucket_arn(name(&b.name))),
            StepKind::S3Object(o) => {
                let bucket = name(&o.bucket);
                names.add("bucket", bucket_arn(bucket.clone()));
                names.add(
                    "object",
                    format!(
                        "arn:aws:s3:::{}/{}",
                        bucket.unwrap_or_else(|| "*".to_owned()),
                        name(&o.key).unwrap_or_else(|| "*".to_owned())
                    ),
                );
            }
            StepKind::CfnStack(s) => names.add(
                "stack",
                format!(
                    "arn:aws:cloudformation:{}:{}:stack/{}/*",
                    self.scope.region,
                    self.scope.account,
                    name(&s.name).unwrap_or_else(|| "*".to_owned())
                ),
            ),
            StepKind::Verify(v) => self.verify_names(v, &mut names),
            _ => {}
        }
        names
    }

    /// The resources a verify's parameters name.
    fn verify_names(&self, verify: &awslab_planner::kinds::Verify, names: &mut Names) {
        let param = |key: &str| {
            verify
                .params
                .get(key)
                .and_then(|v| v.value.as_str())
                .and_then(|text| self.render(text))
        };
        if let Some(bucket) = param("Bucket") {
            names.add(
                "object",
                format!(
                    "arn:aws:s3:::{bucket}/{}",
                    param("Key").unwrap_or_else(|| "*".to_owned())
                ),
            );
            names.add("bucket", bucket_arn(Some(bucket)));
        }
        for (key, kind) in [
            ("UserName", "user"),
            ("RoleName", "role"),
            ("GroupName", "group"),
        ] {
            if let Some(value) = param(key) {
                names.add(kind, self.iam_arn(kind, None, Some(value)));
            }
        }
        for (key, kind) in [("PolicyArn", "policy"), ("RoleArn", "role")] {
            if let Some(value) = param(key) {
                names.add(kind, value);
            }
        }
    }

    /// The ARNs `action` is authorized on for a step that gives `names`.
    pub(super) fn resources(&self, action: &str, names: &Names) -> BTreeSet<String> {
        if action.starts_with("cloudformation:") {
            return names.by_type.get("stack").cloned().unwrap_or_else(|| {
                BTreeSet::from([format!(
                    "arn:aws:cloudformation:{}:{}:stack/*",
                    self.scope.region, self.scope.account
                )])
            });
        }
        let Some(row) = awslab_sandbox::authorization_of(action) else {
            return BTreeSet::from(["*".to_owned()]);
        };
        let fill = |name_value: &str| {
            row.fill(&[
                ("Partition", "aws"),
                ("Account", &self.scope.account),
                ("PathPrefix", "/"),
                ("UserNameWithPath", name_value),
                ("RoleNameWithPath", name_value),
                ("GroupNameWithPath", name_value),
                ("PolicyNameWithPath", name_value),
                ("MfaTokenIdWithPath", name_value),
                ("OidcProviderName", name_value),
                ("SamlProviderName", name_value),
                ("InstanceProfileNameWithPath", name_value),
                ("FederatedUserName", name_value),
                ("BucketName", name_value),
                ("ObjectName", name_value),
            ])
        };
        match row.resource_type {
            None => BTreeSet::from([fill("*")]),
            Some(kind) => names
                .by_type
                .get(kind)
                .cloned()
                .unwrap_or_else(|| BTreeSet::from([fill("*")])),
        }
    }
}

fn bucket_arn(name: Option<String>) -> String {
    format!("arn:aws:s3:::{}", name.unwrap_or_else(|| "*".to_owned()))
}

/// `text` with each occurrence of a pair's first string replaced by its second, in one
/// pass (a replacement is never replaced again, so an account id given on the command
/// line that equals another account's sample id stays as given).
fn replace_each(text: &str, pairs: &[(String, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'next: while !rest.is_empty() {
        for (from, to) in pairs {
            if let Some(after) = rest.strip_prefix(from.as_str()) {
                out.push_str(to);
                rest = after;
                continue 'next;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::replace_each;

    #[test]
    fn replaces_sample_ids_in_one_pass() {
        let pairs = [
            ("123456789012".to_owned(), "111111111111"),
            ("111111111111".to_owned(), "*"),
        ];
        assert_eq!(
            replace_each(
                "arn:aws:iam::123456789012:role/x arn:aws:iam::111111111111:user/y",
                &pairs
            ),
            "arn:aws:iam::111111111111:role/x arn:aws:iam::*:user/y"
        );
        assert_eq!(replace_each("ünïcode", &pairs), "ünïcode");
    }
}
