//! Planner bugs found while writing the planner's tests. Each test asserts the
//! CORRECT behaviour and is `#[ignore]`d with the reason until the planner is fixed:
//! run them with `cargo nextest run -p awslab-planner --test known_bugs --run-ignored only`,
//! and remove the `#[ignore]` once one passes.

use awslab_planner::{Diagnostic, LoadError, SourceFile, check_source};

fn outcome(yaml: &str) -> Result<Vec<String>, Vec<Diagnostic>> {
    match check_source(SourceFile::new("lab.yaml", yaml), &[]) {
        Ok(sealed) => Ok(sealed.order().map(ToString::to_string).collect()),
        Err(LoadError::Invalid { diagnostics, .. }) => Err(diagnostics),
        Err(other) => panic!("unexpected load error: {other}"),
    }
}

fn codes_at(found: &[Diagnostic]) -> Vec<(&'static str, (usize, usize))> {
    found.iter().map(|d| (d.code, d.line_column())).collect()
}

/// A step that `needs` itself is a self-loop: `tarjan_scc` gives a component of one
/// node, which `graph::build` skips, then `toposort` fails inside `SealedPlan::seal`
/// and `unwrap_or_default` leaves the plan with NO steps in its order. It loads.
#[test]
#[ignore = "planner bug: `needs: [itself]` loads with an empty run order"]
fn errors_for_step_that_needs_itself() {
    let found = outcome(
        "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
    needs: [a]
",
    );
    let found = found.map_err(|d| codes_at(&d));
    assert_eq!(found, Err(vec![("plan::cycle", (5, 13))]));
}

/// Top-level keys given twice are merged (`steps:`) or the last one wins (`name:`)
/// without a word; YAML forbids duplicate keys and `vars` and `steps` already report
/// theirs.
#[test]
#[ignore = "planner bug: duplicate top-level keys are accepted silently"]
fn errors_for_duplicate_top_level_key() {
    let found = outcome(
        "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x }
steps:
  b:
    s3.bucket: { name: lab-b-x }
",
    );
    let found = found.map_err(|d| {
        d.iter()
            .map(|d| (d.line_column(), d.message.contains("steps")))
            .collect::<Vec<_>>()
    });
    assert_eq!(found, Err(vec![((5, 1), true)]));
}

/// A key written twice inside a kind is reported at the kind's map (`{`), not at the
/// second key, and with the generic `plan::invalid_value`.
#[test]
#[ignore = "planner bug: duplicate key in a kind points at the map, not at the key"]
fn duplicate_key_in_a_kind_points_at_the_second_key() {
    let found = outcome(
        "\
name: lab
steps:
  a:
    s3.bucket: { name: lab-a-x, name: lab-b-x }
",
    );
    let found = found.map_err(|d| {
        d.iter()
            .map(|d| (d.line_column(), d.message.contains("name")))
            .collect::<Vec<_>>()
    });
    assert_eq!(found, Err(vec![((4, 33), true)]));
}

/// For a plan in the current directory (`lab.yaml`, as `awslab validate lab.yaml`
/// gives it) the help of a missing file reads "relative to the plan file's folder ()".
#[test]
#[ignore = "planner bug: help shows an empty folder `()` for a plan in the current directory"]
fn missing_file_help_names_the_current_folder() {
    let found = outcome(
        "\
name: lab
steps:
  s:
    cfn.stack: { name: st, template: nope.yaml }
",
    );
    let helps = found.map_err(|d| d.iter().filter_map(|d| d.help.clone()).collect::<Vec<_>>());
    let Err(helps) = helps else {
        panic!("the plan loaded")
    };
    assert!(helps.iter().all(|h| !h.contains("()")), "{helps:?}");
}
