//! Parsing and validating a policy costs time linear in the document, and reports a
//! bounded number of problems, whatever the document holds: a `Condition` block of a
//! hundred thousand invalid keys once took minutes (each problem was located by
//! scanning from the start, and each object's keys were checked for repeats by a
//! linear search).

use std::time::{Duration, Instant};

use awslab_policy::{PolicyDocument, PolicyError, PolicyKind};

/// An identity policy whose one `StringEquals` block has `keys` invalid condition keys
/// (no `:`), each a distinct name.
fn invalid_keys(keys: usize) -> String {
    let block: Vec<String> = (0..keys).map(|i| format!("\"key{i}\":\"v\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
        block.join(",")
    )
}

/// The least of `runs` timings of parsing `text` (the least is the one other work on
/// the machine disturbed least), with the errors of the last run.
fn time_parse(text: &str, runs: usize) -> (Duration, Vec<PolicyError>) {
    let mut best = Duration::MAX;
    let mut errors = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        errors = PolicyDocument::parse_as(text, PolicyKind::Identity)
            .err()
            .unwrap_or_default();
        best = best.min(start.elapsed());
    }
    (best, errors)
}

#[test]
fn validates_a_hundred_thousand_invalid_keys_in_linear_time() {
    let small = invalid_keys(10_000);
    let large = invalid_keys(100_000);
    let (small_time, _) = time_parse(&small, 3);
    let (large_time, errors) = time_parse(&large, 2);
    // Ten times the keys: about ten times the time when linear, a hundred times when
    // quadratic. The bound leaves room for a busy machine, not for a square.
    let ratio = large_time.as_secs_f64() / small_time.as_secs_f64().max(1e-6);
    assert!(
        ratio < 35.0,
        "10,000 keys took {small_time:?}, 100,000 took {large_time:?}: {ratio:.1} times as long"
    );
    assert_eq!(errors.len(), PolicyError::REPORTED + 1);
    assert_eq!(
        errors.last(),
        Some(&PolicyError::More {
            count: 100_000 - PolicyError::REPORTED
        })
    );
}

#[test]
fn reports_the_first_hundred_problems_in_order_and_counts_the_rest() {
    let text = invalid_keys(250);
    let errors = PolicyDocument::parse_as(&text, PolicyKind::Identity)
        .err()
        .unwrap_or_default();
    assert_eq!(errors.len(), PolicyError::REPORTED + 1, "{errors:?}");
    let shown = &errors[..PolicyError::REPORTED];
    for (index, error) in shown.iter().enumerate() {
        assert_eq!(error.code_name(), "policy::invalid_condition_key");
        assert_eq!(
            error.path(),
            format!("/Statement/0/Condition/StringEquals/key{index}")
        );
        let span = error.span().unwrap_or_else(|| panic!("no span: {error:?}"));
        assert_eq!(
            &text[span.offset()..span.offset() + span.len()],
            format!("\"key{index}\":\"v\"")
        );
    }
    assert_eq!(
        errors.last().map(ToString::to_string).as_deref(),
        Some("and 150 more problems in this policy")
    );
}

#[test]
fn bounds_the_problems_of_a_parsed_value_and_of_repeated_keys() {
    let value: serde_json::Value =
        serde_json::from_str(&invalid_keys(300)).unwrap_or_else(|error| panic!("{error}"));
    let errors = PolicyDocument::from_value_as(&value, PolicyKind::Identity)
        .err()
        .unwrap_or_default();
    assert_eq!(errors.last(), Some(&PolicyError::More { count: 200 }));

    let repeated: Vec<String> = (0..150).map(|_| "\"Sid\":\"a\"".to_owned()).collect();
    let text = format!(r#"{{"Statement":{{{}}}}}"#, repeated.join(","));
    let errors = PolicyDocument::parse(&text).err().unwrap_or_default();
    assert_eq!(errors.len(), PolicyError::REPORTED + 1);
    assert_eq!(errors.last(), Some(&PolicyError::More { count: 49 }));
}
