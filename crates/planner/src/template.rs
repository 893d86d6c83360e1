//! Templated strings: `${vars.name}`, `${run.id}`, `${account.id}`, `${account.NAME.id}`
//! and `${step.field}`
//! references inside plan values, and their resolution at run time.
//!
//! Text of the form `${...}` whose content is not a dotted name (such as IAM's own
//! policy variables `${aws:username}`, `${*}`, `${?}`, `${$}`) is left as written;
//! `$${` writes a literal `${`.

use std::fmt;

/// One `${...}` reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `${vars.NAME}`
    Var(String),
    /// `${run.id}`
    RunId,
    /// `${run.region}`
    RunRegion,
    /// `${account.id}`: the plan's first account (the operator's account when the
    /// plan names none), known once awslab has called `sts:GetCallerIdentity`.
    AccountId,
    /// `${account.NAME.id}`: the id of the plan's account `NAME` (see `accounts:`).
    AccountIdOf(String),
    /// `${step.field}` or `${step.outputs.Name}`.
    Step { step: String, path: Vec<String> },
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Var(name) => write!(f, "vars.{name}"),
            Reference::RunId => f.write_str("run.id"),
            Reference::RunRegion => f.write_str("run.region"),
            Reference::AccountId => f.write_str("account.id"),
            Reference::AccountIdOf(name) => write!(f, "account.{name}.id"),
            Reference::Step { step, path } => write!(f, "{step}.{}", path.join(".")),
        }
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// A reference and its byte range within the template text (the whole `${...}`).
    Ref {
        reference: Reference,
        start: usize,
        end: usize,
    },
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

/// A malformed template: the message and the byte range within the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub start: usize,
    pub end: usize,
}

fn is_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A step's id as references write it: `user`, an instance of a `for_each` step
/// `team[red]`, a step of an included fragment `blue/user`, or both `blue/team[red]`.
/// In a class, a learner's copy adds `[NAME]`: `user[alice]`, `team[red][alice]`.
pub fn is_step_id(root: &str) -> bool {
    let mut base = root;
    let mut keys = Vec::new();
    for _ in 0..2 {
        match base.strip_suffix(']').and_then(|r| r.rsplit_once('[')) {
            Some((rest, key)) => {
                keys.push(key);
                base = rest;
            }
            None => break,
        }
    }
    keys.iter().all(|key| valid_instance_key(key))
        && base
            .split('/')
            .all(|part| is_name(part) && part.starts_with(|c: char| c.is_ascii_alphabetic()))
}

fn reference_of(content: &str) -> Option<Result<Reference, String>> {
    let mut words = content.split('.');
    let root = words.next()?;
    if !is_step_id(root) {
        // `${team[].arn}` or `${a//b.arn}`: meant as a step, but no step id.
        let step_like = root.contains(['[', '/'])
            && root
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/[]".contains(c));
        return step_like.then(|| {
            Err(format!(
                "`${{{content}}}` is not a reference: an instance is `STEP[KEY]` (a key of letters, digits, `-` and `_`) and an included step `INCLUDE/STEP`"
            ))
        });
    }
    let path: Vec<String> = words.map(str::to_owned).collect();
    if path.is_empty() {
        return Some(Err(format!(
            "`${{{content}}}` names no field; write `${{{content}.FIELD}}` (a step's output), or `$${{` for a literal `${{`"
        )));
    }
    if path.iter().any(|w| !is_name(w)) {
        return Some(Err(format!(
            "`${{{content}}}` is not a reference: fields are names separated by dots"
        )));
    }
    let only = |what: Reference| {
        if path.len() == 1 {
            Ok(what)
        } else {
            Err(format!("`${{{content}}}` has too many fields"))
        }
    };
    Some(match (root, path[0].as_str()) {
        ("vars", name) => only(Reference::Var(name.to_owned())),
        ("run", "id") => only(Reference::RunId),
        ("run", "region") => only(Reference::RunRegion),
        ("run", other) => Err(format!(
            "`run.{other}` is not known; use `run.id` or `run.region`"
        )),
        ("account", "id") => only(Reference::AccountId),
        ("account", name) if path.len() == 2 && path[1] == "id" => {
            Ok(Reference::AccountIdOf(name.to_owned()))
        }
        ("account", other) => Err(format!(
            "`account.{other}` is not known; use `account.id` (the plan's first account) or `account.NAME.id` (an account under `accounts:`)"
        )),
        (step, _) => Ok(Reference::Step {
            step: step.to_owned(),
            path,
        }),
    })
}

impl Template {
    /// Parses `text`; every malformed reference is returned.
    pub fn parse(text: &str) -> Result<Template, Vec<TemplateError>> {
        let mut parts = Vec::new();
        let mut errors = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut at = 0;
        while let Some(i) = rest.find('$') {
            literal.push_str(&rest[..i]);
            let after = &rest[i..];
            if let Some(tail) = after.strip_prefix("$${") {
                literal.push_str("${");
                rest = tail;
                at += i + 3;
                continue;
            }
            if !after.starts_with("${") {
                literal.push('$');
                rest = &after[1..];
                at += i + 1;
                continue;
            }
            let start = at + i;
            let Some(close) = after.find('}') else {
                errors.push(TemplateError {
                    message: "`${` is not closed; add `}`, or write `$${` for a literal `${`"
                        .into(),
                    start,
                    end: text.len(),
                });
                rest = "";
                break;
            };
            let content = &after[2..close];
            let end = start + close + 1;
            match reference_of(content.trim()) {
                None => literal.push_str(&after[..=close]),
                Some(Ok(reference)) => {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Ref {
                        reference,
                        start,
                        end,
                    });
                }
                Some(Err(message)) => errors.push(TemplateError {
                    message,
                    start,
                    end,
                }),
            }
            rest = &after[close + 1..];
            at = end;
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        if errors.is_empty() {
            Ok(Template { parts })
        } else {
            Err(errors)
        }
    }

    /// The references, in order.
    pub fn references(&self) -> impl Iterator<Item = (&Reference, usize, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref {
                reference,
                start,
                end,
            } => Some((reference, *start, *end)),
            Part::Literal(_) => None,
        })
    }

    /// True when the template has no references.
    pub fn is_static(&self) -> bool {
        self.references().next().is_none()
    }

    /// Renders the template; `lookup` gives each reference's value. Returns the first
    /// reference that has no value as the error.
    pub fn render<F>(&self, mut lookup: F) -> Result<String, Reference>
    where
        F: FnMut(&Reference) -> Option<String>,
    {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Ref { reference, .. } => {
                    out.push_str(&lookup(reference).ok_or_else(|| reference.clone())?);
                }
            }
        }
        Ok(out)
    }
}

/// Renders a template string with `lookup`; malformed text is an error naming it.
pub fn render_str<F>(text: &str, lookup: F) -> Result<String, String>
where
    F: FnMut(&Reference) -> Option<String>,
{
    let template = Template::parse(text).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| e.message)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    template
        .render(lookup)
        .map_err(|r| format!("`${{{r}}}` has no value yet"))
}

/// Renders every string of a JSON document (keys and values) with `lookup`.
pub fn render_json<F>(
    value: &serde_json::Value,
    lookup: &mut F,
) -> Result<serde_json::Value, String>
where
    F: FnMut(&Reference) -> Option<String>,
{
    use serde_json::Value as J;
    Ok(match value {
        J::String(s) => J::String(render_str(s, &mut *lookup)?),
        J::Array(items) => J::Array(
            items
                .iter()
                .map(|v| render_json(v, lookup))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(map) => J::Object(
            map.iter()
                .map(|(k, v)| Ok((render_str(k, &mut *lookup)?, render_json(v, lookup)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// Whether `key` can name an instance of a `for_each` step (`team[red]`).
pub fn valid_instance_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses `text` (found at `span`) and returns its references with their exact spans;
/// malformed references are reported.
pub fn references_in(
    diags: &mut crate::diagnostics::Diagnostics,
    text: &str,
    span: crate::source::Span,
) -> Vec<(Reference, crate::source::Span)> {
    match Template::parse(text) {
        // Each search starts after the previous find, so the work is linear in the
        // text and a reference repeated is placed at its own occurrence.
        Ok(template) => {
            let mut from = span.offset;
            template
                .references()
                .map(|(reference, start, end)| {
                    let raw = &text[start..end];
                    let at = diags.file().find_from(from, raw).unwrap_or(span);
                    from = at.offset + at.len;
                    (reference.clone(), at)
                })
                .collect()
        }
        Err(errors) => {
            let mut from = span.offset;
            for error in errors {
                if diags.is_full() {
                    break;
                }
                let raw = &text[error.start..error.end];
                let at = diags.file().find_from(from, raw).unwrap_or(span);
                from = at.offset + at.len;
                diags.error("plan::bad_reference", at, error.message).emit();
            }
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_and_literals() {
        let t = Template::parse("arn:${vars.a}/${user.arn}-${run.id}").unwrap();
        let refs: Vec<_> = t
            .references()
            .map(|(r, s, e)| (r.to_string(), s, e))
            .collect();
        assert_eq!(
            refs,
            vec![
                ("vars.a".into(), 4, 13),
                ("user.arn".into(), 14, 25),
                ("run.id".into(), 26, 35)
            ]
        );
    }

    #[test]
    fn leaves_iam_policy_variables_alone() {
        let t = Template::parse("arn:aws:s3:::b/${aws:username}/${*}").unwrap();
        assert!(t.is_static());
        assert_eq!(
            t.render(|_| None).unwrap(),
            "arn:aws:s3:::b/${aws:username}/${*}"
        );
    }

    #[test]
    fn escapes_dollar_brace() {
        let t = Template::parse("$${vars.x}").unwrap();
        assert_eq!(t.render(|_| None).unwrap(), "${vars.x}");
    }

    #[test]
    fn errors_for_unclosed_reference() {
        let errors = Template::parse("a ${user.arn").unwrap_err();
        assert_eq!(errors[0].start, 2);
        assert!(errors[0].message.contains("not closed"));
    }

    #[test]
    fn errors_for_reference_without_field() {
        let errors = Template::parse("${user}").unwrap_err();
        assert!(
            errors[0].message.contains("names no field"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn parses_references_to_instances_and_fragment_steps() {
        let t =
            Template::parse("${team[red].arn} ${blue/user.arn} ${blue/team[a-1].name}").unwrap();
        let refs: Vec<String> = t.references().map(|(r, _, _)| r.to_string()).collect();
        assert_eq!(
            refs,
            ["team[red].arn", "blue/user.arn", "blue/team[a-1].name"]
        );
        assert!(Template::parse("${team[].arn}").is_err());
        assert!(Template::parse("${a//b.arn}").is_err());
        assert!(Template::parse("${team[a b].arn}").unwrap().is_static());
    }

    #[test]
    fn renders_with_lookup() {
        let t = Template::parse("x-${vars.a}-y").unwrap();
        let out = t.render(|r| (r == &Reference::Var("a".into())).then(|| "1".to_owned()));
        assert_eq!(out.unwrap(), "x-1-y");
    }
}
