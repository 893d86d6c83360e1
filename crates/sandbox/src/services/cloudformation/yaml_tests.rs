//! The template reader's tests: short forms, the core schema, located errors, and
//! the budgets that stop alias bombs.

use super::parse;
use serde_json::json;
use std::fmt::Write as _;

#[test]
fn short_forms_become_long_forms() {
    let body = "A: !Ref X\nB: !GetAtt R.Arn\nC: !Sub 'a-${X}'\nD: !Join [',', [a, !Ref Y]]\nE: !If [Cond, 1, !Ref 'AWS::NoValue']\nF: !Condition C1\nG: !GetAZs ''\n";
    assert_eq!(
        parse(body).expect("parses"),
        json!({
            "A": {"Ref": "X"},
            "B": {"Fn::GetAtt": ["R", "Arn"]},
            "C": {"Fn::Sub": "a-${X}"},
            "D": {"Fn::Join": [",", ["a", {"Ref": "Y"}]]},
            "E": {"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]},
            "F": {"Condition": "C1"},
            "G": {"Fn::GetAZs": ""}
        })
    );
}

#[test]
fn plain_scalars_resolve_as_the_core_schema() {
    assert_eq!(
        parse("a: 3600\nb: true\nc: '3600'\nd: 2012-10-17\ne: ~\nf: 1.5\n").expect("parses"),
        json!({"a": 3600, "b": true, "c": "3600", "d": "2012-10-17", "e": null, "f": 1.5})
    );
}

#[test]
fn errors_name_line_and_column() {
    for (body, expected) in [
        (
            "a: [1, 2\n",
            "Template format error: YAML not well-formed. (line 1, column 4)",
        ),
        ("a: 1\na: 2\n", "duplicate key `a`"),
        ("a: !Bogus x\n", "unknown tag !Bogus"),
        (
            "{\"a\": }",
            "Template format error: JSON not well-formed. (line 1, column 7)",
        ),
    ] {
        let error = parse(body).expect_err(body);
        assert!(error.contains(expected), "{body:?}: {error}");
    }
}

#[test]
fn aliases_cannot_nest_past_the_depth_limit() {
    let mut body = String::new();
    let _ = writeln!(body, "a0: &a0 {}x{}", "[".repeat(60), "]".repeat(60));
    let _ = writeln!(body, "a1: &a1 {}*a0{}", "[".repeat(60), "]".repeat(60));
    let error = parse(&body).expect_err("too deep");
    assert!(
        error.contains("nested more than 100 levels deep"),
        "{error}"
    );
}

#[test]
fn byte_bombs_stop_before_they_are_copied() {
    // Few nodes, many bytes: a 64 KiB string copied 2^7 times is 8 MiB, past the
    // 4 MiB budget, with a few hundred nodes (far under the node budget).
    let mut body = format!("A0: &a0 {}\n", "x".repeat(64 * 1024));
    for level in 1..=7 {
        let previous = level - 1;
        let _ = writeln!(body, "A{level}: &a{level} [*a{previous}, *a{previous}]");
    }
    let error = parse(&body).expect_err("a byte bomb");
    assert_eq!(
        error,
        "Template format error: YAML not well-formed. (line 7, column 10): the template expands to more than 4194304 bytes after aliases"
    );
}

#[test]
fn anchors_and_aliases_within_the_budgets_expand() {
    let body = "A: &a {k: [v, w]}\nB: [*a, *a]\n";
    assert_eq!(
        parse(body).expect("parses"),
        json!({"A": {"k": ["v", "w"]}, "B": [{"k": ["v", "w"]}, {"k": ["v", "w"]}]})
    );
}

#[test]
fn alias_bombs_stop_at_the_budget() {
    let mut body = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = level - 1;
        let _ = writeln!(
            body,
            "a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]"
        );
    }
    let error = parse(&body).expect_err("a bomb");
    assert!(error.contains("nodes after expanding aliases"), "{error}");
}

#[test]
fn json_templates_have_the_value_budget_too() {
    // 200,001 numbers in 400 KB: counted, never built.
    let body = format!("{{\"Resources\": [{}0]}}", "0,".repeat(200_000));
    let Err(error) = parse(&body) else {
        panic!("a JSON template of 200,001 values was accepted");
    };
    assert!(
        error.ends_with("the template has more than 200000 values"),
        "{error}"
    );
}
