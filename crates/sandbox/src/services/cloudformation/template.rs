//! A template's structure, checked as `CloudFormation` checks it before anything is
//! created: sections, parameters (types and constraints), resources (types, `DependsOn`,
//! conditions, references), outputs; then the parameter values a stack gives, and the
//! order to create resources in (references and `DependsOn`, cycles refused with the
//! resources on them). Errors are `CloudFormation`'s `ValidationError` texts.
//! One cohesive thing (over 400 lines with its property tests): the checks of one
//! template, section by section.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::types;

/// The pseudo parameters a template may `Ref`.
pub const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::Region",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::NotificationARNs",
];

const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

/// AWS's template quotas.
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_MAPPINGS: usize = 200;
/// The longest parameter value AWS accepts, in bytes.
pub const MAX_PARAMETER_VALUE: usize = 4096;

/// A declared parameter.
#[derive(Debug, Clone, Default)]
pub struct ParameterSpec {
    pub name: String,
    pub kind: String,
    pub default: Option<String>,
    pub description: Option<String>,
    pub allowed_values: Vec<String>,
    pub allowed_pattern: Option<String>,
    pub no_echo: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub constraint_description: Option<String>,
}

impl ParameterSpec {
    /// Whether `Ref` gives a list (`List<...>`, `CommaDelimitedList`).
    pub fn is_list(&self) -> bool {
        self.kind == "CommaDelimitedList" || self.kind.starts_with("List<")
    }
}

/// A declared resource.
#[derive(Debug, Clone)]
pub struct ResourceSpec {
    pub logical: String,
    pub kind: String,
    pub properties: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    pub deletion_policy: Option<String>,
}

/// A declared output.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    pub name: String,
    pub value: Value,
    pub description: Option<Value>,
    pub export_name: Option<Value>,
    pub condition: Option<String>,
}

/// A template, checked.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub description: Option<String>,
    pub parameters: Vec<ParameterSpec>,
    pub mappings: Map<String, Value>,
    pub conditions: Map<String, Value>,
    pub resources: Vec<ResourceSpec>,
    pub outputs: Vec<OutputSpec>,
}

fn format_error(message: impl std::fmt::Display) -> String {
    format!("Template format error: {message}")
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

impl Template {
    /// Parses and checks a template body (YAML or JSON).
    pub fn parse(body: &str) -> Result<Template, String> {
        let root = super::yaml::parse(body)?;
        let Value::Object(root) = root else {
            return Err(format_error("template must be a JSON or YAML object"));
        };
        let unknown: Vec<&str> = root
            .keys()
            .map(String::as_str)
            .filter(|key| !SECTIONS.contains(key))
            .collect();
        if !unknown.is_empty() {
            return Err(format_error(format!(
                "Invalid template property or properties [{}]",
                unknown.join(", ")
            )));
        }
        if let Some(version) = root.get("AWSTemplateFormatVersion")
            && text(version).as_deref() != Some("2010-09-09")
        {
            return Err(format_error(format!(
                "Unsupported template format version: {}",
                text(version).unwrap_or_default()
            )));
        }
        if root.contains_key("Transform") {
            return Err("Transform is not supported by the sandbox (no macros or SAM)".to_owned());
        }
        let section = |name: &str| -> Result<Map<String, Value>, String> {
            match root.get(name) {
                None | Some(Value::Null) => Ok(Map::new()),
                Some(Value::Object(map)) => Ok(map.clone()),
                Some(_) => Err(format_error(format!("{name} must be an object"))),
            }
        };
        let mut template = Template {
            description: root.get("Description").and_then(text),
            mappings: section("Mappings")?,
            conditions: section("Conditions")?,
            ..Template::default()
        };
        for (section_name, limit, noun) in [
            ("Parameters", MAX_PARAMETERS, "parameters"),
            ("Resources", MAX_RESOURCES, "resources"),
            ("Outputs", MAX_OUTPUTS, "outputs"),
            ("Mappings", MAX_MAPPINGS, "mappings"),
        ] {
            let count = section(section_name)?.len();
            if count > limit {
                return Err(format_error(format!(
                    "Number of {noun}, {count}, is greater than maximum allowed, {limit}"
                )));
            }
        }
        for (name, spec) in section("Parameters")? {
            template.parameters.push(parameter(&name, &spec)?);
        }
        let resources = section("Resources")?;
        if resources.is_empty() {
            return Err(format_error(
                "At least one Resources member must be defined.",
            ));
        }
        for (logical, spec) in resources {
            template.resources.push(resource(&logical, &spec)?);
        }
        for (name, spec) in section("Outputs")? {
            let Value::Object(spec) = spec else {
                return Err(format_error(format!(
                    "[/Outputs/{name}] 'null' values are not allowed in templates"
                )));
            };
            let Some(value) = spec.get("Value") else {
                return Err(format_error(format!(
                    "Every Outputs member must contain a Value object, the Outputs member {name} does not"
                )));
            };
            template.outputs.push(OutputSpec {
                name: name.clone(),
                value: value.clone(),
                description: spec.get("Description").cloned(),
                export_name: spec
                    .get("Export")
                    .and_then(|export| export.get("Name"))
                    .cloned(),
                condition: spec.get("Condition").and_then(text),
            });
        }
        template.check_references()?;
        Ok(template)
    }

    pub fn parameter(&self, name: &str) -> Option<&ParameterSpec> {
        self.parameters.iter().find(|spec| spec.name == name)
    }

    pub fn resource(&self, logical: &str) -> Option<&ResourceSpec> {
        self.resources.iter().find(|spec| spec.logical == logical)
    }

    /// Every `Ref`, `GetAtt`, `Sub` and `DependsOn` names something declared.
    fn check_references(&self) -> Result<(), String> {
        let mut unresolved = BTreeSet::new();
        for spec in &self.resources {
            for name in &spec.depends_on {
                if self.resource(name).is_none() {
                    unresolved.insert(name.clone());
                }
            }
            for name in references(&spec.properties) {
                if !self.known(&name) {
                    unresolved.insert(name);
                }
            }
            if let Some(condition) = &spec.condition
                && !self.conditions.contains_key(condition)
            {
                return Err(format_error(format!(
                    "Unresolved dependencies [{condition}]. Cannot reference resources in the Conditions block of the template"
                )));
            }
        }
        if !unresolved.is_empty() {
            return Err(format_error(format!(
                "Unresolved resource dependencies [{}] in the Resources block of the template",
                unresolved.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        let mut unresolved = BTreeSet::new();
        for output in &self.outputs {
            for name in references(&output.value) {
                if !self.known(&name) {
                    unresolved.insert(name);
                }
            }
        }
        if !unresolved.is_empty() {
            return Err(format_error(format!(
                "Unresolved resource dependencies [{}] in the Outputs block of the template",
                unresolved.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(())
    }

    fn known(&self, name: &str) -> bool {
        PSEUDO.contains(&name) || self.parameter(name).is_some() || self.resource(name).is_some()
    }

    /// The resources a resource depends on (references and `DependsOn`).
    pub fn dependencies(&self, spec: &ResourceSpec) -> BTreeSet<String> {
        let mut found: BTreeSet<String> = references(&spec.properties)
            .into_iter()
            .filter(|name| self.resource(name).is_some())
            .collect();
        found.extend(spec.depends_on.iter().cloned());
        found
    }

    /// Logical ids in creation order (template order among independent resources);
    /// a cycle is `CloudFormation`'s `Circular dependency between resources`.
    pub fn order(&self, included: &BTreeSet<String>) -> Result<Vec<String>, String> {
        let mut remaining: Vec<(&ResourceSpec, BTreeSet<String>)> = self
            .resources
            .iter()
            .filter(|spec| included.contains(&spec.logical))
            .map(|spec| {
                let needs = self
                    .dependencies(spec)
                    .into_iter()
                    .filter(|name| included.contains(name))
                    .collect();
                (spec, needs)
            })
            .collect();
        let mut order = Vec::new();
        while !remaining.is_empty() {
            let Some(position) = remaining.iter().position(|(_, needs)| needs.is_empty()) else {
                // Keep only resources on a cycle: drop those nothing left depends on.
                loop {
                    let unneeded = remaining.iter().position(|(spec, _)| {
                        !remaining
                            .iter()
                            .any(|(_, needs)| needs.contains(&spec.logical))
                    });
                    match unneeded {
                        Some(index) => {
                            remaining.remove(index);
                        }
                        None => break,
                    }
                }
                let names: Vec<&str> = remaining
                    .iter()
                    .map(|(spec, _)| spec.logical.as_str())
                    .collect();
                return Err(format!(
                    "Circular dependency between resources: [{}]",
                    names.join(", ")
                ));
            };
            let (spec, _) = remaining.remove(position);
            for (_, needs) in &mut remaining {
                needs.remove(&spec.logical);
            }
            order.push(spec.logical.clone());
        }
        Ok(order)
    }

    /// Whether creating the stack needs `CAPABILITY_IAM` (`Some(false)`) or
    /// `CAPABILITY_NAMED_IAM` (`Some(true)`).
    pub fn needed_capability(&self) -> Option<bool> {
        let mut needed = None;
        for spec in &self.resources {
            if let Some(name_property) = types::iam_name_property(&spec.kind) {
                let named = spec.properties.get(name_property).is_some();
                needed = Some(needed.unwrap_or(false) || named);
            }
        }
        needed
    }

    /// The values a stack's parameters take: given ones, previous ones, defaults;
    /// checked against types and constraints.
    pub fn parameter_values(
        &self,
        given: &[(String, String)],
    ) -> Result<BTreeMap<String, String>, String> {
        let unknown: Vec<&str> = given
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| self.parameter(name).is_none())
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "Parameters: [{}] do not exist in the template",
                unknown.join(", ")
            ));
        }
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for spec in &self.parameters {
            let value = given
                .iter()
                .rev()
                .find(|(name, _)| *name == spec.name)
                .map(|(_, value)| value.clone())
                .or_else(|| spec.default.clone());
            match value {
                Some(value) => {
                    check_value(spec, &value)?;
                    values.insert(spec.name.clone(), value);
                }
                None => missing.push(spec.name.as_str()),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "Parameters: [{}] must have values",
                missing.join(", ")
            ));
        }
        Ok(values)
    }
}

fn parameter(name: &str, spec: &Value) -> Result<ParameterSpec, String> {
    let Value::Object(spec) = spec else {
        return Err(format_error(format!(
            "[/Parameters/{name}] parameter must be an object"
        )));
    };
    let Some(kind) = spec.get("Type").and_then(text) else {
        return Err(format_error(format!(
            "[/Parameters/{name}] Every Parameters object must contain a Type member."
        )));
    };
    let supported = matches!(kind.as_str(), "String" | "Number" | "CommaDelimitedList")
        || kind == "List<Number>"
        || (kind.starts_with("AWS::EC2::") && kind.ends_with("::Id")
            || kind == "AWS::EC2::KeyPair::KeyName")
        || (kind.starts_with("List<AWS::EC2::") && kind.ends_with('>'));
    if !supported {
        return Err(format_error(format!("Unrecognized parameter type: {kind}")));
    }
    let number = |key: &str| -> Result<Option<f64>, String> {
        spec.get(key)
            .map(|value| {
                text(value)
                    .and_then(|text| text.parse::<f64>().ok())
                    .ok_or_else(|| {
                        format_error(format!("[/Parameters/{name}/{key}] must be a number"))
                    })
            })
            .transpose()
    };
    let length = |key: &str| -> Result<Option<usize>, String> {
        number(key).map(|found| {
            found.map(|value| {
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "lengths are small"
                )]
                let length = value.max(0.0) as usize;
                length
            })
        })
    };
    let allowed_pattern = spec.get("AllowedPattern").and_then(text);
    if let Some(pattern) = &allowed_pattern
        && regex::Regex::new(pattern).is_err()
    {
        return Err(format_error(format!(
            "[/Parameters/{name}/AllowedPattern] is not a valid regular expression: {pattern}"
        )));
    }
    Ok(ParameterSpec {
        name: name.to_owned(),
        default: spec.get("Default").and_then(|value| match value {
            Value::Array(items) => {
                Some(items.iter().filter_map(text).collect::<Vec<_>>().join(","))
            }
            other => text(other),
        }),
        description: spec.get("Description").and_then(text),
        allowed_values: match spec.get("AllowedValues") {
            Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
            Some(_) => {
                return Err(format_error(format!(
                    "[/Parameters/{name}/AllowedValues] must be a list"
                )));
            }
            None => Vec::new(),
        },
        allowed_pattern,
        no_echo: spec
            .get("NoEcho")
            .and_then(text)
            .is_some_and(|flag| flag.eq_ignore_ascii_case("true")),
        min_length: length("MinLength")?,
        max_length: length("MaxLength")?,
        min_value: number("MinValue")?,
        max_value: number("MaxValue")?,
        constraint_description: spec.get("ConstraintDescription").and_then(text),
        kind,
    })
}

/// Checks a parameter value against its type and constraints.
fn check_value(spec: &ParameterSpec, value: &str) -> Result<(), String> {
    let name = &spec.name;
    if value.len() > MAX_PARAMETER_VALUE {
        return Err(format!(
            "Parameter '{name}' is longer than {MAX_PARAMETER_VALUE} bytes"
        ));
    }
    let fail = |message: String| {
        Err(match &spec.constraint_description {
            Some(description) => {
                format!("Parameter '{name}' {message}. {description}").replace(". .", ".")
            }
            None => format!("Parameter '{name}' {message}"),
        })
    };
    let items: Vec<&str> = if spec.is_list() {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    for item in items {
        if (spec.kind == "Number" || spec.kind == "List<Number>") && item.parse::<f64>().is_err() {
            return fail("must be a number".to_owned());
        }
        if !spec.allowed_values.is_empty()
            && !spec.allowed_values.iter().any(|allowed| allowed == item)
        {
            return fail("must be one of AllowedValues".to_owned());
        }
        if let Some(pattern) = &spec.allowed_pattern
            && let Ok(regex) = regex::Regex::new(&format!("^(?:{pattern})$"))
            && !regex.is_match(item)
        {
            return fail(format!("must match pattern {pattern}"));
        }
        let length = item.chars().count();
        if let Some(min) = spec.min_length
            && length < min
        {
            return fail(format!("must contain at least {min} characters"));
        }
        if let Some(max) = spec.max_length
            && length > max
        {
            return fail(format!("must contain at most {max} characters"));
        }
        if let Ok(number) = item.parse::<f64>() {
            if let Some(min) = spec.min_value
                && number < min
            {
                return fail(format!("must be a number not less than {min}"));
            }
            if let Some(max) = spec.max_value
                && number > max
            {
                return fail(format!("must be a number not greater than {max}"));
            }
        }
    }
    Ok(())
}

fn resource(logical: &str, spec: &Value) -> Result<ResourceSpec, String> {
    let valid_id = !logical.is_empty() && logical.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid_id {
        return Err(format_error(format!(
            "Resource name {logical} is non alphanumeric."
        )));
    }
    let Value::Object(spec) = spec else {
        return Err(format_error(format!(
            "[/Resources/{logical}] resource definition is malformed"
        )));
    };
    let Some(kind) = spec.get("Type").and_then(text) else {
        return Err(format_error(format!(
            "[/Resources/{logical}] Every Resources object must contain a Type member."
        )));
    };
    if types::find(&kind).is_none() {
        return Err(format_error(format!(
            "Unrecognized resource types: [{kind}]"
        )));
    }
    let depends_on = match spec.get("DependsOn") {
        None => Vec::new(),
        Some(Value::String(name)) => vec![name.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(_) => {
            return Err(format_error(format!(
                "[/Resources/{logical}/DependsOn] DependsOn must be a string or a list of strings"
            )));
        }
    };
    let deletion_policy = spec.get("DeletionPolicy").and_then(text);
    if let Some(policy) = &deletion_policy
        && !["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"].contains(&policy.as_str())
    {
        return Err(format_error(format!(
            "[/Resources/{logical}/DeletionPolicy] Unrecognized DeletionPolicy {policy} for resource {logical}"
        )));
    }
    Ok(ResourceSpec {
        logical: logical.to_owned(),
        kind,
        properties: spec
            .get("Properties")
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
        depends_on,
        condition: spec.get("Condition").and_then(text),
        deletion_policy,
    })
}

/// The names a value refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub`.
pub fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    collect(value, &mut found);
    found
}

fn collect(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(name)) = map.get("Ref") {
                    found.insert(name.clone());
                    return;
                }
                if let Some(Value::Array(parts)) = map.get("Fn::GetAtt") {
                    if let Some(Value::String(name)) = parts.first() {
                        found.insert(name.clone());
                    }
                    return;
                }
                if let Some(sub) = map.get("Fn::Sub") {
                    let (text, variables) = match sub {
                        Value::String(text) => (text.as_str(), None),
                        Value::Array(parts) => (
                            parts.first().and_then(Value::as_str).unwrap_or_default(),
                            parts.get(1).and_then(Value::as_object),
                        ),
                        _ => ("", None),
                    };
                    for name in super::intrinsics::sub_names(text) {
                        let head = name.split('.').next().unwrap_or_default().to_owned();
                        if variables.is_none_or(|variables| !variables.contains_key(&name)) {
                            found.insert(head);
                        }
                    }
                    if let Some(variables) = variables {
                        variables.values().for_each(|item| collect(item, found));
                    }
                    return;
                }
            }
            map.values().for_each(|item| collect(item, found));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fmt::Write as _;

    use proptest::prelude::*;

    use super::Template;

    /// A template of `count` buckets; `edges` are (from, to) `DependsOn` pairs.
    fn template(count: usize, edges: &[(usize, usize)]) -> String {
        let mut body = String::from("Resources:\n");
        for index in 0..count {
            let _ = writeln!(body, "  R{index}:\n    Type: AWS::S3::Bucket");
            let needs: Vec<String> = edges
                .iter()
                .filter(|(from, _)| *from == index)
                .map(|(_, to)| format!("R{to}"))
                .collect();
            if !needs.is_empty() {
                let _ = writeln!(body, "    DependsOn: [{}]", needs.join(", "));
            }
        }
        body
    }

    proptest! {
        #[test]
        fn order_puts_every_dependency_first(
            count in 1usize..25,
            raw in proptest::collection::vec((0usize..25, 0usize..25), 0..60),
        ) {
            // Edges from a later resource to an earlier one: never a cycle.
            let edges: Vec<(usize, usize)> = raw
                .into_iter()
                .map(|(a, b)| (a % count, b % count))
                .filter(|(a, b)| a > b)
                .collect();
            let parsed = Template::parse(&template(count, &edges)).map_err(TestCaseError::fail)?;
            let all: BTreeSet<String> = (0..count).map(|index| format!("R{index}")).collect();
            let order = parsed.order(&all).map_err(TestCaseError::fail)?;
            prop_assert_eq!(order.len(), count);
            for (from, to) in &edges {
                let position = |name: String| order.iter().position(|found| *found == name);
                let (first, then) = (position(format!("R{to}")), position(format!("R{from}")));
                prop_assert!(first < then, "R{} before R{}", to, from);
            }
        }

        #[test]
        fn a_back_edge_is_a_cycle_naming_its_resources(count in 2usize..20, back in 0usize..20) {
            // A chain R1 -> R0, R2 -> R1, ...; then R`back` depends on the last one.
            let back = back % count;
            let mut edges: Vec<(usize, usize)> = (1..count).map(|index| (index, index - 1)).collect();
            edges.push((back, count - 1));
            // R`count` depends on the cycle without being on it.
            edges.push((count, count - 1));
            let parsed = Template::parse(&template(count + 1, &edges)).map_err(TestCaseError::fail)?;
            let all: BTreeSet<String> = (0..=count).map(|index| format!("R{index}")).collect();
            let error = parsed.order(&all).expect_err("a cycle");
            prop_assert!(error.starts_with("Circular dependency between resources: ["), "{}", error);
            prop_assert!(error.contains(&format!("R{}", count - 1)), "{}", error);
            // Resources below `back`, and R`count`, are not on the cycle and are not named.
            for index in (0..back).chain([count]) {
                prop_assert!(!error.contains(&format!("R{index},")) && !error.contains(&format!("R{index}]")), "{}", error);
            }
        }
    }
}
