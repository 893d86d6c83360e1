//! `for_each:` on a step: one instance per item of a list or map (a variable, or
//! written in place), each a step of its own with the stable id `step[key]` (a list's
//! item is its key; a map's key is). `${each.key}` and `${each.value}` (or
//! `${each.value.FIELD}` for a map of maps) are replaced in the instance's fields
//! before it is read, so everything downstream (references, checks, the graph, the
//! journal, reports) sees plain steps. The expansion is bounded by the plan's step
//! budget before anything is copied.

use indexmap::IndexMap;

use super::scalar_text;
use super::vars::check_collection;
use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::limits::{MAX_EXPANDED_BYTES, MAX_STEPS};
use crate::source::Span;
use crate::yaml::{Key, Node, Sp, Value};

/// The variables a `for_each` may name.
pub(super) struct Scope<'a> {
    pub vars: &'a IndexMap<String, Sp<String>>,
    pub collections: &'a IndexMap<String, Node>,
}

/// One instance's `${each.value}`: a scalar's text, or a map's fields.
enum EachValue {
    Text(String),
    Fields(Vec<(String, String)>),
}

/// One instance: its key and value.
struct Item {
    key: String,
    value: EachValue,
}

/// The items `for_each` (at `node`) iterates over, or `None` once the reason is
/// reported.
fn items(diags: &mut Diagnostics, step: &str, node: &Node, scope: &Scope<'_>) -> Option<Vec<Item>> {
    let collection = collection(diags, step, node, scope)?;
    let items = items_of(collection);
    if items.is_empty() {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                format!("`for_each` of step `{step}` has no items, so the step would make nothing"),
            )
            .help("give the list or map at least one item, or remove the step")
            .emit();
        return None;
    }
    Some(items)
}

/// The list or map `for_each` names or holds, well formed.
fn collection<'a>(
    diags: &mut Diagnostics,
    step: &str,
    node: &'a Node,
    scope: &Scope<'a>,
) -> Option<&'a Node> {
    Some(match &node.value {
        Value::Str(text) => {
            let trimmed = text.trim();
            let Some(name) = trimmed
                .strip_prefix("${vars.")
                .and_then(|rest| rest.strip_suffix('}'))
            else {
                diags
                    .error(
                        "plan::invalid_value",
                        node.span,
                        format!("`for_each` of step `{step}` must be a list, a map, or `${{vars.NAME}}` of a list or map variable"),
                    )
                    .help("write `for_each: \"${vars.teams}\"` or `for_each: [red, blue]`")
                    .emit();
                return None;
            };
            if let Some(collection) = scope.collections.get(name) {
                // A malformed variable is reported where it is declared.
                let mut quiet = Diagnostics::new(diags.file().clone());
                if !check_collection(&mut quiet, name, collection) {
                    return None;
                }
                collection
            } else {
                let (message, help) = if scope.vars.contains_key(name) {
                    (
                        format!(
                            "`for_each` of step `{step}` names variable `{name}`, which is one value, not a list or map"
                        ),
                        Some(format!(
                            "declare `{name}` as a list (`{name}: [a, b]`) or a map"
                        )),
                    )
                } else {
                    (
                        format!("`for_each` of step `{step}` names unknown variable `{name}`"),
                        did_you_mean(name, scope.collections.keys().map(String::as_str))
                            .or_else(|| Some(format!("declare `{name}: [a, b]` under `vars:`"))),
                    )
                };
                diags
                    .error("plan::unknown_var", node.span, message)
                    .maybe_help(help)
                    .emit();
                return None;
            }
        }
        Value::Seq(_) | Value::Map(_) => {
            if !check_collection(diags, "for_each", node) {
                return None;
            }
            node
        }
        _ => {
            diags
                .error(
                    "plan::invalid_value",
                    node.span,
                    format!(
                        "`for_each` of step `{step}` must be a list, a map, or `${{vars.NAME}}`, not {}",
                        node.value.kind_word()
                    ),
                )
                .emit();
            return None;
        }
    })
}

fn items_of(collection: &Node) -> Vec<Item> {
    match &collection.value {
        Value::Seq(list) => list
            .iter()
            .filter_map(scalar_text)
            .map(|text| Item {
                key: text.clone(),
                value: EachValue::Text(text),
            })
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .map(|(key, value)| Item {
                key: key.name.clone(),
                value: match value.as_map() {
                    Some(fields) => EachValue::Fields(
                        fields
                            .iter()
                            .map(|(k, v)| (k.name.clone(), scalar_text(v).unwrap_or_default()))
                            .collect(),
                    ),
                    None => EachValue::Text(scalar_text(value).unwrap_or_default()),
                },
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The instances of step `key` (whose body has `for_each`): each instance's id and
/// body (without `for_each`, `${each.*}` replaced). `budget` is how many more steps
/// the plan may have; it shrinks by the instances made.
pub(super) fn expand(
    diags: &mut Diagnostics,
    key: &Key,
    body: &[(Key, Node)],
    scope: &Scope<'_>,
    budget: &mut usize,
) -> Option<Vec<(String, Node)>> {
    let step = key.name.as_str();
    let (for_each_key, for_each) = body.iter().find(|(k, _)| k.name == "for_each")?;
    let items = items(diags, step, for_each, scope)?;
    if items.len() > *budget {
        diags
            .error(
                "plan::budget",
                for_each_key.span,
                format!(
                    "`for_each` of step `{step}` makes {} instances; a plan may have at most {MAX_STEPS} steps, instances included",
                    items.len()
                ),
            )
            .help("split the lab into several plans, or iterate over fewer items")
            .emit();
        return None;
    }
    // Each instance copies the step: bound the copies' text before making them.
    let copied = text_size(&Node {
        span: for_each.span,
        value: Value::Map(body.to_vec()),
    })
    .saturating_mul(items.len());
    if copied > MAX_EXPANDED_BYTES {
        diags
            .error(
                "plan::budget",
                for_each_key.span,
                format!(
                    "`for_each` of step `{step}` would copy {copied} bytes of text into its {} instances; a plan may expand to at most {MAX_EXPANDED_BYTES}",
                    items.len()
                ),
            )
            .help("iterate over fewer items, or make the step smaller (move large documents into files)")
            .emit();
        return None;
    }
    *budget -= items.len();
    let rest: Vec<(Key, Node)> = body
        .iter()
        .filter(|(k, _)| k.name != "for_each")
        .cloned()
        .collect();
    let template = Node {
        span: for_each.span,
        value: Value::Map(rest),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        let mut instance = template.clone();
        substitute(diags, step, &mut instance, item);
        out.push((format!("{step}[{}]", item.key), instance));
    }
    Some(out)
}

fn substitute(diags: &mut Diagnostics, step: &str, node: &mut Node, item: &Item) {
    match &mut node.value {
        Value::Str(text) if text.contains("${each.") => {
            *text = replace_each(diags, step, text, node.span, item);
        }
        Value::Seq(items) => {
            for child in items {
                substitute(diags, step, child, item);
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                if key.name.contains("${each.") {
                    key.name = replace_each(diags, step, &key.name, key.span, item);
                }
                substitute(diags, step, value, item);
            }
        }
        _ => {}
    }
}

/// `text` with every `${each.key}`, `${each.value}` and `${each.value.FIELD}`
/// replaced; `$${each...}` (a literal) is left alone.
fn replace_each(
    diags: &mut Diagnostics,
    step: &str,
    text: &str,
    span: Span,
    item: &Item,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${each.") {
        let escaped = rest[..i].ends_with('$');
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(close) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let whole = &after[..=close];
        if escaped {
            out.push_str(whole);
            rest = &after[close + 1..];
            continue;
        }
        let path = &after[7..close];
        match each_value(path, item) {
            Ok(value) => out.push_str(&value),
            Err(problem) => {
                let at = diags.file().find_from(span.offset, whole).unwrap_or(span);
                diags
                    .error(
                        "plan::bad_reference",
                        at,
                        format!("`{whole}` in step `{step}`: {problem}"),
                    )
                    .help("a `for_each` step has `${each.key}`, and `${each.value}` (or `${each.value.FIELD}` when the items are maps)")
                    .emit();
                out.push_str(whole);
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

fn each_value(path: &str, item: &Item) -> Result<String, String> {
    match (path, &item.value) {
        ("key", _) => Ok(item.key.clone()),
        ("value", EachValue::Text(text)) => Ok(text.clone()),
        ("value", EachValue::Fields(_)) => {
            Err("this item is a map; name a field, as in `${each.value.FIELD}`".to_owned())
        }
        (other, value) => match (other.strip_prefix("value."), value) {
            (Some(field), EachValue::Fields(fields)) => fields
                .iter()
                .find(|(name, _)| name == field)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| {
                    let names: Vec<String> = fields.iter().map(|(n, _)| format!("`{n}`")).collect();
                    format!(
                        "item `{}` has no field `{field}`; it has {}",
                        item.key,
                        names.join(", ")
                    )
                }),
            (Some(_), EachValue::Text(_)) => {
                Err("this item is one value, with no fields; use `${each.value}`".to_owned())
            }
            (None, _) => Err("`each` has `key` and `value`".to_owned()),
        },
    }
}

/// The bytes of text (keys and scalars) in `node`.
fn text_size(node: &Node) -> usize {
    match &node.value {
        Value::Str(text) => text.len(),
        Value::Seq(items) => items.iter().map(text_size).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(key, value)| key.name.len() + text_size(value))
            .sum(),
        _ => 8,
    }
}
