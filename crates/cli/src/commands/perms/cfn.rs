//! The actions `CloudFormation` takes on the caller's behalf for a `cfn.stack`'s
//! template, scoped to the names the template or the plan's parameters give.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::names::{Deriver, Names};

/// The actions `CloudFormation` takes on the caller's behalf for the resources of a
/// stack's template, grouped by the resources they are on: each resource's name
/// property where the template or the plan's parameters give it, else the name
/// `CloudFormation` generates (`STACK-LOGICAL-SUFFIX`, so `STACK-*`).
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the template: names, then actions"
)]
pub(super) fn cfn_resources(
    deriver: &mut Deriver<'_>,
    stack: &awslab_planner::kinds::CfnStack,
) -> Vec<(Vec<String>, Vec<String>)> {
    let Some(relative) = deriver.render(&stack.template.value) else {
        deriver.notes.push(
            "a stack's template is known only at run time: its resources are not in the policy"
                .to_owned(),
        );
        return Vec::new();
    };
    let path = deriver.sealed.base_dir().join(&relative);
    let Some(template) = read_template(&path) else {
        deriver.notes.push(format!(
            "cannot read the template `{}`: its resources are not in the policy",
            path.display()
        ));
        return Vec::new();
    };
    let stack_name = deriver
        .render(&stack.name.value)
        .unwrap_or_else(|| "*".to_owned());
    // CloudFormation keeps part of the stack's name in a generated name.
    let generated: String = stack_name
        .split('*')
        .next()
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect();
    let generated = format!("{generated}*");
    let parameter = |name: &str| {
        stack
            .parameters
            .get(name)
            .and_then(|value| deriver.render(&value.value))
    };
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Each resource's name, as the template or the plan gives it.
    let name_of = |properties: &Value, property: &str| -> String {
        match properties.get(property) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Object(map)) => map
                .get("Ref")
                .and_then(Value::as_str)
                .and_then(&parameter)
                .unwrap_or_else(|| generated.clone()),
            _ => generated.clone(),
        }
    };
    let account = deriver.scope.account.clone();
    // The IAM entities a template makes: type, ARN kind, name property.
    let entities = [
        ("AWS::IAM::Role", "role", "RoleName"),
        ("AWS::IAM::User", "user", "UserName"),
        ("AWS::IAM::Group", "group", "GroupName"),
        ("AWS::IAM::ManagedPolicy", "policy", "ManagedPolicyName"),
        (
            "AWS::IAM::InstanceProfile",
            "instance-profile",
            "InstanceProfileName",
        ),
    ];
    let arn_of = |resource_type: &str, properties: &Value| -> Option<(&'static str, String)> {
        if resource_type == "AWS::S3::Bucket" {
            let name = name_of(properties, "BucketName").to_ascii_lowercase();
            return Some(("bucket", format!("arn:aws:s3:::{name}")));
        }
        let (_, kind, property) = entities.iter().find(|(t, _, _)| *t == resource_type)?;
        let name = name_of(properties, property);
        Some((kind, format!("arn:aws:iam::{account}:{kind}/{name}")))
    };
    // The template's own entities, by logical id (what `!Ref` in a policy's `Roles` names).
    let mut logical: BTreeMap<String, (&'static str, String)> = BTreeMap::new();
    for (id, resource) in &resources {
        let resource_type = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        if let Some(found) = arn_of(resource_type, &properties) {
            logical.insert(id.clone(), found);
        }
    }
    let mut out: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    let mut notes = Vec::new();
    for (id, resource) in &resources {
        let resource_type = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let Some((create, delete)) =
            awslab_executor::permissions::cfn_resource_actions(resource_type)
        else {
            notes.push(format!(
                "the template's `{id}` is a `{resource_type}`, whose permissions awslab does not know: add them by hand"
            ));
            continue;
        };
        let mut names = Names::default();
        if let Some((kind, arn)) = logical.get(id) {
            names.add(kind, arn.clone());
        }
        // Inline policies, memberships and bucket policies act on what they name.
        for (property, kind) in [("Roles", "role"), ("Users", "user"), ("Groups", "group")] {
            for entry in properties
                .get(property)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let arn = match entry {
                    Value::Object(map) => map.get("Ref").and_then(Value::as_str).and_then(|r| {
                        logical.get(r).map(|(_, arn)| arn.clone()).or_else(|| {
                            parameter(r).map(|n| format!("arn:aws:iam::{account}:{kind}/{n}"))
                        })
                    }),
                    Value::String(text) => Some(format!("arn:aws:iam::{account}:{kind}/{text}")),
                    _ => None,
                };
                names.add(
                    kind,
                    arn.unwrap_or_else(|| format!("arn:aws:iam::{account}:{kind}/*")),
                );
            }
        }
        for action in create.iter().chain(delete) {
            let kind = awslab_sandbox::authorization_of(action).and_then(|row| row.resource_type);
            // An inline policy's action on a kind the policy does not name is not needed.
            if resource_type == "AWS::IAM::Policy"
                && kind.is_some_and(|kind| !names.by_type.contains_key(kind))
            {
                continue;
            }
            let resources: Vec<String> = deriver.resources(action, &names).into_iter().collect();
            out.entry(resources)
                .or_default()
                .insert((*action).to_owned());
        }
    }
    deriver.notes.extend(notes);
    out.into_iter()
        .map(|(resources, actions)| (resources, actions.into_iter().collect()))
        .collect()
}

/// A template as JSON: JSON text, or YAML with `CloudFormation`'s short forms (`!Ref X`
/// read as `{"Ref": "X"}`, other tags as their value).
fn read_template(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(&text).ok();
    }
    // `!Ref Name` is the one short form whose value names something we scope to.
    let rewritten: String = text
        .lines()
        .map(|line| match line.split_once("!Ref ") {
            Some((before, name)) => format!("{before}{{ Ref: {} }}", name.trim()),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    serde_saphyr::from_str::<Value>(&rewritten).ok()
}
