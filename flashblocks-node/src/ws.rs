//! A websocket consumer of a flashblocks stream that survives its network, and a
//! loopback server that streams frames (for tests and the self-contained demo).
//!
//! The deployed streams (rollup-boost's websocket proxy, op-rbuilder, Base) send each
//! flashblock as one message: JSON text, or a binary message holding brotli-compressed
//! JSON; an SSZ stream sends binary V1 frames. The consumer is configured for one or the
//! other ([`RuleSet`](flashblocks_validate::RuleSet)), as the [spec page](flashblocks_types::spec) requires, and takes text and binary messages
//! alike; the validator's frame reader tells plain from brotli JSON by content.
//!
//! [`run`] holds what a server can make it hold, whatever the server does
//! ([`ConsumerConfig`]):
//!
//! - tungstenite's [`WebSocketConfig`] caps the message and frame sizes (a frame header
//!   announcing 1 TiB is refused before anything is allocated) and the write buffer (a
//!   server that floods pings and never reads cannot grow the queued pongs);
//! - a connection on which nothing arrives for [`ConsumerConfig::read_timeout`] is
//!   dropped (a server that stalls in mid-frame, or a dead route); when idle the
//!   consumer pings, so a live but quiet server answers;
//! - a stream that sends no data message for [`ConsumerConfig::idle_deadline`] is dead
//!   even if it answers pings (a proxy that stopped forwarding, a halted sequencer
//!   behind a live socket): the consumer reconnects ([`Disconnect::Idle`]). Pings and
//!   pongs do not count; any data message does, a duplicate or a rejected one too.
//!   Both clocks run only while the consumer waits on the socket, never while it waits
//!   for the pipeline: backpressure is not silence;
//! - more than [`ConsumerConfig::max_control_frames`] control frames in a row without a
//!   data message is a ping flood and ends the connection;
//! - after every end of a connection (a TCP reset, a message over the cap, a frame
//!   header over the cap, a close in mid-frame, raw garbage, invalid UTF-8 in a text
//!   frame, a stall, a clean close) it reconnects after a capped exponential backoff
//!   ([`Backoff`]), and tells its sink to forget the block it was receiving
//!   ([`FrameSink::reset_stream`]): what it missed meanwhile cannot be assembled, so
//!   the stream starts again at the next index 0;
//! - `wss://` URLs use rustls with the webpki roots (ring as the crypto provider).
//!
//! It hands each message to a [`FrameSink`] with the instant it arrived, and reads the
//! next one once the sink took it: a [`Pipeline`] processes it there and then (tests,
//! demos), the node's [`WriterSender`] queues it for the writer thread, and while that
//! queue is full the consumer reads nothing (backpressure reaches the server through
//! TCP).

use crate::{
    pipeline::{FrameReport, Pipeline, Verdict},
    writer::{Input, WriterSender},
    Error,
};
use futures_util::{SinkExt, StreamExt};
use std::{
    future::Future,
    net::SocketAddr,
    time::{Duration, Instant},
};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_tungstenite::tungstenite::Bytes;
use tokio_tungstenite::tungstenite::{self, protocol::WebSocketConfig, Message};

/// Capped exponential backoff between connection attempts: `initial`, doubled after
/// every attempt that ended without a flashblock, at most `max`; back to `initial` once
/// a connection delivered one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay (default 100 ms).
    pub initial: Duration,
    /// The cap (default 10 s).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial: Duration::from_millis(100), max: Duration::from_secs(10) }
    }
}

impl Backoff {
    /// The delay before the attempt that follows `failures` attempts in a row without a
    /// flashblock (`failures` ≥ 1).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial.saturating_mul(1 << doublings).min(self.max)
    }
}

/// The consumer's bounds and timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// The largest message taken (default 32 MiB; the JSON text is capped again after
    /// brotli by the validator).
    pub max_message_size: usize,
    /// The largest frame taken (default 16 MiB): checked on the frame header.
    pub max_frame_size: usize,
    /// Bytes queued for writing before tungstenite flushes (default 64 KiB).
    pub write_buffer_size: usize,
    /// Bytes queued for writing at most (default 1 MiB): pongs and pings beyond it are
    /// not queued.
    pub max_write_buffer_size: usize,
    /// How long connecting (TCP, TLS, the handshake) may take (default 10 s).
    pub connect_timeout: Duration,
    /// The connection is dropped when nothing arrives for this long (default 15 s).
    pub read_timeout: Duration,
    /// The connection is dropped when no data message arrives for this long, pings and
    /// pongs notwithstanding (default 2 s: ten flashblock intervals; `Duration::MAX`
    /// turns it off).
    pub idle_deadline: Duration,
    /// When nothing arrives for this long the consumer pings (default 5 s).
    pub ping_interval: Duration,
    /// Control frames (pings, pongs) in a row without a data message before the
    /// connection counts as a ping flood (default 1000).
    pub max_control_frames: u32,
    /// The delay between connection attempts.
    pub backoff: Backoff,
    /// Connection attempts at most (default `None`: forever). Tests and one-shot runs
    /// bound it.
    pub max_connections: Option<u64>,
    /// Flashblock messages taken at most over all connections (default `None`).
    pub max_messages: Option<usize>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            max_message_size: 32 << 20,
            max_frame_size: 16 << 20,
            write_buffer_size: 64 << 10,
            max_write_buffer_size: 1 << 20,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(15),
            idle_deadline: Duration::from_secs(2),
            ping_interval: Duration::from_secs(5),
            max_control_frames: 1000,
            backoff: Backoff::default(),
            max_connections: None,
            max_messages: None,
        }
    }
}

impl ConsumerConfig {
    /// One connection, no reconnect (a demo, or a capture of one session).
    pub fn once() -> Self {
        Self { max_connections: Some(1), ..Self::default() }
    }

    /// tungstenite's settings for these bounds.
    pub fn websocket(&self) -> WebSocketConfig {
        WebSocketConfig::default()
            .write_buffer_size(self.write_buffer_size)
            .max_write_buffer_size(self.max_write_buffer_size.max(self.write_buffer_size + 1))
            .max_message_size(Some(self.max_message_size))
            .max_frame_size(Some(self.max_frame_size))
    }
}

/// Why a connection ended (or could not start).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Disconnect {
    /// The server closed the stream (a close frame, or the end of the TCP stream
    /// between messages).
    #[error("closed by the server")]
    Closed,
    /// Nothing arrived for this long (a server stalled in mid-frame, or a dead route).
    #[error("nothing received for {} ms", .0.as_millis())]
    Stalled(Duration),
    /// No data message arrived for this long, though the connection may answer pings.
    #[error("no data message for {} ms", .0.as_millis())]
    Idle(Duration),
    /// Connecting took longer than the connect timeout.
    #[error("connecting timed out after {} ms", .0.as_millis())]
    ConnectTimeout(Duration),
    /// Too many control frames in a row without a data message.
    #[error("{0} control frames without a data message")]
    PingFlood(u32),
    /// The sink closed (the node is stopping): the consumer stops.
    #[error("the frame sink closed")]
    SinkClosed,
    /// tungstenite's error: IO (a reset, a close in mid-frame), capacity (a message or
    /// frame over the cap), protocol (garbage), UTF-8, TLS, the handshake.
    #[error(transparent)]
    Websocket(Box<tungstenite::Error>),
}

impl Disconnect {
    /// A short label: `closed`, `stalled`, `idle`, `connect_timeout`, `ping_flood`,
    /// `sink_closed`, `io`, `capacity`, `protocol`, `utf8`, `tls`, `handshake`,
    /// `write_buffer_full`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Stalled(_) => "stalled",
            Self::Idle(_) => "idle",
            Self::ConnectTimeout(_) => "connect_timeout",
            Self::PingFlood(_) => "ping_flood",
            Self::SinkClosed => "sink_closed",
            Self::Websocket(err) => match **err {
                tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
                    "closed"
                }
                tungstenite::Error::Io(_) => "io",
                tungstenite::Error::Capacity(_) => "capacity",
                tungstenite::Error::Protocol(_) | tungstenite::Error::AttackAttempt => "protocol",
                tungstenite::Error::Utf8(_) => "utf8",
                tungstenite::Error::Tls(_) => "tls",
                tungstenite::Error::WriteBufferFull(_) => "write_buffer_full",
                _ => "handshake",
            },
        }
    }
}

impl From<tungstenite::Error> for Disconnect {
    fn from(err: tungstenite::Error) -> Self {
        Self::Websocket(Box::new(err))
    }
}

/// What the consumer reports as it goes.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConsumerEvent<'a> {
    /// Connected (the `n`th connection, from 1).
    Connected(u64),
    /// A flashblock message went through the pipeline (a sink that processes frames
    /// itself: a [`Pipeline`]).
    Report {
        /// What the pipeline did with it.
        report: &'a FrameReport,
        /// The message (a frame as the stream's rule set reads it).
        frame: &'a [u8],
    },
    /// A connection ended, or an attempt failed.
    Disconnected(&'a Disconnect),
    /// Waiting this long before the next attempt.
    Backoff(Duration),
}

/// What a consumer took in, over all its connections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerSummary {
    /// Flashblock messages received (text or binary).
    pub received: usize,
    /// Accepted by the validator (and applied to the overlay); this and the next three
    /// count what a sink that reports ([`Pipeline`]) did, nothing for a queue.
    pub accepted: usize,
    /// Harmless resends.
    pub duplicates: usize,
    /// X Layer's ends of a payload's sequence (not flashblocks).
    pub payload_ends: usize,
    /// The first rejected messages (at most 64): their position and rule id.
    pub rejected: Vec<(usize, &'static str)>,
    /// Rejected messages in all.
    pub rejected_count: usize,
    /// Connections made.
    pub connections: u64,
    /// Connection attempts that failed.
    pub failed_attempts: u64,
}

const KEPT_REJECTIONS: usize = 64;

/// The writer's queue is gone: nothing takes frames any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the frame sink is closed")]
pub struct SinkClosed;

/// What the consumer feeds: a [`Pipeline`] (processed in place, with a report), or the
/// node's writer ([`WriterSender`]: queued, waiting while the queue is full).
pub trait FrameSink {
    /// Takes one frame that arrived at `arrived`; the report when the sink processed it
    /// in place.
    fn frame(
        &mut self,
        frame: Bytes,
        arrived: Instant,
    ) -> impl Future<Output = Result<Option<FrameReport>, SinkClosed>> + Send;
    /// Forgets the block being received (after a reconnect), in order with the frames.
    fn reset_stream(&mut self) -> impl Future<Output = Result<(), SinkClosed>> + Send;
}

impl FrameSink for Pipeline {
    async fn frame(
        &mut self,
        frame: Bytes,
        _arrived: Instant,
    ) -> Result<Option<FrameReport>, SinkClosed> {
        Ok(Some(self.process(&frame)))
    }
    async fn reset_stream(&mut self) -> Result<(), SinkClosed> {
        Self::reset_stream(self);
        Ok(())
    }
}

impl FrameSink for WriterSender {
    async fn frame(
        &mut self,
        frame: Bytes,
        arrived: Instant,
    ) -> Result<Option<FrameReport>, SinkClosed> {
        self.send(Input::Frame { frame, arrived }).await.map_err(|_| SinkClosed)?;
        Ok(None)
    }
    async fn reset_stream(&mut self) -> Result<(), SinkClosed> {
        self.send(Input::Reconnected).await.map_err(|_| SinkClosed)
    }
}

/// Installs rustls' ring provider as the process default (once; later calls do nothing),
/// which `wss://` needs.
pub fn install_tls_provider() {
    // Err means a provider is already installed: fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Consumes the flashblocks stream at `url` into `pipeline`, reconnecting after every
/// end of a connection as [`ConsumerConfig`] says, until `max_connections` or
/// `max_messages` is reached (forever without them), or the sink closes. `on_event`
/// sees every report, connection and disconnection.
pub async fn run(
    url: &str,
    pipeline: &mut impl FrameSink,
    config: &ConsumerConfig,
    mut on_event: impl FnMut(ConsumerEvent<'_>),
) -> ConsumerSummary {
    install_tls_provider();
    let mut summary = ConsumerSummary::default();
    let mut failures = 0u32;
    let mut attempts = 0u64;
    loop {
        if config.max_connections.is_some_and(|max| attempts >= max)
            || config.max_messages.is_some_and(|max| summary.received >= max)
        {
            return summary;
        }
        if attempts > 0 {
            let delay = config.backoff.delay(failures);
            on_event(ConsumerEvent::Backoff(delay));
            tokio::time::sleep(delay).await;
        }
        attempts += 1;
        let connect =
            tokio_tungstenite::connect_async_with_config(url, Some(config.websocket()), true);
        let stream = match tokio::time::timeout(config.connect_timeout, connect).await {
            Ok(Ok((stream, _))) => stream,
            Ok(Err(err)) => {
                summary.failed_attempts += 1;
                failures = failures.saturating_add(1);
                on_event(ConsumerEvent::Disconnected(&err.into()));
                continue;
            }
            Err(_) => {
                summary.failed_attempts += 1;
                failures = failures.saturating_add(1);
                on_event(ConsumerEvent::Disconnected(&Disconnect::ConnectTimeout(
                    config.connect_timeout,
                )));
                continue;
            }
        };
        summary.connections += 1;
        if summary.connections > 1 && pipeline.reset_stream().await.is_err() {
            // What was sent while we were away is gone: start again at an index 0 (or
            // stop: nothing takes frames any more).
            return summary;
        }
        on_event(ConsumerEvent::Connected(summary.connections));
        let before = summary.received;
        let end = connection(stream, pipeline, config, &mut summary, &mut on_event).await;
        failures = if summary.received > before { 1 } else { failures.saturating_add(1) };
        if let Some(end) = end {
            on_event(ConsumerEvent::Disconnected(&end));
            if matches!(end, Disconnect::SinkClosed) {
                return summary;
            }
        }
    }
}

/// Reads one connection until it ends (`Some(why)`) or `max_messages` is reached
/// (`None`).
async fn connection<S>(
    mut stream: tokio_tungstenite::WebSocketStream<S>,
    pipeline: &mut impl FrameSink,
    config: &ConsumerConfig,
    summary: &mut ConsumerSummary,
    on_event: &mut impl FnMut(ConsumerEvent<'_>),
) -> Option<Disconnect>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    // Time spent waiting on the socket (reading, or sending a ping), never on the
    // pipeline: since the last message of any kind (the read timeout) and since the
    // last data message (the idle deadline).
    let mut quiet = Duration::ZERO;
    let mut silent = Duration::ZERO;
    let mut control_frames = 0u32;
    let end = loop {
        if config.max_messages.is_some_and(|max| summary.received >= max) {
            break None;
        }
        let wait = config
            .ping_interval
            .min(config.read_timeout.saturating_sub(quiet))
            .min(config.idle_deadline.saturating_sub(silent))
            .max(Duration::from_millis(1));
        let started = Instant::now();
        let next = tokio::time::timeout(wait, stream.next()).await;
        let waited = started.elapsed();
        silent = silent.saturating_add(waited);
        quiet = quiet.saturating_add(waited);
        let message = match next {
            Ok(Some(Ok(message))) => message,
            Ok(Some(Err(err))) => break Some(err.into()),
            Ok(None) => break Some(Disconnect::Closed),
            Err(_) => {
                if silent >= config.idle_deadline {
                    break Some(Disconnect::Idle(silent));
                }
                if quiet >= config.read_timeout {
                    break Some(Disconnect::Stalled(quiet));
                }
                // Idle: ask the server for a pong. A server that does not read cannot
                // make this wait: the send is bounded by the read timeout too.
                let started = Instant::now();
                let sent = tokio::time::timeout(
                    config.ping_interval.min(config.read_timeout),
                    stream.send(Message::Ping(Vec::new().into())),
                )
                .await;
                silent = silent.saturating_add(started.elapsed());
                quiet = quiet.saturating_add(started.elapsed());
                match sent {
                    Ok(Ok(())) => continue,
                    Ok(Err(err)) => break Some(err.into()),
                    Err(_) => break Some(Disconnect::Stalled(quiet)),
                }
            }
        };
        quiet = Duration::ZERO;
        let arrived = Instant::now();
        let frame = match message {
            Message::Text(text) => Bytes::from(text),
            Message::Binary(bytes) => bytes,
            Message::Close(_) => break Some(Disconnect::Closed),
            // Pings are answered by tungstenite itself (one pong queued at most).
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                control_frames += 1;
                if control_frames > config.max_control_frames {
                    break Some(Disconnect::PingFlood(control_frames));
                }
                continue;
            }
        };
        // Any data message shows the stream alive, whatever the pipeline makes of it.
        silent = Duration::ZERO;
        control_frames = 0;
        summary.received += 1;
        // Waits while the sink's queue is full: nothing more is read meanwhile (and the
        // wait counts toward neither the read timeout nor the idle deadline).
        let report = match pipeline.frame(frame.clone(), arrived).await {
            Ok(report) => report,
            Err(SinkClosed) => break Some(Disconnect::SinkClosed),
        };
        let Some(report) = report else { continue };
        match &report.verdict {
            Verdict::Accept => summary.accepted += 1,
            Verdict::Duplicate => summary.duplicates += 1,
            Verdict::PayloadEnd(_) => summary.payload_ends += 1,
            Verdict::Reject(err) => {
                summary.rejected_count += 1;
                if summary.rejected.len() < KEPT_REJECTIONS {
                    summary.rejected.push((report.frame, err.rule_id()));
                }
            }
        }
        on_event(ConsumerEvent::Report { report: &report, frame: &frame });
    };
    // Best effort, bounded: the server may be gone or not reading.
    let bound = config.ping_interval.min(config.read_timeout);
    let _ = tokio::time::timeout(bound, stream.close(None)).await;
    end
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
