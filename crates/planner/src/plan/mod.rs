//! The typed plan: a plan file read into named steps of known kinds. Reading never
//! stops at the first problem: every step is read on its own and every mistake is
//! recorded in [`Diagnostics`].

mod accounts;
mod assemble;
mod class;
mod for_each;
pub mod include;
mod learners;
mod steps;
mod var_files;
mod vars;

pub use class::{
    Class, Learner, MAX_CLASS_STEPS, MAX_LEARNER_NAME, MAX_LEARNERS, learner_name_problem,
};
pub use var_files::VarFile;
pub use vars::valid_instance_key;

use std::fmt;

use indexmap::{IndexMap, IndexSet};

use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::kinds::StepKind;
use crate::limits::{MAX_DEPTH, MAX_EXPANDED_BYTES, MAX_NODES, MAX_STEPS};
use crate::source::Span;
use crate::yaml::{self, Key, Node, Sp, Value};
pub use accounts::{Account, MAX_ACCOUNTS, check_accounts, check_parent_accounts, unknown_account};
use vars::{apply_overrides, apply_secret_overrides, mark_token_vars_secret, read_vars};

/// A step's name in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepId(String);

impl StepId {
    pub fn new(name: impl Into<String>) -> Self {
        StepId(name.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for StepId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// Names a step may not take: they are roots of `${...}` references or identities.
pub const RESERVED_NAMES: &[&str] = &["operator", "vars", "run", "account", "outputs"];

/// One step of a plan.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: StepId,
    /// Where the step's name stands.
    pub id_span: Span,
    pub kind: StepKind,
    /// Where the kind's key (`iam.user:`) stands.
    pub kind_span: Span,
    /// Steps this one must wait for besides those it references.
    pub needs: Vec<Sp<String>>,
    pub description: Option<String>,
    /// The account the step runs in (`account:`), if it names one; see
    /// [`Plan::account_index`].
    pub account: Option<Sp<String>>,
    /// The kind's body as read, for finding references and their positions.
    pub body: Node,
    /// True when a value of the step was at fault (reported) and the step was read
    /// without it: the checks of other steps see it, but do not judge it by the
    /// defaults that stand in for what was at fault.
    pub partial: bool,
}

/// A plan as read, before the graph is built.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: Sp<String>,
    pub description: Option<String>,
    /// Variables after `--var` overrides, with where each was defined.
    pub vars: IndexMap<String, Sp<String>>,
    /// Variables whose values are secret (`secret: true`, `--secret-var`, or used as a
    /// web identity token): never printed, never journaled in clear.
    pub secrets: IndexSet<String>,
    /// The accounts the plan names (`accounts:`), in order; the first is the default.
    /// Empty: one account, the operator's.
    pub accounts: IndexMap<String, Account>,
    pub steps: IndexMap<StepId, Step>,
    /// Names of steps that could not be read (their errors are reported); references
    /// to them are not reported again.
    pub unreadable: Vec<String>,
    // Reuse (issue 17 §5): list and map variables, and the instances of `for_each`
    // steps.
    /// List and map variables (`teams: [red, blue]`), used by `for_each`.
    pub collections: IndexMap<String, Node>,
    /// Each `for_each` step's name and the ids of its instances (`team[red]`), in order.
    pub instances: IndexMap<String, Vec<StepId>>,
    /// The plan's own tags (`tags:`), added to awslab's on everything the run creates
    /// that takes tags; values may use `${vars.NAME}` and `${run.id}`, never a secret.
    pub tags: IndexMap<String, Sp<String>>,
    /// A class (`up --learners N` / `--roster FILE`): its learners by name, in order;
    /// every step is then one learner's copy, `STEP[NAME]` (see [`Plan::learner_of`]).
    /// Empty for a plan run once.
    pub learners: IndexMap<String, Learner>,
}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "vars",
    "accounts",
    "steps",
    "include",
    "outputs",
    "tags",
    "learners",
];

pub(super) fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads a plan from its source. Returns `None` only when the file is not YAML at all
/// or its top level is not a map; otherwise returns what could be read, and every
/// problem is in `diags`.
pub fn read(
    diags: &mut Diagnostics,
    overrides: &[(String, String)],
    secret_overrides: &[(String, String)],
) -> Option<Plan> {
    read_with(diags, overrides, secret_overrides, &mut [], None, None)
}

/// Like [`read`], with `--var-file` files applied over `vars:` before `--var`; each
/// file's mistakes are kept in it.
pub fn read_with(
    diags: &mut Diagnostics,
    overrides: &[(String, String)],
    secret_overrides: &[(String, String)],
    var_files: &mut [VarFile],
    context: Option<&mut include::Context>,
    class: Option<&Class>,
) -> Option<Plan> {
    let text = diags.file().text.clone();
    if report_prescan(diags, &yaml::prescan(&text)) {
        return None;
    }
    let root = match yaml::parse(&text) {
        Ok(root) => root,
        Err(err) => {
            report_syntax(diags, &text, &err);
            return None;
        }
    };
    let mut plan = read_root(diags, &root, overrides, var_files, context, class)?;
    apply_secret_overrides(diags, &mut plan, secret_overrides, &root);
    Some(plan)
}

fn too_many_steps(diags: &mut Diagnostics, key: &Key, node: &Node) -> bool {
    let count = node.as_map().map_or(0, <[_]>::len);
    if count > MAX_STEPS {
        diags
            .error(
                "plan::budget",
                key.span,
                format!("the plan has {count} steps; a plan may have at most {MAX_STEPS}"),
            )
            .help("split the lab into several plans")
            .emit();
    }
    count > MAX_STEPS
}

/// Reports tags and crossed budgets; true if the plan must not be read further.
pub(super) fn report_prescan(diags: &mut Diagnostics, findings: &[yaml::Finding]) -> bool {
    for finding in findings {
        match finding {
            yaml::Finding::Tag { tag, span } => diags
                .error(
                    "plan::yaml_tag",
                    *span,
                    format!("YAML tag `{tag}` is not allowed in a plan"),
                )
                .label("explicit tag")
                .help("plans use no YAML tags: write the value plainly (quote it to make it a string); `!!binary` and language tags such as `!!python/object` are never decoded")
                .emit(),
            yaml::Finding::TooDeep { span } => diags
                .error(
                    "plan::budget",
                    *span,
                    format!("maps and lists are nested more than {MAX_DEPTH} deep here"),
                )
                .help("a plan needs a few levels of nesting; flatten this value")
                .emit(),
            yaml::Finding::TooManyNodes { span } => diags
                .error(
                    "plan::budget",
                    *span,
                    format!("the plan has more than {MAX_NODES} YAML values, aliases expanded; this is the first over the budget"),
                )
                .help("split the lab into several plans")
                .emit(),
            yaml::Finding::TooLarge { span } => diags
                .error(
                    "plan::budget",
                    *span,
                    format!("the plan expands to more than {MAX_EXPANDED_BYTES} bytes after aliases; this alias crosses the budget"),
                )
                .label("alias")
                .help("repeat less through anchors and aliases (`&name`, `*name`): each alias copies its anchor's whole value")
                .emit(),
        }
    }
    !findings.is_empty()
}

pub(super) fn report_syntax(diags: &mut Diagnostics, text: &str, err: &yaml::SyntaxError) {
    {
        {
            let span = err.span.unwrap_or_default();
            let line_start = text
                .get(..span.offset)
                .and_then(|before| before.rfind('\n'))
                .map_or(0, |i| i + 1);
            let line = text
                .get(line_start..)
                .and_then(|rest| rest.lines().next())
                .unwrap_or_default();
            let help = if line.chars().count() > 1_024 {
                "YAML keys written without `? ` have at most 1,024 characters, and no name in a plan is that long; check this line"
            } else if line.contains("${") && (line.contains('{') || line.contains('[')) {
                "inside `{ ... }` or `[ ... ]`, quote values that contain `${...}`, as in `name: \"user-${run.id}\"`"
            } else {
                "check the indentation and quoting around this position"
            };
            if err.budget {
                diags
                    .error(
                        "plan::budget",
                        span,
                        format!("the plan crosses a YAML budget: {}", err.message),
                    )
                    .help("aliases may expand a plan to at most 20,000 values; write the values out, or use fewer aliases")
                    .emit();
                return;
            }
            diags
                .error(
                    "plan::syntax",
                    span,
                    format!("the plan is not valid YAML: {}", err.message),
                )
                .help(help)
                .emit();
        }
    }
}

/// The plan's `name`: a non-empty string.
fn read_name(diags: &mut Diagnostics, node: &Node) -> Option<Sp<String>> {
    match node.as_str() {
        Some(text) if !text.trim().is_empty() => Some(Sp::new(text.to_owned(), node.span)),
        _ => {
            diags
                .error(
                    "plan::invalid_value",
                    node.span,
                    "`name` must be a non-empty string",
                )
                .emit();
            None
        }
    }
}

fn read_root(
    diags: &mut Diagnostics,
    root: &Node,
    overrides: &[(String, String)],
    var_files: &mut [VarFile],
    context: Option<&mut include::Context>,
    class: Option<&Class>,
) -> Option<Plan> {
    let Some(entries) = root.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                root.span,
                format!(
                    "a plan is a map with `name` and `steps`, not {}",
                    root.value.kind_word()
                ),
            )
            .help("start the file with `name: my-lab` and `steps:`")
            .emit();
        return None;
    };
    let mut name = None;
    let mut description = None;
    let mut vars = IndexMap::new();
    let mut accounts = IndexMap::new();
    let mut secrets = IndexSet::new();
    let mut collections = IndexMap::new();
    let mut steps_node = None;
    let mut include_node = None;
    let mut outputs_node = None;
    let mut tags = IndexMap::new();
    let mut learners = None;
    let mut seen_steps = false;
    let mut seen: Vec<&Key> = Vec::new();
    for (key, node) in entries {
        if repeated_top_key(diags, &seen, key) {
            continue;
        }
        seen.push(key);
        match key.name.as_str() {
            "name" => name = read_name(diags, node),
            "description" => description = scalar_text(node),
            "vars" => read_vars(diags, node, &mut vars, &mut secrets, &mut collections),
            "accounts" => accounts::read_accounts(diags, node, &mut accounts),
            "steps" => {
                seen_steps = true;
                if too_many_steps(diags, key, node) {
                    return None;
                }
                // Read once every variable is known: `for_each` expands over them.
                steps_node = Some(node);
            }
            "include" => include_node = Some((key, node)),
            "outputs" => outputs_node = Some(node),
            "tags" => tags = read_plan_tags(diags, node),
            "learners" => learners = class::read_learners(diags, node),
            other => diags
                .error(
                    "plan::unknown_key",
                    key.span,
                    format!("unknown key `{other}` at the top of the plan"),
                )
                .label("not a plan key")
                .maybe_help(did_you_mean(other, TOP_KEYS.iter().copied()).or_else(|| {
                    Some("a plan has `name`, `description`, `vars`, `accounts`, `steps`, `include`, `outputs`, `tags` and `learners`".into())
                }))
                .emit(),
        }
    }
    let first = entries.first().map_or(root.span, |(k, _)| k.span);
    report_missing(diags, entries, first, name.is_some(), seen_steps);
    for file in var_files.iter_mut() {
        file.apply(&mut vars, &mut secrets, &mut collections);
    }
    apply_overrides(diags, &mut vars, overrides, entries);
    let name = name.unwrap_or_else(|| Sp::new(String::new(), first));
    let mut plan = Plan {
        name,
        description,
        vars,
        secrets,
        accounts,
        steps: IndexMap::new(),
        unreadable: Vec::new(),
        collections,
        instances: IndexMap::new(),
        tags,
        learners: IndexMap::new(),
    };
    let included = assemble::read_includes(diags, include_node, context, &mut plan.unreadable);
    if let Some(node) = steps_node {
        assemble::read_all_steps(
            diags,
            node,
            &included,
            include_node.map(|(k, _)| k.span),
            &mut plan,
        );
    }
    if let Some(node) = outputs_node {
        assemble::check_outputs(diags, node, &plan.steps, &plan.instances, &plan.unreadable);
    }
    // A plan for a class may name its class size (`learners: N`); `--learners` or
    // `--roster` given on the command line win.
    let declared = learners.and_then(|n| Class::numbered(n).ok());
    if let (Some(class), Some(node)) = (class.or(declared.as_ref()), steps_node) {
        learners::expand(diags, &mut plan, class, node.span);
    }
    mark_token_vars_secret(&mut plan);
    Some(plan)
}

/// The plan's `tags:`: a map of tag keys to text values (checked later, with the
/// variables known, by `checks::plan_tags`).
fn read_plan_tags(diags: &mut Diagnostics, node: &Node) -> IndexMap<String, Sp<String>> {
    let mut tags = IndexMap::new();
    let Some(entries) = node.as_map() else {
        diags
            .error(
                "plan::invalid_value",
                node.span,
                format!(
                    "`tags` must be a map of tag keys to values, not {}",
                    node.value.kind_word()
                ),
            )
            .help("write `tags: { course: iam-101, owner: \"${vars.owner}\" }`")
            .emit();
        return tags;
    };
    for (key, value) in entries {
        match scalar_text(value) {
            Some(text) => {
                tags.insert(key.name.clone(), Sp::new(text, value.span));
            }
            None => diags
                .error(
                    "plan::invalid_value",
                    value.span,
                    format!(
                        "the value of tag `{}` must be text, not {}",
                        key.name,
                        value.value.kind_word()
                    ),
                )
                .help("a tag's value is one string of at most 256 characters")
                .emit(),
        }
    }
    tags
}

/// A top-level key given twice (reported); the first is kept.
fn repeated_top_key(diags: &mut Diagnostics, seen: &[&Key], key: &Key) -> bool {
    let Some(first) = seen.iter().find(|k| k.name == key.name) else {
        return false;
    };
    diags
        .error(
            "plan::duplicate_key",
            key.span,
            format!("`{}` is given twice at the top of the plan", key.name),
        )
        .related(first.span, "first given here")
        .help("keep one of them")
        .emit();
    true
}

/// A plan without `name` or `steps`.
fn report_missing(
    diags: &mut Diagnostics,
    entries: &[(Key, Node)],
    first: Span,
    named: bool,
    seen_steps: bool,
) {
    if !named && !entries.iter().any(|(k, _)| k.name == "name") {
        diags
            .error("plan::missing_key", first, "the plan has no `name`")
            .help("add `name: my-lab` at the top")
            .emit();
    }
    if !seen_steps {
        diags
            .error("plan::missing_key", first, "the plan has no `steps`")
            .help("add a `steps:` map of named steps")
            .emit();
    }
}
