//! Policy sizes against AWS's limits, read from the one table the sandbox and
//! `awslab policy check` also read (`awslab_policy::Quota`, with the numbers and their
//! source): a user's inline policies together, a role's inline policies together (its
//! `policies:` and every `iam.role_policy` on it), each managed policy, each trust
//! policy, each session policy and each bucket policy. Sizes are counted as AWS counts
//! them (whitespace not counted; S3 in bytes), with every value known before the run
//! filled in (values known only at run time count as written).
//!
//! A trust policy over the default 2,048 but within the 8,192 that Service Quotas can
//! grant is a warning: the account may have had its quota raised.

use awslab_policy::{Quota, unit};
use indexmap::IndexMap;

use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::plan::Plan;
use crate::source::Span;
use crate::values::Document;

use super::Statics;

struct Entry {
    step: String,
    span: Span,
    size: usize,
}

fn size(statics: &Statics, document: &Document, quota: Quota) -> Option<usize> {
    let json = document.json().ok()?;
    Some(quota.size_of_value(&statics.render_json(&json)))
}

/// Checks every policy's size.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    // Aggregates by (quota, entity as rendered or written).
    let mut totals: IndexMap<(Quota, String), Vec<Entry>> = IndexMap::new();
    let entity = |text: &str| statics.render(text).unwrap_or_else(|| text.to_owned());
    for step in plan.steps.values() {
        let mut add = |quota: Quota, key: String, document: &Document| {
            if let Some(size) = size(statics, document, quota) {
                totals.entry((quota, key)).or_default().push(Entry {
                    step: step.id.to_string(),
                    span: document.0.span,
                    size,
                });
            }
        };
        match &step.kind {
            StepKind::IamUserPolicy(p) => add(Quota::UserInline, entity(&p.user), &p.document),
            StepKind::IamRolePolicy(p) => add(Quota::RoleInline, entity(&p.role), &p.document),
            StepKind::IamRole(r) => {
                let name = entity(&r.name);
                for document in r.policies.values() {
                    add(Quota::RoleInline, name.clone(), document);
                }
                add(Quota::Trust, format!("{}#trust", step.id), &r.trust_policy);
            }
            StepKind::IamTrustPolicy(t) => {
                add(Quota::Trust, format!("{}#trust", step.id), &t.document);
            }
            StepKind::IamPolicy(p) => add(Quota::Managed, step.id.to_string(), &p.document),
            StepKind::S3Bucket(b) => {
                if let Some(d) = &b.policy {
                    add(Quota::Bucket, step.id.to_string(), d);
                }
            }
            StepKind::StsAssumeRole(a) => {
                if let Some(d) = &a.policy {
                    add(Quota::Session, step.id.to_string(), d);
                }
            }
            StepKind::StsGetFederationToken(f) => {
                if let Some(d) = &f.policy {
                    add(Quota::Session, step.id.to_string(), d);
                }
            }
            StepKind::StsAssumeRoleWithWebIdentity(w) => {
                if let Some(d) = &w.policy {
                    add(Quota::Session, step.id.to_string(), d);
                }
            }
            StepKind::StsAssumeRoleWithSaml(s) => {
                if let Some(d) = &s.policy {
                    add(Quota::Session, step.id.to_string(), d);
                }
            }
            _ => {}
        }
    }
    for ((quota, entity), entries) in totals {
        let total: usize = entries.iter().map(|e| e.size).sum();
        if total <= quota.limit() {
            continue;
        }
        let Some(last) = entries.last() else { continue };
        let aggregate = quota.aggregate();
        let unit = unit(quota.counting());
        let message = if aggregate && entries.len() > 1 {
            format!(
                "the inline policies of `{entity}` have {total} {unit} together (whitespace not counted); {} may have at most {}",
                quota.noun(),
                quota.limit()
            )
        } else {
            format!(
                "the policy of step `{}` has {total} {unit} (whitespace not counted); {} may have at most {}",
                last.step,
                quota.noun(),
                quota.limit()
            )
        };
        let raised = quota.adjustable_to().filter(|max| total <= *max);
        let builder = if raised.is_some() {
            diags.warning("plan::policy_size", last.span, message)
        } else {
            diags.error("plan::policy_size", last.span, message)
        };
        let mut builder = builder.help(match raised {
            Some(max) => format!(
                "this passes only if the account's trust policy quota was raised (up to {max}); otherwise shorten it"
            ),
            None if aggregate => "move permissions into a managed policy (`iam.policy`, 6,144 characters each), or use wildcards".to_owned(),
            None => "split it, or use wildcards to shorten repeated actions and resources".to_owned(),
        });
        for entry in entries.iter().rev().skip(1) {
            builder = builder.related(entry.span, format!("{} characters here", entry.size));
        }
        builder.emit();
    }
}
