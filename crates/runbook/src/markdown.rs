//! The runbook as markdown in the seeds' style: a heading a step, its description,
//! fenced `bash` blocks with the same commands as the script, `Expected:` lines for
//! the claims, and a Cleanup section in teardown order. Files beside the runbook
//! (policies, templates) are shown where they are first used.

use std::fmt::Write as _;

use crate::model::{ACCOUNT_ID, Expected, Runbook};
use crate::words::secret_env;

/// The language of a fenced block for a file.
fn fence_language(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("json") => "json",
        Some("yaml" | "yml") => "yaml",
        Some("xml") => "xml",
        _ => "text",
    }
}

/// Renders the runbook as markdown.
#[expect(clippy::too_many_lines, reason = "the runbook from top to bottom")]
pub fn render(runbook: &Runbook) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", runbook.name);
    if let Some(description) = &runbook.description {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    let _ = writeln!(
        out,
        "Made by `awslab export` (run id `{}`). Run the commands in order, in one bash\nshell, from the folder of this file: each command keeps what later ones need in a\nshell variable, so no ARN or key is copied by hand. `awslab export --format sh`\nmakes the same commands into a script that checks every claim.\n",
        runbook.run_id
    );
    let _ = writeln!(out, "## Before you start\n");
    if runbook.sandbox {
        let _ = writeln!(
            out,
            "On awslab's sandbox, start it and take its operator's keys:\n\n```sh\nawslab sandbox serve &\neval \"$(awslab sandbox env)\"\n```\n"
        );
    } else {
        let _ = writeln!(
            out,
            "The commands run as the operator: the credentials in your environment, or `AWS_PROFILE`.\n"
        );
    }
    if !runbook.secrets.is_empty() {
        let names: Vec<String> = runbook
            .secrets
            .iter()
            .map(|s| format!("`{}`", secret_env(s)))
            .collect();
        let _ = writeln!(
            out,
            "Secret variables are never written here: export {} before you start.\n",
            names.join(", ")
        );
    }
    let _ = writeln!(out, "Then set up the shell:\n\n```bash");
    let mut preamble = String::new();
    crate::sh::preamble(&mut preamble, runbook);
    out.push_str(&preamble);
    let _ = writeln!(
        out,
        "```\n\n<details><summary>Helper functions used below (paste them once)</summary>\n\n```bash\n{}\n```\n\n</details>\n",
        crate::sh::HELPERS
    );
    if runbook.needs_account_id || !runbook.setup.is_empty() {
        let _ = writeln!(
            out,
            "The accounts' ids (and other accounts' operators):\n\n```bash"
        );
        if runbook.needs_account_id {
            let _ = writeln!(out, "{ACCOUNT_ID}");
        }
        for line in &runbook.setup {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "```\n");
    }
    let mut shown = std::collections::HashSet::new();
    for (index, section) in runbook.sections.iter().enumerate() {
        let _ = writeln!(out, "## {}. {}\n", index + 1, section.step);
        let _ = writeln!(out, "{}\n", section.description.trim());
        if section.action != section.description {
            let _ = writeln!(out, "awslab: {}.\n", section.action);
        }
        // Files the commands read, the first time they are used.
        for file in &runbook.files {
            let used = section.commands.iter().any(|c| c.line.contains(&file.path))
                || section
                    .claim
                    .as_ref()
                    .is_some_and(|c| c.command.contains(&file.path));
            if used && shown.insert(file.path.clone()) {
                let _ = writeln!(
                    out,
                    "Save this as `{}` (`awslab export --out` writes it beside this file):\n\n```{}\n{}\n```\n",
                    file.path,
                    fence_language(&file.path),
                    file.contents.trim_end()
                );
            }
        }
        if !section.commands.is_empty() {
            let _ = writeln!(out, "```bash");
            for command in &section.commands {
                let _ = writeln!(out, "{}", command.line);
            }
            let _ = writeln!(out, "```\n");
        }
        if let Some(claim) = &section.claim {
            let _ = writeln!(out, "```bash\n{}\n```\n", claim.command);
            let _ = writeln!(out, "Expected: {}\n", expected(&claim.expected));
        }
        for note in &section.notes {
            let _ = writeln!(out, "> {note}\n");
        }
    }
    let _ = writeln!(
        out,
        "## Cleanup\n\nUndo the lab in this order (the reverse of how it was made; a \"not found\"\nanswer means that part is gone already):\n\n```bash"
    );
    for undo in &runbook.cleanup {
        let _ = writeln!(out, "{}", undo.line);
    }
    let _ = writeln!(out, "rm -rf \"$WORK\"\n```");
    out
}

/// The outcome a claim expects, in words.
fn expected(expected: &Expected) -> String {
    match expected {
        Expected::Success => "the command succeeds (exit status 0).".to_owned(),
        Expected::Error(codes) => format!(
            "the command fails (exit status not 0) with {}.",
            codes
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Expected::Fields(fields) => format!(
            "the command succeeds, and {}.",
            fields
                .iter()
                .map(|f| {
                    let read = match f.query.strip_prefix("file:") {
                        Some(path) => format!("the object's body (in `{path}`)"),
                        None => format!("`{}` (`--query '{}' --output text`)", f.field, f.query),
                    };
                    format!("{read} matches `{}` (`*` is any text)", f.pattern)
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}
