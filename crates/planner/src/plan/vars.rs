//! Reading `vars:` and applying `--var` and `--secret-var`: names usable in
//! `${vars.NAME}`, values that are scalars or `{ value, secret }`, and which variables
//! are secret (declared, passed with `--secret-var`, or used as a web identity token).

use indexmap::{IndexMap, IndexSet};

use super::{Plan, scalar_text};
use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::kinds::StepKind;
use crate::limits::{MAX_OVERRIDE_BYTES, MAX_VARS};
use crate::source::Span;
use crate::yaml::{Key, Node, Sp, Value};

/// Whether `name` can be used as `${vars.NAME}`.
fn valid_var_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A variable's value: a scalar, or `{ value: ..., secret: true }`.
pub(super) fn var_value(
    diags: &mut Diagnostics,
    key: &Key,
    value: &Node,
) -> Option<(String, Span, bool)> {
    if let Some(text) = scalar_text(value) {
        return Some((text, value.span, false));
    }
    if let Some(entries) = value.as_map() {
        let mut text = None;
        let mut secret = false;
        for (k, v) in entries {
            match (k.name.as_str(), &v.value) {
                ("value", _) => text = scalar_text(v).map(|t| (t, v.span)),
                ("secret", Value::Bool(b)) => secret = *b,
                ("secret", _) => diags
                    .error(
                        "plan::invalid_value",
                        v.span,
                        "`secret` is `true` or `false`",
                    )
                    .emit(),
                (other, _) => diags
                    .error(
                        "plan::unknown_key",
                        k.span,
                        format!("unknown key `{other}` in variable `{}`", key.name),
                    )
                    .help("a variable is a value, or a map with `value` and `secret`")
                    .emit(),
            }
        }
        if let Some((text, span)) = text {
            return Some((text, span, secret));
        }
        diags
            .error(
                "plan::missing_key",
                value.span,
                format!("variable `{}` has no `value`", key.name),
            )
            .help("write `NAME: { value: ..., secret: true }`")
            .emit();
        return None;
    }
    diags
        .error(
            "plan::invalid_value",
            value.span,
            format!(
                "variable `{}` must be a string, number, list or map, not {}",
                key.name,
                value.value.kind_word()
            ),
        )
        .emit();
    None
}

/// Whether `value` is a list or map variable (`teams: [red, blue]`), rather than a
/// scalar or the `{ value, secret }` form: a map with a `value` or `secret` key is the
/// latter.
pub(super) fn is_collection(value: &Node) -> bool {
    match &value.value {
        Value::Seq(_) => true,
        Value::Map(entries) => !entries
            .iter()
            .any(|(k, _)| k.name == "value" || k.name == "secret"),
        _ => false,
    }
}

/// Checks a list or map variable's shape: a list of scalars, or a map whose values are
/// scalars or maps of scalars. Reports in `diags`; true if it is well formed.
pub(super) fn check_collection(diags: &mut Diagnostics, name: &str, value: &Node) -> bool {
    let scalar = |n: &Node| scalar_text(n).is_some();
    let mut ok = true;
    let mut keys: Vec<(String, crate::source::Span)> = Vec::new();
    match &value.value {
        Value::Seq(items) => {
            for item in items {
                if let Some(text) = scalar_text(item) {
                    keys.push((text, item.span));
                }
                if !scalar(item) {
                    ok = false;
                    diags
                        .error(
                            "plan::invalid_value",
                            item.span,
                            format!("list variable `{name}` holds {}; its items are strings or numbers", item.value.kind_word()),
                        )
                        .help("each item names one instance of a `for_each` step; for values with fields, use a map variable of maps")
                        .emit();
                }
            }
        }
        Value::Map(entries) => {
            for (key, item) in entries {
                keys.push((key.name.clone(), key.span));
                let fields_ok = match item.as_map() {
                    Some(fields) => fields.iter().all(|(_, f)| scalar(f)),
                    None => scalar(item),
                };
                if !fields_ok {
                    ok = false;
                    diags
                        .error(
                            "plan::invalid_value",
                            item.span,
                            format!("map variable `{name}` holds {} here; its values are strings, numbers, or maps of them", item.value.kind_word()),
                        )
                        .emit();
                }
            }
        }
        _ => ok = false,
    }
    for (index, (key, span)) in keys.iter().enumerate() {
        if !valid_instance_key(key) {
            ok = false;
            diags
                .error(
                    "plan::invalid_value",
                    *span,
                    format!(
                        "`{}` cannot name an instance of a `for_each` step",
                        crate::limits::shorten(key)
                    ),
                )
                .help("an instance key has 1 to 64 letters, digits, `-` and `_`, as in `team[red]`")
                .emit();
        } else if let Some((_, first)) = keys[..index].iter().find(|(k, _)| k == key) {
            ok = false;
            diags
                .error(
                    "plan::duplicate_key",
                    *span,
                    format!("`{key}` is given twice in variable `{name}`"),
                )
                .related(*first, "first given here")
                .help("instance keys are unique; remove or rename one")
                .emit();
        }
    }
    ok
}
pub use crate::template::valid_instance_key;

pub(super) fn read_vars(
    diags: &mut Diagnostics,
    node: &Node,
    vars: &mut IndexMap<String, Sp<String>>,
    secrets: &mut IndexSet<String>,
    collections: &mut IndexMap<String, Node>,
) {
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                "`vars` must be a map of names to values",
            )
            .emit();
        return;
    };
    if entries.len() > MAX_VARS {
        diags
            .error(
                "plan::budget",
                node.span,
                format!(
                    "the plan has {} variables; a plan may have at most {MAX_VARS}",
                    entries.len()
                ),
            )
            .emit();
        return;
    }
    for (key, value) in entries {
        if !valid_var_name(&key.name) {
            diags
                .error(
                    "plan::invalid_value",
                    key.span,
                    format!("`{}` is not a valid variable name", key.name),
                )
                .help("a variable name starts with a letter and has at most 64 letters, digits, `-` and `_`")
                .emit();
            continue;
        }
        if is_collection(value) {
            if collections.contains_key(&key.name) || vars.contains_key(&key.name) {
                diags
                    .error(
                        "plan::duplicate_var",
                        key.span,
                        format!("variable `{}` is defined twice", key.name),
                    )
                    .emit();
            } else {
                // Kept even when malformed (that is reported here), so a `for_each` over
                // it is not reported again as naming an unknown variable.
                check_collection(diags, &key.name, value);
                collections.insert(key.name.clone(), value.clone());
            }
            continue;
        }
        let Some((text, span, secret)) = var_value(diags, key, value) else {
            continue;
        };
        if let Some(first) = vars.get(&key.name) {
            let first_span = first.span;
            diags
                .error(
                    "plan::duplicate_var",
                    key.span,
                    format!("variable `{}` is defined twice", key.name),
                )
                .related(first_span, "first defined here")
                .emit();
            continue;
        }
        if secret {
            secrets.insert(key.name.clone());
        }
        vars.insert(key.name.clone(), Sp::new(text, span));
    }
}

/// A web identity token or a SAML assertion is secret by default: every variable a
/// `token` or an `assertion` uses is.
pub(super) fn mark_token_vars_secret(plan: &mut Plan) {
    let mut found = Vec::new();
    for step in plan.steps.values() {
        let secret = match &step.kind {
            StepKind::StsAssumeRoleWithWebIdentity(web) => web.token.as_ref(),
            StepKind::StsAssumeRoleWithSaml(saml) => saml.assertion.as_ref(),
            _ => None,
        };
        if let Some(token) = secret
            && let Ok(template) = crate::template::Template::parse(&token.value)
        {
            for (reference, _, _) in template.references() {
                if let crate::template::Reference::Var(name) = reference {
                    found.push(name.clone());
                }
            }
        }
    }
    plan.secrets.extend(found);
}

pub(super) fn apply_secret_overrides(
    diags: &mut Diagnostics,
    plan: &mut Plan,
    overrides: &[(String, String)],
    root: &Node,
) {
    let entries = root.as_map().unwrap_or_default();
    apply_overrides(diags, &mut plan.vars, overrides, entries);
    for (name, _) in overrides {
        if plan.vars.contains_key(name) {
            plan.secrets.insert(name.clone());
        }
    }
}

pub(super) fn apply_overrides(
    diags: &mut Diagnostics,
    vars: &mut IndexMap<String, Sp<String>>,
    overrides: &[(String, String)],
    entries: &[(Key, Node)],
) {
    let vars_span = entries.iter().find(|(k, _)| k.name == "vars").map_or_else(
        || entries.first().map(|(k, _)| k.span).unwrap_or_default(),
        |(k, _)| k.span,
    );
    for (name, value) in overrides {
        if value.len() > MAX_OVERRIDE_BYTES {
            diags
                .error(
                    "plan::budget",
                    vars_span,
                    format!(
                        "`--var {name}=...` has {} bytes; a value may have at most {MAX_OVERRIDE_BYTES}",
                        value.len()
                    ),
                )
                .emit();
            continue;
        }
        if let Some(var) = vars.get_mut(name) {
            var.value.clone_from(value);
        } else {
            let known: Vec<&str> = vars.keys().map(String::as_str).collect();
            diags
                .error(
                    "plan::unknown_var",
                    vars_span,
                    format!("`--var {name}=...` names no variable of this plan"),
                )
                .maybe_help(did_you_mean(name, known.iter().copied()).or_else(|| {
                    Some(format!(
                        "declare it under `vars:`; the plan has {}",
                        list_or_none(&known)
                    ))
                }))
                .emit();
        }
    }
}

pub(super) fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
