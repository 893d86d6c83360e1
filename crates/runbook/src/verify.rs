//! A `verify` step as an aws CLI command and the outcome to expect: the call named by
//! the API models (`s3.ListObjectsV2` -> `aws s3api list-objects-v2`), its parameters as
//! the CLI's options (strings as words, structures and lists as JSON, booleans as
//! `--flag`/`--no-flag`, a streamed body as a file), and the expectation as an exit
//! status with AWS error codes or as answer fields read with `--query`.

use awslab_apimodel::{Call, Creates, Effect, Segment, ShapeType, answer_path, find_call};
use awslab_planner::Step;
use awslab_planner::kinds::Verify;
use awslab_planner::values::{DENIAL_CODES, Expect};

use crate::cx::{Cx, Line, Parts};
use crate::model::{Claim, Command, Expected, FieldCheck, Undo};
use crate::words::{Word, cli_name};

/// The aws CLI's command for a service (`s3` -> `s3api`, the low-level one).
fn cli_service(service: &str) -> &str {
    match service {
        "s3" => "s3api",
        other => other,
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one call: parameters, expectation, what it creates"
)]
pub(crate) fn verify(cx: &mut Cx<'_>, step: &Step, k: &Verify) -> Parts {
    let mut parts = Parts::default();
    let identity = Cx::identity(k.identity.as_ref());
    let call = find_call(&k.call.value);
    let (service, operation) = if let Some(call) = &call {
        (
            cli_service(call.service_name).to_owned(),
            cli_name(call.operation_name),
        )
    } else {
        let (service, operation) = k
            .call
            .value
            .split_once('.')
            .unwrap_or(("sts", &k.call.value));
        (cli_service(service).to_owned(), cli_name(operation))
    };
    let mut line = Line::aws(identity.as_deref(), &service, &operation);
    let param_text = |name: &str| -> Option<String> {
        k.params
            .get(name)
            .and_then(|v| v.value.as_str().map(str::to_owned))
    };
    for (name, value) in &k.params {
        let shape = call.as_ref().and_then(|c| member_shape(c, name));
        let flag = format!("--{}", cli_name(name));
        match (shape, &value.value) {
            (Some((ShapeType::Boolean, _)), v) => {
                let on = v.as_bool().unwrap_or_else(|| v.as_str() == Some("true"));
                line = line.flag(&if on {
                    flag
                } else {
                    format!("--no-{}", cli_name(name))
                });
            }
            (Some((ShapeType::Blob, true)), v) => {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                let word = cx.word(&text);
                let path = format!("objects/{}-{name}", step.id);
                let file = if let Some(literal) = word.literal() {
                    cx.add_file(&path, literal);
                    Word::text(path)
                } else {
                    let target = format!("$WORK/{}-{name}", step.id);
                    parts.commands.push(Command {
                        line: format!("printf '%s' {} > \"{target}\"", word.quoted()),
                        captures: Vec::new(),
                        marks: None,
                    });
                    Word::var("WORK").then(Word::text(format!("/{}-{name}", step.id)))
                };
                line = line.arg(&flag, &file);
            }
            (_, serde_json::Value::String(text)) => {
                line = line.arg(&flag, &cx.word(text));
            }
            (_, v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                line = line.arg(&flag, &Word::text(v.to_string()));
            }
            (_, v) => {
                let json = cx.json(v, false);
                line = line.arg(&flag, &json);
            }
        }
    }
    // `s3api get-object` writes the body to a file named last.
    let body_file = format!("$WORK/{}.body", step.id);
    if call
        .as_ref()
        .is_some_and(|c| c.service_name == "s3" && c.operation_name == "GetObject")
    {
        line = line.flag(&format!("\"{body_file}\""));
    }
    // Fields are read from the one answer the call gives (the aws CLI would merge
    // pages, and drop what a page alone says, such as `KeyCount`).
    if matches!(k.expect.value, Expect::Fields(_))
        && (operation.starts_with("list-") || operation.starts_with("describe-"))
    {
        line = line.flag("--no-paginate");
    }
    let expected = match &k.expect.value {
        Expect::Allow => Expected::Success,
        Expect::Error(code) => Expected::Error(vec![code.clone()]),
        Expect::AnyOf(codes) => Expected::Error(codes.clone()),
        Expect::Deny => Expected::Error(DENIAL_CODES.iter().map(|c| (*c).to_owned()).collect()),
        Expect::Fields(fields) => Expected::Fields(
            fields
                .iter()
                .map(|(field, pattern)| field_check(cx, call.as_ref(), field, pattern, &body_file))
                .collect(),
        ),
    };
    let description = awslab_planner::render::describe(cx.sealed, step);
    let creates = match call.as_ref().map(Call::effect) {
        Some(Effect::Creates(creates)) => Some(creates),
        _ => None,
    };
    let text = match &step.description {
        Some(text) => cx.prose(text),
        None => cx.prose(&description),
    };
    parts.claim = Some(Claim {
        text,
        command: line.text(),
        expected,
        keep: creates.and_then(kept_id).map(str::to_owned),
    });
    // What the call makes when it succeeds, undone: by the id its answer gave when it
    // gives one (kept by the script in `DONE_KEPT_STEP`, empty when the call made
    // nothing, so a denied call's undo never runs), else once the claim ran (the
    // undo's "not found" counts as done).
    if let Some(creates) = creates {
        let word = |cx: &mut Cx<'_>, name: &str| param_text(name).map(|t| cx.word(&t));
        let kept = crate::model::kept_var(step.id.as_str());
        let guard = if kept_id(creates).is_some() {
            kept.clone()
        } else {
            format!("CLAIMED_{}", crate::words::var_name(&[step.id.as_str()]))
        };
        let undo_line = match creates {
            Creates::S3Object => word(cx, "Bucket").zip(word(cx, "Key")).map(|(b, key)| {
                Line::aws(None, "s3api", "delete-object")
                    .arg("--bucket", &b)
                    .arg("--key", &key)
            }),
            Creates::IamUser => word(cx, "UserName")
                .map(|u| Line::aws(None, "iam", "delete-user").arg("--user-name", &u)),
            Creates::IamRole => word(cx, "RoleName")
                .map(|r| Line::aws(None, "iam", "delete-role").arg("--role-name", &r)),
            Creates::IamUserPolicy => {
                word(cx, "UserName")
                    .zip(word(cx, "PolicyName"))
                    .map(|(u, p)| {
                        Line::aws(None, "iam", "delete-user-policy")
                            .arg("--user-name", &u)
                            .arg("--policy-name", &p)
                    })
            }
            Creates::IamPolicy => {
                Some(Line::aws(None, "iam", "delete-policy").arg("--policy-arn", &Word::var(&kept)))
            }
            Creates::IamAccessKey => word(cx, "UserName").map(|u| {
                Line::aws(None, "iam", "delete-access-key")
                    .arg("--user-name", &u)
                    .arg("--access-key-id", &Word::var(&kept))
            }),
        };
        if let Some(undo_line) = undo_line {
            if kept_id(creates).is_some() {
                parts.notes.push(format!(
                    "If this call succeeds, it makes something: the script keeps the id it answers in `{kept}`, and its cleanup deletes what the call made."
                ));
            }
            parts.undo.push(Undo {
                step: step.id.to_string(),
                line: undo_line.text(),
                guard,
            });
        }
    }
    parts
}

/// The answer field that identifies what a creating call made, when it gives one
/// (`PutUserPolicy` answers nothing).
fn kept_id(creates: Creates) -> Option<&'static str> {
    match creates {
        Creates::S3Object => Some("ETag"),
        Creates::IamUser => Some("User.UserId"),
        Creates::IamRole => Some("Role.RoleId"),
        Creates::IamPolicy => Some("Policy.Arn"),
        Creates::IamAccessKey => Some("AccessKey.AccessKeyId"),
        Creates::IamUserPolicy => None,
    }
}

/// The input member `name` of `call`: its type, and whether it is the streamed body.
fn member_shape(call: &Call, name: &str) -> Option<(ShapeType, bool)> {
    let input = call.service.shape(call.operation.input.as_deref()?)?;
    let member = input.members.get(name)?;
    let shape = call.service.shape(&member.shape)?;
    let streamed = input.payload.as_deref() == Some(name) && shape.kind == ShapeType::Blob;
    Some((shape.kind, streamed))
}

/// One expected field: its `--query` (`JMESPath`; lists joined with commas, as awslab
/// compares them) and its pattern as a bash glob.
fn field_check(
    cx: &mut Cx<'_>,
    call: Option<&Call>,
    field: &str,
    pattern: &str,
    body_file: &str,
) -> FieldCheck {
    let body = call.is_some_and(|c| c.service_name == "s3" && c.operation_name == "GetObject")
        && field == "Body";
    let query = if body {
        format!("file:{body_file}")
    } else {
        call.and_then(|c| answer_path(c, field).ok())
            .map_or_else(|| field.to_owned(), |path| jmespath(&path))
    };
    let word = cx.word(pattern);
    FieldCheck {
        field: field.to_owned(),
        query,
        pattern: word.quoted(),
        shown: pattern.to_owned(),
        secret: ["Secret", "Token", "Password"]
            .iter()
            .any(|s| field.contains(s)),
    }
}

/// A resolved answer path as `JMESPath`; a path through a list is joined with commas.
fn jmespath(path: &[Segment]) -> String {
    let mut out = String::new();
    let mut each = false;
    for segment in path {
        match segment {
            Segment::Member(name) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Each => {
                out.push_str("[*]");
                each = true;
            }
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    if each {
        format!("join(',', {out})")
    } else {
        out
    }
}
