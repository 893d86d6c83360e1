//! `include:` another plan file as a fragment, namespaced: `include: { blue: { file:
//! fragments/team.yaml, vars: { team: blue } } }` makes the fragment's step `user` the
//! step `blue/user` of the plan, and its `outputs:` readable as `${blue.NAME}`.
//!
//! A fragment is a plan of its own (so `awslab validate` checks it alone): its `vars:`
//! are its inputs, each with a default, and `outputs:` names values of its steps. It is
//! first checked alone, with its defaults and the include's literal inputs, so its
//! mistakes are located in its own file; then its steps are copied into the plan with
//! every reference rewritten into the plan's namespace (`${user.arn}` becomes
//! `${blue/user.arn}`, `${vars.team}` the input's text, `as: user` `as: blue/user`),
//! each position set to the `include:` entry, where anything the combination gets
//! wrong (an input that makes a bad name) is reported.
//!
//! Files come only from the plan's folder tree (or `--allow-files-from` folders); a
//! fragment includes others at most [`MAX_INCLUDE_DEPTH`] deep, never itself again.
//!
//! Longer than most modules, as one cohesive thing: reading an include, checking its
//! fragment alone, and rewriting its text into the plan's namespace depend on each
//! other's details (what a fragment declares, which text is a step name).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::scalar_text;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::limits::{MAX_EXPANDED_BYTES, MAX_INCLUDE_DEPTH, MAX_INCLUDE_READS};
use crate::source::Span;
use crate::template::{Reference, Template};
use crate::yaml::{self, Key, Node, Value};

/// What reading includes needs and collects, shared down nested includes.
#[derive(Debug, Default)]
pub struct Context {
    /// The folders files may come from (the main plan's, and those allowed), resolved.
    pub roots: Vec<PathBuf>,
    /// The folder the main plan is in: files a step reads resolve against it.
    pub base_dir: PathBuf,
    /// `--allow-files-from` folders, for checking fragments alone.
    pub allowed_dirs: Vec<PathBuf>,
    /// The files being read, outermost first (resolved), to refuse cycles.
    pub stack: Vec<PathBuf>,
    /// Diagnostics located in included files.
    pub diagnostics: Vec<Diagnostic>,
    /// True once an included file has errors.
    pub failed: bool,
    /// Fragment files read so far (at most [`MAX_INCLUDE_READS`]), and their bytes (at
    /// most [`MAX_EXPANDED_BYTES`] in all).
    pub reads: usize,
    pub bytes: usize,
    /// How fragments are read and checked alone; without one, `include:` is an error.
    pub loader: Option<Loader>,
}

/// How a fragment is read and checked alone. The planner's entry points (`load`) give
/// theirs, which run the whole pipeline on the fragment; this module names only the
/// shape, so that reading a plan never imports the entry points that read plans.
#[derive(Debug, Clone, Copy)]
pub struct Loader {
    /// Reads a YAML file of the plan's (`what` names it in errors).
    pub read: fn(&Path, &str) -> Result<crate::SourceFile, Unreadable>,
    /// Checks a fragment alone, with the include's literal inputs over its defaults.
    pub check: CheckFragment,
}

/// Checks a fragment alone: [`Loader::check`].
pub type CheckFragment =
    fn(crate::SourceFile, &[(String, String)], &mut Context) -> Result<Declared, Vec<Diagnostic>>;

/// Why a fragment could not be read.
#[derive(Debug)]
pub enum Unreadable {
    /// It was read, and is not a YAML file the planner takes (located diagnostics).
    Invalid(Vec<Diagnostic>),
    /// It could not be read (said in the message).
    Other(String),
}

/// Names of identities a step body may hold as plain text (not `${...}`).
const IDENTITY_KEYS: &[&str] = &["as", "credentials", "mfa"];

/// One include, expanded into the including file's namespace.
#[derive(Debug, Default)]
pub(super) struct Expanded {
    /// Steps as `(id, body)`, ids `name/step`.
    pub steps: Vec<(Key, Node)>,
    /// Output name to its template text.
    pub outputs: IndexMap<String, String>,
}

/// An input value: text, or a list or map for `for_each`.
#[derive(Debug, Clone)]
enum Input {
    Text(String),
    Collection(Node),
}

/// Reads the `include:` map of the file in `diags`; each include checked alone and
/// expanded. Includes that fail are named in `failed`.
pub(super) fn read(
    diags: &mut Diagnostics,
    node: &Node,
    context: &mut Context,
    failed: &mut Vec<String>,
) -> IndexMap<String, Expanded> {
    let mut out = IndexMap::new();
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                "`include` must be a map of names to `{ file, vars }`",
            )
            .help("write `include: { blue: { file: fragments/team.yaml, vars: { team: blue } } }`")
            .emit();
        return out;
    };
    for (key, spec) in entries {
        if out.contains_key(&key.name) || failed.contains(&key.name) {
            diags
                .error(
                    "plan::duplicate_key",
                    key.span,
                    format!("include `{}` is given twice", key.name),
                )
                .emit();
            continue;
        }
        match read_one(diags, key, spec, context) {
            Some(expanded) => {
                out.insert(key.name.clone(), expanded);
            }
            None => failed.push(key.name.clone()),
        }
    }
    out
}

fn valid_include_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn read_one(
    diags: &mut Diagnostics,
    key: &Key,
    spec: &Node,
    context: &mut Context,
) -> Option<Expanded> {
    let name = key.name.as_str();
    if !valid_include_name(name) || super::RESERVED_NAMES.contains(&name) {
        diags
            .error(
                "plan::invalid_step_name",
                key.span,
                format!("`{name}` cannot name an include"),
            )
            .help("an include's name starts with a letter and has at most 64 letters, digits, `-` and `_`; it prefixes its steps as `NAME/step`")
            .emit();
        return None;
    }
    let (file, inputs) = read_spec(diags, name, spec)?;
    let Some((file, file_span)) = file else {
        diags
            .error(
                "plan::missing_key",
                key.span,
                format!("include `{name}` needs `file`, a path to the fragment"),
            )
            .emit();
        return None;
    };
    let path = locate(diags, name, &file, file_span, context)?;
    context.reads += 1;
    if context.reads > MAX_INCLUDE_READS {
        diags
            .error(
                "plan::budget",
                key.span,
                format!("the plan reads fragments more than {MAX_INCLUDE_READS} times, nested includes counted"),
            )
            .help("include fewer fragments, or nest them less")
            .emit();
        return None;
    }
    let (loader, source) = read_fragment(diags, name, key.span, file_span, &path, context)?;
    context.bytes = context.bytes.saturating_add(source.text.len());
    if context.bytes > MAX_EXPANDED_BYTES {
        diags
            .error(
                "plan::budget",
                key.span,
                format!("the plan's fragments add up to more than {MAX_EXPANDED_BYTES} bytes, each counted as often as it is read"),
            )
            .help("include fewer or smaller fragments")
            .emit();
        return None;
    }
    // Alone, with its defaults and the literal inputs: its own mistakes, located in it.
    let declared_names: Vec<String> = yaml::parse(&source.text)
        .ok()
        .and_then(|root| {
            root.as_map()?
                .iter()
                .find(|(k, _)| k.name == "vars")
                .and_then(|(_, vars)| vars.as_map())
                .map(|vars| vars.iter().map(|(k, _)| k.name.clone()).collect())
        })
        .unwrap_or_default();
    let literal: Vec<(String, String)> = inputs
        .iter()
        .filter(|(n, _)| declared_names.contains(n))
        .filter_map(|(n, (v, _))| match v {
            Input::Text(t) if !t.contains("${") => Some((n.clone(), t.clone())),
            _ => None,
        })
        .collect();
    context.stack.push(path.clone());
    let alone = (loader.check)(source.clone(), &literal, context);
    let expanded = match alone {
        Ok(declared) => expand(diags, name, key.span, &source, &inputs, &declared, context),
        Err(diagnostics) => {
            context.diagnostics.extend(diagnostics);
            context.failed = true;
            None
        }
    };
    context.stack.pop();
    expanded
}

/// Reads an include's fragment file with the context's loader.
fn read_fragment(
    diags: &mut Diagnostics,
    name: &str,
    at: Span,
    file_span: Span,
    path: &Path,
    context: &mut Context,
) -> Option<(Loader, crate::SourceFile)> {
    let Some(loader) = context.loader else {
        diags
            .error(
                "plan::include",
                at,
                format!("include `{name}` cannot be read here: fragments are read when a plan is loaded from its file"),
            )
            .help("load the plan with `awslab validate` (or `awslab_planner::load`)")
            .emit();
        return None;
    };
    let source = match (loader.read)(path, "fragment") {
        Ok(source) => source,
        Err(Unreadable::Invalid(diagnostics)) => {
            context.diagnostics.extend(diagnostics);
            context.failed = true;
            return None;
        }
        Err(Unreadable::Other(message)) => {
            diags.error("plan::file", file_span, message).emit();
            return None;
        }
    };
    Some((loader, source))
}

/// An include's `file` and `vars`.
type Spec = (Option<(String, Span)>, IndexMap<String, (Input, Span)>);

fn read_spec(diags: &mut Diagnostics, name: &str, spec: &Node) -> Option<Spec> {
    let mut file = None;
    let mut inputs: IndexMap<String, (Input, Span)> = IndexMap::new();
    let Some(fields) = spec.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                spec.span,
                format!("include `{name}` must be a map with `file` and `vars`"),
            )
            .emit();
        return None;
    };
    for (field, value) in fields {
        match field.name.as_str() {
            "file" => file = value.as_str().map(|f| (f.to_owned(), value.span)),
            "vars" => {
                for (input, given) in value.as_map().unwrap_or_default() {
                    let input_value = match scalar_text(given) {
                        Some(text) => Input::Text(text),
                        None if super::vars::is_collection(given) => {
                            if !super::vars::check_collection(diags, &input.name, given) {
                                return None;
                            }
                            Input::Collection(given.clone())
                        }
                        None => {
                            diags
                                .error(
                                    "plan::invalid_value",
                                    given.span,
                                    format!("input `{}` of include `{name}` must be a string, number, list or map", input.name),
                                )
                                .emit();
                            return None;
                        }
                    };
                    inputs.insert(input.name.clone(), (input_value, input.span));
                }
            }
            other => {
                diags
                    .error(
                        "plan::unknown_key",
                        field.span,
                        format!("unknown key `{other}` in include `{name}`"),
                    )
                    .help("an include has `file` and `vars`")
                    .emit();
            }
        }
    }
    Some((file, inputs))
}

/// The fragment's path, resolved and inside the allowed folders, not already being read.
fn locate(
    diags: &mut Diagnostics,
    name: &str,
    file: &str,
    span: Span,
    context: &Context,
) -> Option<PathBuf> {
    let including = context
        .stack
        .last()
        .and_then(|p| p.parent())
        .map_or_else(|| context.base_dir.clone(), Path::to_path_buf);
    let resolved = match std::fs::canonicalize(including.join(file)) {
        Ok(resolved) => resolved,
        Err(error) => {
            diags
                .error(
                    "plan::file",
                    span,
                    format!("include `{name}` names `{file}`, which cannot be read: {error}"),
                )
                .help("a fragment's path is relative to the file that includes it")
                .emit();
            return None;
        }
    };
    if !context.roots.iter().any(|root| resolved.starts_with(root)) {
        diags
            .error(
                "plan::file_outside",
                span,
                format!(
                    "include `{name}` reads `{}`, outside the plan's folder",
                    resolved.display()
                ),
            )
            .help(format!(
                "a plan includes files only from its own folder tree; if you trust it, allow the folder with `--allow-files-from {}`",
                resolved.parent().unwrap_or(&resolved).display()
            ))
            .emit();
        return None;
    }
    if let Some(at) = context.stack.iter().position(|p| *p == resolved) {
        let chain: Vec<String> = context.stack[at..]
            .iter()
            .chain(std::iter::once(&resolved))
            .map(|p| format!("`{}`", p.file_name().unwrap_or_default().to_string_lossy()))
            .collect();
        diags
            .error(
                "plan::include_cycle",
                span,
                format!(
                    "include `{name}` closes a cycle: {}",
                    chain.join(" includes ")
                ),
            )
            .help("a fragment cannot include, directly or not, a file that includes it")
            .emit();
        return None;
    }
    if context.stack.len() > MAX_INCLUDE_DEPTH {
        diags
            .error(
                "plan::budget",
                span,
                format!("include `{name}` nests fragments more than {MAX_INCLUDE_DEPTH} deep"),
            )
            .help("include the inner fragments from the plan itself")
            .emit();
        return None;
    }
    Some(resolved)
}

/// What the fragment declares, from checking it alone.
#[derive(Debug, Default)]
pub struct Declared {
    /// Its variables (inputs) with their defaults, and its list and map variables.
    pub vars: IndexMap<String, String>,
    pub collections: IndexMap<String, Node>,
    /// Variables it declares secret (refused as inputs of a fragment).
    pub secrets: Vec<String>,
}

fn expand(
    diags: &mut Diagnostics,
    name: &str,
    at: Span,
    source: &crate::SourceFile,
    inputs: &IndexMap<String, (Input, Span)>,
    declared: &Declared,
    context: &mut Context,
) -> Option<Expanded> {
    let mut values: IndexMap<String, Input> = declared
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), Input::Text(v.clone())))
        .chain(
            declared
                .collections
                .iter()
                .map(|(k, v)| (k.clone(), Input::Collection(v.clone()))),
        )
        .collect();
    let mut ok = true;
    for secret in &declared.secrets {
        diags
            .error(
                "plan::invalid_value",
                at,
                format!("the fragment of include `{name}` declares secret variable `{secret}`"),
            )
            .help("a fragment's inputs are copied into its steps; declare the secret in the main plan and pass it as `${vars.NAME}`")
            .emit();
        ok = false;
    }
    for (input, (value, span)) in inputs {
        if !values.contains_key(input) {
            let known: Vec<&str> = values.keys().map(String::as_str).collect();
            diags
                .error(
                    "plan::unknown_var",
                    *span,
                    format!("include `{name}` sets `{input}`, which its fragment does not declare"),
                )
                .maybe_help(
                    crate::diagnostics::did_you_mean(input, known.iter().copied()).or_else(|| {
                        Some(format!(
                            "the fragment's inputs are its `vars:`: {}",
                            super::vars::list_or_none(&known)
                        ))
                    }),
                )
                .emit();
            ok = false;
            continue;
        }
        values.insert(input.clone(), value.clone());
    }
    if !ok {
        return None;
    }
    let Ok(root) = yaml::parse(&source.text) else {
        return None;
    };
    let entries = root.as_map().unwrap_or_default();
    let mut failed = Vec::new();
    let children = entries
        .iter()
        .find(|(k, _)| k.name == "include")
        .map(|(_, node)| read(diags, node, context, &mut failed))
        .unwrap_or_default();
    let rename = Rename {
        namespace: name,
        values: &values,
        children: &children,
    };
    let mut steps = Vec::new();
    let own = entries
        .iter()
        .find(|(k, _)| k.name == "steps")
        .and_then(|(_, node)| node.as_map())
        .unwrap_or_default();
    let inner = children.values().flat_map(|child| child.steps.iter());
    for (key, body) in own.iter().chain(inner) {
        let mut body = body.clone();
        rename.step(&mut body);
        place(&mut body, at);
        steps.push((
            Key {
                name: format!("{name}/{}", key.name),
                span: at,
            },
            body,
        ));
    }
    let outputs = entries
        .iter()
        .find(|(k, _)| k.name == "outputs")
        .and_then(|(_, node)| node.as_map())
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| scalar_text(v).map(|t| (k.name.clone(), rename.text(&t))))
        .collect();
    Some(Expanded { steps, outputs })
}

/// Sets every position in `node` to `at` (the `include:` entry).
fn place(node: &mut Node, at: Span) {
    node.span = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| place(n, at)),
        Value::Map(entries) => {
            for (key, value) in entries {
                key.span = at;
                place(value, at);
            }
        }
        _ => {}
    }
}

/// Rewrites a fragment's text into the including file's namespace.
struct Rename<'a> {
    namespace: &'a str,
    values: &'a IndexMap<String, Input>,
    children: &'a IndexMap<String, Expanded>,
}

impl Rename<'_> {
    /// A step body (`{ KIND: {...}, needs, for_each, description }`).
    fn step(&self, body: &mut Node) {
        let Value::Map(entries) = &mut body.value else {
            return;
        };
        for (key, value) in entries.iter_mut() {
            match key.name.as_str() {
                "needs" => self.names(value),
                "for_each" => {
                    if let Some(text) = value.as_str()
                        && let Some(var) = text
                            .trim()
                            .strip_prefix("${vars.")
                            .and_then(|r| r.strip_suffix('}'))
                        && let Some(Input::Collection(items)) = self.values.get(var)
                    {
                        *value = items.clone();
                    } else {
                        self.node(value);
                    }
                }
                _ => {
                    if let Value::Map(fields) = &mut value.value {
                        for (field, inner) in fields.iter_mut() {
                            if IDENTITY_KEYS.contains(&field.name.as_str()) {
                                self.names(inner);
                            }
                        }
                    }
                    self.node(value);
                }
            }
        }
    }

    /// Step names written plainly (`needs`, `as`): prefixed with the namespace.
    fn names(&self, node: &mut Node) {
        match &mut node.value {
            Value::Str(text) if !text.starts_with("${") && text != crate::values::OPERATOR => {
                *text = self.step_id(text);
            }
            Value::Seq(items) => items.iter_mut().for_each(|n| self.names(n)),
            _ => {}
        }
    }

    /// References to an instance named through `${each.key}` (`${user[${each.key}].arn}`)
    /// are whole only once `for_each` has replaced `${each.key}`; their step is
    /// prefixed here.
    fn instance_references(&self, text: &str) -> String {
        if !text.contains("[${each.") {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i + 2]);
            let after = &rest[i + 2..];
            let root_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '/'))
                .unwrap_or(after.len());
            let root = &after[..root_len];
            if after[root_len..].starts_with("[${each.")
                && !root.is_empty()
                && !matches!(root, "vars" | "run" | "account" | "each")
            {
                out.push_str(self.namespace);
                out.push('/');
            }
            rest = after;
        }
        out.push_str(rest);
        out
    }

    fn step_id(&self, id: &str) -> String {
        format!("{}/{id}", self.namespace)
    }

    fn node(&self, node: &mut Node) {
        match &mut node.value {
            Value::Str(text) if text.contains("${") => *text = self.text(text),
            Value::Seq(items) => items.iter_mut().for_each(|n| self.node(n)),
            Value::Map(entries) => {
                for (key, value) in entries {
                    if key.name.contains("${") {
                        key.name = self.text(&key.name);
                    }
                    self.node(value);
                }
            }
            _ => {}
        }
    }

    /// `text` with each reference rewritten; everything else kept byte for byte.
    fn text(&self, text: &str) -> String {
        let text = &self.instance_references(text);
        let Ok(template) = Template::parse(text) else {
            return text.to_owned();
        };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (reference, start, end) in template.references() {
            out.push_str(&text[last..start]);
            last = end;
            let original = &text[start..end];
            match reference {
                Reference::Var(var) => match self.values.get(var) {
                    Some(Input::Text(value)) => out.push_str(value),
                    _ => out.push_str(original),
                },
                Reference::Step { step, path } if step == "each" => {
                    let _ = path;
                    out.push_str(original);
                }
                Reference::Step { step, path } => match self.children.get(step.as_str()) {
                    Some(child) if path.len() == 1 && child.outputs.contains_key(&path[0]) => {
                        let inner = child.outputs.get(&path[0]).cloned().unwrap_or_default();
                        out.push_str(&self.text(&inner));
                    }
                    _ => {
                        let _ = write!(out, "${{{}.{}}}", self.step_id(step), path.join("."));
                    }
                },
                _ => out.push_str(original),
            }
        }
        out.push_str(&text[last..]);
        out
    }
}

/// The plan's own text with `${include.OUTPUT}` replaced by the output's text.
pub(super) fn outputs_in_plan(node: &mut Node, includes: &IndexMap<String, Expanded>) {
    if includes.is_empty() {
        return;
    }
    match &mut node.value {
        Value::Str(text) if text.contains("${") => {
            let Ok(template) = Template::parse(text) else {
                return;
            };
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for (reference, start, end) in template.references() {
                out.push_str(&text[last..start]);
                last = end;
                match reference {
                    Reference::Step { step, path }
                        if path.len() == 1
                            && includes
                                .get(step.as_str())
                                .is_some_and(|i| i.outputs.contains_key(&path[0])) =>
                    {
                        let value = includes
                            .get(step.as_str())
                            .and_then(|i| i.outputs.get(&path[0]))
                            .cloned()
                            .unwrap_or_default();
                        out.push_str(&value);
                    }
                    _ => out.push_str(&text[start..end]),
                }
            }
            out.push_str(&text[last..]);
            *text = out;
        }
        Value::Seq(items) => items.iter_mut().for_each(|n| outputs_in_plan(n, includes)),
        Value::Map(entries) => {
            for (_, value) in entries {
                outputs_in_plan(value, includes);
            }
        }
        _ => {}
    }
}
