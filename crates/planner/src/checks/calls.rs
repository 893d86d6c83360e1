//! The checks of each `verify` against the call table of `awslab-apimodel` (generated
//! from the AWS service models): the call exists, a verify may make it (it reads, or
//! creates what teardown removes), its `params` fit the operation's input shape
//! (members, required members, types, enum values), and the answer fields `expect:`
//! names are in its output shape. Each error points at the value that is wrong.

use awslab_apimodel::{
    Call, Effect, MemberRef, Service, Shape, ShapeType, answer_fields, answer_path, find_call,
};

use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::kinds::{StepKind, Verify};
use crate::plan::{Plan, Step};
use crate::source::Span;
use crate::values::Expect;
use crate::yaml::{Node, Value};

/// How deep `params` may nest (AWS's input shapes are shallower).
const MAX_DEPTH: usize = 32;

/// Checks every `verify` step's call, parameters and expectation.
pub fn check(diags: &mut Diagnostics, plan: &Plan) {
    for step in plan.steps.values() {
        if let StepKind::Verify(verify) = &step.kind {
            check_verify(diags, step, verify);
        }
    }
}

/// Every call `verify` knows, as `service.Operation`.
fn call_names() -> Vec<String> {
    Call::all().map(|c| c.name()).collect()
}

fn check_verify(diags: &mut Diagnostics, step: &Step, verify: &Verify) {
    let name = verify.call.value.as_str();
    let Some(call) = find_call(name) else {
        let names = call_names();
        let help = did_you_mean(name, names.iter().map(String::as_str)).unwrap_or_else(|| {
            let services: Vec<String> = awslab_apimodel::models()
                .services
                .keys()
                .map(|s| format!("`{s}`"))
                .collect();
            format!(
                "`verify` calls `service.Operation` as the AWS API names it (`s3.PutObject`); the services are {}",
                services.join(", ")
            )
        });
        diags
            .error(
                "plan::unknown_call",
                verify.call.span,
                format!("`verify` step `{}` cannot call `{name}`", step.id),
            )
            .help(help)
            .emit();
        return;
    };
    if call.effect() == Effect::Changes {
        let creating: Vec<String> = Call::creating().map(|c| format!("`{c}`")).collect();
        diags
            .error(
                "plan::unknown_call",
                verify.call.span,
                format!(
                    "`verify` step `{}` cannot call `{name}`: it changes what awslab cannot tear down",
                    step.id
                ),
            )
            .help(format!(
                "a verify may read, or create what `down` removes ({}); make the change a step instead",
                creating.join(", ")
            ))
            .emit();
    }
    if name == "iam.CreateAccessKey" && !verify.params.contains_key("UserName") {
        diags
            .error(
                "plan::call_params",
                verify.call.span,
                format!(
                    "`iam.CreateAccessKey` in a verify needs parameter `UserName` (step `{}`)",
                    step.id
                ),
            )
            .help("name the user, so that `down` can delete the key it makes")
            .emit();
    }
    let params = step
        .body
        .as_map()
        .and_then(|entries| entries.iter().find(|(key, _)| key.name == "params"))
        .map(|(_, node)| node);
    let input = call
        .operation
        .input
        .as_deref()
        .and_then(|s| call.service.shape(s));
    match (params, input) {
        (Some(node), Some(shape)) => {
            let mut cx = ParamCx {
                diags,
                service: call.service,
                call: name,
                step: step.id.as_str(),
            };
            cx.structure(node, shape, "", 0);
        }
        (None, Some(shape)) => {
            for required in &shape.required {
                diags
                    .error(
                        "plan::call_params",
                        verify.call.span,
                        format!("`{name}` needs parameter `{required}` (step `{}`)", step.id),
                    )
                    .help(format!("add `params: {{ {required}: ... }}`"))
                    .emit();
            }
        }
        (Some(node), None) if node.as_map().is_some_and(|m| !m.is_empty()) => {
            diags
                .error(
                    "plan::call_params",
                    node.span,
                    format!("`{name}` takes no parameters (step `{}`)", step.id),
                )
                .help("remove `params`")
                .emit();
        }
        _ => {}
    }
    check_expect(diags, step, verify, &call);
}

/// Walks `params` against an input shape, reporting at each value.
struct ParamCx<'a, 'd> {
    diags: &'d mut Diagnostics,
    service: &'static Service,
    call: &'a str,
    step: &'a str,
}

impl ParamCx<'_, '_> {
    fn error(&mut self, at: Span, message: &str, help: &str) {
        self.diags
            .error(
                "plan::call_params",
                at,
                format!("{message} (step `{}`)", self.step),
            )
            .help(help)
            .emit();
    }

    fn structure(&mut self, node: &Node, shape: &Shape, path: &str, depth: usize) {
        let Some(entries) = node.as_map() else {
            let what = if path.is_empty() {
                "`params`".to_owned()
            } else {
                format!("`{path}`")
            };
            self.error(
                node.span,
                &format!(
                    "{what} of `{}` must be a map of members, not {}",
                    self.call,
                    node.value.kind_word()
                ),
                "write `{ Member: value, ... }`",
            );
            return;
        };
        for required in &shape.required {
            if !entries.iter().any(|(key, _)| &key.name == required) {
                let whose = if path.is_empty() {
                    String::new()
                } else {
                    format!(" in `{path}`")
                };
                self.error(
                    node.span,
                    &format!("`{}` needs parameter `{required}`{whose}", self.call),
                    &format!("add `{required}: ...`"),
                );
            }
        }
        for (key, value) in entries {
            let Some(member) = shape.members.get(&key.name) else {
                let help = did_you_mean(&key.name, shape.members.keys().map(String::as_str))
                    .unwrap_or_else(|| {
                        let mut names: Vec<&str> =
                            shape.members.keys().map(String::as_str).collect();
                        names.truncate(24);
                        if names.is_empty() {
                            format!("`{}` takes no parameters here", self.call)
                        } else {
                            format!(
                                "`{}` takes {}",
                                self.call,
                                names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    });
                let whose = if path.is_empty() {
                    String::new()
                } else {
                    format!(" in `{path}`")
                };
                self.error(
                    key.span,
                    &format!("`{}` has no parameter `{}`{whose}", self.call, key.name),
                    &help,
                );
                continue;
            };
            let inner = if path.is_empty() {
                key.name.clone()
            } else {
                format!("{path}.{}", key.name)
            };
            self.member(value, member, &inner, depth + 1);
        }
    }

    fn member(&mut self, node: &Node, member: &MemberRef, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.error(
                node.span,
                &format!("`{path}` nests too deep"),
                "flatten the value",
            );
            return;
        }
        let Some(shape) = self.service.shape(&member.shape) else {
            return;
        };
        self.value(node, shape, path, depth);
    }

    fn value(&mut self, node: &Node, shape: &Shape, path: &str, depth: usize) {
        let templated = node.as_str().is_some_and(|s| s.contains("${"));
        let fits = match (&node.value, shape.kind) {
            (Value::Map(_), ShapeType::Structure) => {
                self.structure(node, shape, path, depth);
                return;
            }
            (Value::Map(entries), ShapeType::Map) => {
                if let Some(value) = &shape.value {
                    for (key, item) in entries {
                        self.member(item, value, &format!("{path}.{}", key.name), depth + 1);
                    }
                }
                return;
            }
            (Value::Seq(items), ShapeType::List) => {
                if let Some(member) = &shape.member {
                    for (i, item) in items.iter().enumerate() {
                        self.member(item, member, &format!("{path}[{i}]"), depth + 1);
                    }
                }
                return;
            }
            (Value::Str(_), _) if templated => true,
            (Value::Str(text), ShapeType::String) => {
                if !shape.values.is_empty() && !shape.values.iter().any(|v| v == text) {
                    let help = did_you_mean(text, shape.values.iter().map(String::as_str))
                        .unwrap_or_else(|| {
                            format!(
                                "one of {}",
                                shape
                                    .values
                                    .iter()
                                    .map(|v| format!("`{v}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        });
                    self.error(
                        node.span,
                        &format!("`{text}` is not a value `{path}` of `{}` takes", self.call),
                        &help,
                    );
                }
                true
            }
            (
                Value::Str(_) | Value::Int(_) | Value::Float(_),
                ShapeType::String | ShapeType::Blob,
            )
            | (Value::Str(_) | Value::Int(_), ShapeType::Timestamp)
            | (Value::Bool(_), ShapeType::Boolean)
            | (Value::Int(_), ShapeType::Integer | ShapeType::Long)
            | (Value::Int(_) | Value::Float(_), ShapeType::Double | ShapeType::Float) => true,
            (Value::Str(text), ShapeType::Integer | ShapeType::Long) => {
                text.trim().parse::<i64>().is_ok()
            }
            (Value::Str(text), ShapeType::Boolean) => matches!(text.as_str(), "true" | "false"),
            (Value::Str(text), ShapeType::Double | ShapeType::Float) => {
                text.trim().parse::<f64>().is_ok()
            }
            _ => false,
        };
        if !fits {
            self.error(
                node.span,
                &format!(
                    "`{path}` of `{}` takes {}, not {}",
                    self.call,
                    shape.kind.word(),
                    node.value.kind_word()
                ),
                &format!("write {} here", shape.kind.word()),
            );
        }
    }
}

fn check_expect(diags: &mut Diagnostics, step: &Step, verify: &Verify, call: &Call) {
    let Expect::Fields(fields) = &verify.expect.value else {
        return;
    };
    for (field, _) in fields {
        let Err(missing) = answer_path(call, field) else {
            continue;
        };
        let mut known = missing.known.clone();
        if known.is_empty() {
            known = answer_fields(call);
        }
        let help =
            did_you_mean(&missing.missing, known.iter().map(String::as_str)).unwrap_or_else(|| {
                if known.is_empty() {
                    format!("`{}` answers no fields; use `expect: allow`", call.name())
                } else {
                    format!(
                        "`{}` answers {}",
                        call.name(),
                        known
                            .iter()
                            .map(|f| format!("`{f}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            });
        let at = diags
            .file()
            .find_from(verify.expect.span.offset, field)
            .unwrap_or(verify.expect.span);
        diags
            .error(
                "plan::expect",
                at,
                format!(
                    "`{}` has no answer field `{field}` to match (step `{}`)",
                    call.name(),
                    step.id
                ),
            )
            .help(help)
            .emit();
    }
}
