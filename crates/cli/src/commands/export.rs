//! `awslab export PLAN --format markdown|sh [--out DIR]`: the plan as the runbook a
//! learner follows by hand (markdown, in the seeds' style) or as a bash script that
//! runs it with the aws CLI and checks each claim (crates/runbook makes both). One
//! file goes to stdout; `--out DIR` writes the runbook and the files it reads
//! (policies, templates) into DIR, files 0644 and folders 0755, and never writes over
//! a file an earlier export did not write (its list is kept in `DIR/.awslab-export`).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Component, Path};

use awslab_runbook::{Options, Runbook, build, markdown, sh};

use crate::cli::{ExportArgs, ExportFormat, TargetArgs, TargetKind};
use crate::exit::{Failure, OrFail as _, Status, finish};

use super::plan_file::load_reporting_for;

/// The list of files an export wrote into its folder.
const MANIFEST: &str = ".awslab-export";

pub fn export(args: &ExportArgs) -> Status {
    let Some(sealed) = load_reporting_for(&args.plan, &args.vars, &args.class) else {
        return Status::Invalid;
    };
    if sealed.plan.learners.is_empty() {
        if args.learner.is_some() {
            eprintln!(
                "error: `--learner` picks one learner of a class, and `{}` is not a plan for a class\n  help: drop `--learner`, or add `--learners N` or `--roster FILE`",
                args.plan.display()
            );
            return Status::Invalid;
        }
        return finish(run(args, &sealed));
    }
    // A class: a learner follows their own runbook, so it holds one learner's copy.
    let learner = match &args.learner {
        None => sealed.plan.learners.values().next(),
        Some(name) => sealed.plan.learners.get(name),
    };
    let Some(learner) = learner.cloned() else {
        let names: Vec<&str> = sealed.plan.learners.keys().map(String::as_str).collect();
        eprintln!(
            "error: the class has no learner `{}`\n  help: pick one of {}",
            args.learner.as_deref().unwrap_or_default(),
            names.join(", ")
        );
        return Status::Invalid;
    };
    let one = awslab_planner::plan::Class {
        learners: vec![learner],
    };
    match awslab_planner::load_class(&args.plan, &args.vars.load_options(), &one) {
        Ok(sealed) => finish(run(args, &sealed)),
        Err(error) => {
            eprint!("{}", crate::report::render_load_error(&error));
            Status::Invalid
        }
    }
}

fn run(args: &ExportArgs, sealed: &awslab_planner::SealedPlan) -> Result<Status, Failure> {
    let options = options(args)?;
    let runbook = build(sealed, &options);
    match &args.out {
        None => {
            let text = match args.format {
                ExportFormat::Sh => sh::render(&runbook, sh::Files::Inline),
                ExportFormat::Markdown => markdown::render(&runbook),
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush());
            Ok(Status::Success)
        }
        Some(dir) => {
            write_folder(dir, &runbook, args.format)?;
            let main = match args.format {
                ExportFormat::Sh => "run.sh",
                ExportFormat::Markdown => "README.md",
            };
            println!(
                "wrote {} and {} file{} beside it",
                dir.join(main).display(),
                runbook.files.len(),
                if runbook.files.len() == 1 { "" } else { "s" }
            );
            if args.format == ExportFormat::Sh {
                println!("run it: bash {}", dir.join(main).display());
            }
            Ok(Status::Success)
        }
    }
}

/// The runbook's options from the command line: the run id, the region, and the
/// target (the sandbox by default, at `serve`'s port).
fn options(args: &ExportArgs) -> Result<Options, Failure> {
    let run_id = match &args.run_id {
        Some(id) => checked_run_id(id)?.to_owned(),
        None => awslab_executor::RunId::generate().to_string(),
    };
    Ok(runbook_options(&args.target, run_id))
}

/// A run id given on the command line, checked as `up` checks it.
pub(super) fn checked_run_id(id: &str) -> Result<&str, Failure> {
    let valid = !id.is_empty()
        && id.len() <= 20
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(id)
    } else {
        Err(Failure::new(
            Status::Invalid,
            format!("run id `{id}` must be 1 to 20 lowercase letters, digits and `-`"),
        )
        .hint("run ids become part of resource names such as bucket names, as `up` names them"))
    }
}

/// Where the runbook's aws CLI commands go and as whom, from the target flags: the
/// endpoint given, real AWS (`--target aws`, or a `--profile` alone), else the sandbox's
/// `serve` at `--sandbox-port`. `awslab guide` chooses the same way.
pub(super) fn runbook_options(target: &TargetArgs, run_id: String) -> Options {
    let region = target
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".to_owned());
    let real = target.target == Some(TargetKind::Aws)
        || (target.target.is_none() && target.endpoint_url.is_none() && target.profile.is_some());
    let (endpoint_url, sandbox) = if let Some(url) = &target.endpoint_url {
        (Some(url.clone()), false)
    } else if real {
        (None, false)
    } else {
        (
            Some(format!("http://127.0.0.1:{}", target.sandbox_port)),
            true,
        )
    };
    Options {
        run_id,
        region,
        endpoint_url,
        profile: target.profile.clone(),
        sandbox,
    }
}

/// A relative path of a runbook file, checked to stay inside the folder.
fn inside(dir: &Path, relative: &str) -> Result<std::path::PathBuf, Failure> {
    let path = Path::new(relative);
    if relative.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(Failure::new(
            Status::Invalid,
            format!("the runbook names a file `{relative}` outside its folder"),
        ));
    }
    Ok(dir.join(path))
}

/// Writes the runbook and its files into `dir`: never over a file the last export
/// there did not write, never through a symbolic link.
fn write_folder(dir: &Path, runbook: &Runbook, format: ExportFormat) -> Result<(), Failure> {
    let (main, text) = match format {
        ExportFormat::Sh => ("run.sh", sh::render(runbook, sh::Files::Beside)),
        ExportFormat::Markdown => ("README.md", markdown::render(runbook)),
    };
    let mut files: Vec<(String, String)> = vec![(main.to_owned(), text)];
    files.extend(
        runbook
            .files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone())),
    );
    create_folder(dir)?;
    let manifest_path = dir.join(MANIFEST);
    let ours: BTreeSet<String> = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(_) => BTreeSet::new(),
    };
    // Check every file before writing any.
    let mut refused = Vec::new();
    for (relative, _) in &files {
        let path = inside(dir, relative)?;
        if std::fs::symlink_metadata(&path).is_ok() && !ours.contains(relative) {
            refused.push(path.display().to_string());
        }
    }
    if !refused.is_empty() {
        return Err(Failure::new(
            Status::Invalid,
            format!(
                "`{}` holds files awslab export did not write: {}",
                dir.display(),
                refused.join(", ")
            ),
        )
        .hint("export into a new or empty folder (`--out DIR`), or move those files away"));
    }
    let mut written: BTreeSet<String> = ours;
    for (relative, contents) in &files {
        let path = inside(dir, relative)?;
        if let Some(parent) = path.parent() {
            create_folder(parent)?;
        }
        write_file(&path, contents)?;
        written.insert(relative.clone());
    }
    let mut list = String::new();
    for file in &written {
        list.push_str(file);
        list.push('\n');
    }
    write_file(&manifest_path, &list)
}

fn create_folder(dir: &Path) -> Result<(), Failure> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o755);
    }
    builder.create(dir).or_fail(Status::Invalid).map_err(|f| {
        Failure::new(
            f.status,
            format!("cannot create `{}`: {}", dir.display(), f.message),
        )
    })?;
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        _ => Err(Failure::new(
            Status::Invalid,
            format!("`{}` is not a folder", dir.display()),
        )),
    }
}

/// Writes `contents` to `path` at mode 0644, replacing a file an earlier export wrote
/// (never following a link).
fn write_file(path: &Path, contents: &str) -> Result<(), Failure> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_dir() {
            return Err(Failure::new(
                Status::Invalid,
                format!(
                    "`{}` is a folder; the export writes a file there",
                    path.display()
                ),
            ));
        }
        std::fs::remove_file(path).or_fail(Status::Invalid)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o644);
    }
    let mut file = options.open(path).map_err(|e| {
        Failure::new(
            Status::Invalid,
            format!("cannot write `{}`: {e}", path.display()),
        )
    })?;
    file.write_all(contents.as_bytes()).map_err(|e| {
        Failure::new(
            Status::Invalid,
            format!("cannot write `{}`: {e}", path.display()),
        )
    })
}
