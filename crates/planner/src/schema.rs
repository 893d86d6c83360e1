//! The plan's JSON Schema, generated from the step kinds' Rust types, so editors can
//! complete and check plans. `docs/plan.schema.json` is this output; a test keeps it
//! current.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::kinds::StepKind;

/// The JSON Schema of a plan file, pretty-printed with a trailing newline.
pub fn plan_schema() -> String {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut kinds = Vec::new();
    for (label, schema) in StepKind::schemas(&mut generator) {
        let mut properties = Map::new();
        properties.insert(label.to_owned(), schema.to_value());
        properties.insert("needs".to_owned(), json!({
            "description": "Steps this step waits for besides those it references",
            "oneOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ]
        }));
        properties.insert("description".to_owned(), json!({ "type": "string" }));
        properties.insert("account".to_owned(), json!({
            "description": "The account (under `accounts:`) the step runs in; default: the account of its `as:` identity, else the plan's first",
            "type": "string"
        }));
        properties.insert("for_each".to_owned(), for_each_schema());
        kinds.push(json!({
            "title": label,
            "type": "object",
            "properties": properties,
            "required": [label],
            "additionalProperties": false
        }));
    }
    let definitions: Map<String, Value> = generator.take_definitions(true).into_iter().collect();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://awslab.invalid/plan.schema.json",
        "title": "awslab plan",
        "description": "A hands-on AWS identity lab as named steps; see docs/plan-format.md",
        "type": "object",
        "properties": {
            "name": { "type": "string", "minLength": 1 },
            "description": { "type": "string" },
            "vars": {
                "type": "object",
                "description": "Variables, used as ${vars.NAME}; `--var NAME=VALUE` overrides; `{ value: ..., secret: true }` is never printed nor journaled",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,63}$" },
                "additionalProperties": {
                    "oneOf": [
                        { "type": ["string", "number", "boolean"] },
                        {
                            "type": "object",
                            "properties": {
                                "value": { "type": ["string", "number", "boolean"] },
                                "secret": { "type": "boolean" }
                            },
                            "required": ["value"],
                            "additionalProperties": false
                        },
                        list_variable(),
                        map_variable()
                    ]
                }
            },
            "accounts": {
                "type": "object",
                "description": "The accounts of a plan that spans several, in order; the first is the default. On the sandbox each is one of its accounts; on a real target each needs an operator profile (`profile:` or `--account-profile NAME=PROFILE`)",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,31}$", "not": { "const": "operator" } },
                "additionalProperties": {
                    "type": ["object", "null"],
                    "properties": {
                        "profile": { "type": "string", "minLength": 1 },
                        "description": { "type": "string" }
                    },
                    "additionalProperties": false
                },
                "minProperties": 1,
                "maxProperties": crate::plan::MAX_ACCOUNTS
            },
            "steps": {
                "type": "object",
                "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,63}$", "not": { "enum": crate::plan::RESERVED_NAMES } },
                "additionalProperties": { "oneOf": kinds },
                "minProperties": 1
            },
            "include": include_schema(),
            "tags": {
                "type": "object",
                "description": "Tags added to everything the run creates that takes tags, besides awslab's own (`awslab:run`, `awslab:plan`, `awslab:created-at`, `awslab:expires-at`); values may use ${vars.NAME} and ${run.id}, never a secret variable",
                "propertyNames": { "minLength": 1, "maxLength": 128, "not": { "pattern": "^([Aa][Ww][Ss]|[Aa][Ww][Ss][Ll][Aa][Bb]):" } },
                "additionalProperties": { "type": ["string", "number", "boolean"] }
            },
            "learners": learners_schema(),
            "outputs": {
                "type": "object",
                "description": "A fragment's outputs: names read by the including plan as ${INCLUDE.NAME}",
                "additionalProperties": { "type": "string" }
            }
        },
        "required": ["name", "steps"],
        "additionalProperties": false,
        "$defs": definitions
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// An instance key of a `for_each` step (`team[red]`).
const INSTANCE_KEY: &str = "^[A-Za-z0-9_-]{1,64}$";

/// A list variable: instance keys, used by `for_each`.
fn list_variable() -> Value {
    json!({
        "description": "A list variable, for `for_each`: each item names one instance",
        "type": "array",
        "items": { "type": ["string", "number"], "pattern": INSTANCE_KEY },
        "uniqueItems": true
    })
}

/// A map variable: instance keys to values or maps of values, used by `for_each`. A map
/// with a `value` or `secret` key is the `{ value, secret }` form instead.
fn map_variable() -> Value {
    json!({
        "description": "A map variable, for `for_each`: each key names one instance; `${each.value}` or `${each.value.FIELD}`",
        "type": "object",
        "propertyNames": { "pattern": INSTANCE_KEY, "not": { "enum": ["value", "secret"] } },
        "additionalProperties": {
            "oneOf": [
                { "type": ["string", "number", "boolean"] },
                { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean"] } }
            ]
        }
    })
}

/// `for_each:` on a step.
fn for_each_schema() -> Value {
    json!({
        "description": "One instance of the step per item, with the id `STEP[KEY]`; `${each.key}` and `${each.value}` in its fields",
        "oneOf": [
            { "type": "string", "pattern": "^\\$\\{vars\\.[A-Za-z][A-Za-z0-9_-]{0,63}\\}$" },
            list_variable(),
            map_variable()
        ]
    })
}

/// `include:` of fragments.
fn include_schema() -> Value {
    json!({
        "type": "object",
        "description": "Fragments (plan files) whose steps become NAME/step; see docs/plan-format.md",
        "propertyNames": { "pattern": "^[A-Za-z][A-Za-z0-9_-]{0,63}$", "not": { "enum": crate::plan::RESERVED_NAMES } },
        "additionalProperties": {
            "type": "object",
            "properties": {
                "file": { "type": "string", "description": "The fragment's path, relative to the including file" },
                "vars": {
                    "type": "object",
                    "description": "Values for the fragment's inputs (its vars)",
                    "additionalProperties": {
                        "oneOf": [ { "type": ["string", "number", "boolean"] }, list_variable(), map_variable() ]
                    }
                }
            },
            "required": ["file"],
            "additionalProperties": false
        }
    })
}

/// The plan's `learners: N` (a plan for a class).
fn learners_schema() -> serde_json::Value {
    json!({
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "description": "A plan for a class: the number of learners (`learner-01` to `learner-N`) it runs for when neither --learners nor --roster is given; every step is then one copy per learner, and ${learner.name}, ${learner.id} are known"
    })
}
