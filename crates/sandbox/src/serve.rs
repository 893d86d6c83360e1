//! `serve`: the same world over HTTP/1.1 on 127.0.0.1 (hyper), for the `aws` CLI,
//! boto3 and any SDK. It stops when the shutdown future completes. Every connection
//! is bounded ([`ServeLimits`]): a request head must arrive within the header timeout
//! (which also closes a kept-alive connection left idle), a body within the body
//! timeout and under [`MAX_BODY_BYTES`], and at most `max_connections` are served at
//! once; one more is answered 503 in its protocol's shape and closed, never left
//! hanging. A large `PUT` body (an object) is spooled to a temporary file as it
//! arrives, not held in memory ([`wire::spool`]), and a large object is sent as it is
//! read from the store ([`crate::streaming`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Either, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::MAX_BODY_BYTES;
use crate::error::SandboxError;
use crate::sandbox::Sandbox;
use crate::services::registry::Registry;
use crate::streaming::ChannelBody;
use crate::wire::spool::{self, SpoolError};
use crate::wire::{self, refusals};

/// What `serve` answers with: a body in memory, or one streamed from the store.
type AnswerBody = Either<Full<Bytes>, ChannelBody>;

/// How `serve` bounds its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// How long a client may take to send a request's head, counted from when the
    /// connection starts waiting for one: a new connection, or one kept alive after an
    /// answer (so this is also the idle keep-alive timeout). Past it, the connection
    /// is closed.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's whole body once its head has
    /// arrived. Past it, the request is answered `RequestTimeout` and the connection
    /// closed.
    pub body_timeout: Duration,
    /// How many connections are served at once. One more is answered 503 (S3's
    /// `SlowDown`, the query protocol's `ServiceUnavailable`) and closed.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_mins(1),
            max_connections: 1000,
        }
    }
}

/// Connections being refused (read a head, answered 503) at once; past this, a new
/// connection over the cap is closed unanswered, so refusing stays bounded too.
const MAX_REFUSING: usize = 64;

/// The longest a connection being refused may take to send its request head.
const REFUSAL_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// The pause after a failed `accept` (out of descriptors, say), so the loop does not
/// spin while connections close.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Binds 127.0.0.1:`port` (0 picks a free port).
pub async fn bind(port: u16) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| SandboxError::Listen { port, source })
}

impl Sandbox {
    /// Answers connections on `listener` until `shutdown` completes, with the default
    /// [`ServeLimits`].
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        self.serve_with(listener, ServeLimits::default(), shutdown)
            .await;
    }

    /// Answers connections on `listener` within `limits` until `shutdown` completes.
    pub async fn serve_with(
        &self,
        listener: TcpListener,
        limits: ServeLimits,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let open = Arc::new(Semaphore::new(limits.max_connections));
        let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "the sandbox could not accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            if let Ok(permit) = open.clone().try_acquire_owned() {
                tokio::spawn(connection(self.clone(), stream, peer, limits, permit));
            } else if let Ok(permit) = refusing.clone().try_acquire_owned() {
                tokio::spawn(refuse(stream, limits, permit));
            } else {
                tracing::debug!(%peer, "sandbox connection closed unanswered: too many open");
            }
        }
    }
}

fn builder(header_timeout: Duration) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
}

/// Serves one connection; `_permit` holds its place under the cap until it closes.
async fn connection(
    sandbox: Sandbox,
    stream: TcpStream,
    peer: SocketAddr,
    limits: ServeLimits,
    _permit: OwnedSemaphorePermit,
) {
    let service = service_fn(move |request| {
        let sandbox = sandbox.clone();
        async move { Ok::<_, Infallible>(answer(&sandbox, request, peer, limits.body_timeout).await) }
    });
    let served = builder(limits.header_timeout).serve_connection(TokioIo::new(stream), service);
    if let Err(error) = served.await {
        tracing::debug!(%error, "sandbox connection ended");
    }
}

/// Answers the one request of a connection over the cap with 503, then closes it.
async fn refuse(stream: TcpStream, limits: ServeLimits, _permit: OwnedSemaphorePermit) {
    let max_connections = limits.max_connections;
    let service = service_fn(move |request: hyper::Request<Incoming>| async move {
        let head = head(&request, None);
        Ok::<_, Infallible>(closing(refusals::unavailable(
            &Registry,
            &head,
            max_connections,
        )))
    });
    let mut builder = builder(limits.header_timeout.min(REFUSAL_HEADER_TIMEOUT));
    builder.keep_alive(false);
    if let Err(error) = builder
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "refused sandbox connection ended");
    }
}

/// The request as the wire reads it, without its body.
fn head<B>(request: &hyper::Request<B>, peer: Option<SocketAddr>) -> wire::HttpRequest {
    wire::HttpRequest {
        method: request.method().as_str().to_owned(),
        path: request.uri().path().to_owned(),
        query: request.uri().query().unwrap_or_default().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Vec::new(),
        source_ip: peer.map(|peer| peer.ip()),
        spooled: None,
    }
}

async fn answer(
    sandbox: &Sandbox,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> hyper::Response<AnswerBody> {
    let mut head = head(&request, Some(peer));
    let declared = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|declared| *declared > MAX_BODY_BYTES as u64) {
        return closing(refusals::too_large(
            &Registry,
            &head,
            Some(declared),
            MAX_BODY_BYTES,
        ));
    }
    if head.method == "PUT" && declared.is_none_or(|declared| declared > spool::SPOOL_ABOVE_BYTES) {
        let spooled = spool::spool_body(&head, request.into_body(), MAX_BODY_BYTES as u64);
        match tokio::time::timeout(body_timeout, spooled).await {
            Ok(Ok(spooled)) => head.spooled = Some(Arc::new(spooled)),
            Ok(Err(SpoolError::TooLarge)) => {
                return closing(refusals::too_large(&Registry, &head, None, MAX_BODY_BYTES));
            }
            Ok(Err(SpoolError::Broken | SpoolError::Malformed)) => {
                return closing(refusals::incomplete(&Registry, &head));
            }
            Ok(Err(SpoolError::Io(error))) => {
                tracing::error!(%error, "the sandbox could not spool a request body");
                return closing(wire::HttpResponse::new(
                    500,
                    "text/plain",
                    b"the sandbox could not keep the request body".to_vec(),
                ));
            }
            Err(_) => {
                return closing(refusals::timed_out(
                    &Registry,
                    &head,
                    body_timeout.as_secs(),
                ));
            }
        }
        return handled(sandbox, head).await;
    }
    let body = Limited::new(request.into_body(), MAX_BODY_BYTES).collect();
    match tokio::time::timeout(body_timeout, body).await {
        Ok(Ok(collected)) => head.body = collected.to_bytes().to_vec(),
        Ok(Err(error)) if error.downcast_ref::<LengthLimitError>().is_some() => {
            return closing(refusals::too_large(&Registry, &head, None, MAX_BODY_BYTES));
        }
        Ok(Err(_)) => return closing(refusals::incomplete(&Registry, &head)),
        Err(_) => {
            return closing(refusals::timed_out(
                &Registry,
                &head,
                body_timeout.as_secs(),
            ));
        }
    }
    handled(sandbox, head).await
}

/// The sandbox's answer to a request whose body was read.
async fn handled(sandbox: &Sandbox, head: wire::HttpRequest) -> hyper::Response<AnswerBody> {
    let sandbox = sandbox.clone();
    let answered = tokio::task::spawn_blocking(move || sandbox.handle(&head)).await;
    let answered = answered.unwrap_or_else(|_| {
        wire::HttpResponse::new(500, "text/plain", b"the sandbox failed to answer".to_vec())
    });
    response(answered)
}

/// `answered` with `connection: close`: the body was not read to its end, so the
/// connection cannot carry another request.
fn closing(answered: wire::HttpResponse) -> hyper::Response<AnswerBody> {
    response(answered.header("connection", "close"))
}

fn response(answered: wire::HttpResponse) -> hyper::Response<AnswerBody> {
    // Either kind of body, unboxed: most answers are one buffer.
    let body = match &answered.stream {
        Some(streamed) => Either::Right(ChannelBody::spawn(streamed)),
        None => Either::Left(Full::new(Bytes::from(answered.body))),
    };
    let mut response = hyper::Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(answered.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answered.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
