//! Files a plan reads (a stack's `template`, an object's `file`, a web identity
//! `token_file`, a SAML provider's `metadata_file`): confined to the plan's own folder tree, after resolving symlinks,
//! unless the person names another folder (`--allow-files-from DIR`); regular files
//! only (not a folder, `/dev/zero` or a pipe); and under a size limit. A template
//! that passes is then measured for alias expansion (`cfn_template`). A plan
//! downloaded from someone else must not be able to ship `~/.aws/credentials` to a
//! bucket, so every violation is a `validate` error, not an `up`-time surprise.

use std::path::{Path, PathBuf};

use crate::diagnostics::Diagnostics;
use crate::kinds::StepKind;
use crate::limits::{
    MAX_OBJECT_BYTES, MAX_SAML_ASSERTION_BYTES, MAX_SAML_METADATA_BYTES, MAX_TEMPLATE_BYTES,
    MAX_TOKEN_BYTES,
};
use crate::plan::{Plan, Step};
use crate::template::{Reference, Template};
use crate::values::Text;

use super::Statics;

struct FileField<'a> {
    field: &'static str,
    text: &'a Text,
    limit: u64,
    what: &'static str,
}

fn files_of(kind: &StepKind) -> Option<FileField<'_>> {
    match kind {
        StepKind::CfnStack(s) => Some(FileField {
            field: "template",
            text: &s.template,
            limit: MAX_TEMPLATE_BYTES,
            what: "CloudFormation accepts at most 51,200 bytes of `TemplateBody`",
        }),
        StepKind::S3Object(s) => s.file.as_ref().map(|text| FileField {
            field: "file",
            text,
            limit: MAX_OBJECT_BYTES,
            what: "awslab puts objects of at most 100 MiB",
        }),
        StepKind::StsAssumeRoleWithWebIdentity(s) => s.token_file.as_ref().map(|text| FileField {
            field: "token_file",
            text,
            limit: MAX_TOKEN_BYTES,
            what: "STS accepts a web identity token of at most 20,000 characters",
        }),
        StepKind::StsAssumeRoleWithSaml(s) => s.assertion_file.as_ref().map(|text| FileField {
            field: "assertion_file",
            text,
            limit: MAX_SAML_ASSERTION_BYTES,
            what: "STS accepts a SAML assertion of at most 100,000 characters",
        }),
        StepKind::IamSamlProvider(s) => s.metadata_file.as_ref().map(|text| FileField {
            field: "metadata_file",
            text,
            limit: MAX_SAML_METADATA_BYTES,
            what: "IAM accepts a SAML metadata document of at most 10,000,000 characters",
        }),
        _ => None,
    }
}

/// Checks every file a step reads.
pub fn check(
    diags: &mut Diagnostics,
    plan: &Plan,
    base_dir: &Path,
    allowed: &[PathBuf],
    statics: &Statics,
) {
    let roots = crate::source::file_roots(base_dir, allowed);
    let shown_base = if base_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base_dir
    };
    for step in plan.steps.values() {
        if let Some(file) = files_of(&step.kind) {
            check_file(diags, step, &file, base_dir, shown_base, &roots, statics);
        }
    }
}

/// Where a step's file is: its path as written (rendered), and resolved.
struct Located {
    relative: String,
    resolved: PathBuf,
}

fn check_file(
    diags: &mut Diagnostics,
    step: &Step,
    file: &FileField<'_>,
    base_dir: &Path,
    shown_base: &Path,
    roots: &[PathBuf],
    statics: &Statics,
) {
    let Some(located) = locate(diags, step, file, base_dir, shown_base, statics) else {
        return;
    };
    if roots.iter().any(|root| located.resolved.starts_with(root)) {
        check_metadata(diags, step, file, &located);
    } else {
        report_outside(diags, step, file, shown_base, &located);
    }
}

/// The file's place, or `None` once the reason it cannot be checked is reported.
fn locate(
    diags: &mut Diagnostics,
    step: &Step,
    file: &FileField<'_>,
    base_dir: &Path,
    shown_base: &Path,
    statics: &Statics,
) -> Option<Located> {
    let field = file.field;
    let span = file.text.span;
    let run_time = Template::parse(&file.text.value).map_or(true, |t| {
        t.references()
            .any(|(r, _, _)| !matches!(r, Reference::Var(_)))
    });
    let Some(relative) = statics.render(&file.text.value).filter(|_| !run_time) else {
        diags
            .error(
                "plan::file",
                span,
                format!("`{field}` of step `{}` must be known before the run", step.id),
            )
            .help("name the file with literal text and `${vars.NAME}` only, so `validate` can check it")
            .emit();
        return None;
    };
    match std::fs::canonicalize(base_dir.join(&relative)) {
        Ok(resolved) => Some(Located { relative, resolved }),
        Err(err) => {
            diags
                .error(
                    "plan::file",
                    span,
                    format!(
                        "`{field}` of step `{}` names `{relative}`, which cannot be read: {err}",
                        step.id
                    ),
                )
                .help(format!(
                    "paths are relative to the plan file's folder (`{}`)",
                    shown_base.display()
                ))
                .emit();
            None
        }
    }
}

fn report_outside(
    diags: &mut Diagnostics,
    step: &Step,
    file: &FileField<'_>,
    shown_base: &Path,
    located: &Located,
) {
    let Located { relative, resolved } = located;
    let via_link = !Path::new(relative).is_absolute() && !relative.contains("..");
    diags
        .error(
            "plan::file_outside",
            file.text.span,
            format!(
                "`{}` of step `{}` reads `{}`, outside the plan's folder `{}`{}",
                file.field,
                step.id,
                resolved.display(),
                shown_base.display(),
                if via_link { " (through a symlink)" } else { "" }
            ),
        )
        .label("outside the plan's folder")
        .help(format!(
            "a plan reads files only from its own folder tree; if you trust this plan, allow the folder with `--allow-files-from {}`",
            resolved.parent().unwrap_or(resolved).display()
        ))
        .emit();
}

fn check_metadata(diags: &mut Diagnostics, step: &Step, file: &FileField<'_>, located: &Located) {
    let (field, span, relative) = (file.field, file.text.span, &located.relative);
    match std::fs::metadata(&located.resolved) {
        Ok(meta) if !meta.is_file() => diags
            .error(
                "plan::file",
                span,
                format!(
                    "`{field}` of step `{}` names `{relative}`, which is not a regular file",
                    step.id
                ),
            )
            .help("name a file, not a folder, device or pipe")
            .emit(),
        Ok(meta) if meta.len() > file.limit => diags
            .error(
                "plan::file",
                span,
                format!(
                    "`{relative}` ({field} of step `{}`) has {} bytes; {}",
                    step.id,
                    meta.len(),
                    file.what
                ),
            )
            .help(if field == "template" {
                "shorten the template, or split it into nested stacks"
            } else {
                "use a smaller file"
            })
            .emit(),
        Ok(_) if field == "template" => {
            super::cfn_template::check(diags, step, span, relative, &located.resolved);
        }
        Ok(_) => {}
        Err(err) => diags
            .error(
                "plan::file",
                span,
                format!(
                    "`{relative}` ({field} of step `{}`) cannot be read: {err}",
                    step.id
                ),
            )
            .emit(),
    }
}
