//! A class's learners (`up --learners N` / `--roster FILE`): their names, ids and
//! roster variables, the rules for a name, and which learner a step is a copy for.
//! `learners` makes the copies.

use indexmap::IndexMap;

use super::Plan;
use crate::diagnostics::Diagnostics;
use crate::yaml::{Node, Value};

/// The most learners in one class.
pub const MAX_LEARNERS: usize = 500;
/// The most steps a class may have, every learner's copies counted.
pub const MAX_CLASS_STEPS: usize = 20_000;
/// The longest learner name: short, since it is appended to AWS names.
pub const MAX_LEARNER_NAME: usize = 32;

/// One learner of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    /// The learner's name: 1 to 32 lowercase letters, digits and `-`, starting with a
    /// letter.
    pub name: String,
    /// `${learner.id}`: the 1-based index, zero-padded to the width of the class size.
    pub id: String,
    /// The roster's other columns (`${learner.vars.NAME}`).
    pub vars: IndexMap<String, String>,
}

/// The learners of a class, in roster order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Class {
    pub learners: Vec<Learner>,
}

impl Class {
    /// `--learners N`: learners `learner-01` to `learner-N` (zero-padded to the width of
    /// `N`, at least two digits).
    pub fn numbered(count: usize) -> Result<Self, String> {
        if count == 0 || count > MAX_LEARNERS {
            return Err(format!(
                "a class has 1 to {MAX_LEARNERS} learners, not {count}"
            ));
        }
        let width = width(count);
        Ok(Self {
            learners: (1..=count)
                .map(|i| Learner {
                    name: format!("learner-{i:0width$}"),
                    id: format!("{i:0width$}"),
                    vars: IndexMap::new(),
                })
                .collect(),
        })
    }

    /// A class of named learners (a roster), each with its variables; the names are
    /// checked by the caller ([`learner_name_problem`]).
    pub fn named(learners: Vec<(String, IndexMap<String, String>)>) -> Self {
        let width = width(learners.len());
        Self {
            learners: learners
                .into_iter()
                .enumerate()
                .map(|(i, (name, vars))| Learner {
                    name,
                    id: format!("{:0width$}", i + 1),
                    vars,
                })
                .collect(),
        }
    }
}

/// Digits of `count`, at least two.
fn width(count: usize) -> usize {
    count.to_string().len().max(2)
}

/// Why `name` cannot name a learner, or `None` when it can.
pub fn learner_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a learner's name is empty".to_owned());
    }
    if name.len() > MAX_LEARNER_NAME {
        return Some(format!(
            "learner name `{}` has {} characters; at most {MAX_LEARNER_NAME}, since it is added to AWS names",
            crate::limits::shorten(name),
            name.chars().count()
        ));
    }
    let allowed = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !allowed || !name.starts_with(|c: char| c.is_ascii_lowercase()) || name.ends_with('-') {
        return Some(format!(
            "learner name `{}` must be lowercase letters, digits and `-`, start with a letter and not end with `-` (it becomes part of bucket and user names)",
            crate::limits::shorten(name)
        ));
    }
    None
}

impl Plan {
    /// The learner whose copy step `id` is, in a class.
    pub fn learner_of(&self, id: &str) -> Option<&Learner> {
        if self.learners.is_empty() {
            return None;
        }
        let name = id.strip_suffix(']')?.rsplit_once('[')?.1;
        self.learners.get(name)
    }
}

/// The plan's `learners: N`: the class it runs for when the command line names none.
pub(super) fn read_learners(diags: &mut Diagnostics, node: &Node) -> Option<usize> {
    match &node.value {
        Value::Int(n) if usize::try_from(*n).is_ok_and(|n| (1..=MAX_LEARNERS).contains(&n)) => {
            usize::try_from(*n).ok()
        }
        _ => {
            diags
                .error(
                    "plan::invalid_value",
                    node.span,
                    format!("`learners` is a number of learners, 1 to {MAX_LEARNERS}"),
                )
                .help("write `learners: 3`: the plan then runs for `learner-01` to `learner-03` unless `--learners` or `--roster` says otherwise")
                .emit();
            None
        }
    }
}
