//! The README cannot rot: every repository path it names (files, scripts, folders,
//! globs, links with their anchors) exists; every `awslab` subcommand its code blocks
//! use exists; and the commands that need no AWS (`validate`, `plan`, `graph`,
//! `policy`, `schema`) run as written from the repository root, with the exit status
//! and the output its transcripts show.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AWSLAB: &str = env!("CARGO_BIN_EXE_awslab");

/// Where repository paths start; anything else (`~/.aws`, `target/`) is not checked.
const ROOTS: &[&str] = &[
    "plans/",
    "scripts/",
    "docs/",
    "examples/",
    "crates/",
    "bench/",
    ".ci/",
];

/// Subcommands that touch no AWS endpoint, so the test runs them as written.
const OFFLINE: &[&str] = &["validate", "plan", "graph", "policy", "schema"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn readme() -> String {
    std::fs::read_to_string(workspace().join("README.md")).unwrap()
}

/// A fenced code block: its language and its lines.
struct Block {
    language: String,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in text.lines() {
        if let Some(fence) = line.strip_prefix("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => {
                    current = Some(Block {
                        language: fence.trim().to_owned(),
                        lines: Vec::new(),
                    });
                }
            }
        } else if let Some(block) = &mut current {
            block.lines.push(line.to_owned());
        }
    }
    out
}

/// The commands of a shell block (continuation lines joined) or of a console
/// transcript (`$ ` lines, each with the output lines that follow it).
fn commands(block: &Block) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    match block.language.as_str() {
        "sh" => {
            let mut pending = String::new();
            for line in &block.lines {
                if let Some(head) = line.strip_suffix('\\') {
                    pending.push_str(head);
                    continue;
                }
                pending.push_str(line);
                out.push((std::mem::take(&mut pending), Vec::new()));
            }
        }
        "console" => {
            for line in &block.lines {
                if let Some(command) = line.strip_prefix("$ ") {
                    out.push((command.to_owned(), Vec::new()));
                } else if let Some((_, output)) = out.last_mut() {
                    output.push(line.clone());
                }
            }
        }
        _ => {}
    }
    out
}

/// Repository paths in a piece of text, without a `#anchor`.
fn repo_paths(text: &str) -> Vec<(String, Option<String>)> {
    text.split(|c: char| c.is_whitespace() || "()[]`'\"=<>,;".contains(c))
        .map(|token| {
            token
                .split(':')
                .next()
                .unwrap_or(token)
                .trim_end_matches(['.', ')'])
        })
        .filter(|token| ROOTS.iter().any(|root| token.starts_with(root)))
        .map(|token| match token.split_once('#') {
            Some((path, anchor)) => (path.to_owned(), Some(anchor.to_owned())),
            None => (token.to_owned(), None),
        })
        .collect()
}

/// GitHub's anchor for a heading.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn glob_matches(pattern: &str) -> usize {
    let path = workspace().join(pattern);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return 0;
    };
    let name = name.to_string_lossy();
    let Some((prefix, suffix)) = name.split_once('*') else {
        return usize::from(path.exists());
    };
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with(prefix) && n.ends_with(suffix)
            })
            .count()
    })
}

#[test]
fn every_path_the_readme_names_exists() {
    let text = readme();
    let paths = repo_paths(&text);
    assert!(
        paths.iter().any(|(p, _)| p == "scripts/try-seed-lab.sh"),
        "the path scan found nothing: {paths:?}"
    );
    let mut missing = Vec::new();
    for (path, anchor) in paths {
        if glob_matches(&path) == 0 {
            missing.push(path);
            continue;
        }
        if let Some(anchor) = anchor {
            let target = std::fs::read_to_string(workspace().join(&path)).unwrap_or_default();
            let found = target
                .lines()
                .filter_map(|line| line.strip_prefix('#'))
                .any(|heading| slug(heading.trim_start_matches('#')) == anchor);
            if !found {
                missing.push(format!("{path}#{anchor}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the README names missing paths: {missing:?}"
    );
}

#[test]
fn scripts_the_readme_runs_are_executable() {
    use std::os::unix::fs::PermissionsExt as _;
    for script in ["scripts/try-seed-lab.sh", "scripts/test.sh", ".ci/run"] {
        let mode = std::fs::metadata(workspace().join(script))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{script} is not executable");
    }
}

/// The subcommands of `awslab ARGS --help`, from its `Commands:` section.
fn subcommands(args: &[&str]) -> Vec<String> {
    let output = Command::new(AWSLAB)
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success(), "awslab {args:?} --help failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// `awslab WORD [WORD]` in a command line (before any ` # ` comment): the
/// subcommand path it uses.
fn awslab_words(command: &str) -> Option<Vec<String>> {
    let command = command.split(" # ").next().unwrap_or(command);
    let mut words = command
        .split_whitespace()
        .skip_while(|w| !(*w == "awslab" || w.ends_with("/awslab") || w.ends_with("\"$(awslab")));
    words.next()?;
    Some(
        words
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .take(2)
            .map(str::to_owned)
            .collect(),
    )
}

#[test]
fn every_subcommand_the_readme_uses_exists() {
    let top = subcommands(&[]);
    let mut checked = 0;
    for block in blocks(&readme()) {
        for (command, _) in commands(&block) {
            let command = command.replace("$(awslab", "$( awslab");
            let Some(words) = awslab_words(&command) else {
                continue;
            };
            let Some(first) = words.first() else {
                continue;
            };
            assert!(
                top.contains(first),
                "`{command}`: `awslab {first}` is not a command ({top:?})"
            );
            let nested = subcommands(&[first]);
            // A command with subcommands may run itself too (`doctor`, `doctor oidc`).
            let flag_next = words.get(1).is_some_and(|word| word.starts_with('-'));
            if !nested.is_empty() && !flag_next {
                let second = words
                    .get(1)
                    .unwrap_or_else(|| panic!("`{command}` lacks a subcommand of `{first}`"));
                assert!(
                    nested.contains(second),
                    "`{command}`: `awslab {first} {second}` is not a command ({nested:?})"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} awslab commands found");
}

/// Runs a README command line with `sh` from the repository root, `awslab` on PATH,
/// HOME and the AWS files in a temporary folder.
fn run(command: &str, home: &Path) -> Output {
    let bin = Path::new(AWSLAB).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(workspace())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWSLAB_STATE_DIR", home.join("state"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn offline_commands_run_as_written_with_the_output_shown() {
    let home = tempfile::tempdir().unwrap();
    let mut ran = Vec::new();
    for block in blocks(&readme()) {
        for (command, transcript) in commands(&block) {
            let offline = awslab_words(&command)
                .and_then(|words| words.first().cloned())
                .is_some_and(|first| OFFLINE.contains(&first.as_str()));
            // Only whole commands: not ones that write files or feed other programs.
            if !offline
                || !command.trim_start().starts_with("awslab ")
                || command.contains(['>', '|'])
            {
                continue;
            }
            let output = run(&command, home.path());
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let shown_error = transcript.iter().any(|line| line.starts_with("error:"));
            let expected = if shown_error { 2 } else { 0 };
            assert_eq!(
                output.status.code(),
                Some(expected),
                "`{command}` as written in the README:\n{said}"
            );
            for line in transcript.iter().filter(|line| line.trim() != "...") {
                assert!(
                    said.lines().any(|l| l.trim_end() == line.trim_end()),
                    "`{command}` no longer prints the README's line\n  {line}\nit prints:\n{said}"
                );
            }
            ran.push(command);
        }
    }
    for needed in [
        "awslab validate",
        "awslab plan",
        "awslab graph",
        "awslab policy simulate",
        "awslab policy check",
    ] {
        assert!(
            ran.iter().any(|c| c.starts_with(needed)),
            "no README command starting `{needed}` ran: {ran:?}"
        );
    }
}

/// The sandbox tour of "The offline sandbox" (the block with `awslab up`), run as
/// written with the real aws CLI: `serve` started by the test on a free port
/// (`AWSLAB_SANDBOX_PORT` points the profiles there) and stopped by its pid, every
/// other line run by `sh` from the repository root with temporary AWS files, state
/// and sandbox folders. Each line must succeed, and `down` must leave the world as
/// `serve` found it.
#[test]
fn the_sandbox_tour_runs_as_written() {
    if !awslab_testkit::aws_cli_installed("the_sandbox_tour_runs_as_written") {
        return;
    }
    let text = readme();
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("The offline sandbox"))
        .expect("README has `## The offline sandbox`");
    let block = blocks(section)
        .into_iter()
        .find(|b| b.lines.iter().any(|l| l.starts_with("awslab up ")))
        .expect("the sandbox section has a block with `awslab up`");
    let lines: Vec<String> = block
        .lines
        .iter()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    // The tour starts serve before the aws CLI uses a profile through it.
    let serve_at = lines
        .iter()
        .position(|l| l.starts_with("awslab sandbox serve"))
        .expect("the tour starts `awslab sandbox serve`");
    let first_profile = lines
        .iter()
        .position(|l| l.starts_with("aws ") && l.contains("--profile"))
        .expect("the tour uses a profile");
    assert!(serve_at < first_profile, "{lines:?}");

    let home = tempfile::tempdir().unwrap();
    let sandbox_dir = home.path().join("sandbox");
    let (mut serve, port) = start_serve(&sandbox_dir);
    let bin = Path::new(AWSLAB).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for line in lines
        .iter()
        .filter(|l| !l.starts_with("awslab sandbox serve"))
    {
        let output = run_tour_line(line, &path, home.path(), &sandbox_dir, port);
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !output.status.success() {
            failures.push(format!(
                "`{line}` failed ({:?}):\n{said}",
                output.status.code()
            ));
        }
        if line.starts_with("aws sts get-caller-identity --profile assumed") {
            assert!(said.contains(":assumed-role/"), "`{line}`:\n{said}");
        }
    }
    let status = Command::new(AWSLAB)
        .args(["sandbox", "status", "--sandbox-dir"])
        .arg(&sandbox_dir)
        .output()
        .unwrap();
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(status.contains("stacks: none"), "{status}");
    assert!(
        !status.contains("sts-lab"),
        "the tour's `down` left something:\n{status}"
    );
}

/// Starts `awslab sandbox serve` on a free port; its port, read from its banner.
fn start_serve(sandbox_dir: &Path) -> (std::process::Child, u16) {
    use std::io::BufRead as _;
    let mut serve = Command::new(AWSLAB)
        .args(["sandbox", "serve", "--port", "0", "--sandbox-dir"])
        .arg(sandbox_dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = std::io::BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    banner.read_line(&mut first).unwrap();
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("serve's banner names no port: {first}"));
    // Keep serve's later lines from filling the pipe.
    std::thread::spawn(move || for _ in banner.lines() {});

    (serve, port)
}

/// Runs one line of the tour with `sh` from the repository root, as a learner would,
/// with the test's AWS files, state and sandbox folders and serve's port.
fn run_tour_line(line: &str, path: &str, home: &Path, sandbox_dir: &Path, port: u16) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(workspace())
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWSLAB_STATE_DIR", home.join("state"))
        .env("AWSLAB_SANDBOX_DIR", sandbox_dir)
        .env("AWSLAB_SANDBOX_PORT", port.to_string())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_PAGER", "")
        .env_remove("RUST_LOG")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWSLAB_STATE")
        .output()
        .unwrap()
}
