//! Values known before the run: a template is rendered with the plan's variables, a
//! sample run id and account, and the names and ARNs of resources the plan creates
//! with static names. Anything else (stack outputs, STS answers) is unknown.

use std::cell::{Cell, RefCell};

use crate::expand::Expansions;
use crate::kinds::StepKind;
use crate::limits::{MAX_RENDERED_BYTES, MAX_SUBSTITUTIONS};
use crate::plan::{Plan, Step, StepId};
use crate::template::{Reference, Template};

/// The run id used to check names that contain `${run.id}`: as long as the longest
/// one awslab accepts (20 characters, the length of a generated id).
pub const SAMPLE_RUN_ID: &str = "20261122-000000-a1b2";
/// What a secret variable renders as in [`Statics::marking_secrets`]: text no plan
/// value holds (control characters are refused in names).
pub const SECRET_MARK: &str = "\u{1}secret\u{1}";
/// The account used for ARNs in static checks.
pub const SAMPLE_ACCOUNT: &str = "123456789012";

/// The sample id of the plan's account at `index` in static checks: the first is
/// [`SAMPLE_ACCOUNT`], the others distinct 12-digit ids, so ARNs of two accounts
/// never match each other.
pub fn sample_account(index: usize) -> String {
    if index == 0 {
        return SAMPLE_ACCOUNT.to_owned();
    }
    let index = u64::try_from(index).unwrap_or(u64::MAX).min(8);
    format!("{:012}", 100_000_000_000 + index * 11_111_111_111)
}

/// The value of `${run.id}`, `${run.region}`, `${account.id}` and `${account.NAME.id}`
/// before the run.
fn sample(plan: &Plan, reference: &Reference, display: bool) -> Option<String> {
    if let Reference::AccountIdOf(name) = reference {
        let index = plan.accounts.get_index_of(name)?;
        return Some(if display {
            format!("${{account.{name}.id}}")
        } else {
            sample_account(index)
        });
    }
    Some(
        match (reference, display) {
            (Reference::RunId, true) => "${run.id}",
            (Reference::RunRegion, true) => "${run.region}",
            (Reference::AccountId, true) => "${account.id}",
            (Reference::RunId, false) => SAMPLE_RUN_ID,
            (Reference::RunRegion, false) => "us-east-1",
            (Reference::AccountId, false) => SAMPLE_ACCOUNT,
            _ => return None,
        }
        .to_owned(),
    )
}

/// Renders templates with what is known before the run.
pub struct Statics<'a> {
    plan: &'a Plan,
    display: bool,
    vars: RefCell<Expansions>,
    /// Substitutions left for the render in progress (see [`Statics::render`]).
    budget: Cell<u64>,
}

impl<'a> Statics<'a> {
    pub fn new(plan: &'a Plan) -> Self {
        Self::with_display(plan, false)
    }

    /// For showing values to people: the run id and account stay `${run.id}` and
    /// `${account.id}` instead of samples, and secret variables show as `***`.
    pub fn for_display(plan: &'a Plan) -> Self {
        Self::with_display(plan, true)
    }

    /// For finding where secrets flow: secret variables render as [`SECRET_MARK`],
    /// through other variables and other steps' names alike.
    pub fn marking_secrets(plan: &'a Plan) -> Self {
        Statics {
            plan,
            display: false,
            vars: RefCell::new(Expansions::masked_as(plan, SECRET_MARK)),
            budget: Cell::new(MAX_SUBSTITUTIONS),
        }
    }

    /// Whether `text`'s value, as far as it is known before the run, carries a secret
    /// variable (only for a [`Statics::marking_secrets`]).
    pub fn carries_secret(&self, text: &str) -> bool {
        self.render(text)
            .is_some_and(|value| value.contains(SECRET_MARK))
    }

    fn with_display(plan: &'a Plan, display: bool) -> Self {
        // Checks need every variable's expansion (its budget errors); showing a plan
        // needs only the variables it shows, so those are expanded on demand.
        let vars = if display {
            Expansions::masked(plan)
        } else {
            Expansions::compute(plan, &|reference| sample(plan, reference, false))
        };
        Statics {
            plan,
            display,
            vars: RefCell::new(vars),
            budget: Cell::new(MAX_SUBSTITUTIONS),
        }
    }

    /// The variables, expanded under the plan's budgets.
    pub fn expansions(&self) -> std::cell::Ref<'_, Expansions> {
        self.vars.borrow()
    }

    fn var(&self, name: &str) -> Option<String> {
        let display = self.display;
        // Never borrowed elsewhere while rendering; if it were, the value is unknown
        // rather than a panic.
        self.vars
            .try_borrow_mut()
            .ok()?
            .value_or_expand(self.plan, name, &|reference| {
                sample(self.plan, reference, display)
            })
    }

    /// The value of `text`, or `None` if it depends on something known only at run
    /// time (or is malformed, which is reported elsewhere). Variables are expanded
    /// once per plan; names of other steps are rendered within a budget of
    /// substitutions and length, so no text can make this slow.
    pub fn render(&self, text: &str) -> Option<String> {
        self.budget.set(MAX_SUBSTITUTIONS);
        self.render_depth(text, 0)
    }

    fn render_depth(&self, text: &str, depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        let template = Template::parse(text).ok()?;
        let out = template
            .render(|reference| {
                let left = self.budget.get().checked_sub(1)?;
                self.budget.set(left);
                match reference {
                    Reference::Var(name) => self.var(name),
                    Reference::Step { step, path } => self.output(step, path, depth + 1),
                    other => sample(self.plan, other, self.display),
                }
            })
            .ok()?;
        (out.len() <= MAX_RENDERED_BYTES).then_some(out)
    }

    /// The id of the account `step` runs in, as a sample (or as a reference, for
    /// display).
    pub fn account_of(&self, step: &Step) -> String {
        let index = self.plan.account_index(step);
        match (self.display, index) {
            (true, 0) => "${account.id}".to_owned(),
            (true, _) => self.plan.account_of(step).map_or_else(
                || "${account.id}".to_owned(),
                |name| format!("${{account.{name}.id}}"),
            ),
            (false, index) => sample_account(index),
        }
    }

    fn output(&self, step: &str, path: &[String], depth: usize) -> Option<String> {
        let step = self.plan.steps.get(&StepId::new(step))?;
        let field = path.first()?.as_str();
        let name = |text: &str| self.render_depth(text, depth);
        let account = self.account_of(step);
        let arn =
            |kind: &str, text: &str| Some(format!("arn:aws:iam::{account}:{kind}/{}", name(text)?));
        match &step.kind {
            StepKind::IamUser(u) => match field {
                "name" => name(&u.name),
                "arn" => arn("user", &u.name),
                _ => None,
            },
            StepKind::IamGroup(g) => match field {
                "name" => name(&g.name),
                "arn" => arn("group", &g.name),
                _ => None,
            },
            StepKind::IamRole(r) => match field {
                "name" => name(&r.name),
                "arn" => arn("role", &r.name),
                _ => None,
            },
            StepKind::IamPolicy(p) => match field {
                "name" => name(&p.name),
                "arn" => arn("policy", &p.name),
                _ => None,
            },
            StepKind::IamAccessKey(k) => (field == "user").then(|| name(&k.user)).flatten(),
            StepKind::IamUserPolicy(p) => match field {
                "user" => name(&p.user),
                "name" => name(&p.name),
                _ => None,
            },
            StepKind::IamUserPolicyAttachment(p) => match field {
                "user" => name(&p.user),
                "policy_arn" => name(&p.policy_arn),
                _ => None,
            },
            StepKind::IamGroupPolicy(p) => match field {
                "group" => name(&p.group),
                "name" => name(&p.name),
                _ => None,
            },
            StepKind::IamGroupMembership(m) => match field {
                "group" => name(&m.group),
                "user" => name(&m.user),
                _ => None,
            },
            StepKind::IamRolePolicy(p) => match field {
                "role" => name(&p.role),
                "name" => name(&p.name),
                _ => None,
            },
            StepKind::IamRolePolicyAttachment(p) => match field {
                "role" => name(&p.role),
                "policy_arn" => name(&p.policy_arn),
                _ => None,
            },
            StepKind::IamTrustPolicy(t) => (field == "role").then(|| name(&t.role)).flatten(),
            StepKind::IamVirtualMfaDevice(d) => match field {
                "user" => name(&d.user),
                "serial_number" => Some(format!(
                    "arn:aws:iam::{}:mfa{}{}",
                    account,
                    match &d.path {
                        Some(path) => name(&path.value)?,
                        None => "/".to_owned(),
                    },
                    name(&d.name)?
                )),
                _ => None,
            },
            StepKind::S3Bucket(b) => match field {
                "name" => name(&b.name),
                "arn" => Some(format!("arn:aws:s3:::{}", name(&b.name)?)),
                _ => None,
            },
            StepKind::CfnStack(s) => (field == "name").then(|| name(&s.name)).flatten(),
            StepKind::IamOidcProvider(p) => oidc_output(&name(&p.url)?, field, &account),
            StepKind::IamSamlProvider(p) => match field {
                "name" => name(&p.name),
                "arn" => arn("saml-provider", &p.name),
                _ => None,
            },
            StepKind::AwsProfile(p) => (field == "name").then(|| name(&p.name)).flatten(),
            // Known only once the run has made them: ids, keys, sessions, answers.
            StepKind::S3Object(_)
            | StepKind::StsAssumeRole(_)
            | StepKind::StsGetSessionToken(_)
            | StepKind::StsGetFederationToken(_)
            | StepKind::StsAssumeRoleWithWebIdentity(_)
            | StepKind::StsAssumeRoleWithSaml(_)
            | StepKind::Verify(_) => None,
        }
    }

    /// A JSON document with every string rendered where its value is known; strings
    /// that depend on the run stay as written.
    pub fn render_json(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::String(s) => J::String(self.render(s).unwrap_or_else(|| s.clone())),
            J::Array(items) => J::Array(items.iter().map(|v| self.render_json(v)).collect()),
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.render_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A JSON document rendered for structural checks: known values are filled in; a
    /// string that is one unknown reference becomes `*`, and an unknown reference
    /// inside a longer string becomes `x` (both valid wherever a value is checked).
    pub fn render_json_placeholders(&self, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value as J;
        match value {
            J::String(s) => J::String(self.render(s).unwrap_or_else(|| self.placeholder(s))),
            J::Array(items) => J::Array(
                items
                    .iter()
                    .map(|v| self.render_json_placeholders(v))
                    .collect(),
            ),
            J::Object(map) => J::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.render_json_placeholders(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn placeholder(&self, text: &str) -> String {
        let Ok(template) = Template::parse(text) else {
            return text.to_owned();
        };
        let whole = matches!(
            template.parts.as_slice(),
            [crate::template::Part::Ref { .. }]
        );
        if whole {
            return "*".to_owned();
        }
        template
            .render(|r| {
                Some(
                    self.render(&format!("${{{r}}}"))
                        .unwrap_or_else(|| "x".to_owned()),
                )
            })
            .unwrap_or_else(|_| text.to_owned())
    }

    /// The plan these values come from.
    pub fn plan(&self) -> &'a Plan {
        self.plan
    }

    /// The `iam.role` step a role ARN or name refers to, if the plan creates it: a
    /// role of that name in the ARN's account (any of the plan's accounts for a name).
    pub fn role_step(&self, text: &str) -> Option<&'a Step> {
        let value = self.render(text)?;
        let role_name = value.rsplit('/').next().unwrap_or(&value).to_owned();
        let account = value
            .strip_prefix("arn:")
            .and_then(|rest| rest.split(':').nth(3))
            .map(str::to_owned);
        self.plan.steps.values().find(|s| match &s.kind {
            StepKind::IamRole(r) => {
                self.render(&r.name).as_deref() == Some(role_name.as_str())
                    && account
                        .as_ref()
                        .is_none_or(|account| *account == self.account_of(s))
            }
            _ => false,
        })
    }

    /// The principal ARN of an identity (`as:`), if known before the run.
    pub fn principal(&self, identity: Option<&str>) -> Option<String> {
        let step = self.plan.steps.get(&StepId::new(identity?))?;
        let account = self.account_of(step);
        match &step.kind {
            StepKind::IamUser(u) => Some(format!(
                "arn:aws:iam::{account}:user/{}",
                self.render(&u.name)?
            )),
            StepKind::IamAccessKey(k) => Some(format!(
                "arn:aws:iam::{account}:user/{}",
                self.render(&k.user)?
            )),
            StepKind::StsAssumeRole(a) => {
                let role = self.role_step(&a.role_arn)?;
                self.output(role.id.as_str(), &["arn".to_owned()], 1)
            }
            StepKind::StsGetSessionToken(s) => {
                self.principal(s.identity.as_ref().map(|i| i.value.as_str()))
            }
            StepKind::StsGetFederationToken(f) => Some(format!(
                "arn:aws:sts::{account}:federated-user/{}",
                self.render(&f.name)?
            )),
            _ => None,
        }
    }
}

/// An `iam.oidc_provider`'s `url` (its host and path, as IAM names the provider) and
/// `arn`, from its issuer URL.
fn oidc_output(url: &str, field: &str, account: &str) -> Option<String> {
    let host = url
        .strip_prefix("https://")
        .unwrap_or(url)
        .trim_end_matches('/');
    match field {
        "url" => Some(host.to_owned()),
        "arn" => Some(format!("arn:aws:iam::{account}:oidc-provider/{host}")),
        _ => None,
    }
}
