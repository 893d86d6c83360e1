//! Expanding variables under a budget. Each variable is expanded once (memoized), so
//! the work is linear in the plan even when variables refer to each other many times;
//! and the length of a value, the substitutions it takes (counting a nested variable
//! as often as it is expanded, which is what a plain recursive renderer would do) and
//! the depth of variables referring to variables are bounded. A plan whose variables
//! cross a bound is refused, so whatever renders its values later (the executor
//! renders references recursively, with the real run id) does bounded work too.

use indexmap::IndexMap;

use crate::limits::{MAX_RENDERED_BYTES, MAX_SUBSTITUTIONS, MAX_VAR_DEPTH};
use crate::plan::Plan;
use crate::template::{Part, Reference, Template};

/// One variable, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// The value, or `None` when it depends on something unknown before the run (or
    /// is malformed, which is reported elsewhere).
    pub text: Option<String>,
    /// Substitutions a recursive renderer makes to expand it.
    pub substitutions: u64,
}

/// Why a variable could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// Longer than [`MAX_RENDERED_BYTES`] once expanded.
    TooLong { at_least: usize },
    /// More than [`MAX_SUBSTITUTIONS`] substitutions.
    TooManySubstitutions { at_least: u64 },
    /// Variables referring to variables deeper than [`MAX_VAR_DEPTH`].
    TooDeep,
    /// A variable it uses could not be expanded (that one is reported).
    Inherited(String),
}

/// Every variable of a plan, expanded with `value_of` for `${run.*}` and
/// `${account.id}`.
#[derive(Debug, Clone, Default)]
pub struct Expansions {
    pub vars: IndexMap<String, Result<Expanded, ExpandError>>,
    /// Substitutions made while expanding every variable once: the work done.
    pub work: u64,
}

impl Expansions {
    pub fn compute(plan: &Plan, value_of: &dyn Fn(&Reference) -> Option<String>) -> Self {
        Self::compute_masked(plan, value_of, false)
    }

    /// Like [`Expansions::compute`]; with `mask`, secret variables expand to `***`, so
    /// nothing shown to people carries them, even through other variables.
    pub fn compute_masked(
        plan: &Plan,
        value_of: &dyn Fn(&Reference) -> Option<String>,
        mask: bool,
    ) -> Self {
        let mut expansions = if mask {
            Expansions::masked(plan)
        } else {
            Expansions::default()
        };
        let mut visiting = Vec::new();
        for name in plan.vars.keys() {
            let _ = expansions.expand(plan, name, value_of, &mut visiting);
        }
        expansions
    }

    /// No variable expanded yet, but every secret one set to `***`; fill it with
    /// [`Expansions::value_or_expand`].
    pub fn masked(plan: &Plan) -> Self {
        Self::masked_as(plan, "***")
    }

    /// Like [`Expansions::masked`], with secret variables set to `mask`.
    pub fn masked_as(plan: &Plan, mask: &str) -> Self {
        let mut expansions = Expansions::default();
        for name in &plan.secrets {
            expansions.vars.insert(
                name.clone(),
                Ok(Expanded {
                    text: Some(mask.to_owned()),
                    substitutions: 0,
                }),
            );
        }
        expansions
    }

    /// The value of a variable, expanding it (and what it uses) first if needed:
    /// expanding lazily costs only what is asked for.
    pub fn value_or_expand(
        &mut self,
        plan: &Plan,
        name: &str,
        value_of: &dyn Fn(&Reference) -> Option<String>,
    ) -> Option<String> {
        if !self.vars.contains_key(name) {
            let _ = self.expand(plan, name, value_of, &mut Vec::new());
        }
        self.value(name).map(str::to_owned)
    }

    /// The value of a variable, if known and within the budgets.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.vars.get(name)?.as_ref().ok()?.text.as_deref()
    }

    fn expand(
        &mut self,
        plan: &Plan,
        name: &str,
        value_of: &dyn Fn(&Reference) -> Option<String>,
        visiting: &mut Vec<String>,
    ) -> Result<Expanded, ExpandError> {
        if let Some(done) = self.vars.get(name) {
            return done.clone();
        }
        if visiting.iter().any(|v| v == name) {
            // A loop, reported by the reference checks.
            return Ok(Expanded {
                text: None,
                substitutions: 0,
            });
        }
        if visiting.len() >= MAX_VAR_DEPTH {
            self.vars.insert(name.to_owned(), Err(ExpandError::TooDeep));
            return Err(ExpandError::TooDeep);
        }
        let Some(raw) = plan.vars.get(name) else {
            return Ok(Expanded {
                text: None,
                substitutions: 0,
            });
        };
        visiting.push(name.to_owned());
        let result = self.expand_text(plan, &raw.value, value_of, visiting);
        visiting.pop();
        self.vars.insert(name.to_owned(), result.clone());
        result
    }

    fn expand_text(
        &mut self,
        plan: &Plan,
        text: &str,
        value_of: &dyn Fn(&Reference) -> Option<String>,
        visiting: &mut Vec<String>,
    ) -> Result<Expanded, ExpandError> {
        let Ok(template) = Template::parse(text) else {
            return Ok(Expanded {
                text: None,
                substitutions: 0,
            });
        };
        let mut out = Some(String::new());
        let mut substitutions = 0u64;
        for part in &template.parts {
            let piece = match part {
                Part::Literal(literal) => Some(literal.clone()),
                Part::Ref { reference, .. } => {
                    self.work = self.work.saturating_add(1);
                    substitutions = substitutions.saturating_add(1);
                    match reference {
                        Reference::Var(other) => {
                            let inner = match self.expand(plan, other, value_of, visiting) {
                                Ok(inner) => inner,
                                Err(ExpandError::Inherited(root)) => {
                                    return Err(ExpandError::Inherited(root));
                                }
                                Err(_) => return Err(ExpandError::Inherited(other.clone())),
                            };
                            substitutions = substitutions.saturating_add(inner.substitutions);
                            inner.text
                        }
                        other => value_of(other),
                    }
                }
            };
            if substitutions > MAX_SUBSTITUTIONS {
                return Err(ExpandError::TooManySubstitutions {
                    at_least: substitutions,
                });
            }
            out = match (out, piece) {
                (Some(mut text), Some(piece)) => {
                    if text.len() + piece.len() > MAX_RENDERED_BYTES {
                        return Err(ExpandError::TooLong {
                            at_least: text.len() + piece.len(),
                        });
                    }
                    text.push_str(&piece);
                    Some(text)
                }
                _ => None,
            };
        }
        Ok(Expanded {
            text: out,
            substitutions,
        })
    }
}
