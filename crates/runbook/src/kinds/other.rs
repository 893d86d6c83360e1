//! `CloudFormation` stacks, S3 buckets and objects, and AWS CLI profiles as aws CLI
//! commands. Templates and bodies known before the run go beside the script; profiles
//! are written with `aws configure set` (with the target's `endpoint_url` when it is
//! not real AWS, so a profile made for the sandbox never reaches real AWS).

use awslab_planner::Step;
use awslab_planner::kinds::{AwsProfile, CfnStack, S3Bucket, S3Object};

use crate::cx::{Cx, Line, Parts, capture, undo};
use crate::model::Command;
use crate::words::{Word, var_name};

/// The file name at the end of a plan-relative path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

pub(crate) fn cfn_stack(cx: &mut Cx<'_>, step: &Step, k: &CfnStack) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let template_path = format!("templates/{}", file_name(&k.template.value));
    let text =
        std::fs::read_to_string(cx.sealed.base_dir().join(&k.template.value)).unwrap_or_default();
    cx.add_file(&template_path, text.clone());
    // Parameters and tags in JSON files (`file://`), not the aws CLI's shorthand
    // (`ParameterKey=K,ParameterValue=V`), which a comma or a quote in a value breaks.
    let parameters = (!k.parameters.is_empty()).then(|| {
        let list: Vec<serde_json::Value> = k
            .parameters
            .iter()
            .map(|(key, value)| {
                serde_json::json!({ "ParameterKey": key, "ParameterValue": value.value })
            })
            .collect();
        let word = cx.json(&serde_json::Value::Array(list), true);
        cx.file_arg(
            &format!("stacks/{}-parameters.json", step.id),
            &word,
            &mut parts.commands,
        )
    });
    let capabilities: Vec<Word> = k
        .capabilities
        .iter()
        .map(|c| Word::text(c.value.as_str()))
        .collect();
    let tags = super::tags_json(cx, &indexmap::IndexMap::new());
    let tags = cx.json(&tags, true);
    let tags = cx.file_arg(
        &format!("stacks/{}-tags.json", step.id),
        &tags,
        &mut parts.commands,
    );
    let mut line = Line::aws(None, "cloudformation", "create-stack")
        .arg("--stack-name", &name)
        .arg(
            "--template-body",
            &Word::text(format!("file://{template_path}")),
        );
    if let Some(parameters) = &parameters {
        line = line.arg("--parameters", parameters);
    }
    line = line
        .list("--capabilities", &capabilities)
        .arg("--tags", &tags);
    if let Some(minutes) = k.timeout_minutes {
        line = line.arg("--timeout-in-minutes", &Word::text(minutes.to_string()));
    }
    let id = capture(step, "id", "StackId");
    let guard = id.var.clone();
    parts.commands.push(line.capture(vec![id]));
    let stack = Word::var(guard.clone());
    parts.commands.push(
        Line::aws(None, "cloudformation", "wait")
            .flag("stack-create-complete")
            .arg("--stack-name", &stack)
            .run(),
    );
    // Every output the template declares, so `${STEP.outputs.NAME}` has its variable.
    for output in template_outputs(&text) {
        let var = var_name(&[step.id.as_str(), "outputs", &output]);
        let query = format!("Stacks[0].Outputs[?OutputKey=='{output}'].OutputValue | [0]");
        parts.commands.push(
            Line::aws(None, "cloudformation", "describe-stacks")
                .arg("--stack-name", &stack)
                .capture(vec![crate::model::Capture {
                    var,
                    query,
                    secret: false,
                }]),
        );
    }
    parts.undo.push(undo(
        step,
        &Line::aws(None, "cloudformation", "delete-stack").arg("--stack-name", &stack),
        &guard,
    ));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "cloudformation", "wait")
            .flag("stack-delete-complete")
            .arg("--stack-name", &stack),
        &guard,
    ));
    parts
}

/// The names under a template's top-level `Outputs:` (YAML or JSON), read by
/// indentation: a key at the first indentation under `Outputs`.
fn template_outputs(text: &str) -> Vec<String> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        return json
            .get("Outputs")
            .and_then(|o| o.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
    }
    let mut out = Vec::new();
    let mut inside = false;
    let mut indent = None;
    for line in text.lines() {
        let trimmed = line.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        let depth = trimmed.len() - trimmed.trim_start().len();
        if depth == 0 {
            inside = trimmed.starts_with("Outputs:");
            indent = None;
            continue;
        }
        if !inside {
            continue;
        }
        let level = *indent.get_or_insert(depth);
        if depth == level
            && let Some((key, _)) = trimmed.trim_start().split_once(':')
        {
            out.push(key.trim().trim_matches(['"', '\'']).to_owned());
        }
    }
    out
}

pub(crate) fn s3_bucket(cx: &mut Cx<'_>, step: &Step, k: &S3Bucket) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let mut line = Line::aws(None, "s3api", "create-bucket").arg("--bucket", &name);
    if cx.options.region != "us-east-1" {
        line = line.arg(
            "--create-bucket-configuration",
            &Word::text(format!("LocationConstraint={}", cx.options.region)),
        );
    }
    let mark = cx.mark(step);
    parts.commands.push(line.marking(mark.clone()));
    // Tagged with the run, as `up` tags it: `awslab sweep` finds a bucket a killed
    // script left by its `awslab:run` tag. JSON in a file, so any tag value survives.
    let tag_set = serde_json::json!({ "TagSet": super::tags_json(cx, &indexmap::IndexMap::new()) });
    let tagging = cx.json(&tag_set, true);
    let tagging = cx.file_arg(
        &format!("tags/{}-bucket.json", step.id),
        &tagging,
        &mut parts.commands,
    );
    parts.commands.push(
        Line::aws(None, "s3api", "put-bucket-tagging")
            .arg("--bucket", &name)
            .arg("--tagging", &tagging)
            .run(),
    );
    if let Some(policy) = &k.policy {
        let doc = cx.document(
            &format!("{}-bucket-policy", step.id),
            policy,
            &mut parts.commands,
        );
        parts.commands.push(
            Line::aws(None, "s3api", "put-bucket-policy")
                .arg("--bucket", &name)
                .arg("--policy", &doc)
                .run(),
        );
    }
    parts.undo.push(undo(
        step,
        &Line::aws(None, "s3api", "delete-bucket").arg("--bucket", &name),
        &mark,
    ));
    parts
}

pub(crate) fn s3_object(cx: &mut Cx<'_>, step: &Step, k: &S3Object) -> Parts {
    let mut parts = Parts::default();
    let identity = Cx::identity(k.identity.as_ref());
    let bucket = cx.word(&k.bucket.value);
    let key = cx.word(&k.key.value);
    let body = if let Some(file) = &k.file {
        let bytes =
            std::fs::read_to_string(cx.sealed.base_dir().join(&file.value)).unwrap_or_default();
        let path = format!("files/{}", file_name(&file.value));
        cx.add_file(&path, bytes);
        Word::text(path)
    } else {
        let text = k.body.as_ref().map(|b| b.value.clone()).unwrap_or_default();
        let word = cx.word(&text);
        if let Some(literal) = word.literal() {
            let path = format!("objects/{}", step.id);
            cx.add_file(&path, literal);
            Word::text(path)
        } else {
            let path = format!("$WORK/{}.body", step.id);
            parts.commands.push(Command {
                line: format!("printf '%s' {} > \"{path}\"", word.quoted()),
                captures: Vec::new(),
                marks: None,
            });
            Word::var("WORK").then(Word::text(format!("/{}.body", step.id)))
        }
    };
    let mut line = Line::aws(identity.as_deref(), "s3api", "put-object")
        .arg("--bucket", &bucket)
        .arg("--key", &key)
        .arg("--body", &body);
    if let Some(content_type) = &k.content_type {
        line = line.arg("--content-type", &cx.word(&content_type.value));
    }
    let etag = capture(step, "etag", "ETag");
    let guard = etag.var.clone();
    parts.commands.push(line.capture(vec![etag]));
    parts.undo.push(undo(
        step,
        &Line::aws(None, "s3api", "delete-object")
            .arg("--bucket", &bucket)
            .arg("--key", &key),
        &guard,
    ));
    parts
}

pub(crate) fn profile(cx: &mut Cx<'_>, step: &Step, k: &AwsProfile) -> Parts {
    let mut parts = Parts::default();
    let name = cx.word(&k.name.value);
    let source = var_name(&[k.credentials.value.as_str()]);
    let temporary = cx
        .sealed
        .step(&awslab_planner::StepId::new(k.credentials.value.clone()))
        .and_then(|s| s.kind.credentials())
        .is_some_and(awslab_planner::kinds::Credentials::is_temporary);
    parts.commands.push(Command {
        line: format!("new_profile {}", name.quoted()),
        captures: Vec::new(),
        marks: None,
    });
    let set = |key: &str, value: Word| {
        Line::program(&["aws", "configure", "set", key])
            .flag(&value.quoted())
            .arg("--profile", &name)
            .run()
    };
    let mut commands = vec![
        set(
            "aws_access_key_id",
            Word::var(format!("{source}_ACCESS_KEY_ID")),
        ),
        set(
            "aws_secret_access_key",
            Word::var(format!("{source}_SECRET_ACCESS_KEY")),
        ),
    ];
    if temporary {
        commands.push(set(
            "aws_session_token",
            Word::var(format!("{source}_SESSION_TOKEN")),
        ));
    }
    let region = k
        .region
        .as_ref()
        .map_or_else(|| Word::var("REGION"), |r| cx.word(&r.value));
    commands.push(set("region", region));
    if cx.options.endpoint_url.is_some() {
        commands.push(set("endpoint_url", Word::var("AWS_ENDPOINT_URL")));
        parts.notes.push(
            "The profile carries the target's `endpoint_url`, so `--profile` never sends the sandbox's keys to real AWS.".into(),
        );
    }
    let mark = cx.mark(step);
    if let Some(first) = commands.first_mut() {
        first.marks = Some(mark.clone());
    }
    parts.commands.extend(commands);
    parts.undo.push(crate::model::Undo {
        step: step.id.to_string(),
        line: format!("remove_profile {}", name.quoted()),
        guard: mark,
    });
    parts
}
