//! A websocket consumer of a flashblocks stream, and a loopback server that streams
//! frames (for tests and the self-contained demo).
//!
//! The deployed streams (rollup-boost's websocket proxy, op-rbuilder, Base) send each
//! flashblock as one message: JSON text, or a binary message holding brotli-compressed
//! JSON; an SSZ stream sends binary V1 frames. The consumer is configured for one or the
//! other ([`RuleSet`](flashblocks_validate::RuleSet)), as the [spec page](flashblocks_types::spec) requires, and takes text and binary messages
//! alike; the validator's frame reader tells plain from brotli JSON by content.
//! Message size is bounded by `tungstenite`'s defaults (64 MiB a message, 16 MiB a
//! frame) and the JSON text by the validator's cap after decompression.

use crate::{
    pipeline::{FrameReport, Pipeline, Verdict},
    Error,
};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_tungstenite::tungstenite::Message;

/// What a consumer took in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerSummary {
    /// Flashblock messages received (text or binary).
    pub received: usize,
    /// Accepted by the validator (and applied to the overlay).
    pub accepted: usize,
    /// Harmless resends.
    pub duplicates: usize,
    /// Rejected messages: their position and rule id.
    pub rejected: Vec<(usize, &'static str)>,
}

/// Reads flashblock messages from `url` until the server closes the stream (or after
/// `max_messages`), each through `pipeline`; `on_report` sees every report.
///
/// # Errors
///
/// [`Error::Websocket`] when connecting fails or the connection breaks; what was
/// taken in so far stays in the pipeline.
pub async fn consume(
    url: &str,
    pipeline: &mut Pipeline,
    max_messages: Option<usize>,
    mut on_report: impl FnMut(&FrameReport),
) -> Result<ConsumerSummary, Error> {
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await?;
    let mut summary = ConsumerSummary::default();
    while max_messages.is_none_or(|max| summary.received < max) {
        let Some(message) = stream.next().await else { break };
        let report = match message? {
            Message::Text(text) => pipeline.process(text.as_bytes()),
            Message::Binary(bytes) => pipeline.process(&bytes),
            Message::Close(_) => break,
            // Pings are answered by tungstenite itself.
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
        };
        summary.received += 1;
        match &report.verdict {
            Verdict::Accept => summary.accepted += 1,
            Verdict::Duplicate => summary.duplicates += 1,
            Verdict::Reject(err) => summary.rejected.push((report.frame, err.rule_id())),
        }
        on_report(&report);
    }
    // Best effort: the server may already be gone.
    let _ = stream.close(None).await;
    Ok(summary)
}

/// A message the loopback server sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsFrame {
    /// A text message (plain JSON).
    Text(String),
    /// A binary message (SSZ, or brotli-compressed JSON).
    Binary(Vec<u8>),
}

/// Listens on `addr` (port 0 for a free one), accepts one websocket client, sends it
/// `frames` in order and closes. Returns the bound address and the server task.
///
/// # Errors
///
/// [`Error::Io`] when the address cannot be bound.
pub async fn serve_once(
    addr: SocketAddr,
    frames: Vec<WsFrame>,
) -> Result<(SocketAddr, JoinHandle<Result<usize, Error>>), Error> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut ws = tokio_tungstenite::accept_async(tcp).await?;
        let mut sent = 0;
        for frame in frames {
            let message = match frame {
                WsFrame::Text(text) => Message::text(text),
                WsFrame::Binary(bytes) => Message::binary(bytes),
            };
            ws.send(message).await?;
            sent += 1;
        }
        ws.close(None).await?;
        // Wait for the client's close reply, so it reads every message first.
        while let Some(Ok(_)) = ws.next().await {}
        Ok(sent)
    });
    Ok((local, task))
}
