//! Sending a streamed answer ([`crate::model::body::Streamed`]) over `serve` or the
//! in-process client: a thread reads it from the store one chunk at a time and hands
//! the chunks to an HTTP body through a channel of two, so at most a few chunks of it
//! are in memory however large it is. Dropping the body (the client went away) stops
//! the thread at its next chunk.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::mpsc;

use crate::model::body::{Streamed, pump};

/// An HTTP body fed chunk by chunk by a reading thread.
pub struct ChannelBody {
    receiver: mpsc::Receiver<io::Result<Bytes>>,
    len: u64,
}

impl ChannelBody {
    /// Starts reading `streamed` on a thread of its own (nothing if it was taken).
    pub fn spawn(streamed: &Streamed) -> Self {
        let (sender, receiver) = mpsc::channel(2);
        let len = streamed.len();
        if let Some(reader) = streamed.take() {
            let started = std::thread::Builder::new()
                .name("sandbox-body".to_owned())
                .spawn(move || pump(reader, |chunk| sender.blocking_send(chunk).is_ok()));
            if let Err(error) = started {
                tracing::warn!(%error, "the sandbox could not start sending a body");
            }
        }
        Self { receiver, len }
    }
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.receiver
            .poll_recv(context)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
