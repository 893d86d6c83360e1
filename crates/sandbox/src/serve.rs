//! `serve`: the same world over HTTP/1.1 on 127.0.0.1 (hyper), for the `aws` CLI,
//! boto3 and any SDK. It stops when the shutdown future completes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::client::MAX_BODY_BYTES;
use crate::error::SandboxError;
use crate::sandbox::Sandbox;
use crate::wire;

/// Binds 127.0.0.1:`port` (0 picks a free port).
pub async fn bind(port: u16) -> Result<TcpListener, SandboxError> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|source| SandboxError::Listen { port, source })
}

impl Sandbox {
    /// Answers connections on `listener` until `shutdown` completes.
    pub async fn serve(&self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, peer)) = accepted else {
                continue;
            };
            let sandbox = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let sandbox = sandbox.clone();
                    async move { Ok::<_, Infallible>(answer(&sandbox, request, peer).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "sandbox connection ended");
                }
            });
        }
    }
}

async fn answer(
    sandbox: &Sandbox,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = if let Ok(collected) = Limited::new(body, MAX_BODY_BYTES).collect().await {
        collected.to_bytes().to_vec()
    } else {
        let mut response = hyper::Response::new(Full::new(Bytes::from_static(
            b"request body too large or cut off",
        )));
        *response.status_mut() = hyper::StatusCode::PAYLOAD_TOO_LARGE;
        return response;
    };
    let request = wire::HttpRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
        source_ip: Some(peer.ip()),
    };
    let sandbox = sandbox.clone();
    let answered = tokio::task::spawn_blocking(move || sandbox.handle(&request)).await;
    let answered = answered.unwrap_or_else(|_| {
        wire::HttpResponse::new(500, "text/plain", b"the sandbox failed to answer".to_vec())
    });
    let mut response = hyper::Response::new(Full::new(Bytes::from(answered.body)));
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
