//! Reading a class roster (`up --roster FILE`): a CSV file with a header row naming a
//! `name` column and any number of variable columns, or a YAML list of names or of maps
//! (`name:` and variables). Every problem is located (`file:line:column`) and all are
//! reported at once: a bad or repeated name, a bad row, a bad column, too many
//! learners. The file is read under the plan's budgets (size, UTF-8, YAML aliases).

use std::path::Path;

use indexmap::IndexMap;

use crate::diagnostics::Diagnostics;
use crate::load::{LoadError, read_yaml_file};
use crate::plan::{Class, MAX_LEARNERS, learner_name_problem};
use crate::source::{SourceFile, Span};
use crate::yaml::{self, Node, Value};

/// Reads the roster at `path` (`.csv`, or `.yaml`/`.yml`).
pub fn read_roster(path: &Path) -> Result<Class, LoadError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let csv = match extension.as_deref() {
        Some("csv") => true,
        Some("yaml" | "yml") => false,
        _ => {
            return Err(unreadable(
                path,
                "a roster is a `.csv` file (a header row with `name`) or a `.yaml` file (a list of names)",
            ));
        }
    };
    let file = read_yaml_file(path, "roster").map_err(|error| match error {
        LoadError::Read { error, .. } => unreadable(
            path,
            &match error.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_owned(),
                std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
                std::io::ErrorKind::IsADirectory => "it is a folder".to_owned(),
                _ => error.to_string(),
            },
        ),
        other @ LoadError::Invalid { .. } => other,
    })?;
    let mut diags = Diagnostics::new(file.clone());
    let learners = if csv {
        read_csv(&mut diags, &file)
    } else {
        read_yaml(&mut diags, &file)
    };
    if learners.is_empty() && !diags.has_errors() {
        diags
            .error("roster::empty", Span::new(0, 0), "the roster names no learner")
            .help("list one learner a line: a CSV file starts with the header `name`, a YAML file is a list such as `[alice, bob]`")
            .emit();
    }
    if diags.has_errors() {
        return Err(LoadError::Invalid {
            path: path.display().to_string(),
            diagnostics: diags.into_sorted(),
        });
    }
    Ok(Class::named(learners))
}

/// A roster that cannot be read at all, located at its start.
fn unreadable(path: &Path, reason: &str) -> LoadError {
    let mut diags = Diagnostics::new(SourceFile::new(path, ""));
    diags
        .error(
            "roster::read",
            Span::new(0, 0),
            format!("cannot read roster `{}`: {reason}", path.display()),
        )
        .help("give a `.csv` file whose header row has `name`, or a `.yaml` list of names")
        .emit();
    LoadError::Invalid {
        path: path.display().to_string(),
        diagnostics: diags.into_sorted(),
    }
}

type Learners = Vec<(String, IndexMap<String, String>)>;

/// Adds a learner after checking its name (at `span`) against the rules and the others.
fn add(
    diags: &mut Diagnostics,
    learners: &mut Learners,
    seen: &mut IndexMap<String, Span>,
    (name, span): (&str, Span),
    vars: IndexMap<String, String>,
) -> bool {
    if learners.len() == MAX_LEARNERS {
        diags
            .error(
                "roster::budget",
                span,
                format!("the roster has more than {MAX_LEARNERS} learners"),
            )
            .help("run the class in groups: one roster and one `awslab up` each")
            .emit();
        return false;
    }
    if let Some(problem) = learner_name_problem(name) {
        diags
            .error("roster::invalid_name", span, problem)
            .help("use a short login-style name such as `alice` or `b-smith`; put full names in another column")
            .emit();
        return true;
    }
    if let Some(first) = seen.get(name) {
        diags
            .error(
                "roster::duplicate_name",
                span,
                format!("learner `{name}` is named twice"),
            )
            .related(*first, "first named here")
            .help("each learner's name is unique: it names their copies of the steps and their bundle")
            .emit();
        return true;
    }
    seen.insert(name.to_owned(), span);
    learners.push((name.to_owned(), vars));
    true
}

/// The longest value of a roster column: a name, a group, a region, never a document.
pub const MAX_ROSTER_VALUE: usize = 1_024;

/// A roster value over [`MAX_ROSTER_VALUE`], located.
fn long_value(diags: &mut Diagnostics, span: Span, column: &str, value: &str) -> bool {
    if value.len() <= MAX_ROSTER_VALUE {
        return false;
    }
    diags
        .error(
            "roster::budget",
            span,
            format!(
                "the value of `{column}` has {} bytes; a roster value has at most {MAX_ROSTER_VALUE}",
                value.len()
            ),
        )
        .help("a roster gives short values (a group, a region); keep documents in the plan")
        .emit();
    true
}

fn valid_var(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn bad_column(diags: &mut Diagnostics, span: Span, name: &str) {
    diags
        .error(
            "roster::invalid_column",
            span,
            format!(
                "`{}` cannot name a learner variable",
                crate::limits::shorten(name)
            ),
        )
        .help("a column is used as `${learner.vars.NAME}`: a letter, then letters, digits, `_` and `-`")
        .emit();
}

fn read_csv(diags: &mut Diagnostics, file: &SourceFile) -> Learners {
    let text = file.text.clone();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            csv_error(diags, file, &error);
            return Vec::new();
        }
    };
    let Some(name_column) = headers.iter().position(|h| h == "name") else {
        diags
            .error(
                "roster::no_name_column",
                Span::new(0, text.find('\n').unwrap_or(text.len())),
                "the roster's header row has no `name` column",
            )
            .help("start the file with a header row such as `name,group`; each later row is one learner")
            .emit();
        return Vec::new();
    };
    let mut columns = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        if i == name_column {
            continue;
        }
        if !valid_var(header) || columns.iter().any(|(_, c)| c == header) {
            let span = file.find_from(0, header).unwrap_or_default();
            bad_column(diags, span, header);
        }
        columns.push((i, header.to_owned()));
    }
    let mut learners = Vec::new();
    let mut seen = IndexMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                csv_error(diags, file, &error);
                continue;
            }
        };
        let start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let name = record.get(name_column).unwrap_or_default();
        let span = file
            .find_from(start, name)
            .filter(|_| !name.is_empty())
            .unwrap_or(Span::new(start, 0));
        let mut vars = IndexMap::new();
        for (i, column) in &columns {
            let value = record.get(*i).unwrap_or_default();
            if !long_value(diags, Span::new(start, 0), column, value) {
                vars.insert(column.clone(), value.to_owned());
            }
        }
        if !add(diags, &mut learners, &mut seen, (name, span), vars) {
            break;
        }
    }
    learners
}

fn csv_error(diags: &mut Diagnostics, file: &SourceFile, error: &csv::Error) {
    let start = error
        .position()
        .and_then(|p| usize::try_from(p.byte()).ok())
        .unwrap_or(0)
        .min(file.text.len());
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} fields; the header row has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "this row is not UTF-8 text".to_owned(),
        _ => format!("this row is not valid CSV: {error}"),
    };
    diags
        .error("roster::bad_row", Span::new(start, 0), message)
        .help("each row gives one learner: as many comma-separated fields as the header row, quoted with `\"` when a field holds a comma")
        .emit();
}

fn read_yaml(diags: &mut Diagnostics, file: &SourceFile) -> Learners {
    let root = match yaml::parse(&file.text) {
        Ok(root) => root,
        Err(error) => {
            diags
                .error(
                    "roster::syntax",
                    error.span.unwrap_or_default(),
                    format!("the roster is not valid YAML: {}", error.message),
                )
                .help(
                    "a YAML roster is a list: `- alice` a line, or `- { name: alice, group: red }`",
                )
                .emit();
            return Vec::new();
        }
    };
    let Value::Seq(items) = &root.value else {
        diags
            .error(
                "roster::invalid_value",
                root.span,
                format!(
                    "a roster is a list of learners, not {}",
                    root.value.kind_word()
                ),
            )
            .help("write `- alice` a line, or `- { name: alice, group: red }`")
            .emit();
        return Vec::new();
    };
    let mut learners = Vec::new();
    let mut seen = IndexMap::new();
    for item in items {
        let Some((name, span, vars)) = yaml_learner(diags, item) else {
            continue;
        };
        if !add(diags, &mut learners, &mut seen, (&name, span), vars) {
            break;
        }
    }
    learners
}

/// One item of a YAML roster: a name, or a map of `name` and variables.
fn yaml_learner(
    diags: &mut Diagnostics,
    item: &Node,
) -> Option<(String, Span, IndexMap<String, String>)> {
    match &item.value {
        Value::Str(name) => Some((name.clone(), item.span, IndexMap::new())),
        Value::Map(entries) => {
            let mut name = None;
            let mut vars = IndexMap::new();
            for (key, value) in entries {
                let text = match &value.value {
                    Value::Str(s) => s.clone(),
                    Value::Int(i) => i.to_string(),
                    Value::Float(f) => f.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        diags
                            .error(
                                "roster::invalid_value",
                                value.span,
                                format!(
                                    "`{}` of a learner must be text, not {}",
                                    key.name,
                                    value.value.kind_word()
                                ),
                            )
                            .emit();
                        continue;
                    }
                };
                if long_value(diags, value.span, &key.name, &text) {
                    continue;
                }
                if key.name == "name" {
                    name = Some((text, value.span));
                } else if !valid_var(&key.name) || vars.contains_key(&key.name) {
                    bad_column(diags, key.span, &key.name);
                } else {
                    vars.insert(key.name.clone(), text);
                }
            }
            let Some((name, span)) = name else {
                diags
                    .error(
                        "roster::missing_name",
                        item.span,
                        "this learner has no `name`",
                    )
                    .help("write `- { name: alice, group: red }`")
                    .emit();
                return None;
            };
            Some((name, span, vars))
        }
        other => {
            diags
                .error(
                    "roster::invalid_value",
                    item.span,
                    format!(
                        "a learner is a name or a map with `name`, not {}",
                        other.kind_word()
                    ),
                )
                .emit();
            None
        }
    }
}
