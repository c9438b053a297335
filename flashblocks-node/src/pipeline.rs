//! The receiving side of a flashblock stream, frame by frame, timed: a thin wrapper over
//! [`flashblocks::Receiver`], whose steps (decode → validate → assemble with the
//! block-hash check → overlay) it calls one by one.
//!
//! [`Pipeline::process`] takes one frame and returns a [`FrameReport`]: what the
//! flashblock is, the validator's verdict (with the rule id when rejected), the
//! block-hash check of the block so far, what the overlay did, and the time each stage
//! took. A rejected frame changes nothing downstream. The block-hash check is the
//! assembler's ([`Receiver::assemble`]) over accepted flashblocks: its result is
//! reported, not enforced (enforcing it is
//! [`ReceiverConfig::with_block_hash_check`]), so a stream whose hashes cannot be proven
//! (a Jovian chain) still replays.

use flashblocks::{
    assemble::{AssembledPayload, BlockHashOutcome},
    overlay::{
        CanonicalBlock, CanonicalHead, Overlay, OverlayConfig, OverlayError, OverlayEvent,
        OverlayReader,
    },
    primitives::B256,
    types::{frame_version, Flashblock, JsonFrameEncoding, JsonMessage, PayloadId, VERSION_V1},
    validate::{Outcome, PayloadEnded, RuleSet, ValidationError, Validator, ValidatorConfig},
    Receiver, ReceiverConfig,
};
use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// How one frame is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameEncoding {
    /// SSZ: its first 4 bytes are a known version.
    Ssz,
    /// Plain JSON: its first byte is `{`.
    Json,
    /// Brotli-compressed JSON: anything else.
    Brotli,
}

impl FrameEncoding {
    /// Reads a frame's encoding from its first bytes.
    ///
    /// ```
    /// use flashblocks_node::pipeline::FrameEncoding;
    ///
    /// assert_eq!(FrameEncoding::detect(&[0, 0, 0, 1, 9]), FrameEncoding::Ssz);
    /// assert_eq!(FrameEncoding::detect(b"{\"index\":0}"), FrameEncoding::Json);
    /// assert_eq!(FrameEncoding::detect(&[0x1b, 0x2c]), FrameEncoding::Brotli);
    /// ```
    pub fn detect(frame: &[u8]) -> Self {
        if frame_version(frame).is_ok_and(|v| v.0 == VERSION_V1) {
            return Self::Ssz;
        }
        match JsonFrameEncoding::detect(frame) {
            JsonFrameEncoding::Plain => Self::Json,
            JsonFrameEncoding::Brotli => Self::Brotli,
        }
    }

    /// The rule set a stream of such frames is validated with: V1 for SSZ, the
    /// JSON-stream rules for JSON, plain or compressed.
    pub const fn rule_set(self) -> RuleSet {
        match self {
            Self::Ssz => RuleSet::V1,
            Self::Json | Self::Brotli => RuleSet::Json,
        }
    }

    /// A short name, for output.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Ssz => "ssz",
            Self::Json => "json",
            Self::Brotli => "brotli",
        }
    }
}

/// The validator's answer to a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Valid: taken in by every stage.
    Accept,
    /// A resend of an accepted flashblock: harmless, nothing changes.
    Duplicate,
    /// Rejected: the first rule it breaks (`malformed` and `unknown_version` when the
    /// frame does not decode).
    Reject(ValidationError),
    /// X Layer's end of a payload's sequence (not a flashblock): what it did.
    PayloadEnd(PayloadEnded),
}

impl Verdict {
    /// `accept`, `duplicate`, or `reject:<rule id>`, as the conformance output writes it.
    pub fn label(&self) -> String {
        match self {
            Self::Accept => "accept".to_owned(),
            Self::Duplicate => "duplicate".to_owned(),
            Self::Reject(err) => format!("reject:{}", err.rule_id()),
            Self::PayloadEnd(_) => "payload_end".to_owned(),
        }
    }

    /// The rule id of a rejection.
    pub fn rule_id(&self) -> Option<&'static str> {
        match self {
            Self::Reject(err) => Some(err.rule_id()),
            Self::Accept | Self::Duplicate | Self::PayloadEnd(_) => None,
        }
    }
}

/// The block-hash check of the block so far, after an accepted flashblock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockHashStatus {
    /// The rebuilt header hashes to `diff.block_hash` (this hash).
    Ok(B256),
    /// It does not.
    Mismatch {
        /// The rebuilt header's hash.
        computed: B256,
        /// The flashblock's `diff.block_hash`.
        claimed: B256,
    },
    /// The stream's `diff.block_hash` is zero, unavailable (OP Subblocks): nothing to
    /// check.
    Unavailable,
    /// The stream's `diff.block_hash` is not the header hash (Base): nothing to check.
    NotAHeaderHash,
    /// Not checked: the flashblock was not accepted, or no header could be rebuilt.
    Skipped,
}

impl BlockHashStatus {
    /// Whether the check ran and passed.
    pub const fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    /// `ok`, `mismatch computed=<0x..> claimed=<0x..>`, `unavailable`,
    /// `not_a_header_hash` or `skipped`, as the conformance output writes it.
    pub fn label(&self) -> String {
        match self {
            Self::Ok(_) => "ok".to_owned(),
            Self::Mismatch { computed, claimed } => {
                format!("mismatch computed={computed} claimed={claimed}")
            }
            Self::Unavailable => "unavailable".to_owned(),
            Self::NotAHeaderHash => "not_a_header_hash".to_owned(),
            Self::Skipped => "skipped".to_owned(),
        }
    }
}

/// What a decoded flashblock is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashblockSummary {
    /// Its block's number, when known (from its `base`, or the block it continues).
    pub block_number: Option<u64>,
    /// Its payload id.
    pub payload_id: PayloadId,
    /// Its index.
    pub index: u64,
    /// The transactions it adds.
    pub transactions: usize,
    /// The block's cumulative gas used.
    pub gas_used: u64,
    /// Its identity where it is known without hashing: the `hash_tree_root` for V1; for
    /// JSON, a digest of the value that is computed only when a resend at an accepted
    /// index must be told from an equivocation, so usually `None`.
    pub identity: Option<B256>,
}

/// The time each stage took for one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageTimes {
    /// Decoding the frame (SSZ, or JSON with brotli).
    pub decode: Duration,
    /// The validity rules.
    pub validate: Duration,
    /// Appending to the block and the block-hash check.
    pub assemble: Duration,
    /// Applying to the overlay.
    pub overlay: Duration,
}

impl StageTimes {
    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.decode + self.validate + self.assemble + self.overlay
    }
}

/// What [`Pipeline::process`] did with one frame.
#[derive(Debug)]
pub struct FrameReport {
    /// The frame's position in the stream (from 0).
    pub frame: usize,
    /// How the frame is encoded.
    pub encoding: FrameEncoding,
    /// The flashblock, when the frame decoded.
    pub flashblock: Option<FlashblockSummary>,
    /// The validator's verdict.
    pub verdict: Verdict,
    /// The block-hash check.
    pub block_hash: BlockHashStatus,
    /// What the overlay reported (failover, gap, eviction).
    pub overlay_events: Vec<OverlayEvent>,
    /// An overlay refusal (the validator accepted what the overlay cannot place).
    pub overlay_error: Option<OverlayError>,
    /// The time per stage.
    pub times: StageTimes,
    /// The flashblock itself when the validator accepted it (shared, not copied), for
    /// what follows the pipeline (the subscribers' feed) without decoding it again.
    pub accepted: Option<Arc<Flashblock>>,
    /// What the execution check reported for this frame (a receiver built with
    /// [`Receiver::with_execution`]): a mismatch, or a flashblock not executed.
    pub execution: Vec<flashblocks::execute::ExecutionReport>,
}

impl FrameReport {
    /// Whether the frame decoded into a flashblock.
    pub const fn is_readable(&self) -> bool {
        self.flashblock.is_some()
    }
}

/// Milliseconds since the Unix epoch, the clock the overlay is given.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The receiving side with timing and reporting: a [`Receiver`] (the validator, the
/// assembler of the current block, the overlay), whose steps it times one by one.
#[derive(Debug)]
pub struct Pipeline {
    receiver: Receiver,
    frames: usize,
}

impl Pipeline {
    /// A pipeline with the default receiver for `rule_set`.
    pub fn new(rule_set: RuleSet) -> Self {
        Self::from_receiver(Receiver::new(ReceiverConfig::for_rule_set(rule_set)))
    }

    /// A pipeline with these settings.
    pub fn with_config(validator: ValidatorConfig, overlay: OverlayConfig) -> Self {
        let config = ReceiverConfig::with_validator(validator).with_overlay(overlay);
        Self::from_receiver(Receiver::new(config))
    }

    /// A pipeline over a receiver the caller set up.
    pub const fn from_receiver(receiver: Receiver) -> Self {
        Self { receiver, frames: 0 }
    }

    /// The receiver.
    pub const fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// The validator's rule set.
    pub const fn rule_set(&self) -> RuleSet {
        self.receiver.rule_set()
    }

    /// A reader handle on the overlay, for query threads (see [`crate::rpc`]).
    pub fn reader(&self) -> OverlayReader {
        self.receiver.reader()
    }

    /// The validator.
    pub const fn validator(&self) -> &Validator {
        self.receiver.validator()
    }

    /// The overlay.
    pub const fn overlay(&self) -> &Overlay {
        self.receiver.overlay()
    }

    /// The frames processed so far.
    pub const fn frames(&self) -> usize {
        self.frames
    }

    /// The payloads of the last blocks (the finished ones the receiver keeps, oldest
    /// first), then the current block's so far.
    pub fn payloads(&self) -> Vec<AssembledPayload> {
        self.receiver.payloads()
    }

    /// Forgets the block being received (after the stream reconnected; see
    /// [`Receiver::reset_stream`]).
    pub fn reset_stream(&mut self) {
        self.receiver.reset_stream();
    }

    /// Tells the receiver the canonical head moved (see [`Receiver::canonical_head`]).
    pub fn advance_canonical(
        &mut self,
        head: CanonicalHead,
        block: Option<&CanonicalBlock>,
    ) -> Vec<OverlayEvent> {
        self.receiver.canonical_head(head, block)
    }

    /// Processes one frame, calling the receiver stage by stage and timing each
    /// stage; the wall clock ([`now_ms`]) is the overlay's clock.
    pub fn process(&mut self, frame: &[u8]) -> FrameReport {
        let index = self.frames;
        self.frames += 1;
        let mut report = FrameReport {
            frame: index,
            encoding: FrameEncoding::detect(frame),
            flashblock: None,
            verdict: Verdict::Accept,
            block_hash: BlockHashStatus::Skipped,
            overlay_events: Vec::new(),
            overlay_error: None,
            times: StageTimes::default(),
            accepted: None,
            execution: Vec::new(),
        };
        let started = Instant::now();
        let decoded = self.receiver.decode(frame);
        report.times.decode = started.elapsed();
        let fb = match decoded {
            Ok(JsonMessage::Flashblock(fb)) => Arc::new(fb),
            Ok(JsonMessage::PayloadEnd(end)) => {
                let started = Instant::now();
                report.verdict = Verdict::PayloadEnd(self.receiver.end_payload(end));
                report.times.validate = started.elapsed();
                return report;
            }
            Err(err) => {
                report.verdict = Verdict::Reject(err);
                return report;
            }
        };
        let current = self.receiver.validator().current_block();
        let mut summary = FlashblockSummary {
            block_number: fb.base().map(|b| b.block_number).or_else(|| {
                current.filter(|c| c.payload_id() == fb.payload_id()).map(|c| c.block_number())
            }),
            payload_id: fb.payload_id(),
            index: fb.index(),
            transactions: fb.transactions().len(),
            gas_used: fb.diff().gas_used,
            identity: fb.known_identity(),
        };
        let started = Instant::now();
        let outcome = self.receiver.validate(fb);
        report.times.validate = started.elapsed();
        let accepted = match outcome {
            Ok(Outcome::Accepted(accepted)) => accepted,
            // `validate` answers a flashblock, never a PayloadEnd (decoded above).
            Ok(Outcome::Duplicate { .. } | Outcome::PayloadEnd(_)) => {
                report.verdict = Verdict::Duplicate;
                report.flashblock = Some(summary);
                return report;
            }
            Err(err) => {
                report.verdict = Verdict::Reject(err);
                report.flashblock = Some(summary);
                return report;
            }
        };
        summary.block_number = Some(accepted.block_number());
        report.flashblock = Some(summary);
        report.accepted = Some(Arc::clone(accepted.flashblock()));

        let started = Instant::now();
        report.block_hash = match self.receiver.assemble(&accepted) {
            Ok(BlockHashOutcome::Ok(hash)) => BlockHashStatus::Ok(hash),
            Ok(BlockHashOutcome::Mismatch { computed, claimed }) => {
                BlockHashStatus::Mismatch { computed, claimed }
            }
            Ok(BlockHashOutcome::Unavailable) => BlockHashStatus::Unavailable,
            Ok(BlockHashOutcome::NotAHeaderHash) => BlockHashStatus::NotAHeaderHash,
            Err(_) => BlockHashStatus::Skipped,
        };
        report.times.assemble = started.elapsed();

        let started = Instant::now();
        match self.receiver.apply(&accepted, now_ms()) {
            Ok(applied) => report.overlay_events = applied.events,
            Err(err) => report.overlay_error = Some(err),
        }
        report.times.overlay = started.elapsed();
        {
            report.execution = self.receiver.take_execution_reports();
        }
        report
    }
}
