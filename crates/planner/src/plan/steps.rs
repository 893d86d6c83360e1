//! Reading the `steps:` map: each step's name, its one kind (typed fields read from the
//! node tree, every unknown key and the first type error reported), and `needs:`.

use indexmap::IndexMap;

use super::for_each::{self, Scope};
use super::{RESERVED_NAMES, Step, StepId, scalar_text};
use crate::diagnostics::{Diagnostics, did_you_mean, suggest};
use crate::kinds::StepKind;
use crate::limits::MAX_STEPS;
use crate::source::Span;
use crate::yaml::{DeError, DeErrorKind, Key, Node, Sp, Value};

const STEP_KEYS: &[&str] = &["needs", "description", "for_each", "account"];

fn valid_step_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub(super) fn read_steps(
    diags: &mut Diagnostics,
    node: &Node,
    own: usize,
    scope: &Scope<'_>,
    steps: &mut IndexMap<StepId, Step>,
    unreadable: &mut Vec<String>,
    instances: &mut IndexMap<String, Vec<StepId>>,
) {
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                "`steps` must be a map of step names to steps",
            )
            .emit();
        return;
    };
    if entries.is_empty() {
        diags
            .error("plan::invalid_value", node.span, "the plan has no steps")
            .help("add at least one step under `steps:`")
            .emit();
    }
    let mut budget = MAX_STEPS.saturating_sub(entries.len());
    let mut seen: IndexMap<&str, Span> = IndexMap::new();
    for (index, (key, body)) in entries.iter().enumerate() {
        let id = StepId::new(key.name.clone());
        let first = seen.get(key.name.as_str()).copied();
        seen.entry(key.name.as_str()).or_insert(key.span);
        if let Some(first_span) = first {
            diags
                .error(
                    "plan::duplicate_step",
                    key.span,
                    format!("step `{id}` is defined twice"),
                )
                .label("second definition")
                .related(first_span, "first defined here")
                .help("rename one of them; step names are unique")
                .emit();
            continue;
        }
        if RESERVED_NAMES.contains(&key.name.as_str()) {
            diags
                .error("plan::invalid_step_name", key.span, format!("`{}` is reserved and cannot name a step", key.name))
                .help("choose another name; `operator`, `vars`, `run`, `account` and `outputs` have meanings in references")
                .emit();
        } else if index < own && !valid_step_name(&key.name) {
            diags
                .error("plan::invalid_step_name", key.span, format!("`{}` is not a valid step name", key.name))
                .help("a step name starts with a letter and has at most 64 letters, digits, `-` and `_`")
                .emit();
        }
        if let Some(fields) = body.as_map()
            && fields.iter().any(|(k, _)| k.name == "for_each")
        {
            // The step itself is one of the entries counted; its instances replace it.
            budget += 1;
            let made = for_each::expand(diags, key, fields, scope, &mut budget);
            let mut ids = Vec::new();
            for (name, instance) in made.unwrap_or_default() {
                let instance_id = StepId::new(name);
                match read_step(diags, instance_id.clone(), key, &instance) {
                    Some(step) => {
                        steps.insert(instance_id.clone(), step);
                    }
                    None => unreadable.push(instance_id.to_string()),
                }
                ids.push(instance_id);
            }
            if ids.is_empty() {
                unreadable.push(key.name.clone());
            }
            instances.insert(key.name.clone(), ids);
            continue;
        }
        match read_step(diags, id.clone(), key, body) {
            Some(step) => {
                steps.insert(id, step);
            }
            None => unreadable.push(key.name.clone()),
        }
    }
}

/// A step's `account:`: the name of an account under `accounts:`.
fn read_account(diags: &mut Diagnostics, id: &StepId, node: &Node) -> Option<Sp<String>> {
    match node.as_str() {
        Some(name) if !name.is_empty() => Some(Sp::new(name.to_owned(), node.span)),
        _ => {
            diags
                .error(
                    "plan::invalid_value",
                    node.span,
                    format!("`account` in step `{id}` is the name of an account under `accounts:`"),
                )
                .emit();
            None
        }
    }
}

fn read_step(diags: &mut Diagnostics, id: StepId, key: &Key, body: &Node) -> Option<Step> {
    let Some(entries) = body.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                body.span,
                format!("step `{id}` must be a map with one kind, such as `iam.user:`"),
            )
            .emit();
        return None;
    };
    let mut kinds: Vec<(&Key, &Node)> = Vec::new();
    let mut needs = Vec::new();
    let mut description = None;
    let mut account = None;
    repeated_step_keys(diags, &id, entries);
    for (k, v) in entries {
        match k.name.as_str() {
            "needs" => needs = read_needs(diags, v),
            "description" => description = scalar_text(v),
            "account" => account = read_account(diags, &id, v),
            label if StepKind::LABELS.contains(&label) => kinds.push((k, v)),
            other => {
                let candidates = StepKind::LABELS.iter().chain(STEP_KEYS).copied();
                diags
                    .error(
                        "plan::unknown_kind",
                        k.span,
                        format!("unknown step kind `{other}` in step `{id}`"),
                    )
                    .label("not a step kind")
                    .maybe_help(did_you_mean(other, candidates).or_else(|| {
                        Some(format!(
                            "a step has one kind: {}",
                            StepKind::LABELS.join(", ")
                        ))
                    }))
                    .emit();
            }
        }
    }
    match kinds.as_slice() {
        [] => {
            if !entries
                .iter()
                .any(|(k, _)| !STEP_KEYS.contains(&k.name.as_str()))
            {
                diags
                    .error(
                        "plan::no_kind",
                        key.span,
                        format!("step `{id}` has no kind"),
                    )
                    .help(format!("add one of: {}", StepKind::LABELS.join(", ")))
                    .emit();
            }
            None
        }
        [(kind_key, kind_body)] => {
            let label = kind_key.name.as_str();
            let (kind, errors) = StepKind::from_node(label, kind_body)?;
            let partial = kind.is_none();
            let kind = kind.or_else(|| kind_without_faults(label, kind_body, &errors));
            if !errors.is_empty() {
                report_kind_errors(diags, &id, label, kind_key.span, kind_body, errors);
            }
            // A step whose only faults are unknown keys is kept (the plan is invalid
            // already), so that the checks of the whole plan still see it.
            kind.map(|kind| Step {
                id,
                id_span: key.span,
                kind,
                kind_span: kind_key.span,
                needs,
                description,
                account,
                body: (*kind_body).clone(),
                partial,
            })
        }
        [_, (second, _), ..] => {
            let labels: Vec<String> = kinds.iter().map(|(k, _)| format!("`{}`", k.name)).collect();
            diags
                .error(
                    "plan::multiple_kinds",
                    second.span,
                    format!("step `{id}` has more than one kind: {}", labels.join(", ")),
                )
                .help("split it into one step per kind")
                .emit();
            None
        }
    }
}

/// The kind read again without the keys whose values are at fault, when every one
/// of them is optional: their errors are reported already, and the rest of the step
/// (its name, its policies, its identity) can still be checked against the whole
/// plan, so one wrong value does not hide the plan's other errors. `None` when a
/// required key is at fault, or a fault is not in one key's value.
fn kind_without_faults(label: &str, body: &Node, errors: &[DeError]) -> Option<StepKind> {
    let Value::Map(entries) = &body.value else {
        return None;
    };
    let inside = |outer: Span, inner: Span| {
        outer.offset <= inner.offset && inner.offset + inner.len <= outer.offset + outer.len
    };
    let mut kept: Vec<(Key, Node)> = entries.clone();
    let mut errors: Vec<Span> = errors.iter().filter_map(|error| error.span).collect();
    // Each round drops at least one key, so there are at most as many as keys.
    for _ in 0..entries.len() {
        let before = kept.len();
        kept.retain(|(key, value)| {
            !errors
                .iter()
                .any(|&span| inside(value.span, span) || inside(key.span, span))
        });
        if kept.len() == before {
            return None;
        }
        let pruned = Node {
            span: body.span,
            value: Value::Map(kept.clone()),
        };
        match StepKind::from_node(label, &pruned)? {
            (Some(kind), _) => return Some(kind),
            (None, again) => errors = again.iter().filter_map(|error| error.span).collect(),
        }
    }
    None
}

/// `needs` or `description` given twice in one step (the last would silently win).
fn repeated_step_keys(diags: &mut Diagnostics, id: &StepId, entries: &[(Key, Node)]) {
    for (index, (k, _)) in entries.iter().enumerate() {
        if STEP_KEYS.contains(&k.name.as_str())
            && let Some((first, _)) = entries[..index].iter().find(|(f, _)| f.name == k.name)
        {
            diags
                .error(
                    "plan::duplicate_key",
                    k.span,
                    format!("`{}` is given twice in step `{id}`", k.name),
                )
                .related(first.span, "first given here")
                .help("keep one of them; the last one would silently win")
                .emit();
        }
    }
}

fn read_needs(diags: &mut Diagnostics, node: &Node) -> Vec<Sp<String>> {
    match &node.value {
        Value::Str(s) => vec![Sp::new(s.clone(), node.span)],
        Value::Seq(items) => items
            .iter()
            .filter_map(|item| {
                if let Some(s) = item.as_str() {
                    Some(Sp::new(s.to_owned(), item.span))
                } else {
                    diags
                        .error(
                            "plan::invalid_value",
                            item.span,
                            "each entry of `needs` is a step name",
                        )
                        .emit();
                    None
                }
            })
            .collect(),
        _ => {
            diags
                .error(
                    "plan::invalid_value",
                    node.span,
                    "`needs` is a list of step names",
                )
                .emit();
            Vec::new()
        }
    }
}

/// A step kind's field errors, an unknown key that misspells a missing required key
/// reported once for both.
fn report_kind_errors(
    diags: &mut Diagnostics,
    id: &StepId,
    label: &str,
    kind_span: Span,
    body: &Node,
    errors: Vec<DeError>,
) {
    let renames = misspelled_required(&errors);
    for error in errors {
        if let DeErrorKind::MissingField(field) = &error.kind
            && renames.iter().any(|(_, required)| required == field)
        {
            continue;
        }
        if let DeErrorKind::UnknownField { field, .. } = &error.kind
            && let Some((_, required)) = renames.iter().find(|(typo, _)| typo == field)
        {
            diags
                .error(
                    "plan::unknown_key",
                    error.span.unwrap_or(body.span),
                    format!(
                        "unknown key `{field}` in `{label}` step `{id}`, which needs `{required}`"
                    ),
                )
                .label(format!("did you mean `{required}`?"))
                .help(format!("rename `{field}` to `{required}`"))
                .emit();
            continue;
        }
        report_de_error(diags, id, label, kind_span, body, error);
    }
}

/// Unknown keys that are a misspelling of a required key the step lacks, each with
/// that key: one error says both ("unknown `trust`" and "missing `trust_policy`"
/// are one mistake).
fn misspelled_required(errors: &[DeError]) -> Vec<(String, &'static str)> {
    let mut missing: Vec<&'static str> = errors
        .iter()
        .filter_map(|e| match e.kind {
            DeErrorKind::MissingField(field) => Some(field),
            _ => None,
        })
        .collect();
    let mut renames = Vec::new();
    for error in errors {
        if let DeErrorKind::UnknownField { field, .. } = &error.kind
            && let Some(required) = suggest(field, missing.iter().copied())
        {
            missing.retain(|m| *m != required);
            renames.push((field.clone(), required));
        }
    }
    renames
}

fn report_de_error(
    diags: &mut Diagnostics,
    id: &StepId,
    label: &str,
    kind_span: Span,
    body: &Node,
    error: DeError,
) {
    let span = error.span.unwrap_or(body.span);
    match error.kind {
        DeErrorKind::UnknownField { field, expected } => {
            let help = did_you_mean(&field, expected.iter().copied()).unwrap_or_else(|| {
                format!(
                    "`{label}` takes {}",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            diags
                .error(
                    "plan::unknown_key",
                    span,
                    format!("unknown key `{field}` in `{label}` step `{id}`"),
                )
                .label("unknown key")
                .help(help)
                .emit();
        }
        DeErrorKind::MissingField(field) => {
            diags
                .error(
                    "plan::missing_key",
                    kind_span,
                    format!("`{label}` step `{id}` needs `{field}`"),
                )
                .label(format!("`{field}` missing"))
                .help(format!("add `{field}:` under `{label}:`"))
                .emit();
        }
        DeErrorKind::UnknownVariant { variant, expected } => {
            diags
                .error(
                    "plan::invalid_value",
                    span,
                    format!("`{variant}` is not allowed here in step `{id}`"),
                )
                .help(
                    did_you_mean(&variant, expected.iter().copied())
                        .unwrap_or_else(|| format!("use one of: {}", expected.join(", "))),
                )
                .emit();
        }
        DeErrorKind::Other(message) => {
            diags
                .error(
                    "plan::invalid_value",
                    span,
                    format!("in step `{id}`: {message}"),
                )
                .emit();
        }
    }
}
