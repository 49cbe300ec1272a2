//! A Diameter peer a test drives by hand: whole messages written to and read from any
//! stream, each read bounded by the test's wait. The test files add the capability exchange
//! each needs (`impl RawPeer<S>` blocks of their own).
#![allow(dead_code)]

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use diameter_runtime::frame::{self, Frame};
use diameter_runtime::DecodeOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A peer driven by hand over `S` (TCP, or tokio's in-memory duplex stream).
pub struct RawPeer<S> {
    stream: S,
    buf: BytesMut,
    wait: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawPeer<S> {
    /// A peer over `stream` whose [`expect`](Self::expect) waits at most `wait`.
    pub fn new(stream: S, wait: Duration) -> Self {
        RawPeer {
            stream,
            buf: BytesMut::new(),
            wait,
        }
    }

    /// The stream, for socket options.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Writes `bytes` as they are.
    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next whole message, or `None` at the end of the stream (or a reset).
    pub async fn recv(&mut self) -> Option<Bytes> {
        let opts = DecodeOptions::default();
        loop {
            match frame::check(&self.buf, &opts).expect("frames") {
                Frame::Complete(n) => return Some(self.buf.split_to(n).freeze()),
                Frame::Incomplete(_) => {
                    if self.stream.read_buf(&mut self.buf).await.ok()? == 0 {
                        return None;
                    }
                }
            }
        }
    }

    /// The next message, which must come within the wait.
    pub async fn expect(&mut self) -> Bytes {
        tokio::time::timeout(self.wait, self.recv())
            .await
            .expect("a message in time")
            .expect("a message before the end")
    }
}
