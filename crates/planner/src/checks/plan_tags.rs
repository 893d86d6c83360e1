//! The plan's own `tags:` (added to awslab's tags on everything a run creates that takes
//! tags) and where secrets must never go: a tag is shown to anyone who may list the
//! resource, and awslab prints and journals tags. Checks keys and values against IAM's
//! rules, refuses awslab's and AWS's prefixes, step references (tags are known before
//! any step runs) and secret variables in the plan's tags and in a resource step's own
//! `tags`, and keeps the total under the 50 tags a resource may carry.

use indexmap::IndexMap;

use super::statics::Statics;
use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::plan::Plan;
use crate::template::{Reference, Template};
use crate::values::Text;

/// How many tags awslab adds itself: `awslab:run`, `awslab:plan`, `awslab:created-at`
/// and `awslab:expires-at`.
pub const AWSLAB_TAGS: usize = 4;

/// The most tags a plan may add (IAM, S3 and `CloudFormation` take 50 a resource).
pub const MAX_PLAN_TAGS: usize = 50 - AWSLAB_TAGS;

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c)
}

/// A step's own tags, for the kinds that take them.
fn step_tags(kind: &StepKind) -> Option<&IndexMap<String, Text>> {
    match kind {
        StepKind::IamUser(u) => Some(&u.tags),
        StepKind::IamRole(r) => Some(&r.tags),
        StepKind::IamOidcProvider(p) => Some(&p.tags),
        StepKind::IamSamlProvider(p) => Some(&p.tags),
        StepKind::IamVirtualMfaDevice(d) => Some(&d.tags),
        _ => None,
    }
}

pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    let marking = Statics::marking_secrets(plan);
    if plan.tags.len() > MAX_PLAN_TAGS {
        let at = plan.tags.get_index(MAX_PLAN_TAGS).map(|(_, v)| v.span);
        if let Some(at) = at {
            diags
                .error(
                    "plan::invalid_tag",
                    at,
                    format!(
                        "the plan has {} tags; a resource takes 50 and awslab adds {AWSLAB_TAGS} of its own",
                        plan.tags.len()
                    ),
                )
                .help(format!("keep at most {MAX_PLAN_TAGS} plan tags"))
                .emit();
        }
    }
    for (key, value) in &plan.tags {
        check_plan_tag(diags, statics, key, value);
        if !plan.secrets.is_empty() && marking.carries_secret(&value.value) {
            secret_in_tag(diags, key, value, "the plan's tag");
        }
    }
    for step in plan.steps.values() {
        let Some(tags) = step_tags(&step.kind) else {
            continue;
        };
        if !plan.secrets.is_empty() {
            for (key, value) in tags {
                if marking.carries_secret(&value.value) {
                    secret_in_tag(diags, key, value, &format!("step `{}`'s tag", step.id));
                }
            }
        }
        let total = tags.len() + plan.tags.len() + AWSLAB_TAGS;
        if !plan.tags.is_empty() && total > 50 {
            diags
                .error(
                    "plan::invalid_tag",
                    step.kind_span,
                    format!(
                        "step `{}` would carry {total} tags: its {}, the plan's {} and awslab's {AWSLAB_TAGS}; a resource takes at most 50",
                        step.id,
                        tags.len(),
                        plan.tags.len()
                    ),
                )
                .help("drop tags from the step or from the plan's `tags:`")
                .emit();
        }
    }
}

fn secret_in_tag(diags: &mut Diagnostics, key: &str, value: &Text, whose: &str) {
    diags
        .error(
            "plan::secret_in_tag",
            value.span,
            format!("{whose} `{key}` uses a secret variable"),
        )
        .help("AWS shows tags to anyone who may list the resource, and awslab prints and journals them; tag with a plain variable or `${run.id}`")
        .emit();
}

fn check_plan_tag(diags: &mut Diagnostics, statics: &Statics, key: &str, value: &Text) {
    // The key's own span is not kept; point at its value.
    let at = value.span;
    let len = key.chars().count();
    let lower = key.to_ascii_lowercase();
    let problem = if !(1..=128).contains(&len) {
        Some(format!(
            "tag key `{key}` has {len} characters; AWS allows 1 to 128"
        ))
    } else if lower.starts_with("aws:") || lower.starts_with("awslab:") {
        Some(format!(
            "tag key `{key}` is reserved (`aws:` is AWS's, `awslab:` awslab's own tags)"
        ))
    } else {
        key.chars()
            .find(|c| !tag_char(*c))
            .map(|bad| format!("tag key `{key}` contains `{bad}`, which AWS does not allow"))
    };
    if let Some(problem) = problem {
        diags
            .error("plan::invalid_tag", at, problem)
            .help("tag keys have letters, digits, spaces and `_ . : / = + - @`, and do not start with `aws:` or `awslab:`")
            .emit();
    }
    if let Ok(template) = Template::parse(&value.value)
        && let Some((reference, _, _)) = template
            .references()
            .find(|(r, _, _)| matches!(r, Reference::Step { .. }))
    {
        diags
            .error(
                "plan::invalid_tag",
                at,
                format!("the plan's tag `{key}` refers to `${{{reference}}}`, which is known only once a step has run"),
            )
            .help("plan tags are set on the first resource a run creates: use `${vars.NAME}`, `${run.id}`, `${run.region}` or `${account.id}`")
            .emit();
        return;
    }
    let Some(rendered) = statics.render(&value.value) else {
        return;
    };
    let len = rendered.chars().count();
    if len > 256 {
        diags
            .error(
                "plan::invalid_tag",
                at,
                format!("the value of tag `{key}` has {len} characters; AWS allows at most 256"),
            )
            .emit();
    } else if let Some(bad) = rendered.chars().find(|c| !tag_char(*c)) {
        diags
            .error(
                "plan::invalid_tag",
                at,
                format!("the value of tag `{key}` contains `{bad}`, which AWS does not allow"),
            )
            .help("tag values have letters, digits, spaces and `_ . : / = + - @`")
            .emit();
    }
}
