//! `--var-file FILE`: a YAML map of variables applied over the plan's `vars:` (later
//! files over earlier ones, `--var` over every file). Its mistakes are located in that
//! file, and its lines are never drawn in a message, since such a file may hold
//! secrets: a message names `file:line:column`, never a value.

use indexmap::{IndexMap, IndexSet};

use super::vars::{check_collection, is_collection, var_value};
use super::{report_prescan, report_syntax};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::source::SourceFile;
use crate::yaml::{self, Node, Sp};

/// One variable file, parsed, with its own diagnostics.
#[derive(Debug)]
pub struct VarFile {
    diags: Diagnostics,
    root: Option<Node>,
}

impl VarFile {
    /// Parses a variable file's text (read under the plan's byte budget); syntax and
    /// budget errors are kept for [`VarFile::into_diagnostics`].
    pub fn parse(file: SourceFile) -> VarFile {
        let mut diags = Diagnostics::new(file).without_snippets();
        let text = diags.file().text.clone();
        if report_prescan(&mut diags, &yaml::prescan(&text)) {
            return VarFile { diags, root: None };
        }
        let root = match yaml::parse(&text) {
            Ok(root) => root,
            Err(err) => {
                report_syntax(&mut diags, &text, &err);
                return VarFile { diags, root: None };
            }
        };
        if root.as_map().is_none() {
            diags
                .error(
                    "plan::var_file",
                    root.span,
                    format!(
                        "a variable file is a map of variable names to values, not {}",
                        root.value.kind_word()
                    ),
                )
                .help("write one `NAME: value` line a variable, as under a plan's `vars:`")
                .emit();
            return VarFile { diags, root: None };
        }
        VarFile {
            diags,
            root: Some(root),
        }
    }

    /// Whether the file has errors.
    pub fn has_errors(&self) -> bool {
        self.diags.has_errors()
    }

    /// Its diagnostics, sorted.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags.into_sorted()
    }

    /// Sets the plan's variables from this file: each name must be a variable the plan
    /// declares, of the same shape (a scalar for a scalar, a list or map for a list or
    /// map variable).
    pub(super) fn apply(
        &mut self,
        vars: &mut IndexMap<String, Sp<String>>,
        secrets: &mut IndexSet<String>,
        collections: &mut IndexMap<String, Node>,
    ) {
        let Some(root) = self.root.take() else {
            return;
        };
        let diags = &mut self.diags;
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in root.as_map().unwrap_or_default() {
            let name = key.name.as_str();
            if seen.contains(&name) {
                diags
                    .error(
                        "plan::duplicate_var",
                        key.span,
                        format!("variable `{name}` is given twice in this file"),
                    )
                    .help("keep one of them; the last one would silently win")
                    .emit();
                continue;
            }
            seen.push(name);
            if collections.contains_key(name) {
                if !is_collection(value) {
                    diags
                        .error(
                            "plan::var_file",
                            value.span,
                            format!(
                                "variable `{name}` is a list or map in the plan, but {} here",
                                value.value.kind_word()
                            ),
                        )
                        .help(format!(
                            "give `{name}` a list (`[a, b]`) or a map, as the plan does"
                        ))
                        .emit();
                } else if check_collection(diags, name, value) {
                    collections.insert(name.to_owned(), value.clone());
                }
            } else if let Some(var) = vars.get_mut(name) {
                if is_collection(value) {
                    diags
                        .error(
                            "plan::var_file",
                            value.span,
                            format!(
                                "variable `{name}` is a string or number in the plan, but {} here",
                                value.value.kind_word()
                            ),
                        )
                        .help(format!(
                            "give `{name}` one value, or `{{ value: ..., secret: true }}`"
                        ))
                        .emit();
                } else if let Some((text, _, secret)) = var_value(diags, key, value) {
                    var.value = text;
                    if secret {
                        secrets.insert(name.to_owned());
                    }
                }
            } else {
                let known: Vec<&str> = vars
                    .keys()
                    .chain(collections.keys())
                    .map(String::as_str)
                    .collect();
                diags
                    .error(
                        "plan::unknown_var",
                        key.span,
                        format!("`{name}` names no variable of this plan"),
                    )
                    .label("no such variable")
                    .maybe_help(did_you_mean(name, known.iter().copied()).or_else(|| {
                        Some(format!(
                            "a variable file sets variables the plan declares under `vars:`; the plan has {}",
                            super::vars::list_or_none(&known)
                        ))
                    }))
                    .emit();
            }
        }
    }
}
