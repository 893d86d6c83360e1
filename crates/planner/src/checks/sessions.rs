//! What `sts.assume_role` passes into the session besides its duration: session tags
//! and their transitive keys, and the source identity, against the limits AWS
//! documents (50 tags; keys 1..128 and values 0..256 characters of letters, digits,
//! spaces and `_.:/=+-@`; keys unique case-insensitively and not `aws:`; transitive
//! keys among the tags; a source identity of 2..64 of `[\w+=,.@-]`).
//! AWS also bounds the packed size of session policies and tags together
//! (`PackedPolicyTooLarge`), a compression it does not document: that one is found at
//! run time.

use crate::diagnostics::Diagnostics;
use crate::kinds::{StepKind, StsAssumeRole};
use crate::plan::{Plan, Step};

use super::statics::Statics;

/// AWS's limit on session tags passed to one `AssumeRole`.
pub const MAX_SESSION_TAGS: usize = 50;

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// Checks the session tags and source identity of every `sts.assume_role` step.
pub fn check(diags: &mut Diagnostics, plan: &Plan, statics: &Statics) {
    for step in plan.steps.values() {
        if let StepKind::StsAssumeRole(spec) = &step.kind {
            check_tags(diags, step, spec, statics);
            check_source_identity(diags, step, spec, statics);
        }
    }
}

fn check_tags(diags: &mut Diagnostics, step: &Step, spec: &StsAssumeRole, statics: &Statics) {
    if let Some((_, extra)) = spec.tags.get_index(MAX_SESSION_TAGS) {
        diags
            .error(
                "plan::session_tags",
                extra.span,
                format!(
                    "step `{}` passes {} session tags; AWS allows at most {MAX_SESSION_TAGS}",
                    step.id,
                    spec.tags.len()
                ),
            )
            .help("keep the tags the policies read (`aws:PrincipalTag/...`) and drop the rest")
            .emit();
    }
    for (index, (key, value)) in spec.tags.iter().enumerate() {
        let length = key.chars().count();
        if !(1..=128).contains(&length) || !key.chars().all(tag_char) {
            diags
                .error(
                    "plan::session_tags",
                    value.span,
                    format!(
                        "session tag key `{key}` of step `{}` is not one AWS accepts",
                        step.id
                    ),
                )
                .help("use 1 to 128 letters, digits, spaces and `_.:/=+-@`")
                .emit();
        } else if key.to_ascii_lowercase().starts_with("aws:") {
            diags
                .error(
                    "plan::session_tags",
                    value.span,
                    format!(
                        "session tag key `{key}` of step `{}` starts with `aws:`, which AWS keeps for itself",
                        step.id
                    ),
                )
                .help("choose a key without the `aws:` prefix")
                .emit();
        }
        if let Some((earlier, _)) = spec
            .tags
            .iter()
            .take(index)
            .find(|(earlier, _)| earlier.eq_ignore_ascii_case(key))
        {
            diags
                .error(
                    "plan::session_tags",
                    value.span,
                    format!(
                        "session tag keys `{earlier}` and `{key}` of step `{}` differ only in case; AWS takes them as one",
                        step.id
                    ),
                )
                .help("keep one of them")
                .emit();
        }
        if let Some(rendered) = statics.render(&value.value)
            && rendered.chars().count() > 256
        {
            diags
                .error(
                    "plan::session_tags",
                    value.span,
                    format!(
                        "session tag `{key}` of step `{}` has a value of {} characters; AWS allows at most 256",
                        step.id,
                        rendered.chars().count()
                    ),
                )
                .emit();
        }
    }
    for key in &spec.transitive_tag_keys {
        if !spec
            .tags
            .keys()
            .any(|tag| tag.eq_ignore_ascii_case(&key.value))
        {
            let known: Vec<String> = spec.tags.keys().map(|k| format!("`{k}`")).collect();
            diags
                .error(
                    "plan::session_tags",
                    key.span,
                    format!(
                        "transitive tag key `{}` of step `{}` is not one of its session `tags`",
                        key.value, step.id
                    ),
                )
                .help(if known.is_empty() {
                    "add the tag under `tags:`; only tags passed in the same call can be transitive"
                        .to_owned()
                } else {
                    format!("the session tags are {}", known.join(", "))
                })
                .emit();
        }
    }
}

fn check_source_identity(
    diags: &mut Diagnostics,
    step: &Step,
    spec: &StsAssumeRole,
    statics: &Statics,
) {
    let Some(text) = &spec.source_identity else {
        return;
    };
    let Some(value) = statics.render(&text.value) else {
        return;
    };
    let length = value.chars().count();
    let valid = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !(2..=64).contains(&length) || !valid {
        diags
            .error(
                "plan::invalid_name",
                text.span,
                format!(
                    "source identity `{value}` of step `{}` is not one AWS accepts",
                    step.id
                ),
            )
            .help("use 2 to 64 letters, digits and `+=,.@_-`")
            .emit();
    }
}
