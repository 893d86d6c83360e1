//! Property tests with hostile input: arbitrary bytes (mostly not UTF-8), deeply
//! nested maps and lists, oversized names, keys and values, and variables that
//! multiply each other. Whatever the input, loading never panics, every diagnostic
//! has a location and renders with miette in bounded size, and the work of expanding
//! variables is linear in the plan (counted, not timed). Case counts are modest so
//! the suite stays fast.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use awslab_planner::diagnostics::Diagnostics;
use awslab_planner::expand::{ExpandError, Expansions};
use awslab_planner::{LoadError, LoadOptions, SourceFile, check_source};
use proptest::prelude::*;

fn assert_located_and_renderable(result: &Result<awslab_planner::SealedPlan, LoadError>) {
    let Err(LoadError::Invalid { diagnostics, .. }) = result else {
        return;
    };
    for d in diagnostics {
        let (line, column) = d.line_column();
        assert!(line >= 1 && column >= 1, "unlocated: {}", d.one_line());
        assert!(
            d.message.len() <= 4_000,
            "message of {} bytes",
            d.message.len()
        );
        let rendered = catch_unwind(AssertUnwindSafe(|| {
            let mut out = String::new();
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            );
            let _ = handler.render_report(&mut out, d);
            out
        }));
        let rendered = rendered.unwrap_or_else(|_| panic!("miette panicked on {}", d.one_line()));
        assert!(rendered.len() <= 8_000, "rendered {} bytes", rendered.len());
    }
}

/// A plan around an arbitrary fragment, so the fragment lands in interesting places.
fn around(fragment: &str, slot: u8) -> String {
    match slot % 4 {
        0 => fragment.to_owned(),
        1 => {
            format!("name: lab\nsteps:\n  {fragment}: {{ s3.bucket: {{ name: lab-bucket-x }} }}\n")
        }
        2 => format!(
            "name: lab\nvars:\n  v: {fragment}\nsteps:\n  b: {{ s3.bucket: {{ name: \"x-${{vars.v}}\" }} }}\n"
        ),
        _ => format!(
            "name: lab\nsteps:\n  u: {{ iam.user: {{ name: alice }} }}\n  p:\n    iam.user_policy: {{ user: alice, name: p, document: {fragment} }}\n"
        ),
    }
}

/// Deeply nested flow collections of random shape.
fn nested(depth: usize, shape: &[bool]) -> String {
    let mut out = String::new();
    for i in 0..depth {
        out.push_str(
            if shape.get(i % shape.len().max(1)).copied().unwrap_or(true) {
                "[ "
            } else {
                "{ k: "
            },
        );
    }
    out.push('x');
    for i in (0..depth).rev() {
        out.push_str(
            if shape.get(i % shape.len().max(1)).copied().unwrap_or(true) {
                " ]"
            } else {
                " }"
            },
        );
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_errors_are_located(bytes in proptest::collection::vec(any::<u8>(), 0..2_048)) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("lab.yaml");
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let result = catch_unwind(|| awslab_planner::load_with(&path, &LoadOptions::default()));
        let result = result.unwrap_or_else(|_| panic!("panicked on {bytes:?}"));
        if let Err(LoadError::Read { source, .. }) = &result {
            panic!("unlocated read error: {source}");
        }
        assert_located_and_renderable(&result);
    }

    #[test]
    fn text_with_a_bad_byte_is_located_at_that_byte(prefix in "[a-z:\n é]{0,200}", bad in 0x80u8..0xc0, suffix in "[a-z\n]{0,40}") {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("lab.yaml");
        let mut bytes = prefix.clone().into_bytes();
        bytes.push(bad);
        bytes.extend_from_slice(suffix.as_bytes());
        std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
        let Err(LoadError::Invalid { diagnostics, .. }) = awslab_planner::load_with(&path, &LoadOptions::default()) else {
            panic!("a file that is not UTF-8 was accepted");
        };
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        prop_assert_eq!(diagnostics[0].code, "plan::encoding");
        prop_assert_eq!(diagnostics[0].line_column(), (line, column));
    }

    #[test]
    fn deep_nesting_never_panics(depth in 0usize..400, shape in proptest::collection::vec(any::<bool>(), 1..8), slot in any::<u8>()) {
        let text = around(&nested(depth, &shape), slot);
        let result = catch_unwind(|| check_source(SourceFile::new("lab.yaml", text.clone()), &[]));
        let result = result.unwrap_or_else(|_| panic!("panicked at depth {depth}"));
        assert_located_and_renderable(&result);
    }

    #[test]
    fn oversized_names_keys_and_values_never_panic(len in prop_oneof![Just(1_025usize), Just(65_536), 0usize..70_000], fill in "[a-zé\\-_.$]", slot in any::<u8>()) {
        let fragment = fill.repeat(len);
        let text = around(&fragment, slot);
        let result = catch_unwind(|| check_source(SourceFile::new("lab.yaml", text.clone()), &[]));
        let result = result.unwrap_or_else(|_| panic!("panicked with {len} characters in slot {slot}"));
        assert_located_and_renderable(&result);
    }

    #[test]
    fn variable_expansion_work_is_linear(vars in 2usize..80, fan in 1usize..12, tail in "[a-z]{0,8}") {
        let mut text = String::from("name: lab\nvars:\n");
        for i in 1..vars {
            let _ = writeln!(text, "  v{i}: \"{}\"", format!("${{vars.v{}}}", i + 1).repeat(fan));
        }
        let _ = writeln!(text, "  v{vars}: \"{tail}\"");
        text.push_str("steps:\n  b: { s3.bucket: { name: \"lab-${vars.v1}\" } }\n");
        let mut diags = Diagnostics::new(SourceFile::new("lab.yaml", text.clone()));
        let plan = awslab_planner::plan::read(&mut diags, &[], &[]).unwrap_or_else(|| panic!("unreadable"));
        let expansions = Expansions::compute(&plan, &|_| Some("x".to_owned()));
        // Each variable is expanded once: the work is the number of references.
        let references = u64::try_from(vars * fan).unwrap_or(u64::MAX);
        prop_assert!(expansions.work <= references, "work {} for {references} references", expansions.work);
        // And the whole check stays located whatever the outcome.
        let result = check_source(SourceFile::new("lab.yaml", text), &[]);
        assert_located_and_renderable(&result);
        if fan >= 2 && vars >= 40 {
            let budget_hit = expansions.vars.values().any(|r| matches!(r, Err(ExpandError::TooManySubstitutions { .. } | ExpandError::TooLong { .. } | ExpandError::TooDeep)));
            prop_assert!(budget_hit, "{vars} variables fanning out {fan} times passed");
        }
    }
}

#[test]
fn the_exponential_plan_of_the_issue_is_refused_after_bounded_work() {
    // 12 variables, each ten copies of the next: 10^11 substitutions if rendered
    // naively.
    let mut text = String::from("name: lab\nvars:\n");
    for i in 1..12 {
        let _ = writeln!(
            text,
            "  v{i}: \"{}\"",
            format!("${{vars.v{}}}", i + 1).repeat(10)
        );
    }
    text.push_str("  v12: x\nsteps:\n  b: { s3.bucket: { name: \"lab-${vars.v1}\" } }\n");
    let mut diags = Diagnostics::new(SourceFile::new("lab.yaml", text.clone()));
    let plan =
        awslab_planner::plan::read(&mut diags, &[], &[]).unwrap_or_else(|| panic!("unreadable"));
    let expansions = Expansions::compute(&plan, &|_| Some("x".to_owned()));
    assert!(expansions.work <= 110, "work: {}", expansions.work);
    assert!(expansions.vars.values().any(Result::is_err));
    let Err(LoadError::Invalid { diagnostics, .. }) =
        check_source(SourceFile::new("lab.yaml", text), &[])
    else {
        panic!("the exponential plan was accepted");
    };
    assert!(
        diagnostics.iter().any(|d| d.code == "plan::budget"),
        "{diagnostics:?}"
    );
}
