//! Intrinsic functions and conditions, evaluated as `CloudFormation` evaluates them:
//! `Ref` (parameters, pseudo parameters, resources), `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`, `Fn::Equals`, `Fn::And`, `Fn::Or`,
//! `Fn::Not`, `Fn::FindInMap`, `Fn::GetAZs`, `Fn::Base64`, `Fn::ImportValue`,
//! `Fn::Length`, `Fn::ToJsonString`; `AWS::NoValue` removes the member it stands in.
//! One cohesive thing (over 400 lines): one arm per function, all over one scope.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::template::Template;

pub use crate::model::cloudformation::Made;

/// What intrinsic functions can see.
pub struct Scope<'a> {
    pub template: &'a Template,
    pub parameters: &'a BTreeMap<String, String>,
    pub account: &'a str,
    pub region: &'a str,
    pub stack_name: &'a str,
    pub stack_id: &'a str,
    pub conditions: BTreeMap<String, bool>,
    pub made: &'a BTreeMap<String, Made>,
    pub exports: &'a BTreeMap<String, String>,
    /// How many conditions are being evaluated inside one another (a cycle stops).
    pub condition_depth: usize,
    /// Bytes of text the functions have made so far (see [`MAX_PRODUCED`]).
    pub produced: usize,
}

/// The text functions may make while a template is evaluated: references, `Fn::Sub`
/// and `Fn::Join` repeated through aliases cannot grow a stack without bound.
pub const MAX_PRODUCED: usize = 8 * 1024 * 1024;

fn template_error(message: impl std::fmt::Display) -> String {
    format!("Template error: {message}")
}

/// The `${name}` variables of a `Fn::Sub` string (`${!literal}` excluded).
pub fn sub_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.starts_with('!') {
            names.push(name.trim().to_owned());
        }
        rest = &after[end + 1..];
    }
    names
}

impl Scope<'_> {
    /// Evaluates every condition of the template, in order of need.
    pub fn evaluate_conditions(&mut self) -> Result<(), String> {
        let names: Vec<String> = self.template.conditions.keys().cloned().collect();
        for name in names {
            self.condition(&name, 0)?;
        }
        Ok(())
    }

    fn condition(&mut self, name: &str, depth: usize) -> Result<bool, String> {
        if let Some(value) = self.conditions.get(name) {
            return Ok(*value);
        }
        if depth > 64 || self.condition_depth > 64 {
            return Err(template_error(format!("condition {name} refers to itself")));
        }
        let Some(expression) = self.template.conditions.get(name).cloned() else {
            return Err(template_error(format!(
                "unresolved condition dependency {name} in Fn::If"
            )));
        };
        self.condition_depth += 1;
        let value = self.boolean(&expression, depth + 1);
        self.condition_depth -= 1;
        let value = value?;
        self.conditions.insert(name.to_owned(), value);
        Ok(value)
    }

    fn boolean(&mut self, expression: &Value, depth: usize) -> Result<bool, String> {
        let Value::Object(map) = expression else {
            return match expression {
                Value::Bool(flag) => Ok(*flag),
                Value::String(text) if text == "true" || text == "false" => Ok(text == "true"),
                _ => Err(template_error("a condition must be a condition function")),
            };
        };
        let Some((function, argument)) = map.iter().next().filter(|_| map.len() == 1) else {
            return Err(template_error(
                "a condition must be a single condition function",
            ));
        };
        let list = |count: Option<usize>| -> Result<Vec<Value>, String> {
            match argument {
                Value::Array(items) if count.is_none_or(|count| items.len() == count) => {
                    Ok(items.clone())
                }
                _ => Err(template_error(format!(
                    "{function} must be a list{}",
                    count
                        .map(|count| format!(" of {count} elements"))
                        .unwrap_or_default()
                ))),
            }
        };
        match function.as_str() {
            "Condition" => {
                let name = argument
                    .as_str()
                    .ok_or_else(|| template_error("Condition must name a condition"))?
                    .to_owned();
                self.condition(&name, depth)
            }
            "Fn::Equals" => {
                let items = list(Some(2))?;
                let left = self.evaluate(&items[0])?.map(|value| comparable(&value));
                let right = self.evaluate(&items[1])?.map(|value| comparable(&value));
                Ok(left == right)
            }
            "Fn::Not" => {
                let items = list(Some(1))?;
                Ok(!self.boolean(&items[0], depth)?)
            }
            "Fn::And" | "Fn::Or" => {
                let items = list(None)?;
                if !(2..=10).contains(&items.len()) {
                    return Err(template_error(format!(
                        "{function} must have between 2 and 10 conditions"
                    )));
                }
                let mut values = Vec::new();
                for item in &items {
                    values.push(self.boolean(item, depth)?);
                }
                Ok(if function == "Fn::And" {
                    values.iter().all(|value| *value)
                } else {
                    values.iter().any(|value| *value)
                })
            }
            other => Err(template_error(format!(
                "{other} is not a condition function"
            ))),
        }
    }

    /// Evaluates `value`; `None` is `AWS::NoValue`.
    pub fn evaluate(&mut self, value: &Value) -> Result<Option<Value>, String> {
        match value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for item in items {
                    if let Some(item) = self.evaluate(item)? {
                        out.push(item);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::Object(map) => {
                if map.len() == 1
                    && let Some((name, argument)) = map.iter().next()
                    && (name == "Ref" || name.starts_with("Fn::"))
                {
                    return self.function(name, argument);
                }
                let mut out = Map::new();
                for (key, item) in map {
                    if let Some(item) = self.evaluate(item)? {
                        out.insert(key.clone(), item);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Evaluates to a string (numbers and booleans as text).
    pub fn string(&mut self, value: &Value, function: &str) -> Result<String, String> {
        match self.evaluate(value)? {
            Some(Value::String(text)) => Ok(text),
            Some(Value::Number(number)) => Ok(number.to_string()),
            Some(Value::Bool(flag)) => Ok(flag.to_string()),
            _ => Err(template_error(format!(
                "every {function} member must evaluate to a string"
            ))),
        }
    }

    fn list(&mut self, value: &Value, function: &str) -> Result<Vec<Value>, String> {
        match self.evaluate(value)? {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(template_error(format!("{function} requires a list"))),
        }
    }

    fn spend(&mut self, bytes: usize) -> Result<(), String> {
        self.produced += bytes;
        if self.produced > MAX_PRODUCED {
            return Err(template_error(format!(
                "the template's functions make more than {MAX_PRODUCED} bytes of text"
            )));
        }
        Ok(())
    }

    fn reference(&mut self, name: &str) -> Result<Option<Value>, String> {
        let text = |value: &str| Ok(Some(Value::String(value.to_owned())));
        match name {
            "AWS::AccountId" => return text(self.account),
            "AWS::Region" => return text(self.region),
            "AWS::StackName" => return text(self.stack_name),
            "AWS::StackId" => return text(self.stack_id),
            "AWS::Partition" => return text("aws"),
            "AWS::URLSuffix" => return text("amazonaws.com"),
            "AWS::NoValue" => return Ok(None),
            "AWS::NotificationARNs" => return Ok(Some(Value::Array(Vec::new()))),
            _ => {}
        }
        if let Some(spec) = self.template.parameter(name) {
            let value = self.parameters.get(name).cloned().unwrap_or_default();
            self.spend(value.len())?;
            if spec.is_list() {
                return Ok(Some(Value::Array(
                    value
                        .split(',')
                        .map(|item| Value::String(item.trim().to_owned()))
                        .collect(),
                )));
            }
            return Ok(Some(Value::String(value)));
        }
        if let Some(made) = self.made.get(name) {
            return text(made.reference.as_deref().unwrap_or(&made.physical));
        }
        Err(format!(
            "Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template"
        ))
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<String, String> {
        let Some(spec) = self.template.resource(resource) else {
            return Err(template_error(format!(
                "instance of Fn::GetAtt references undefined resource {resource}"
            )));
        };
        if !super::types::attributes(&spec.kind).contains(&attribute) {
            return Err(template_error(format!(
                "resource {resource} does not support attribute type {attribute} in Fn::GetAtt"
            )));
        }
        self.made
            .get(resource)
            .and_then(|made| made.attributes.get(attribute))
            .cloned()
            .ok_or_else(|| {
                template_error(format!(
                    "resource {resource} has no value for attribute {attribute} yet"
                ))
            })
    }

    #[expect(clippy::too_many_lines, reason = "one arm per intrinsic function")]
    fn function(&mut self, name: &str, argument: &Value) -> Result<Option<Value>, String> {
        let string = |value: String| Ok(Some(Value::String(value)));
        match name {
            "Ref" => {
                let target = argument
                    .as_str()
                    .ok_or_else(|| template_error("Ref must name a parameter or resource"))?;
                self.reference(target)
            }
            "Fn::GetAtt" => {
                let parts = match argument {
                    Value::Array(parts) if parts.len() == 2 => parts.clone(),
                    Value::String(text) => text
                        .splitn(2, '.')
                        .map(|part| Value::String(part.to_owned()))
                        .collect(),
                    _ => Vec::new(),
                };
                let [resource, attribute] = parts.as_slice() else {
                    return Err(template_error(
                        "every Fn::GetAtt object requires two non-empty parameters",
                    ));
                };
                let resource = resource.as_str().unwrap_or_default().to_owned();
                let attribute = self.string(attribute, "Fn::GetAtt")?;
                string(self.attribute(&resource, &attribute)?)
            }
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Value::String(text) => (text.clone(), Map::new()),
                    Value::Array(parts) if parts.len() == 2 => (
                        parts[0].as_str().unwrap_or_default().to_owned(),
                        parts[1].as_object().cloned().unwrap_or_default(),
                    ),
                    _ => {
                        return Err(template_error(
                            "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
                        ));
                    }
                };
                let mut values = BTreeMap::new();
                for (key, value) in &variables {
                    values.insert(key.clone(), self.string(value, "Fn::Sub")?);
                }
                let mut out = String::new();
                let mut rest = text.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else {
                        out.push_str(&rest[start..]);
                        rest = "";
                        break;
                    };
                    let variable = after[..end].trim();
                    if let Some(literal) = variable.strip_prefix('!') {
                        out.push_str("${");
                        out.push_str(literal);
                        out.push('}');
                    } else if let Some(value) = values.get(variable) {
                        out.push_str(value);
                    } else if let Some((resource, attribute)) = variable.split_once('.')
                        && self.template.parameter(variable).is_none()
                    {
                        out.push_str(&self.attribute(resource, attribute)?);
                    } else {
                        match self.reference(variable)? {
                            Some(Value::String(text)) => out.push_str(&text),
                            Some(Value::Array(items)) => out.push_str(
                                &items
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(","),
                            ),
                            _ => {}
                        }
                    }
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                self.spend(out.len())?;
                string(out)
            }
            "Fn::Join" => {
                let Value::Array(parts) = argument else {
                    return Err(template_error(
                        "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
                    ));
                };
                let [delimiter, items] = parts.as_slice() else {
                    return Err(template_error(
                        "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
                    ));
                };
                let delimiter = self.string(delimiter, "Fn::Join")?;
                let items = self.list(items, "Fn::Join")?;
                let mut texts = Vec::new();
                for item in &items {
                    texts.push(self.string(item, "Fn::Join")?);
                }
                let joined = texts.join(&delimiter);
                self.spend(joined.len())?;
                string(joined)
            }
            "Fn::Select" => {
                let Value::Array(parts) = argument else {
                    return Err(template_error(
                        "Fn::Select requires a list argument with two elements: an integer index and a list",
                    ));
                };
                let [index, items] = parts.as_slice() else {
                    return Err(template_error(
                        "Fn::Select requires a list argument with two elements: an integer index and a list",
                    ));
                };
                let index = self.string(index, "Fn::Select")?;
                let index: usize = index.parse().map_err(|_| {
                    template_error(format!("Fn::Select requires an integer index, not {index}"))
                })?;
                let items = self.list(items, "Fn::Select")?;
                items.get(index).cloned().map(Some).ok_or_else(|| {
                    template_error(format!(
                        "Fn::Select cannot select nonexistent value at index {index}"
                    ))
                })
            }
            "Fn::Split" => {
                let Value::Array(parts) = argument else {
                    return Err(template_error(
                        "Fn::Split requires a delimiter and a string",
                    ));
                };
                let [delimiter, source] = parts.as_slice() else {
                    return Err(template_error(
                        "Fn::Split requires a delimiter and a string",
                    ));
                };
                let delimiter = self.string(delimiter, "Fn::Split")?;
                let source = self.string(source, "Fn::Split")?;
                if delimiter.is_empty() {
                    return Err(template_error("Fn::Split requires a non-empty delimiter"));
                }
                Ok(Some(Value::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|part| Value::String(part.to_owned()))
                        .collect(),
                )))
            }
            "Fn::If" => {
                let Value::Array(parts) = argument else {
                    return Err(template_error(
                        "Fn::If requires a list argument with three elements",
                    ));
                };
                let [condition, yes, no] = parts.as_slice() else {
                    return Err(template_error(
                        "Fn::If requires a list argument with three elements",
                    ));
                };
                let condition = condition
                    .as_str()
                    .ok_or_else(|| template_error("Fn::If requires a condition name"))?
                    .to_owned();
                if self.condition(&condition, 0)? {
                    self.evaluate(yes)
                } else {
                    self.evaluate(no)
                }
            }
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                let mut map = Map::new();
                map.insert(name.to_owned(), argument.clone());
                Ok(Some(Value::Bool(self.boolean(&Value::Object(map), 0)?)))
            }
            "Fn::FindInMap" => {
                let Value::Array(parts) = argument else {
                    return Err(template_error(
                        "Fn::FindInMap requires a list of three elements",
                    ));
                };
                if parts.len() != 3 {
                    return Err(template_error(
                        "Fn::FindInMap requires a list of three elements",
                    ));
                }
                let mut keys = Vec::new();
                for part in parts {
                    keys.push(self.string(part, "Fn::FindInMap")?);
                }
                self.template
                    .mappings
                    .get(&keys[0])
                    .and_then(|map| map.get(&keys[1]))
                    .and_then(|map| map.get(&keys[2]))
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| {
                        template_error(format!(
                            "Unable to get mapping for {}::{}::{}",
                            keys[0], keys[1], keys[2]
                        ))
                    })
            }
            "Fn::GetAZs" => {
                let region = self.string(argument, "Fn::GetAZs")?;
                let region = if region.is_empty() {
                    self.region.to_owned()
                } else {
                    region
                };
                Ok(Some(Value::Array(
                    ["a", "b", "c"]
                        .iter()
                        .map(|zone| Value::String(format!("{region}{zone}")))
                        .collect(),
                )))
            }
            "Fn::Base64" => {
                let text = self.string(argument, "Fn::Base64")?;
                string(base64::engine::general_purpose::STANDARD.encode(text))
            }
            "Fn::ImportValue" => {
                let export = self.string(argument, "Fn::ImportValue")?;
                self.exports
                    .get(&export)
                    .cloned()
                    .map(|value| Some(Value::String(value)))
                    .ok_or_else(|| format!("No export named {export} found."))
            }
            "Fn::Length" => {
                let items = self.list(argument, "Fn::Length")?;
                Ok(Some(Value::from(items.len())))
            }
            "Fn::ToJsonString" => {
                let value = self.evaluate(argument)?.unwrap_or(Value::Null);
                string(value.to_string())
            }
            other => Err(template_error(format!(
                "{other} is not supported by the sandbox"
            ))),
        }
    }
}

fn comparable(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
