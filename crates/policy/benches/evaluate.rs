//! Evaluations per second (of the thread's CPU time where Linux reports it, so that
//! other processes on a shared machine do not deflate the figure) for a realistic S3
//! request against 10 and 100 identity
//! policies (plus a bucket policy), compiled once (`evaluate`) and prepared once
//! (`evaluate_prepared`), against a naive baseline that re-parses and re-compiles every
//! policy document on each call. Plain `Instant`
//! loops so it builds fast; run with `cargo bench -p awslab-policy --bench evaluate`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use awslab_policy::{
    EvaluationInput, NamedPolicy, PolicyDocument, PolicyKind, PreparedPolicies, Principal, Request,
    evaluate, evaluate_prepared,
};

fn identity_policy(index: usize, matching: bool) -> String {
    let grant = if matching {
        r#",{"Sid":"HomeFolder","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],
            "Resource":"arn:aws:s3:::lab-bucket/home/${aws:username}/*",
            "Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]},"Bool":{"aws:SecureTransport":"true"}}}"#
    } else {
        ""
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":[
        {{"Sid":"Ec2Read","Effect":"Allow","Action":["ec2:Describe*","ec2:StartInstances","ec2:StopInstances"],
          "Resource":"arn:aws:ec2:*:111122223333:instance/*","Condition":{{"StringEquals":{{"aws:RequestedRegion":["eu-west-1","eu-central-1"]}}}}}},
        {{"Sid":"Table","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],
          "Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Table{index}"}},
        {{"Sid":"NoIamWithoutMfa","Effect":"Deny","Action":"iam:*","Resource":"*",
          "Condition":{{"BoolIfExists":{{"aws:MultiFactorAuthPresent":"false"}}}}}},
        {{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::bucket-{index}",
          "Condition":{{"StringLike":{{"s3:prefix":["home/${{aws:username}}/*"]}}}}}},
        {{"Sid":"Objects","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{index}/shared/*"}}{grant}
    ]}}"#
    )
}

const BUCKET_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[
    {"Sid":"DenyPlainHttp","Effect":"Deny","Principal":"*","Action":"s3:*",
     "Resource":["arn:aws:s3:::lab-bucket","arn:aws:s3:::lab-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
    {"Sid":"Auditors","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject",
     "Resource":"arn:aws:s3:::lab-bucket/audit/*"}]}"#;

fn texts(count: usize) -> Vec<String> {
    (0..count)
        .map(|index| identity_policy(index, index == count - 1))
        .collect()
}

fn request() -> Request {
    Request::new(
        Principal::user("111122223333", "bob"),
        "s3:GetObject",
        "arn:aws:s3:::lab-bucket/home/bob/notes.txt",
    )
    .with_context("aws:SourceIp", "10.1.2.3")
    .with_context("aws:SecureTransport", true)
    .with_context("aws:CurrentTime", "2026-01-01T12:00:00Z")
    .with_context("aws:RequestedRegion", "us-east-1")
}

/// CPU time this thread has run, from `/proc/thread-self/schedstat` (Linux), so that
/// a loaded machine, which deschedules the benchmark, does not deflate the rate.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs `step` for at least `budget` of CPU time (wall time where the CPU clock is not
/// available) and returns calls per second of that clock.
fn rate(budget: Duration, mut step: impl FnMut() -> bool) -> f64 {
    let start = Instant::now();
    let cpu_start = thread_cpu_time();
    let elapsed = || match (cpu_start, thread_cpu_time()) {
        (Some(before), Some(now)) => now.saturating_sub(before),
        _ => start.elapsed(),
    };
    let mut calls = 0u64;
    let mut allowed = 0u64;
    while elapsed() < budget {
        for _ in 0..2048 {
            allowed += u64::from(black_box(step()));
        }
        calls += 2048;
    }
    assert_eq!(allowed, calls, "the benchmark request must be allowed");
    #[expect(clippy::cast_precision_loss, reason = "call counts fit easily in f64")]
    let per_second = calls as f64 / elapsed().as_secs_f64();
    per_second
}

fn compiled(count: usize, budget: Duration) -> f64 {
    let texts = texts(count);
    let documents: Vec<PolicyDocument> = texts
        .iter()
        .filter_map(|text| PolicyDocument::parse_as(text, PolicyKind::Identity).ok())
        .collect();
    assert_eq!(documents.len(), count);
    let bucket = PolicyDocument::parse_as(BUCKET_POLICY, PolicyKind::Resource).ok();
    let input = EvaluationInput {
        identity_policies: documents
            .iter()
            .map(|document| NamedPolicy::new("identity", document))
            .collect(),
        resource_policy: bucket
            .as_ref()
            .map(|document| NamedPolicy::new("bucket", document)),
        ..EvaluationInput::default()
    };
    let request = request();
    rate(budget, || {
        evaluate(black_box(&input), black_box(&request)).is_allowed()
    })
}

/// The same decision with the identity policies prepared once
/// ([`PreparedPolicies`]), as the sandbox does per principal.
fn prepared(count: usize, budget: Duration) -> f64 {
    let texts = texts(count);
    let documents: Vec<PolicyDocument> = texts
        .iter()
        .filter_map(|text| PolicyDocument::parse_as(text, PolicyKind::Identity).ok())
        .collect();
    assert_eq!(documents.len(), count);
    let bucket = PolicyDocument::parse_as(BUCKET_POLICY, PolicyKind::Resource).ok();
    let identity = PreparedPolicies::new(
        documents
            .iter()
            .map(|document| NamedPolicy::new("identity", document))
            .collect(),
    );
    let input = EvaluationInput {
        resource_policy: bucket
            .as_ref()
            .map(|document| NamedPolicy::new("bucket", document)),
        ..EvaluationInput::default()
    };
    let request = request();
    rate(budget, || {
        evaluate_prepared(black_box(&identity), black_box(&input), black_box(&request)).is_allowed()
    })
}

/// The naive baseline: the same decision, re-parsing and re-compiling every
/// document (JSON, wildcard patterns, condition values) on each call.
fn reparsed(count: usize, budget: Duration) -> f64 {
    let texts = texts(count);
    let request = request();
    rate(budget, || {
        let documents: Vec<PolicyDocument> = texts
            .iter()
            .filter_map(|text| PolicyDocument::parse_as(black_box(text), PolicyKind::Identity).ok())
            .collect();
        let bucket = PolicyDocument::parse_as(BUCKET_POLICY, PolicyKind::Resource).ok();
        let input = EvaluationInput {
            identity_policies: documents
                .iter()
                .map(|document| NamedPolicy::new("identity", document))
                .collect(),
            resource_policy: bucket
                .as_ref()
                .map(|document| NamedPolicy::new("bucket", document)),
            ..EvaluationInput::default()
        };
        evaluate(&input, &request).is_allowed()
    })
}

#[expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]
fn main() {
    let budget = Duration::from_millis(
        std::env::var("BENCH_MILLIS")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(2000),
    );
    println!(
        "awslab-policy evaluate benchmark (one thread, {} ms of {} per line)",
        budget.as_millis(),
        if thread_cpu_time().is_some() {
            "thread CPU time"
        } else {
            "wall time"
        }
    );
    // BENCH_ONLY=compiled|prepared and BENCH_COUNT=10|100 run one line (for profiling).
    let only = std::env::var("BENCH_ONLY").ok();
    let counts: Vec<usize> = match std::env::var("BENCH_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(count) => vec![count],
        None => vec![10, 100],
    };
    if let Some(only) = only {
        for count in counts {
            let rate = if only == "prepared" {
                prepared(count, budget)
            } else {
                compiled(count, budget)
            };
            println!("{count:>3} policies  {only}: {rate:>12.0} evaluations/s");
        }
        return;
    }
    for count in counts {
        let fast = compiled(count, budget);
        let ready = prepared(count, budget);
        if std::env::var_os("BENCH_SKIP_BASELINE").is_some() {
            println!("{count:>3} policies  compiled: {fast:>12.0} evaluations/s");
            println!("{count:>3} policies  prepared: {ready:>12.0} evaluations/s");
            continue;
        }
        let slow = reparsed(count, budget);
        println!("{count:>3} policies  compiled: {fast:>12.0} evaluations/s");
        println!("{count:>3} policies  prepared: {ready:>12.0} evaluations/s");
        println!(
            "{count:>3} policies  naive re-parse baseline: {slow:>12.0} evaluations/s  (compiled is {:.0}x faster)",
            fast / slow
        );
    }
}
