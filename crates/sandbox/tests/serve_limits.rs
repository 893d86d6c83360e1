//! `serve` bounds every connection: a half-sent head is closed within the header
//! timeout, a kept-alive connection left idle too; a declared body over the cap is
//! refused at once as `EntityTooLarge` (S3's XML), a body that stops short is answered
//! `RequestTimeout` within the body timeout; and connections over the cap get 503 in
//! their protocol's shape while a client already connected is still served. Raw TCP on
//! 127.0.0.1, with timeouts of a second; every wait has an upper bound.

#![expect(clippy::expect_used, reason = "test")]

use std::sync::Arc;
use std::time::Duration;

use awslab_sandbox::{Sandbox, ServeLimits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Longer than any timeout under test: past it, the server is taken to hang.
const UPPER_BOUND: Duration = Duration::from_secs(15);

struct Served {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Served {
    async fn start(limits: ServeLimits) -> Self {
        let sandbox = Arc::new(Sandbox::in_memory());
        let listener = awslab_sandbox::bind(0).await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            sandbox
                .serve_with(listener, limits, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            port,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect")
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server stops");
        }
    }
}

fn limits(header: u64, body: u64, max_connections: usize) -> ServeLimits {
    ServeLimits {
        header_timeout: Duration::from_secs(header),
        body_timeout: Duration::from_secs(body),
        max_connections,
    }
}

/// Everything the server sends until it closes the connection.
async fn until_closed(stream: &mut TcpStream, what: &str) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(UPPER_BOUND, stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{what}: the server kept the connection open"))
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_half_sent_head_is_closed_within_the_header_timeout() {
    let served = Served::start(limits(1, 60, 100)).await;
    let mut client = served.connect().await;
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .expect("write");
    let answer = until_closed(&mut client, "half a head").await;
    assert!(!answer.contains("200"), "{answer}");
    served.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_within_the_header_timeout() {
    let served = Served::start(limits(1, 60, 100)).await;
    let mut client = served.connect().await;
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    // Anonymous ListBuckets: answered (403), then the connection waits, idle.
    let answer = until_closed(&mut client, "an idle kept-alive connection").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    served.stop().await;
}

#[tokio::test]
async fn a_huge_declared_body_is_refused_at_once_as_entity_too_large() {
    let served = Served::start(limits(30, 60, 100)).await;
    let mut client = served.connect().await;
    client
        .write_all(
            b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000000\r\n\r\n0123456789",
        )
        .await
        .expect("write");
    let answer = until_closed(&mut client, "a 10 GB declared body").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    for part in [
        "<Code>EntityTooLarge</Code>",
        "<ProposedSize>10000000000</ProposedSize>",
        "<MaxSizeAllowed>67108864</MaxSizeAllowed>",
        "<RequestId>",
    ] {
        assert!(answer.contains(part), "{part} in {answer}");
    }
    // 100 MB declared: the same answer, before a byte of it is read.
    let mut client = served.connect().await;
    client
        .write_all(
            b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 104857600\r\n\r\n",
        )
        .await
        .expect("write");
    let answer = until_closed(&mut client, "a 100 MB declared body").await;
    assert!(
        answer.contains("<Code>EntityTooLarge</Code>")
            && answer.contains("<ProposedSize>104857600</ProposedSize>"),
        "{answer}"
    );
    served.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_short_is_answered_request_timeout_within_the_body_timeout() {
    let served = Served::start(limits(30, 1, 100)).await;
    let mut client = served.connect().await;
    client
        .write_all(b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .expect("write");
    let answer = until_closed(&mut client, "a body that stops short").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("<Code>RequestTimeout</Code>"), "{answer}");
    served.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_503_while_a_connected_client_is_served() {
    let served = Served::start(limits(30, 60, 2)).await;
    let mut first = served.connect().await;
    let _second = served.connect().await;

    let mut third = served.connect().await;
    third
        .write_all(b"GET /bucket HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .expect("write");
    let refused = until_closed(&mut third, "a connection over the cap").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("<Code>SlowDown</Code>"), "{refused}");
    assert!(refused.contains("at most 2 connections"), "{refused}");

    // A query-protocol client (signed for STS) gets the query protocol's shape.
    let mut fourth = served.connect().await;
    fourth
        .write_all(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n",
        )
        .await
        .expect("write");
    let refused = until_closed(&mut fourth, "a query client over the cap").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains("<ErrorResponse") && refused.contains("<Code>ServiceUnavailable</Code>"),
        "{refused}"
    );

    // The first client, connected before, is still served.
    first
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let served_answer = until_closed(&mut first, "a connected client").await;
    assert!(
        served_answer.starts_with("HTTP/1.1 403") && served_answer.contains("AccessDenied"),
        "{served_answer}"
    );
    served.stop().await;
}
