//! The one writer: a dedicated OS thread that owns the receiving side (the
//! [`Pipeline`] over the [`Receiver`](flashblocks::Receiver): validator, assembler,
//! overlay, and with `--chain` the executor and its execution check).
//!
//! Frames and canonical heads reach it in arrival order through one bounded queue
//! ([`Input`], [`WriterSender`]), bounded in inputs and in the frames' bytes: when it is
//! full the websocket consumer and the head follower wait (backpressure; a head is never
//! dropped), so that a stream of large frames waits on the socket rather than in memory. Nothing else touches the
//! receiving side: the RPC, the subscribers' feed and the gauges read what it publishes
//! (the overlay's snapshots, the executor's pending snapshot), never a lock the writer
//! holds. The EVM's synchronous reads of the upstream wait on this thread
//! ([`UpstreamState`](crate::upstream::UpstreamState)), parking no runtime worker.
//!
//! A canonical head can overtake the last flashblocks of its own block (the head
//! follower and the websocket are two paths: a sequencer seals the block as it sends
//! its last flashblock). A head at the height of the block being received whose
//! transactions extend what arrived so far waits in the writer until that block is over
//! (a frame of a later block, a reset, or the next head), and is taken in then: checked
//! against the whole block, not reported as a broken preconfirmation of part of it
//! (`flashblocks_heads_deferred_total`).
//!
//! The writer times each stage of each frame ([`Pipeline::process`]) and records the
//! metrics of [`node`](crate::node), among them `flashblocks_publish_delay_seconds`:
//! from a frame's arrival (read off the websocket) to its snapshot's publication,
//! queueing included.

use crate::{
    pipeline::{now_ms, BlockHashStatus, FrameReport, Pipeline, Verdict},
    rpc::feed::{Feed, FlashblockEvent},
    upstream::NewHead,
};
use flashblocks_execute::ExecutionReport;
use flashblocks_overlay::OverlayEvent;
use std::{io, sync::Arc, thread, time::Instant};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::tungstenite::Bytes;

/// The writer's queue length by default: about a dozen 200 ms blocks of flashblocks.
pub const DEFAULT_QUEUE: usize = 128;

/// The most frame bytes the writer's queue holds by default (the node takes the smaller
/// of this and a sixteenth of the overlay's byte bound). A frame larger than the
/// queue's bound waits until the queue is empty.
pub const DEFAULT_QUEUE_BYTES: usize = 16 << 20;

/// What reaches the writer, in arrival order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Input {
    /// A message of the stream, and when it was read off the websocket.
    Frame {
        /// The message (a frame as the stream's rule set reads it).
        frame: Bytes,
        /// When it arrived.
        arrived: Instant,
    },
    /// The stream reconnected: what it sent meanwhile is lost, so the block being
    /// received is forgotten.
    Reconnected,
    /// The canonical chain has a new head.
    Head(NewHead),
}

/// The writer's queue (cheap to clone); [`send`](Self::send) waits while it is full.
#[derive(Clone, Debug)]
pub struct WriterSender {
    inputs: mpsc::Sender<Queued>,
    /// The queue's frame bytes still free, one permit a byte.
    bytes: Arc<Semaphore>,
    max_bytes: u32,
}

/// An input in the queue, with the frame bytes it holds there (released once the writer
/// is done with it).
type Queued = (Input, Option<OwnedSemaphorePermit>);

impl WriterSender {
    /// Queues `input`, waiting while the queue is full (in inputs, or in frame bytes).
    ///
    /// # Errors
    ///
    /// `input` back when the writer stopped.
    pub async fn send(&self, input: Input) -> Result<(), Input> {
        let permit = match &input {
            Input::Frame { frame, .. } => {
                let bytes = u32::try_from(frame.len()).unwrap_or(u32::MAX).min(self.max_bytes);
                match Arc::clone(&self.bytes).acquire_many_owned(bytes).await {
                    Ok(permit) => Some(permit),
                    // Never closed while a sender lives.
                    Err(_) => return Err(input),
                }
            }
            _ => None,
        };
        self.inputs.send((input, permit)).await.map_err(|err| err.0 .0)
    }
}

/// What the writer took in, when it stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterSummary {
    /// Frames processed.
    pub frames: usize,
    /// Frames accepted.
    pub accepted: usize,
    /// Canonical heads processed.
    pub heads: usize,
    /// Reconnections processed.
    pub reconnections: usize,
}

/// The writer thread (see the module's docs).
#[derive(Debug)]
pub struct Writer {
    sender: WriterSender,
    thread: thread::JoinHandle<WriterSummary>,
}

impl Writer {
    /// Starts the writer thread over `pipeline`, publishing accepted flashblocks on
    /// `feed`, with a queue of `queue` inputs (at least 1) holding at most `queue_bytes`
    /// of frames (at least 1; a larger frame waits until the queue is empty).
    /// `executing` says whether the pipeline's receiver executes (it records
    /// `flashblocks_execution_seconds`).
    ///
    /// # Errors
    ///
    /// The OS refused a thread.
    pub fn spawn(
        pipeline: Pipeline,
        feed: Feed,
        queue: usize,
        queue_bytes: usize,
        executing: bool,
    ) -> io::Result<Self> {
        let (inputs, receiver) = mpsc::channel(queue.max(1));
        let max_bytes = u32::try_from(queue_bytes).unwrap_or(u32::MAX).max(1);
        let sender =
            WriterSender { inputs, bytes: Arc::new(Semaphore::new(max_bytes as usize)), max_bytes };
        let state =
            State { pipeline, feed, executing, summary: WriterSummary::default(), deferred: None };
        let thread = thread::Builder::new()
            .name("flashblocks-writer".into())
            .spawn(|| state.run(receiver))?;
        Ok(Self { sender, thread })
    }

    /// A sender on the writer's queue. The writer stops once every sender is gone (this
    /// one included: [`join`](Self::join) drops it).
    pub fn sender(&self) -> WriterSender {
        self.sender.clone()
    }

    /// Whether the thread has stopped.
    pub fn is_finished(&self) -> bool {
        self.thread.is_finished()
    }

    /// Drops this handle's sender and waits (on a blocking thread) for the writer to
    /// take in what is queued and stop, which it does once the other senders are gone
    /// too; `None` when the thread panicked.
    pub async fn join(self) -> Option<WriterSummary> {
        let Self { sender, thread } = self;
        drop(sender);
        tokio::task::spawn_blocking(move || thread.join().ok()).await.ok().flatten()
    }
}

/// What the writer thread owns.
struct State {
    pipeline: Pipeline,
    feed: Feed,
    executing: bool,
    summary: WriterSummary,
    /// A head waiting for the rest of its block's flashblocks (see the module's docs).
    deferred: Option<NewHead>,
}

impl State {
    fn run(mut self, mut inputs: mpsc::Receiver<Queued>) -> WriterSummary {
        // The frame's bytes leave the queue's count once it is processed (`_bytes`).
        while let Some((input, _bytes)) = inputs.blocking_recv() {
            match input {
                Input::Frame { frame, arrived } => self.frame(&frame, arrived),
                Input::Reconnected => {
                    self.summary.reconnections += 1;
                    self.pipeline.reset_stream();
                }
                Input::Head(head) => {
                    // A later head: the one waiting goes first, whatever came of its block.
                    if let Some(waiting) = self.deferred.take() {
                        self.head(&waiting);
                    }
                    if waits_for_its_flashblocks(&self.pipeline, &head) {
                        metrics::counter!("flashblocks_heads_deferred_total").increment(1);
                        tracing::debug!(
                            number = head.head.number,
                            "head before its last flashblocks"
                        );
                        self.deferred = Some(head);
                    } else {
                        self.head(&head);
                    }
                }
            }
            if self.deferred.as_ref().is_some_and(|h| !waits_for_its_flashblocks(&self.pipeline, h))
            {
                if let Some(waiting) = self.deferred.take() {
                    self.head(&waiting);
                }
            }
        }
        if let Some(waiting) = self.deferred.take() {
            self.head(&waiting);
        }
        tracing::info!(summary = ?self.summary, "writer stopped");
        self.summary
    }

    fn frame(&mut self, frame: &[u8], arrived: Instant) {
        let report = self.pipeline.process(frame);
        self.summary.frames += 1;
        if report.verdict == Verdict::Accept {
            self.summary.accepted += 1;
            metrics::histogram!("flashblocks_publish_delay_seconds")
                .record(arrived.elapsed().as_secs_f64());
            self.feed.notify_applied();
        }
        if let (Some(flashblock), true) = (&report.accepted, self.feed.subscribers() > 0) {
            let snapshot = self.pipeline.reader().snapshot();
            self.feed.publish(FlashblockEvent::new(flashblock, &snapshot.at(now_ms())));
        }
        record(&report, self.executing);
    }

    fn head(&mut self, new: &NewHead) {
        self.summary.heads += 1;
        let events = self.pipeline.advance_canonical(new.head, new.block.as_ref());
        // Waiters look again (what they wait for may now be canonical).
        self.feed.notify_applied();
        tracing::debug!(number = new.head.number, hash = %new.head.hash, "canonical head");
        for event in events {
            let kind = match &event {
                OverlayEvent::Confirmed { .. } => "confirmed",
                OverlayEvent::Passed { .. } => "passed",
                OverlayEvent::BrokenPreconfirmation { .. } => "broken_preconfirmation",
                OverlayEvent::Reorg { .. } => "reorg",
                _ => "other",
            };
            metrics::counter!("flashblocks_canonical_events_total", "kind" => kind).increment(1);
            tracing::info!(?event, "canonical event");
        }
    }
}

/// Whether `head` is at the height of the block being received (the newest pending
/// one) and its transactions extend that block's so far: the rest of its flashblocks
/// are still on their way, so what arrived cannot be checked against it yet.
fn waits_for_its_flashblocks(pipeline: &Pipeline, head: &NewHead) -> bool {
    let Some(canonical) = &head.block else { return false };
    let snapshot = pipeline.reader().snapshot();
    if snapshot.pending_block_numbers().last() != Some(head.head.number) {
        return false;
    }
    let Some(received) = snapshot.at(now_ms()).pending_transaction_hashes().into_value() else {
        return false;
    };
    received.len() < canonical.transactions.len()
        && canonical.transactions.get(..received.len()) == Some(&received[..])
}

/// Records one frame's report as metrics and logs.
fn record(report: &FrameReport, executing: bool) {
    let (verdict, rule) = match &report.verdict {
        Verdict::Accept => ("accept", ""),
        Verdict::Duplicate => ("duplicate", ""),
        Verdict::Reject(err) => ("reject", err.rule_id()),
        Verdict::PayloadEnd(_) => ("payload_end", ""),
    };
    metrics::counter!("flashblocks_frames_total", "verdict" => verdict, "rule" => rule)
        .increment(1);
    if report.verdict == Verdict::Accept {
        let outcome = match &report.block_hash {
            BlockHashStatus::Ok(_) => "ok",
            BlockHashStatus::Mismatch { .. } => "mismatch",
            BlockHashStatus::Unavailable => "unavailable",
            BlockHashStatus::NotAHeaderHash => "not_a_header_hash",
            BlockHashStatus::Skipped => "skipped",
        };
        metrics::counter!("flashblocks_block_hash_total", "outcome" => outcome).increment(1);
    }
    metrics::histogram!("flashblocks_apply_seconds").record(report.times.total().as_secs_f64());
    if executing && report.flashblock.is_some() {
        metrics::histogram!("flashblocks_execution_seconds")
            .record(report.times.validate.as_secs_f64());
    }
    for execution in &report.execution {
        let kind = match execution {
            ExecutionReport::Mismatch { block_number, index, mismatch } => {
                tracing::warn!(block_number, index, %mismatch, "execution mismatch");
                "mismatch"
            }
            ExecutionReport::NotExecuted { index, error } => {
                tracing::warn!(index, %error, "flashblock not executed");
                "not_executed"
            }
            _ => "other",
        };
        metrics::counter!("flashblocks_execution_reports_total", "kind" => kind).increment(1);
    }
    match (&report.verdict, &report.flashblock) {
        (Verdict::Reject(err), _) => {
            tracing::warn!(frame = report.frame, rule = err.rule_id(), %err, "rejected");
        }
        (_, Some(fb)) => tracing::debug!(
            frame = report.frame,
            block = fb.block_number,
            index = fb.index,
            transactions = fb.transactions,
            verdict,
            "flashblock"
        ),
        (_, None) => {}
    }
}
