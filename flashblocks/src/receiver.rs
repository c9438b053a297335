//! [`Receiver`]: the receiving side of a flashblock stream, IO-free, in one place.

use flashblocks_assemble::{
    AssembleError, AssembledPayload, Assembler, BlockHashCheck, BlockHashOutcome,
};
use flashblocks_overlay::{
    Applied, CanonicalBlock, CanonicalHead, Overlay, OverlayConfig, OverlayError, OverlayEvent,
    OverlayReader,
};
use flashblocks_types::{Dialect, DialectChoice, Flashblock, JsonMessage, PayloadEnd};
use flashblocks_validate::{
    AcceptedFlashblock, BlockStart, Outcome, PayloadEnded, RuleSet, ValidationError, Validator,
    ValidatorConfig,
};
use std::{collections::VecDeque, sync::Arc};

/// How a [`Receiver`] is set up, once: the stream's dialect (which fixes its rule set),
/// bound and block-start window (the validator's configuration), whether the block-hash
/// check is enforced, the overlay's limits, and the bytes of finished payloads it keeps.
///
/// ```
/// use flashblocks::{types::{Dialect, DialectChoice}, validate::RuleSet, ReceiverConfig};
///
/// let config = ReceiverConfig::json().with_block_hash_check(true);
/// assert_eq!(config.validator.rule_set(), RuleSet::Json);
/// assert_eq!(config.dialect(), DialectChoice::Fixed(Dialect::RollupBoost));
/// let auto = ReceiverConfig::v1().with_dialect(DialectChoice::Auto);
/// assert_eq!(auto.validator.rule_set(), RuleSet::Json);
/// assert_eq!(config.validator.max_flashblocks_per_block, 20);
/// assert_eq!(ReceiverConfig::v1().validator.max_blocks_ahead, 64);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiverConfig {
    /// The validator's configuration: the dialect (SSZ V1 or a JSON dialect, or `auto`
    /// among the JSON dialects; it fixes the rule set), the bound on flashblocks per
    /// block, the OP rules, the JSON size cap, and rule 4's block-start window (how far
    /// above the canonical head a block may start, how far below the newest block seen
    /// an index 0 is a replay rather than a restart).
    pub validator: ValidatorConfig,
    /// Enforce the block-hash check (rule `block_hash_mismatch`): off by default, since
    /// a Jovian chain's hashes cannot be proven from V1 alone. Its rebuilt header travels
    /// in the token to the assembler, so the block is hashed once either way.
    pub block_hash_check: bool,
    /// The overlay's bounds and staleness setting.
    pub overlay: OverlayConfig,
    /// The bytes of finished payloads kept for [`Receiver::payloads`] (default 64 MiB,
    /// counted as their transactions' bytes plus a fixed cost per payload, transaction
    /// and withdrawal); the oldest are dropped first. `0` keeps none (a node that serves
    /// no payload: `flashblocks-node` runs so).
    pub max_payload_bytes: usize,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self::v1()
    }
}

impl ReceiverConfig {
    /// The defaults for a V1 (SSZ) stream: the default.
    pub fn v1() -> Self {
        Self::with_validator(ValidatorConfig::v1())
    }

    /// The defaults for a JSON stream (the deployed format, plain or brotli) of
    /// rollup-boost's dialect.
    pub fn json() -> Self {
        Self::with_validator(ValidatorConfig::json())
    }

    /// The defaults for the rule set of `rule_set`.
    pub fn for_rule_set(rule_set: RuleSet) -> Self {
        match rule_set {
            RuleSet::V1 => Self::v1(),
            RuleSet::Json => Self::json(),
        }
    }

    /// The defaults around a validator configuration.
    pub fn with_validator(validator: ValidatorConfig) -> Self {
        Self {
            validator,
            block_hash_check: false,
            overlay: OverlayConfig::default(),
            max_payload_bytes: 64 * 1024 * 1024,
        }
    }

    /// The stream's dialect, or `auto` ([`ValidatorConfig::dialect`]).
    pub const fn dialect(&self) -> DialectChoice {
        self.validator.dialect
    }

    /// Sets the stream's dialect, or `auto` (and with it the rule set).
    pub const fn with_dialect(mut self, dialect: DialectChoice) -> Self {
        self.validator = self.validator.with_dialect(dialect);
        self
    }

    /// Enforces (or not) the block-hash check.
    pub const fn with_block_hash_check(mut self, on: bool) -> Self {
        self.block_hash_check = on;
        self
    }

    /// Sets the overlay's configuration.
    pub const fn with_overlay(mut self, overlay: OverlayConfig) -> Self {
        self.overlay = overlay;
        self
    }
}

/// What [`Receiver::receive`] did with a frame the validator did not reject.
#[derive(Debug)]
pub struct Received {
    /// The decoded flashblock; `None` for a frame that is not one (X Layer's
    /// `PayloadEnd`, answered as [`Outcome::PayloadEnd`]).
    pub flashblock: Option<Arc<Flashblock>>,
    /// The validator's answer (with the token when accepted; for an X Layer
    /// `PayloadEnd`, whether it completed the block being received).
    pub outcome: Outcome,
    /// The dialect `auto` decided from this frame (the first accepted index 0 since the
    /// receiver was made or reset, or a restart); `None` otherwise and for a fixed
    /// dialect. [`Receiver::dialect`] gives the stream's dialect at any time.
    pub dialect_decided: Option<Dialect>,
    /// The block-hash check of the assembled block after an accepted flashblock (`None`
    /// for a duplicate): `ok` with the hash, `mismatch` with both hashes, or, where the
    /// stream's `diff.block_hash` is not the header hash, `unavailable` or
    /// `not_a_header_hash`; an error when the block could not be assembled.
    pub block_hash: Option<Result<BlockHashOutcome, AssembleError>>,
    /// What the overlay did with an accepted flashblock (`None` for a duplicate).
    pub applied: Option<Result<Applied, OverlayError>>,
    /// What the execution check reported for this frame (a receiver built with
    /// [`Receiver::with_execution`]): a mismatch in report mode (the block's executed
    /// facts no longer serve from the overlay), or a flashblock not executed.
    #[cfg(feature = "execute")]
    pub execution: Vec<flashblocks_execute::ExecutionReport>,
}

/// The receiver's view of the execution check it owns: a check it passes to each
/// validation, its reports, and the executor that follows the overlay's events.
#[cfg(feature = "execute")]
trait ExecutionLink: Send {
    fn as_check(&mut self) -> &mut dyn flashblocks_validate::FlashblockCheck;
    fn take_reports(&mut self) -> Vec<flashblocks_execute::ExecutionReport>;
    fn on_overlay_event(&mut self, event: &OverlayEvent);
}

#[cfg(feature = "execute")]
impl<C> ExecutionLink for flashblocks_execute::ExecutionCheck<C>
where
    C: flashblocks_execute::CanonicalStates,
    Self: Send,
{
    fn as_check(&mut self) -> &mut dyn flashblocks_validate::FlashblockCheck {
        self
    }

    fn take_reports(&mut self) -> Vec<flashblocks_execute::ExecutionReport> {
        Self::take_reports(self)
    }

    fn on_overlay_event(&mut self, event: &OverlayEvent) {
        Self::on_overlay_event(self, event);
    }
}

/// The receiver's execution: the check it owns (no one else holds it: query threads
/// read the pending state it publishes), and the reports not yet handed out (at most
/// [`flashblocks_execute::MAX_REPORTS`], the oldest go first).
#[cfg(feature = "execute")]
struct Execution {
    link: Box<dyn ExecutionLink>,
    reports: VecDeque<flashblocks_execute::ExecutionReport>,
}

#[cfg(feature = "execute")]
impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution").field("reports", &self.reports.len()).finish_non_exhaustive()
    }
}

/// The receiving side of a flashblock stream, IO-free: a [`Validator`], the
/// [`Assembler`] of the current block and the preconfirmed state [`Overlay`], kept in
/// step through block starts, failovers, the canonical chain's events and resets.
///
/// Configured once ([`ReceiverConfig`]), it takes frames ([`receive`](Self::receive),
/// or stepwise: [`decode`](Self::decode), [`validate`](Self::validate),
/// [`assemble`](Self::assemble), [`apply`](Self::apply), which a caller times as it
/// likes) and the canonical chain's events ([`canonical_head`](Self::canonical_head),
/// [`reset`](Self::reset)); [`reader`](Self::reader) hands the overlay to the threads
/// that answer queries. It owns no clock: the caller passes `now_ms`, the time the
/// overlay's staleness bound is measured in.
///
/// A rejected frame changes nothing. An accepted block start finishes the previous
/// block (its payload is kept, within [`ReceiverConfig::max_payload_bytes`]) or, for a
/// failover, replaces it; a restart (rule 4: an index 0 far below the newest block
/// seen, [`BlockStart::Restart`]) first resets every stage (the validator and its
/// checks, the executor's layers, the kept payloads, the overlay's pending chain and
/// what it waits for), then takes the frame as the first of a new sequence; a reorg or
/// a broken preconfirmation drops the pending chain and the block being received, so
/// the stream resumes at its next index 0.
#[derive(Debug)]
pub struct Receiver {
    config: ReceiverConfig,
    validator: Validator,
    assembler: Option<Assembler>,
    overlay: Overlay,
    finished: VecDeque<(AssembledPayload, usize)>,
    finished_bytes: usize,
    canonical: Option<CanonicalHead>,
    #[cfg(feature = "execute")]
    execution: Option<Execution>,
}

impl Default for Receiver {
    fn default() -> Self {
        Self::new(ReceiverConfig::default())
    }
}

/// The bytes a payload is counted as: its transactions, and a fixed cost per payload,
/// transaction and withdrawal.
/// Copies a finished payload's transactions and extra data out of the frames they were
/// decoded from: a V1 frame is one buffer that its transactions point into, so a kept
/// payload holding them would keep each frame whole (a 6 MB frame of storage slots with
/// one deposit in it), beyond what [`payload_bytes`] counts and the overlay's bound.
fn detach(payload: &mut AssembledPayload) {
    let v1 = &mut payload.execution_payload.payload_inner.payload_inner;
    for tx in &mut v1.transactions {
        *tx = alloy_primitives::Bytes::copy_from_slice(tx);
    }
    v1.extra_data = alloy_primitives::Bytes::copy_from_slice(&v1.extra_data);
}

fn payload_bytes(payload: &AssembledPayload) -> usize {
    let v1 = &payload.execution_payload.payload_inner.payload_inner;
    let transactions: usize = v1.transactions.iter().map(|tx| tx.len() + 32).sum();
    let withdrawals = payload.execution_payload.payload_inner.withdrawals.len() * 48;
    1024 + v1.extra_data.len() + transactions + withdrawals
}

impl Receiver {
    /// A receiver with nothing received yet.
    pub fn new(config: ReceiverConfig) -> Self {
        let mut validator = Validator::new(config.validator);
        if config.block_hash_check {
            validator.add_check(Box::new(BlockHashCheck::new()));
        }
        Self::with_validator(config, validator)
    }

    /// A receiver around a validator the caller set up (extra checks of its own, such
    /// as an execution check); `config.validator` and `config.block_hash_check` are
    /// taken as the validator has them.
    pub fn with_validator(config: ReceiverConfig, validator: Validator) -> Self {
        let config = ReceiverConfig { validator: *validator.config(), ..config };
        Self {
            overlay: Overlay::new(config.overlay),
            config,
            validator,
            assembler: None,
            finished: VecDeque::new(),
            finished_bytes: 0,
            canonical: None,
            #[cfg(feature = "execute")]
            execution: None,
        }
    }

    /// A receiver that executes each flashblock (feature `execute`): the receiver owns
    /// `check` and runs it with every validation, after the validator's own checks
    /// (rule `execution_invalid`); the executed facts reach the overlay in the accepted
    /// tokens. Nothing else holds the check: threads that answer queries read the
    /// pending state it publishes (take an
    /// [`ExecutionCheck::pending_snapshots`](flashblocks_execute::ExecutionCheck::pending_snapshots)
    /// handle before passing it here).
    ///
    /// In [`Enforcement::Report`](flashblocks_execute::Enforcement::Report) (the
    /// check's default) a flashblock whose execution differs from its claims is
    /// accepted, the mismatch is reported ([`Received::execution`]), and none of its
    /// block's executed facts serve from then on (reads answer not known; the
    /// transactions and what the stream carried still serve). In
    /// [`Enforcement::Enforce`](flashblocks_execute::Enforcement::Enforce) it is
    /// rejected as `execution_invalid`, nothing changed. The overlay's events
    /// (confirmed, broken preconfirmation, reorg, failover) reach the executor.
    #[cfg(feature = "execute")]
    pub fn with_execution<C>(
        config: ReceiverConfig,
        check: flashblocks_execute::ExecutionCheck<C>,
    ) -> Self
    where
        C: flashblocks_execute::CanonicalStates + Send + 'static,
    {
        let mut receiver = Self::new(config);
        receiver.execution = Some(Execution { link: Box::new(check), reports: VecDeque::new() });
        receiver
    }

    /// The execution check's reports not yet handed out (a receiver built with
    /// [`with_execution`](Self::with_execution); [`receive`](Self::receive) hands them
    /// out in [`Received::execution`]), oldest first.
    #[cfg(feature = "execute")]
    pub fn take_execution_reports(&mut self) -> Vec<flashblocks_execute::ExecutionReport> {
        self.execution.as_mut().map(|e| e.reports.drain(..).collect()).unwrap_or_default()
    }

    /// After an accepted flashblock was applied: drains the check's reports, voids the
    /// executed facts of a block with a mismatch, and passes the overlay's events on.
    #[cfg(feature = "execute")]
    fn after_apply(&mut self, accepted: &AcceptedFlashblock, events: &[OverlayEvent]) {
        self.events_to_executor(events);
        let Some(execution) = self.execution.as_mut() else { return };
        for report in execution.link.take_reports() {
            if matches!(report, flashblocks_execute::ExecutionReport::Mismatch { .. }) {
                self.overlay.void_executed(accepted.flashblock().payload_id());
            }
            if execution.reports.len() >= flashblocks_execute::MAX_REPORTS {
                execution.reports.pop_front();
            }
            execution.reports.push_back(report);
        }
    }

    #[cfg(feature = "execute")]
    fn events_to_executor(&mut self, events: &[OverlayEvent]) {
        if let Some(execution) = self.execution.as_mut() {
            for event in events {
                execution.link.on_overlay_event(event);
            }
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// The stream's dialect: the configured one, or what `auto` decided from the first
    /// accepted index 0 (`None` until then, and again after a reset).
    pub const fn dialect(&self) -> Option<Dialect> {
        self.validator.dialect()
    }

    /// The stream's rule set.
    pub const fn rule_set(&self) -> RuleSet {
        self.validator.rule_set()
    }

    /// A reader handle on the overlay, for the threads that answer queries.
    pub fn reader(&self) -> OverlayReader {
        self.overlay.reader()
    }

    /// The validator.
    pub const fn validator(&self) -> &Validator {
        &self.validator
    }

    /// The assembler of the block being received, if any.
    pub const fn assembler(&self) -> Option<&Assembler> {
        self.assembler.as_ref()
    }

    /// The overlay.
    pub const fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// The canonical head last reported, if any.
    pub const fn canonical(&self) -> Option<CanonicalHead> {
        self.canonical
    }

    /// The payloads of the last finished blocks, oldest first (within
    /// [`ReceiverConfig::max_payload_bytes`]), then the current block's so far.
    pub fn payloads(&self) -> Vec<AssembledPayload> {
        self.finished
            .iter()
            .map(|(payload, _)| payload.clone())
            .chain(self.assembler.as_ref().map(Assembler::payload))
            .collect()
    }

    /// Decodes, validates, assembles and applies one frame; `now_ms` is the caller's
    /// clock.
    ///
    /// # Errors
    ///
    /// The validator's rejection (`malformed` for bytes that do not decode as the
    /// stream's format, then the first rule broken): nothing changed.
    pub fn receive(&mut self, frame: &[u8], now_ms: u64) -> Result<Received, ValidationError> {
        let flashblock = match self.decode(frame)? {
            JsonMessage::Flashblock(flashblock) => Arc::new(flashblock),
            JsonMessage::PayloadEnd(end) => {
                let ended = self.end_payload(end);
                return Ok(Received {
                    flashblock: None,
                    outcome: Outcome::PayloadEnd(ended),
                    dialect_decided: None,
                    block_hash: None,
                    applied: None,
                    #[cfg(feature = "execute")]
                    execution: Vec::new(),
                });
            }
        };
        let outcome = self.validate(Arc::clone(&flashblock))?;
        let dialect_decided = outcome.accepted().and_then(AcceptedFlashblock::decided_dialect);
        let (block_hash, applied) = match outcome.accepted() {
            Some(accepted) => {
                let block_hash = self.assemble(accepted);
                (Some(block_hash), Some(self.apply(accepted, now_ms)))
            }
            None => (None, None),
        };
        Ok(Received {
            flashblock: Some(flashblock),
            outcome,
            dialect_decided,
            block_hash,
            applied,
            #[cfg(feature = "execute")]
            execution: self.take_execution_reports(),
        })
    }

    /// Step 1: decodes a frame as the stream is configured (never guessed): a
    /// flashblock, or, on an X Layer stream (configured, or decided by `auto`), the end
    /// of a payload's sequence, for [`end_payload`](Self::end_payload)
    /// ([`Validator::decode_message`]). Changes nothing.
    ///
    /// # Errors
    ///
    /// `malformed` or `unknown_version`.
    pub fn decode(&self, frame: &[u8]) -> Result<JsonMessage, ValidationError> {
        self.validator.decode_message(frame)
    }

    /// Step 2 for X Layer's end of a payload's sequence: when it names the block being
    /// received, that block is complete (a later index of its payload is
    /// `payload_ended`); otherwise nothing changes ([`Validator::end_payload`]).
    pub fn end_payload(&mut self, end: PayloadEnd) -> PayloadEnded {
        self.validator.end_payload(end)
    }

    /// Step 2: validates a decoded flashblock (rule 4's block-start window against the
    /// canonical head last reported included).
    ///
    /// # Errors
    ///
    /// The first rule broken; nothing changed.
    pub fn validate(
        &mut self,
        flashblock: impl Into<Arc<Flashblock>>,
    ) -> Result<Outcome, ValidationError> {
        #[cfg(feature = "execute")]
        if let Some(execution) = self.execution.as_mut() {
            return self.validator.validate_with(flashblock, execution.link.as_check());
        }
        self.validator.validate(flashblock)
    }

    /// Step 3: appends an accepted flashblock to its block (a block start finishes or
    /// replaces the previous one; a restart drops it and the kept payloads) and checks
    /// the block hash of the block so far (free when the block-hash check ran: its
    /// header came in the token), as the stream's dialect allows
    /// ([`Assembler::block_hash_outcome`]): a mismatch is reported, not enforced here.
    ///
    /// # Errors
    ///
    /// Why the block could not be assembled (a list over the payload's limits), or no
    /// header rebuilt (a base fee over 64 bits).
    pub fn assemble(
        &mut self,
        accepted: &AcceptedFlashblock,
    ) -> Result<BlockHashOutcome, AssembleError> {
        let assembler = match accepted.block_start() {
            Some(start) => {
                let previous = self.assembler.take();
                match (previous, start) {
                    (Some(previous), BlockStart::Next { .. }) => self.keep(previous.into_payload()),
                    (_, BlockStart::Restart { .. }) => {
                        self.finished.clear();
                        self.finished_bytes = 0;
                    }
                    _ => {}
                }
                self.assembler.insert(Assembler::new(accepted)?)
            }
            None => match self.assembler.as_mut() {
                Some(assembler) => {
                    assembler.append(accepted)?;
                    assembler
                }
                None => return Err(AssembleError::NotBlockStart { index: accepted.index() }),
            },
        };
        assembler.block_hash_outcome()
    }

    fn keep(&mut self, mut payload: AssembledPayload) {
        if self.config.max_payload_bytes == 0 {
            return;
        }
        detach(&mut payload);
        let bytes = payload_bytes(&payload);
        self.finished_bytes += bytes;
        self.finished.push_back((payload, bytes));
        while self.finished_bytes > self.config.max_payload_bytes {
            let Some((_, bytes)) = self.finished.pop_front() else { break };
            self.finished_bytes -= bytes;
        }
    }

    /// Step 4: applies an accepted flashblock to the overlay and publishes a new
    /// snapshot; `now_ms` is the caller's clock.
    ///
    /// # Errors
    ///
    /// What the overlay cannot place (see [`OverlayError`]); the overlay is unchanged.
    pub fn apply(
        &mut self,
        accepted: &AcceptedFlashblock,
        now_ms: u64,
    ) -> Result<Applied, OverlayError> {
        // Base's incomplete block (the index 0 says the block before it had more frames
        // than were received) is the overlay's to drop: `OverlayEvent::Incomplete`.
        let applied = self.overlay.apply(accepted, now_ms);
        #[cfg(feature = "execute")]
        self.after_apply(accepted, applied.as_ref().map_or(&[][..], |a| &a.events[..]));
        applied
    }

    /// The canonical chain has a new head (a new block or a reorg); `block` is what the
    /// caller read of it (its transaction hashes in order, `gasUsed` and
    /// `receiptsRoot`), when known, to check the preconfirmed block against
    /// ([`Overlay::advance_canonical`]). Confirmed blocks leave the overlay; a broken preconfirmation or a reorg
    /// drops the pending chain and the block being received (the stream resumes at its
    /// next index 0, and the newest block seen is forgotten), as does a block being
    /// received that is further ahead of the head than the validator's
    /// [`max_blocks_ahead`](ValidatorConfig::max_blocks_ahead). The head's number is
    /// rule 4's canonical head from now on.
    pub fn canonical_head(
        &mut self,
        head: CanonicalHead,
        block: Option<&CanonicalBlock>,
    ) -> Vec<OverlayEvent> {
        self.canonical = Some(head);
        self.validator.set_canonical_head(Some(head.number));
        let mut events = self.overlay.advance_canonical(head, block);
        let dropped = events.iter().any(|event| {
            matches!(event, OverlayEvent::Reorg { .. } | OverlayEvent::BrokenPreconfirmation { .. })
        });
        let implausible = self.validator.current_block().is_some_and(|block| {
            block.block_number()
                > head.number.saturating_add(self.config.validator.max_blocks_ahead)
        });
        if implausible {
            let dropped_from = self.validator.current_block().map(|b| b.block_number());
            self.overlay.reset();
            events.push(OverlayEvent::Reorg { canonical: head, dropped_from });
        }
        #[cfg(feature = "execute")]
        self.events_to_executor(&events);
        if dropped || implausible {
            self.validator.reset();
            self.reset_execution();
            self.assembler = None;
        }
        events
    }

    /// Resets the execution check the receiver owns, with the validator (whose own
    /// checks the validator resets).
    fn reset_execution(&mut self) {
        #[cfg(feature = "execute")]
        if let Some(execution) = self.execution.as_mut() {
            execution.link.as_check().reset();
        }
    }

    /// Forgets the block being received (validator and assembler), after the stream
    /// reconnected: what was sent meanwhile is missing, so the next block starts at its
    /// index 0. The overlay keeps its pending blocks until the next block or the
    /// canonical chain replaces them, and the validator keeps the newest block seen
    /// (rule 4), so that what a mirror replays on reconnect is `stale_block`.
    pub fn reset_stream(&mut self) {
        self.validator.reset_stream();
        self.reset_execution();
        self.assembler = None;
    }

    /// Forgets everything received: the block being received, the newest block seen and
    /// every pending block (the finished payloads and the canonical head are kept).
    pub fn reset(&mut self) {
        self.validator.reset();
        self.reset_execution();
        self.assembler = None;
        self.overlay.reset();
    }
}
