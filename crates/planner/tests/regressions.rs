//! Regressions: planner bugs found while writing the planner's tests, each now fixed
//! and kept as a test of the correct behaviour.

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

/// A step whose kind cannot be read (here an unknown kind) is dropped from the plan,
/// so every reference to it is reported again as "unknown step `user`" although the
/// step is right there: one mistake, two errors, the second misleading.
#[test]
fn reference_to_a_step_with_a_broken_kind_is_not_an_unknown_step() {
    let found = outcome(
        "\
name: lab
steps:
  user:
    iam.usr: { name: alice }
  check:
    verify: { call: sts.GetCallerIdentity, expect: { Arn: \"${user.arn}\" } }
",
    );
    let found = found.map_err(|d| codes_at(&d));
    assert_eq!(found, Err(vec![("plan::unknown_kind", (4, 5))]));
}

/// In the JSON Schema, `Expect` is a `oneOf` of `enum: [allow, deny]` and a string
/// pattern `^[A-Za-z0-9.]+$` that also matches `allow` and `deny`, so `expect: allow`
/// matches two alternatives and fails `oneOf`: every plan in `plans/` is invalid
/// against docs/plan.schema.json (checked with Python `jsonschema` 4.26). Fix: `anyOf`
/// in `values.rs` (`impl JsonSchema for Expect`), then regenerate the file.
#[test]
fn schema_accepts_expect_allow() {
    let schema: serde_json::Value =
        serde_json::from_str(&awslab_planner::schema::plan_schema()).unwrap_or_default();
    let expect = &schema["$defs"]["Expect"];
    let Some(alternatives) = expect["oneOf"].as_array() else {
        return;
    };
    let accepting = alternatives
        .iter()
        .filter(|alt| {
            let in_enum = alt["enum"]
                .as_array()
                .is_some_and(|e| e.iter().any(|v| v == "allow"));
            let by_pattern = alt["type"] == "string"
                && alt["pattern"]
                    .as_str()
                    .is_some_and(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match("allow")));
            in_enum || by_pattern
        })
        .count();
    assert_eq!(
        accepting, 1,
        "`allow` matches {accepting} alternatives of a `oneOf`: {expect}"
    );
}

/// Names with `${run.id}` are checked with `SAMPLE_RUN_ID = "a1b2c3d4"` (8 characters,
/// said to be "as long as a real one"), but the executor's run ids look like
/// `20261122-153012-7f3a` (20 characters). A bucket name of 50 characters plus
/// `-${run.id}` passes the check at 59 characters and is 71 at run time, over S3's 63.
#[test]
fn bucket_name_too_long_with_a_real_run_id_is_an_error() {
    let name = "b".repeat(50);
    let yaml = format!(
        "name: lab\nsteps:\n  bucket:\n    s3.bucket: {{ name: \"{name}-${{run.id}}\" }}\n"
    );
    let found = outcome(&yaml).map_err(|d| codes_at(&d));
    assert_eq!(found, Err(vec![("plan::invalid_name", (4, 24))]));
}

/// Found by `properties::never_panics_on_arbitrary_text`: for this text serde-saphyr's
/// syntax error carries a span whose offset (3) falls inside the 4-byte character
/// `𞸹` (bytes 1..5). The working-tree `plan::read` (uncommitted when this was written)
/// slices `text[..span.offset]` to find the error's line and panics; any slicing or
/// snippet rendering at that span is at risk.
#[test]
fn syntax_error_span_falls_on_character_boundaries() {
    let text = "\"\u{1EE39}\"\u{11650}";
    let Err(err) = awslab_planner::yaml::parse(text) else {
        panic!("parsed as YAML")
    };
    let span = err.span.unwrap_or_default();
    assert!(
        text.is_char_boundary(span.offset) && text.is_char_boundary(span.offset + span.len),
        "span {span:?} of {text:?}"
    );
}

/// The same input through `check_source` must report `plan::syntax`, not panic.
#[test]
fn check_source_reports_syntax_error_after_multibyte_character() {
    let found = std::panic::catch_unwind(|| {
        outcome("\"\u{1EE39}\"\u{11650}").map_err(|d| d.iter().map(|d| d.code).collect::<Vec<_>>())
    });
    assert!(
        matches!(found, Ok(Err(ref codes)) if codes == &["plan::syntax"]),
        "{found:?}"
    );
}
