//! Tests of `examples/github-actions.yml`: every `awslab ...` command line in it parses
//! with the CLI's own clap definition, and the role trust policy it shows (also
//! `examples/github-actions-trust-policy.json` and `docs/real-accounts.md`) is one
//! valid trust policy that admits exactly the documented GitHub token.

use std::path::{Path, PathBuf};

use clap::Parser as _;
use serde_json::Value;

use crate::cli::Cli;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repository().join(path))
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The `run:` scripts of every step of every job.
fn scripts(workflow: &Value) -> Vec<String> {
    let mut scripts = Vec::new();
    for job in workflow["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values())
    {
        for step in job["steps"].as_array().into_iter().flatten() {
            if let Some(run) = step["run"].as_str() {
                scripts.push(run.to_owned());
            }
        }
    }
    scripts
}

/// Shell words of a script, split at `&&`, `||`, `;`, `|` and newlines into commands;
/// quotes removed, a redirection and what follows it dropped.
fn commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut redirected = false;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut String,
                    in_word: &mut bool,
                    commands: &mut Vec<Vec<String>>,
                    redirected: bool| {
        if *in_word
            && !redirected
            && let Some(last) = commands.last_mut()
        {
            last.push(std::mem::take(word));
        }
        word.clear();
        *in_word = false;
    };
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ' | '\t') => end_word(&mut word, &mut in_word, &mut commands, redirected),
            (None, '\n' | ';' | '&' | '|') => {
                end_word(&mut word, &mut in_word, &mut commands, redirected);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                redirected = false;
                commands.push(Vec::new());
            }
            (None, '>' | '<') => {
                end_word(&mut word, &mut in_word, &mut commands, redirected);
                redirected = true;
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut commands, redirected);
    commands.retain(|command| !command.is_empty());
    commands
}

/// `${{ ... }}` expressions of GitHub Actions replaced by `1`.
fn without_expressions(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push('1');
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The variables of the workflow's and its jobs' `env:`.
fn variables(workflow: &Value) -> Vec<(String, String)> {
    let jobs = workflow["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values());
    std::iter::once(workflow)
        .chain(jobs)
        .flat_map(|scope| scope["env"].as_object().into_iter().flatten())
        .map(|(name, value)| {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            (name.clone(), without_expressions(&value))
        })
        .collect()
}

/// A word with `$NAME` and `${NAME}` of `variables` expanded (others kept).
fn expand(word: &str, variables: &[(String, String)]) -> String {
    let mut word = word.to_owned();
    for (name, value) in variables {
        word = word
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    word
}

/// The `awslab` commands of the workflow, as argv (the binary named `awslab`), as
/// written and with the workflow's variables expanded.
fn awslab_commands(workflow: &Value) -> Vec<(Vec<String>, Vec<String>)> {
    let variables = variables(workflow);
    scripts(workflow)
        .iter()
        .flat_map(|script| commands(script))
        .filter(|argv| argv[0] == "awslab" || argv[0].ends_with("/awslab"))
        .map(|mut argv| {
            "awslab".clone_into(&mut argv[0]);
            let expanded = argv.iter().map(|word| expand(word, &variables)).collect();
            (argv, expanded)
        })
        .collect()
}

fn shown(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            if word.contains('$') || word.contains(' ') {
                format!("\"{word}\"")
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn every_awslab_command_of_the_workflow_parses() {
    let workflow: Value = serde_saphyr::from_str(&read("examples/github-actions.yml"))
        .unwrap_or_else(|error| panic!("examples/github-actions.yml: {error}"));
    let commands = awslab_commands(&workflow);
    assert!(commands.len() >= 7, "{commands:?}");
    for (argv, expanded) in &commands {
        if let Err(error) = Cli::try_parse_from(expanded) {
            panic!("`{}` does not parse:\n{error}", shown(argv));
        }
    }
}

#[test]
fn the_workflow_runs_down_always_reaps_on_a_schedule_and_uses_oidc() {
    let workflow: Value = serde_saphyr::from_str(&read("examples/github-actions.yml"))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(workflow["permissions"]["id-token"], "write");
    assert!(workflow["on"]["schedule"].is_array(), "{workflow:#}");
    let steps: Vec<&Value> = workflow["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values())
        .flat_map(|job| job["steps"].as_array().into_iter().flatten())
        .collect();
    let down = steps
        .iter()
        .find(|step| {
            step["run"]
                .as_str()
                .is_some_and(|run| run.contains("awslab down"))
        })
        .unwrap_or_else(|| panic!("no `down` step"));
    assert!(
        down["if"]
            .as_str()
            .is_some_and(|condition| condition.contains("always()")),
        "{down:#}"
    );
    assert!(steps.iter().any(|step| {
        step["uses"]
            .as_str()
            .is_some_and(|uses| uses.starts_with("aws-actions/configure-aws-credentials"))
            && step["with"]["role-to-assume"].is_string()
    }));
    let reap = workflow["jobs"]["reap"].clone();
    assert!(
        reap["if"].as_str().is_some_and(|c| c.contains("schedule")),
        "{reap:#}"
    );
}

/// The trust policy JSON shown as comment lines (`#   {` ... `#   }`) of the workflow.
fn trust_policy_in_comments(workflow: &str) -> Value {
    let lines: Vec<&str> = workflow
        .lines()
        .skip_while(|line| *line != "#   {")
        .take_while(|line| line.starts_with("#   "))
        .map(|line| &line[4..])
        .collect();
    serde_json::from_str(&lines.join("\n"))
        .unwrap_or_else(|error| panic!("the workflow's trust policy: {error}"))
}

#[test]
fn the_trust_policy_shown_is_one_valid_trust_policy() {
    let text = read("examples/github-actions-trust-policy.json");
    let document = awslab_policy::PolicyDocument::parse_as(&text, awslab_policy::PolicyKind::Trust)
        .unwrap_or_else(|errors| panic!("{errors:?}"));
    assert_eq!(document.statements().len(), 1);
    let json: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(
        trust_policy_in_comments(&read("examples/github-actions.yml")),
        json
    );
    let docs = read("docs/real-accounts.md");
    assert!(
        docs.contains(text.trim()),
        "docs/real-accounts.md must show examples/github-actions-trust-policy.json as it is"
    );
    // The documented token is admitted; another branch is not.
    let provider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    let decide = |sub: &str| {
        let mut context = awslab_policy::Context::new();
        context.insert("token.actions.githubusercontent.com:sub", sub);
        context.insert(
            "token.actions.githubusercontent.com:aud",
            "sts.amazonaws.com",
        );
        awslab_policy::trust_allows(
            &document,
            &awslab_policy::Principal::web_identity(provider),
            "sts:AssumeRoleWithWebIdentity",
            &context,
        )
        .verdict
    };
    assert_eq!(
        decide("repo:ORG/REPO:ref:refs/heads/main"),
        awslab_policy::Verdict::Allowed
    );
    assert_eq!(
        decide("repo:ORG/REPO:ref:refs/heads/dev"),
        awslab_policy::Verdict::ImplicitDeny
    );
}

#[test]
fn commands_are_split_as_a_shell_does() {
    assert_eq!(
        commands("a b \"c d\" > out && e 'f g'\nh; i | j"),
        vec![
            vec!["a".to_owned(), "b".to_owned(), "c d".to_owned()],
            vec!["e".to_owned(), "f g".to_owned()],
            vec!["h".to_owned()],
            vec!["i".to_owned()],
            vec!["j".to_owned()],
        ]
    );
}
