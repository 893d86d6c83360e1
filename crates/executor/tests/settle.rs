//! Settle waits on tokio's paused clock: retries back off within bounds, the deadline
//! is honoured exactly, a failure or a cancellation stops the wait.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use awslab_executor::settle::{Probe, SettleError, SettlePolicy, settle};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[tokio::test(start_paused = true)]
async fn settles_when_the_probe_succeeds_and_reports_each_retry() {
    let policy = SettlePolicy::default();
    let calls = AtomicU32::new(0);
    let mut retries = Vec::new();
    let settled = settle(
        &policy,
        &CancellationToken::new(),
        || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 4 {
                Probe::Retry("InvalidClientTokenId".into())
            } else {
                Probe::Done
            }
        },
        |attempt, reason, delay| retries.push((attempt, reason.to_owned(), delay)),
    )
    .await
    .unwrap();
    assert_eq!(settled.attempts, 5);
    assert_eq!(
        retries
            .iter()
            .map(|(attempt, ..)| *attempt)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    for (attempt, reason, delay) in &retries {
        assert_eq!(reason, "InvalidClientTokenId");
        assert!(
            *delay <= policy.backoff_bound(*attempt),
            "attempt {attempt}: {delay:?}"
        );
    }
    let total: Duration = retries.iter().map(|(.., delay)| *delay).sum();
    assert_eq!(settled.waited, total);
}

#[tokio::test(start_paused = true)]
async fn settles_without_waiting_when_the_first_probe_succeeds() {
    let settled = settle(
        &SettlePolicy::default(),
        &CancellationToken::new(),
        || async { Probe::Done },
        |_, _, _| panic!("no retry"),
    )
    .await
    .unwrap();
    assert_eq!(settled.attempts, 1);
    assert_eq!(settled.waited, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn gives_up_at_the_deadline_with_the_last_reason() {
    let policy = SettlePolicy::with_deadline(Duration::from_secs(10));
    let start = Instant::now();
    let error = settle(
        &policy,
        &CancellationToken::new(),
        || async { Probe::Retry("AccessDenied".into()) },
        |_, _, _| {},
    )
    .await
    .unwrap_err();
    let SettleError::TimedOut {
        waited,
        attempts,
        last_reason,
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(waited, Duration::from_secs(10));
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    assert!(attempts >= 3, "{attempts}");
    assert_eq!(last_reason, "AccessDenied");
}

#[tokio::test(start_paused = true)]
async fn stops_at_once_when_the_probe_fails() {
    let error = settle(
        &SettlePolicy::default(),
        &CancellationToken::new(),
        || async { Probe::Fail("ExpiredToken".into()) },
        |_, _, _| {},
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        SettleError::Failed {
            reason: "ExpiredToken".into(),
            attempts: 1,
            waited: Duration::ZERO
        }
    );
}

#[tokio::test(start_paused = true)]
async fn stops_waiting_when_cancelled() {
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        trigger.cancel();
    });
    let error = settle(
        &SettlePolicy::default(),
        &cancel,
        || async { Probe::Retry("not yet".into()) },
        |_, _, _| {},
    )
    .await
    .unwrap_err();
    let SettleError::Cancelled { waited, .. } = error else {
        panic!("{error:?}")
    };
    assert_eq!(waited, Duration::from_secs(3));
}

#[test]
fn backoff_bound_doubles_up_to_the_cap() {
    let policy = SettlePolicy::default();
    let bounds: Vec<_> = (1..=7)
        .map(|attempt| policy.backoff_bound(attempt).as_millis())
        .collect();
    assert_eq!(bounds, [200, 400, 800, 1000, 1000, 1000, 1000]);
    assert_eq!(policy.backoff_bound(u32::MAX), Duration::from_secs(1));
}
