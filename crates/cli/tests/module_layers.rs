#![expect(
    clippy::unwrap_used,
    reason = "a test that reads the sources fails loudly"
)]

//! The CLI crate's layers (`crates/cli/README.md`): `cli` (every clap type, in
//! `src/cli.rs` and `src/cli/`) is the bottom layer and imports none of the modules
//! above it, so a command module can use any clap type and no import circle goes
//! through the command line; and no module imports, directly or through others, a
//! module that imports it. Read from the sources: every `crate::MODULE` a top-level
//! module's files name.

use std::path::Path;

use awslab_testkit::{ModuleGraph, first_cycle, module_graph};

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn graph() -> ModuleGraph {
    module_graph(&src()).unwrap()
}

#[test]
fn cli_modules_form_no_cycle() {
    let graph = graph();
    assert!(
        graph.contains_key("cli") && graph.contains_key("commands"),
        "{graph:?}"
    );
    if let Some(cycle) = first_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn clap_types_import_no_command() {
    let graph = graph();
    for above in ["commands", "progress", "report", "summary", "logging"] {
        assert!(
            !graph["cli"].contains(above),
            "cli imports `crate::{above}`: {:?}",
            graph["cli"]
        );
    }
}

/// The files of the `cli` module: `src/cli.rs` and everything under `src/cli/`.
fn cli_files() -> Vec<(String, String)> {
    let mut files = vec![(
        "cli.rs".to_owned(),
        std::fs::read_to_string(src().join("cli.rs")).unwrap(),
    )];
    let mut dirs = vec![src().join("cli")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|extension| extension == "rs") {
                let name = path.strip_prefix(src()).unwrap().display().to_string();
                files.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files
}

/// `super::super::commands` or a `use` of a command module by a relative path would
/// get past the `crate::` graph above; the clap types name no command at all.
#[test]
fn clap_types_name_no_command_module_by_any_path() {
    let files = cli_files();
    assert!(
        files.len() > 1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, text) in files {
        for forbidden in [
            "super::super",
            "commands::",
            "progress::",
            "report::",
            "summary::",
        ] {
            assert!(
                !text.contains(forbidden),
                "`src/{name}` names `{forbidden}`: the clap types are the bottom layer"
            );
        }
    }
}

/// The clap derives (`Parser`, `Subcommand`, `Args`, `ValueEnum`) of a source text,
/// above its test module (tests may parse a command line of their own).
fn clap_derives(text: &str) -> Vec<&'static str> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for line in code.lines() {
        let Some(derives) = line.trim().strip_prefix("#[derive(") else {
            continue;
        };
        for derive in derives.trim_end_matches(")]").split(',') {
            let derive = derive.trim().trim_start_matches("clap::");
            for clap in ["Parser", "Subcommand", "Args", "ValueEnum"] {
                if derive == clap {
                    found.push(clap);
                }
            }
        }
    }
    found
}

/// Every clap type lives in `cli`: a `Parser`, `Subcommand`, `Args` or `ValueEnum`
/// anywhere else would bring the command line back into the commands.
#[test]
fn every_clap_type_is_in_cli() {
    assert_eq!(
        clap_derives(
            "#[derive(Debug, Clone, Copy, ValueEnum, PartialEq)]\n#[derive(clap::Parser)]"
        ),
        ["ValueEnum", "Parser"]
    );
    let mut dirs = vec![src()];
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = format!("src/{}", path.strip_prefix(src()).unwrap().display());
            if path.is_dir() {
                if name != "src/cli" {
                    dirs.push(path);
                }
            } else if name != "src/cli.rs"
                && path.extension().is_some_and(|extension| extension == "rs")
            {
                let text = std::fs::read_to_string(&path).unwrap();
                for derive in clap_derives(&text) {
                    found.push(format!("{name}: {derive}"));
                }
            }
        }
    }
    assert!(found.is_empty(), "clap types outside `cli`: {found:?}");
    let in_cli: usize = cli_files()
        .iter()
        .map(|(_, text)| clap_derives(text).len())
        .sum();
    assert!(
        in_cli > 20,
        "the clap types are not in `cli` ({in_cli} found)"
    );
}
