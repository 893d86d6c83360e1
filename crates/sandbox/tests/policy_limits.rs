//! AWS's policy size limits through the Rust SDK in-process: every kind of policy one
//! character (or byte) over its limit is refused with AWS's error code and message,
//! one at the limit is taken, whitespace is not counted, and a user's inline policies
//! count together. A huge or pathological policy is answered at once, and never
//! delays another client's request while it is checked.

mod common;

use std::time::{Duration, Instant};

use aws_sdk_iam::error::ProvideErrorMetadata;
use awslab_policy::Quota;
use awslab_sandbox::Sandbox;
use common::{ACCOUNT, Keys, iam, s3, sts};

/// A policy of exactly `size` characters (whitespace not counted): `head` and `tail`
/// around a run of `x` that fills it up.
/// The tests of this file run one at a time: two of them measure how long a request
/// takes, and under `cargo test` the others (1 MB requests of their own) would run on
/// the same two cores in the same process.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn sized(head: &str, tail: &str, size: usize) -> String {
    let fill = size
        .checked_sub(head.len() + tail.len())
        .unwrap_or_else(|| panic!("{size} is too small for the policy's frame"));
    format!("{head}{}{tail}", "x".repeat(fill))
}

fn identity(size: usize) -> String {
    sized(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/"#,
        r#""}]}"#,
        size,
    )
}

fn trust(size: usize) -> String {
    sized(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/team":""#,
        r#""}}}]}"#,
        size,
    )
}

fn bucket_policy(size: usize) -> String {
    sized(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::limits/"#,
        r#""}]}"#,
        size,
    )
}

/// The error code and message of a failed call, or `ok`.
fn outcome<T, E: ProvideErrorMetadata>(result: Result<T, E>) -> (String, String) {
    match result {
        Ok(_) => ("ok".to_owned(), String::new()),
        Err(error) => (
            error.code().unwrap_or_default().to_owned(),
            error.message().unwrap_or_default().to_owned(),
        ),
    }
}

struct Lab {
    sandbox: Sandbox,
    admin: aws_sdk_iam::Client,
}

async fn lab() -> Lab {
    let sandbox = Sandbox::in_memory();
    let admin = iam(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    let trust_ok = trust(200);
    admin.create_user().user_name("alice").send().await.ok();
    admin.create_group().group_name("team").send().await.ok();
    admin
        .create_role()
        .role_name("worker")
        .assume_role_policy_document(&trust_ok)
        .send()
        .await
        .ok();
    Lab { sandbox, admin }
}

#[tokio::test]
#[expect(clippy::too_many_lines, reason = "one table of limits")]
async fn refuses_each_policy_over_its_aws_limit_with_aws_error() {
    let _alone = ALONE.lock().await;
    let Lab { sandbox, admin } = lab().await;
    let a = &admin;
    let user = |size: usize, name: &'static str| {
        a.put_user_policy()
            .user_name("alice")
            .policy_name(name)
            .policy_document(identity(size))
            .send()
    };
    let policy_arn = format!("arn:aws:iam::{ACCOUNT}:policy/fits");
    let cases: Vec<(&str, (String, String), &str, &str)> = vec![
        (
            "user inline over",
            outcome(user(Quota::UserInline.limit() + 1, "big").await),
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user alice",
        ),
        (
            "user inline at the limit",
            outcome(user(Quota::UserInline.limit(), "big").await),
            "ok",
            "",
        ),
        (
            "user inline aggregate over",
            outcome(user(200, "more").await),
            "LimitExceeded",
            "Maximum policy size of 2048 bytes exceeded for user alice",
        ),
        (
            "user inline replacing a policy counts it once",
            outcome(user(Quota::UserInline.limit(), "big").await),
            "ok",
            "",
        ),
        (
            "group inline over",
            outcome(
                a.put_group_policy()
                    .group_name("team")
                    .policy_name("big")
                    .policy_document(identity(Quota::GroupInline.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Maximum policy size of 5120 bytes exceeded for group team",
        ),
        (
            "role inline over",
            outcome(
                a.put_role_policy()
                    .role_name("worker")
                    .policy_name("big")
                    .policy_document(identity(Quota::RoleInline.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Maximum policy size of 10240 bytes exceeded for role worker",
        ),
        (
            "role inline at the limit",
            outcome(
                a.put_role_policy()
                    .role_name("worker")
                    .policy_name("big")
                    .policy_document(identity(Quota::RoleInline.limit()))
                    .send()
                    .await,
            ),
            "ok",
            "",
        ),
        (
            "managed over",
            outcome(
                a.create_policy()
                    .policy_name("big")
                    .policy_document(identity(Quota::Managed.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Cannot exceed quota for PolicySize: 6144",
        ),
        (
            "managed at the limit",
            outcome(
                a.create_policy()
                    .policy_name("fits")
                    .policy_document(identity(Quota::Managed.limit()))
                    .send()
                    .await,
            ),
            "ok",
            "",
        ),
        (
            "managed version over",
            outcome(
                a.create_policy_version()
                    .policy_arn(&policy_arn)
                    .policy_document(identity(Quota::Managed.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Cannot exceed quota for PolicySize: 6144",
        ),
        (
            "trust policy of a new role over",
            outcome(
                a.create_role()
                    .role_name("big")
                    .assume_role_policy_document(trust(Quota::Trust.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048",
        ),
        (
            "trust policy update over",
            outcome(
                a.update_assume_role_policy()
                    .role_name("worker")
                    .policy_document(trust(Quota::Trust.limit() + 1))
                    .send()
                    .await,
            ),
            "LimitExceeded",
            "Cannot exceed quota for ACLSizePerRole: 2048",
        ),
        (
            "trust policy at the limit",
            outcome(
                a.update_assume_role_policy()
                    .role_name("worker")
                    .policy_document(trust(Quota::Trust.limit()))
                    .send()
                    .await,
            ),
            "ok",
            "",
        ),
        (
            "whitespace is not counted",
            outcome(
                a.create_policy()
                    .policy_name("spaced")
                    .policy_document(format!(
                        "{}{}",
                        identity(Quota::Managed.limit()),
                        " \n".repeat(10_000)
                    ))
                    .send()
                    .await,
            ),
            "ok",
            "",
        ),
        (
            "longer than IAM's API takes",
            outcome(
                a.create_policy()
                    .policy_name("huge")
                    .policy_document(identity(200_000))
                    .send()
                    .await,
            ),
            "ValidationError",
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: \
             Member must have length less than or equal to 131072",
        ),
    ];
    let operator = s3(&sandbox, &Keys::operator(&sandbox, ACCOUNT), true);
    operator
        .create_bucket()
        .bucket("limits")
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error:?}"));
    let bucket = |size: usize| {
        operator
            .put_bucket_policy()
            .bucket("limits")
            .policy(bucket_policy(size))
            .send()
    };
    let s3_cases = vec![
        (
            "bucket policy over",
            outcome(bucket(Quota::Bucket.limit() + 1).await),
            "MalformedPolicy",
            "Policies must be less than 20 KB",
        ),
        (
            "bucket policy at the limit",
            outcome(bucket(Quota::Bucket.limit()).await),
            "ok",
            "",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, (code, message), want_code, want_message) in cases.into_iter().chain(s3_cases) {
        if code != want_code || message != want_message {
            wrong.push(format!(
                "{name}: got {code} `{message}`, want {want_code} `{want_message}`"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A policy of `keys` invalid condition keys in one `StringEquals` block.
fn invalid_keys(keys: usize) -> String {
    let block: Vec<String> = (0..keys).map(|i| format!("\"k{i}\":\"v\"")).collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
        block.join(",")
    )
}

/// A valid policy of about `size` characters, all of it condition keys.
fn many_condition_keys(size: usize) -> String {
    let mut keys = Vec::new();
    let mut length = 120;
    while length + 20 < size {
        let key = format!("\"aws:PrincipalTag/t{}\":\"v\"", keys.len());
        length += key.len() + 1;
        keys.push(key);
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
        keys.join(",")
    )
}

/// How long `call` takes, at most `bound` (past it, the time is `bound` and the call
/// is abandoned).
async fn timed<F: std::future::Future>(bound: Duration, call: F) -> Duration {
    let start = Instant::now();
    match tokio::time::timeout(bound, call).await {
        Ok(_) => start.elapsed(),
        Err(_) => bound,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_huge_and_maximal_policies_at_once() {
    let _alone = ALONE.lock().await;
    let Lab { admin, .. } = lab().await;
    // The bound the issue names; generous for a debug build (each call measured here
    // takes a few milliseconds).
    let bound = Duration::from_millis(100);
    let slow = Duration::from_secs(30);
    let megabyte = invalid_keys(100_000);
    assert!(megabyte.len() > 1_000_000);
    let huge = timed(
        slow,
        admin
            .put_user_policy()
            .user_name("alice")
            .policy_name("huge")
            .policy_document(&megabyte)
            .send(),
    )
    .await;
    let maximal = many_condition_keys(Quota::RoleInline.limit());
    assert!(awslab_policy::text_size(&maximal) <= Quota::RoleInline.limit());
    let accepted = admin
        .put_role_policy()
        .role_name("worker")
        .policy_name("maximal")
        .policy_document(&maximal)
        .send();
    let largest = timed(slow, accepted).await;
    let bad_keys = invalid_keys(150);
    assert!(awslab_policy::text_size(&bad_keys) <= Quota::UserInline.limit());
    let malformed = timed(
        slow,
        admin
            .put_user_policy()
            .user_name("alice")
            .policy_name("malformed")
            .policy_document(&bad_keys)
            .send(),
    )
    .await;
    // Unoptimized, the SDK's signing and encoding of a 1 MB body and the sandbox's
    // decoding and signature check take most of a second before any policy work
    // starts (769 ms measured), so the 100 ms holds for the 1 MB request only in an
    // optimized build; a debug build still proves it is refused without parsing.
    let huge_bound = if cfg!(debug_assertions) {
        Duration::from_secs(3)
    } else {
        bound
    };
    assert!(
        huge < huge_bound && largest < bound && malformed < bound,
        "a 1 MB policy took {huge:?}, a maximal role policy {largest:?}, \
         a maximal user policy of invalid keys {malformed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_bad_policy_does_not_delay_other_clients() {
    let _alone = ALONE.lock().await;
    let Lab { sandbox, admin } = lab().await;
    let caller = sts(&sandbox, &Keys::operator(&sandbox, ACCOUNT));
    caller
        .get_caller_identity()
        .send()
        .await
        .unwrap_or_else(|error| panic!("{error:?}"));
    // The big request runs on a thread of its own, so that a sandbox that stalls on
    // it cannot stall this test's runtime too.
    // About 1 MB of invalid condition keys: minutes of parsing under the world's lock
    // before the fix; now its SigV4 payload hash, its size check and its parse all
    // happen before the lock is taken.
    let megabyte = invalid_keys(90_000);
    assert!(megabyte.len() > 1_000_000, "{}", megabyte.len());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = std::sync::Arc::clone(&done);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|error| panic!("{error}"));
        let _ = runtime.block_on(
            admin
                .put_user_policy()
                .user_name("alice")
                .policy_name("huge")
                .policy_document(megabyte)
                .send(),
        );
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    // Probe until the big request is answered (bounded: 30 s, or 2,000 probes).
    let mut slowest = Duration::ZERO;
    let mut probes = 0;
    let start = Instant::now();
    while !done.load(std::sync::atomic::Ordering::SeqCst)
        && probes < 2_000
        && start.elapsed() < Duration::from_secs(30)
    {
        let waited = timed(Duration::from_secs(10), caller.get_caller_identity().send()).await;
        slowest = slowest.max(waited);
        probes += 1;
    }
    // A stall under the world's lock lasted minutes before the fix; one second tells
    // that apart from a loaded machine's scheduling (105 ms seen with both cores busy).
    assert!(
        slowest < Duration::from_secs(1),
        "GetCallerIdentity waited {slowest:?} (of {probes} probes) while a 1 MB policy was being checked"
    );
}
