//! [`Validator`]: the sequence state machine.

use crate::{
    dialect::{self, PayloadEnded, PrevBlockLink},
    post_exec::{self, PostExecState},
    rules, CheckOutput, FlashblockCheck, RuleSet, StaleBy, Tip, ValidationError, ValidatorConfig,
};
use alloy_consensus::Header;
use alloy_primitives::{Sealed, B256};
use core::fmt;
use flashblocks_types::{
    Dialect, ExecutedMetadata, ExecutionPayloadStaticV1, Flashblock, FlashblockSource,
    JsonFrameReader, JsonMessage, PayloadEnd, PayloadId, PostExecTx, PreparedTransactions,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};
use std::sync::Arc;

/// The block a validator holds: its payload id, `base`, what the resend rule keeps of
/// the flashblocks accepted so far and their cumulative gas. Its size is bounded by the
/// configured maximum of flashblocks per block (one entry each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentBlock {
    payload_id: PayloadId,
    base: ExecutionPayloadStaticV1,
    accepted: Vec<Kept>,
    gas_used: u64,
    /// The block's transactions and withdrawals so far (the payload's list limits).
    transactions: u64,
    withdrawals: u64,
    /// X Layer: the flashblocks the block had when its `PayloadEnd` arrived.
    ended_at: Option<u64>,
    /// Lagoon: the latest post-exec transaction and what its rules need.
    post_exec: PostExecState,
}

/// What the resend rule keeps of an accepted flashblock, to tell a harmless duplicate
/// from an equivocation when another frame arrives at its index.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kept {
    /// V1: its `hash_tree_root` (known from the decode; the hash chain needs it).
    Root(B256),
    /// JSON: the flashblock itself (the one its token carries, not a copy), so that its
    /// identity, a hash over the whole flashblock, is computed only if a frame with
    /// another value arrives at its index ([`Flashblock::same_identity`]).
    Json(Arc<Flashblock>),
}

impl Kept {
    fn new(fb: &Arc<Flashblock>) -> Self {
        match fb.source() {
            FlashblockSource::V1 => Self::Root(fb.identity()),
            FlashblockSource::Json => Self::Json(Arc::clone(fb)),
        }
    }

    /// The identity (for JSON, computed now if it was not yet).
    fn identity(&self) -> B256 {
        match self {
            Self::Root(root) => *root,
            Self::Json(fb) => fb.identity(),
        }
    }

    /// Whether `fb` has this identity (a resend), hashing only when the values differ.
    fn same_identity(&self, fb: &Flashblock) -> bool {
        match self {
            Self::Root(root) => fb.source() == FlashblockSource::V1 && fb.identity() == *root,
            Self::Json(kept) => kept.same_identity(fb),
        }
    }
}

impl CurrentBlock {
    /// The block's payload id.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The block's `base`, from its index 0.
    pub const fn base(&self) -> &ExecutionPayloadStaticV1 {
        &self.base
    }

    /// The block number (`base.block_number`).
    pub const fn block_number(&self) -> u64 {
        self.base.block_number
    }

    /// The identities of the accepted flashblocks, by index (for V1: their
    /// `hash_tree_root`s). A JSON flashblock's identity is a hash over the whole
    /// flashblock, computed here if nothing asked for it before (the resend rule does
    /// only when another frame arrives at its index).
    pub fn identities(&self) -> impl ExactSizeIterator<Item = B256> + '_ {
        self.accepted.iter().map(Kept::identity)
    }

    /// The index the next flashblock must carry: the number accepted.
    pub const fn next_index(&self) -> u64 {
        self.accepted.len() as u64
    }

    /// The identity of the last accepted flashblock: what the next one's
    /// `parent_flash_hash` must carry (V1; for JSON, as [`identities`](Self::identities)).
    pub fn last_root(&self) -> Option<B256> {
        self.accepted.last().map(Kept::identity)
    }

    /// X Layer: the flashblocks the block had when its `PayloadEnd` arrived, if it did.
    pub const fn ended_at(&self) -> Option<u64> {
        self.ended_at
    }

    /// The cumulative `gas_used` of the last accepted flashblock.
    pub const fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// Lagoon: the block so far's latest post-exec transaction (the last
    /// `diff.post_exec_tx` accepted; a flashblock that omits the field leaves it).
    pub fn post_exec_tx(&self) -> Option<&Arc<PostExecTx>> {
        self.post_exec.latest.as_ref()
    }

    fn kept_at(&self, index: u64) -> Option<&Kept> {
        usize::try_from(index).ok().and_then(|i| self.accepted.get(i))
    }
}

/// How an accepted index 0 started its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockStart {
    /// No block was current (the first block seen, or the first after
    /// [`Validator::reset`] or [`Validator::reset_stream`]).
    First,
    /// The block after the current one: a higher block number. The previous block is
    /// dropped (it is complete, as far as this validator knows).
    Next {
        /// The payload id of the block it replaced.
        previous: PayloadId,
    },
    /// A builder failover: another payload id for the same block number. The current
    /// block is replaced.
    Failover {
        /// The payload id of the block it replaced.
        replaced: PayloadId,
    },
    /// Rule 4's restart: a block more than `max_replay_distance` below the newest block
    /// seen since the last restart (and above the canonical head, when the caller keeps
    /// one): the stream started over (a far-off frame before it, or a builder that went
    /// back). The validator and its checks started afresh before taking it; the later
    /// stages reset theirs (the pending chain, what it waits for from the canonical
    /// chain, the executed layers, the kept payloads) before they take it.
    Restart {
        /// The newest block number seen before the restart.
        newest: u64,
    },
}

impl BlockStart {
    /// Whether this is a [`Restart`](Self::Restart): the later stages reset first.
    pub const fn is_restart(&self) -> bool {
        matches!(self, Self::Restart { .. })
    }
}

/// A flashblock the [`Validator`] accepted: the token the later stages (the assembler,
/// the overlay) take instead of checking the sequence again. Only the validator makes
/// one, so holding one proves that the flashblock passed every rule and extra check in
/// the order of its stream.
///
/// It carries the flashblock, its block's number, how it started its block (for an
/// index 0), the stream's dialect (and whether this flashblock decided it, under
/// `auto`), what Base's index 0 said of the block before it ([`PrevBlockLink`]), and
/// what the extra checks produced ([`CheckOutput`]): the block-hash check's rebuilt
/// header, so that the assembler does not rebuild it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedFlashblock {
    flashblock: Arc<Flashblock>,
    block_number: u64,
    block_start: Option<BlockStart>,
    dialect: Dialect,
    decided: bool,
    link: Option<PrevBlockLink>,
    outputs: Vec<CheckOutput>,
    post_exec: Option<Arc<PostExecTx>>,
}

impl AcceptedFlashblock {
    /// The accepted flashblock.
    pub const fn flashblock(&self) -> &Arc<Flashblock> {
        &self.flashblock
    }

    /// The flashblock, taken out of the token.
    pub fn into_flashblock(self) -> Arc<Flashblock> {
        self.flashblock
    }

    /// Its block's payload id.
    pub fn payload_id(&self) -> PayloadId {
        self.flashblock.payload_id()
    }

    /// Its transactions decoded, hashed and with their senders recovered, once, when it
    /// passed the built-in rules ([`Flashblock::prepared`]): what the assembler, the
    /// overlay and the executor read instead of decoding again.
    pub fn prepared(&self) -> &Arc<PreparedTransactions> {
        self.flashblock.prepared()
    }

    /// Its index.
    pub fn index(&self) -> u64 {
        self.flashblock.index()
    }

    /// Its block's number (from the `base` of the block's index 0).
    pub const fn block_number(&self) -> u64 {
        self.block_number
    }

    /// `Some` when this index 0 started a new block, and how.
    pub const fn block_start(&self) -> Option<BlockStart> {
        self.block_start
    }

    /// The stream's dialect: the configured one, or what `auto` decided (from this
    /// flashblock, when [`decided_dialect`](Self::decided_dialect) says so). What
    /// `diff.block_hash` is follows from it ([`Dialect::block_hash`]).
    pub const fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// `Some` when `auto` decided the stream's dialect from this flashblock (the first
    /// accepted index 0 since the validator was made or reset, or a restart).
    pub const fn decided_dialect(&self) -> Option<Dialect> {
        if self.decided {
            Some(self.dialect)
        } else {
            None
        }
    }

    /// What this index 0's `metadata.prev_flashblock_id` (Base) said of the block held
    /// before it, when there is something to report: `"0-0"`, or an incomplete block.
    pub const fn prev_block_link(&self) -> Option<PrevBlockLink> {
        self.link
    }

    /// Whether it started a new block.
    pub const fn starts_block(&self) -> bool {
        self.block_start.is_some()
    }

    /// Lagoon: the latest post-exec transaction of the block so far, this flashblock
    /// included: its own `diff.post_exec_tx` when it carried one, else the one an
    /// earlier flashblock of the block carried (restatements only append), `None` while
    /// the block has none. Decoded with op-alloy's codec and checked by the Lagoon rules
    /// (`post_exec_invalid`, `sdm_invalid`, `sdm_restated`): its refund indices are
    /// strictly increasing non-deposit transactions of the block so far.
    pub fn post_exec_tx(&self) -> Option<&Arc<PostExecTx>> {
        self.post_exec.as_ref()
    }

    /// What the extra checks produced, one entry per check in the order they were
    /// added.
    pub fn outputs(&self) -> &[CheckOutput] {
        &self.outputs
    }

    /// The header the block-hash check rebuilt for the block up to and including this
    /// flashblock, sealed with its hash, when that check runs.
    pub fn header(&self) -> Option<&Arc<Sealed<Header>>> {
        self.outputs.iter().find_map(|output| match output {
            CheckOutput::BlockHash(header) => Some(header),
            CheckOutput::None | CheckOutput::Executed(_) => None,
        })
    }

    /// The facts the execution check produced for this flashblock, when that check runs
    /// and executed it.
    pub fn executed(&self) -> Option<&Arc<ExecutedMetadata>> {
        self.outputs.iter().find_map(|output| match output {
            CheckOutput::Executed(executed) => Some(executed),
            CheckOutput::None | CheckOutput::BlockHash(_) => None,
        })
    }
}

/// The answer to a flashblock that was not rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Valid: the state advanced; the token for the later stages.
    Accepted(AcceptedFlashblock),
    /// A resend of an accepted flashblock of the current block (same identity):
    /// harmless, state unchanged, not to be forwarded again.
    Duplicate {
        /// The block's payload id.
        payload_id: PayloadId,
        /// The resent index.
        index: u64,
    },
    /// Not a flashblock: X Layer's end of a payload's sequence
    /// ([`Validator::end_payload`]).
    PayloadEnd(PayloadEnded),
}

impl Outcome {
    /// Whether the flashblock was accepted (and is to be forwarded).
    pub const fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted(_))
    }

    /// Whether it was a harmless duplicate.
    pub const fn is_duplicate(&self) -> bool {
        matches!(self, Self::Duplicate { .. })
    }

    /// The token, if accepted.
    pub const fn accepted(&self) -> Option<&AcceptedFlashblock> {
        match self {
            Self::Accepted(a) => Some(a),
            Self::Duplicate { .. } | Self::PayloadEnd(_) => None,
        }
    }

    /// The token, if accepted, taken out.
    pub fn into_accepted(self) -> Option<AcceptedFlashblock> {
        match self {
            Self::Accepted(a) => Some(a),
            Self::Duplicate { .. } | Self::PayloadEnd(_) => None,
        }
    }
}

/// A frame that passed: the decoded flashblock and the validator's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validated {
    /// The decoded flashblock (the token holds the same one when accepted).
    pub flashblock: Arc<Flashblock>,
    /// Accepted or duplicate.
    pub outcome: Outcome,
}

/// The decision of steps 1 to 6, taken without touching the state.
enum Plan {
    Duplicate,
    /// Accept; `Some(start)` when it starts a new block, with what its Base link says
    /// and the post-exec transaction it carried, decoded.
    Accept(Option<BlockStart>, Option<PrevBlockLink>, Option<Arc<PostExecTx>>),
}

/// The reference validator of a flashblock stream: fed one flashblock at a time, it
/// answers [`Outcome::Accepted`], [`Outcome::Duplicate`] or the first rule broken, in
/// the [spec page](flashblocks_types::spec)'s order. A rejection changes no state, its own or its checks'.
///
/// The rules fall in layers ([spec page](flashblocks_types::spec), "Validity rules", **Order**): the frame
/// (stateless, on bytes), resends (against the accepted identities), the flashblock alone
/// (stateless), the block start and the position along the block (against the current
/// block), the gas (against the previous flashblock), and the optional checks (the tip,
/// and the caller's checks that keep the block so far themselves).
///
/// ```
/// use flashblocks_validate::{BlockStart, Validator, ValidatorConfig};
/// use flashblocks_types::{GeneratorConfig, SequenceGenerator};
///
/// let mut validator = Validator::new(ValidatorConfig::default());
/// let block = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
/// let frames: Vec<Vec<u8>> = block.iter().map(|fb| fb.encode_ssz()).collect();
///
/// let first = validator.validate_frame(&frames[0])?;
/// assert_eq!(first.outcome.accepted().unwrap().block_start(), Some(BlockStart::First));
/// // A gap is rejected with the facts, and the state is as before.
/// let err = validator.validate_frame(&frames[2]).unwrap_err();
/// assert_eq!(err.rule_id(), "index_gap");
/// // So the right next flashblock is still accepted; a resend is a harmless duplicate.
/// assert!(validator.validate_frame(&frames[1])?.outcome.is_accepted());
/// assert!(validator.validate_frame(&frames[1])?.outcome.is_duplicate());
/// assert_eq!(validator.current_block().unwrap().next_index(), 2);
/// # Ok::<(), flashblocks_validate::ValidationError>(())
/// ```
pub struct Validator {
    config: ValidatorConfig,
    tip: Option<Tip>,
    /// H of rule 4: the canonical head's number, when the caller keeps one.
    canonical_head: Option<u64>,
    /// C of rule 4: the newest block number seen since the last restart or reset.
    newest: Option<u64>,
    /// The stream's dialect: the configured one, or what `auto` decided (`None` until
    /// the first accepted index 0, and again after a reset).
    dialect: Option<Dialect>,
    current: Option<CurrentBlock>,
    checks: Vec<Box<dyn FlashblockCheck + Send>>,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("config", &self.config)
            .field("tip", &self.tip)
            .field("canonical_head", &self.canonical_head)
            .field("newest", &self.newest)
            .field("dialect", &self.dialect)
            .field("current", &self.current)
            .field("checks", &self.checks.len())
            .finish()
    }
}

impl Default for Validator {
    fn default() -> Self {
        Self::new(ValidatorConfig::default())
    }
}

impl Validator {
    /// A validator with no block yet.
    pub const fn new(config: ValidatorConfig) -> Self {
        Self {
            config,
            tip: None,
            canonical_head: None,
            newest: None,
            dialect: config.dialect.fixed(),
            current: None,
            checks: Vec::new(),
        }
    }

    /// The stream's dialect: the configured one, or what `auto` decided from the first
    /// accepted index 0 (`None` until then, and again after [`reset`](Self::reset)).
    pub const fn dialect(&self) -> Option<Dialect> {
        self.dialect
    }

    /// X Layer's end of a sequence: when `end` names the block held, it is complete
    /// (a later index of its payload is `payload_ended`); otherwise nothing changes. A
    /// second end of the same payload answers the same.
    pub fn end_payload(&mut self, end: PayloadEnd) -> PayloadEnded {
        match self.current.as_mut().filter(|c| c.payload_id == end.payload_id) {
            Some(current) => {
                let next_index = current.next_index();
                let flashblocks = *current.ended_at.get_or_insert(next_index);
                PayloadEnded::Completed {
                    payload_id: end.payload_id,
                    block_number: current.block_number(),
                    flashblocks,
                }
            }
            None => PayloadEnded::Unknown { payload_id: end.payload_id },
        }
    }

    /// Adds an extra check ([spec page](flashblocks_types::spec), "Optional checks"), run after every built-in rule
    /// and the head check, in the order added.
    pub fn with_check(mut self, check: Box<dyn FlashblockCheck + Send>) -> Self {
        self.checks.push(check);
        self
    }

    /// Adds an extra check (see [`with_check`](Self::with_check)).
    pub fn add_check(&mut self, check: Box<dyn FlashblockCheck + Send>) {
        self.checks.push(check);
    }

    /// The configuration.
    pub const fn config(&self) -> &ValidatorConfig {
        &self.config
    }

    /// The rule set this validator runs.
    pub const fn rule_set(&self) -> RuleSet {
        self.config.rule_set()
    }

    /// Sets (or, with `None`, clears) the tip a new block must extend; while it is set,
    /// every index 0 that starts a block is checked against it (`head_mismatch`).
    pub const fn set_tip(&mut self, tip: Option<Tip>) {
        self.tip = tip;
    }

    /// The tip new blocks are checked against, if any.
    pub const fn tip(&self) -> Option<&Tip> {
        self.tip.as_ref()
    }

    /// Sets (or, with `None`, clears) the number of the canonical head the caller keeps:
    /// rule 4's H. A block start at or below it is `stale_block`, one more than
    /// [`max_blocks_ahead`](ValidatorConfig::max_blocks_ahead) above it `too_far_ahead`.
    pub const fn set_canonical_head(&mut self, number: Option<u64>) {
        self.canonical_head = number;
    }

    /// The canonical head's number the caller keeps, if any.
    pub const fn canonical_head(&self) -> Option<u64> {
        self.canonical_head
    }

    /// Rule 4's C: the newest block number seen since the last restart or
    /// [`reset`](Self::reset) (kept by [`reset_stream`](Self::reset_stream)).
    pub const fn newest_block(&self) -> Option<u64> {
        self.newest
    }

    /// The block being received, if any.
    pub const fn current_block(&self) -> Option<&CurrentBlock> {
        self.current.as_ref()
    }

    /// Forgets the current block and the newest block seen (after a reorg of the unsafe
    /// chain) and resets every extra check. The next flashblock must be an index 0.
    pub fn reset(&mut self) {
        self.reset_stream();
        self.newest = None;
        self.dialect = self.config.dialect.fixed();
    }

    /// Forgets the current block and resets every extra check, after the stream
    /// reconnected: the next flashblock must be an index 0. The newest block seen is
    /// kept (rule 4's C), so that what a mirror replays on reconnect is `stale_block`.
    pub fn reset_stream(&mut self) {
        self.current = None;
        for check in &mut self.checks {
            check.reset();
        }
    }

    /// Decodes a frame as the stream's rule set says (the **Frame** rule) and validates
    /// it: an SSZ frame on a V1 stream (its first 4 bytes pick the container), a JSON
    /// frame, plain or brotli-compressed, on a JSON stream. The format is never guessed
    /// from the bytes.
    ///
    /// # Errors
    ///
    /// `malformed` for bytes that do not decode (on a JSON stream: not JSON, not
    /// brotli, or over [`ValidatorConfig::max_json_len`]); `unknown_version` for an SSZ
    /// frame of another version; otherwise as [`validate`](Self::validate).
    pub fn validate_frame(&mut self, frame: &[u8]) -> Result<Validated, ValidationError> {
        let flashblock = Arc::new(self.decode_frame(frame)?);
        let outcome = self.validate(Arc::clone(&flashblock))?;
        Ok(Validated { flashblock, outcome })
    }

    /// The **Frame** rule alone: decodes a frame in the stream's format, without
    /// validating it or changing any state.
    ///
    /// # Errors
    ///
    /// `malformed` or `unknown_version`, as [`validate_frame`](Self::validate_frame).
    pub fn decode_frame(&self, frame: &[u8]) -> Result<Flashblock, ValidationError> {
        Ok(match self.config.rule_set() {
            RuleSet::V1 => Flashblock::decode_v1(frame)?,
            RuleSet::Json => JsonFrameReader::new(self.config.max_json_len).decode(frame)?,
        })
    }

    /// The **Frame** rule for a stream whose frames may also be X Layer's end of a
    /// sequence: a flashblock as [`decode_frame`](Self::decode_frame) reads it, or, when
    /// the stream's dialect is X Layer (configured, or decided by `auto`), a
    /// [`PayloadEnd`] (for [`end_payload`](Self::end_payload)). Changes nothing.
    ///
    /// # Errors
    ///
    /// As [`decode_frame`](Self::decode_frame); a `PayloadEnd` on a stream of another
    /// dialect is `malformed` (it is not a flashblock).
    pub fn decode_message(&self, frame: &[u8]) -> Result<JsonMessage, ValidationError> {
        match self.config.rule_set() {
            RuleSet::V1 => Ok(JsonMessage::Flashblock(Flashblock::decode_v1(frame)?)),
            RuleSet::Json => {
                let reader = JsonFrameReader::new(self.config.max_json_len);
                match reader.decode_message(frame)? {
                    JsonMessage::PayloadEnd(_) if self.dialect != Some(Dialect::XLayer) => {
                        // Read as what the stream carries: a flashblock (whose decode fails).
                        Ok(JsonMessage::Flashblock(reader.decode(frame)?))
                    }
                    message => Ok(message),
                }
            }
        }
    }

    /// Validates one decoded flashblock and, when it is accepted, takes it in and hands
    /// out its [`AcceptedFlashblock`] token.
    ///
    /// # Errors
    ///
    /// The first rule `flashblock` breaks, in the [spec page](flashblocks_types::spec)'s order; the state (and
    /// every extra check's) is then exactly as before.
    pub fn validate(
        &mut self,
        flashblock: impl Into<Arc<Flashblock>>,
    ) -> Result<Outcome, ValidationError> {
        self.validate_checked(flashblock.into(), None)
    }

    /// [`validate`](Self::validate) with one more check that the caller owns (and so
    /// can read between flashblocks without sharing it): `extra` runs after the
    /// validator's own checks, is committed with them when the flashblock is accepted,
    /// and its output comes last in [`AcceptedFlashblock::outputs`]. The validator does
    /// not keep it: the caller resets it when it resets the validator.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate); a rejection commits nothing, `extra` included.
    pub fn validate_with(
        &mut self,
        flashblock: impl Into<Arc<Flashblock>>,
        extra: &mut dyn FlashblockCheck,
    ) -> Result<Outcome, ValidationError> {
        self.validate_checked(flashblock.into(), Some(extra))
    }

    fn validate_checked(
        &mut self,
        flashblock: Arc<Flashblock>,
        mut extra: Option<&mut dyn FlashblockCheck>,
    ) -> Result<Outcome, ValidationError> {
        let (block_start, link, post_exec) = match self.plan(&flashblock)? {
            Plan::Duplicate => {
                return Ok(Outcome::Duplicate {
                    payload_id: flashblock.payload_id(),
                    index: flashblock.index(),
                })
            }
            Plan::Accept(start, link, post_exec) => (start, link, post_exec),
        };
        let starts_block = block_start.is_some();
        if starts_block {
            self.check_tip(&flashblock)?;
        }
        // Past the built-in rules: the transactions are decoded, hashed and their senders
        // recovered, once, for the extra checks and every later stage (a frame rejected
        // above paid nothing; one an extra check rejects paid what executing it needs).
        flashblock.prepared();
        let restart = block_start.is_some_and(|start| start.is_restart());
        // `auto` decides once, from the first accepted index 0 (again after a reset or
        // a restart): the checks see what it would decide, and it is kept only if the
        // candidate is accepted.
        let decide = self.config.dialect.fixed().is_none() && (self.dialect.is_none() || restart);
        let dialect = match self.dialect {
            Some(dialect) if !decide => dialect,
            _ => Dialect::detect(&flashblock),
        };
        let mut outputs = Vec::with_capacity(self.checks.len() + 1);
        for check in &mut self.checks {
            outputs.push(check.check(&flashblock, starts_block, dialect)?);
        }
        if let Some(extra) = extra.as_deref_mut() {
            outputs.push(extra.check(&flashblock, starts_block, dialect)?);
        }
        // Accepted: nothing below fails. A restart starts the checks afresh first.
        if decide {
            self.dialect = Some(dialect);
        }
        for check in &mut self.checks {
            if restart {
                check.restart();
            }
            check.commit(&flashblock, starts_block);
        }
        if let Some(extra) = extra {
            if restart {
                extra.restart();
            }
            extra.commit(&flashblock, starts_block);
        }
        self.apply(&flashblock, block_start, post_exec);
        let block_number = self.current.as_ref().map_or(0, CurrentBlock::block_number);
        let post_exec = self.current.as_ref().and_then(|c| c.post_exec.latest.clone());
        Ok(Outcome::Accepted(AcceptedFlashblock {
            flashblock,
            block_number,
            block_start,
            dialect,
            decided: decide,
            link,
            outputs,
            post_exec,
        }))
    }

    /// Steps 1 to 6 of the order (the source, resends, the flashblock alone, the block
    /// start, the position along the block, the gas), on `&self`.
    fn plan(&self, fb: &Flashblock) -> Result<Plan, ValidationError> {
        let rule_set = self.config.rule_set();
        if fb.source() != rule_set.source() {
            return Err(ValidationError::SourceMismatch {
                expected: rule_set,
                received: fb.source(),
            });
        }
        let index = fb.index();
        // 2. Resend.
        if let Some(current) = self.current.as_ref().filter(|c| c.payload_id == fb.payload_id()) {
            if let Some(kept) = current.kept_at(index) {
                return if kept.same_identity(fb) {
                    Ok(Plan::Duplicate)
                } else {
                    Err(ValidationError::Equivocation {
                        index,
                        accepted: kept.identity(),
                        received: fb.identity(),
                    })
                };
            }
        }
        // 3. The flashblock alone.
        rules::check_alone(fb, &self.config)?;
        let json = !rule_set.checks_chain_and_metadata();
        let mut link = None;
        let max = self.config.max_flashblocks_per_block;
        let (start, previous_gas, gas_limit) = match (index, fb.base(), &self.current) {
            // 4. Block start: index 0 of another payload than the current one (an index
            // 0 of the current payload was a resend). Step 3 made sure of the base.
            (0, Some(base), current) => {
                let start = self.block_start(base.block_number, current.as_ref())?;
                if json {
                    dialect::check_start(fb, base.block_number)?;
                    link = dialect::prev_block_link(fb, current.as_ref());
                }
                // Only a bound of 0 rejects an index 0.
                if max == 0 {
                    return Err(ValidationError::TooManyFlashblocks { index, max });
                }
                (Some(start), 0, base.gas_limit)
            }
            // 5. Along the block.
            (_, _, None) => {
                return Err(ValidationError::NotStarted { payload_id: fb.payload_id(), index })
            }
            (_, base, Some(current)) => {
                self.check_along(fb, base, current)?;
                check_payload_lists(current.transactions, current.withdrawals, fb)?;
                (None, current.gas_used, current.base.gas_limit)
            }
        };
        // 6. Gas.
        let gas_used = fb.diff().gas_used;
        if gas_used < previous_gas {
            return Err(ValidationError::GasDecreased {
                previous: previous_gas,
                received: gas_used,
            });
        }
        if gas_used > gas_limit {
            return Err(ValidationError::GasOverLimit { gas_used, gas_limit });
        }
        if rule_set.checks_chain_and_metadata() {
            let increase = gas_used - previous_gas;
            let metadata_sum = fb
                .transaction_metadata()
                .unwrap_or_default()
                .iter()
                .try_fold(0u64, |sum, m| sum.checked_add(m.gas_used));
            if metadata_sum != Some(increase) {
                return Err(ValidationError::GasAccountingMismatch { increase, metadata_sum });
            }
        }
        // 7. Lagoon (JSON dialects), against the block so far.
        let post_exec = if json {
            let fresh = PostExecState::default();
            let (base, state) = match (&self.current, start.is_some(), fb.base()) {
                (_, true, Some(base)) => (base, &fresh),
                (Some(current), false, _) => (&current.base, &current.post_exec),
                // `start` comes with a base, a continuation with a current block.
                _ => return Ok(Plan::Accept(start, link, None)),
            };
            post_exec::check(fb, base, state, &self.config)?
        } else {
            None
        };
        Ok(Plan::Accept(start, link, post_exec))
    }

    /// Step 4, rule 4's window: how block `number` starts, or why it does not.
    fn block_start(
        &self,
        number: u64,
        current: Option<&CurrentBlock>,
    ) -> Result<BlockStart, ValidationError> {
        if let Some(head) = self.canonical_head {
            if number <= head {
                return Err(ValidationError::StaleBlock {
                    received: number,
                    by: StaleBy::CanonicalHead { head },
                });
            }
            let max_blocks_ahead = self.config.max_blocks_ahead;
            if number - head > max_blocks_ahead {
                return Err(ValidationError::TooFarAhead {
                    received: number,
                    canonical: head,
                    max_blocks_ahead,
                });
            }
        }
        if let Some(newest) = self.newest.filter(|newest| number < *newest) {
            return if newest - number <= self.config.max_replay_distance {
                Err(ValidationError::StaleBlock {
                    received: number,
                    by: StaleBy::Replay { newest },
                })
            } else {
                Ok(BlockStart::Restart { newest })
            };
        }
        Ok(match current {
            None => BlockStart::First,
            Some(c) if number == c.block_number() => {
                BlockStart::Failover { replaced: c.payload_id }
            }
            Some(c) => BlockStart::Next { previous: c.payload_id },
        })
    }

    /// Step 5 for a flashblock that does not start a block.
    fn check_along(
        &self,
        fb: &Flashblock,
        base: Option<&ExecutionPayloadStaticV1>,
        current: &CurrentBlock,
    ) -> Result<(), ValidationError> {
        let index = fb.index();
        if fb.payload_id() != current.payload_id {
            return Err(ValidationError::PayloadIdMismatch {
                expected: current.payload_id,
                received: fb.payload_id(),
            });
        }
        let json = !self.config.rule_set().checks_chain_and_metadata();
        if json {
            dialect::check_before_gap(fb, current)?;
        }
        let expected = current.next_index();
        if index != expected {
            return Err(ValidationError::IndexGap { expected, received: index });
        }
        if json {
            dialect::check_after_gap(fb, current)?;
        }
        if self.config.rule_set().checks_chain_and_metadata() {
            if let (Some(expected), Some(received)) = (current.last_root(), fb.parent_flash_hash())
            {
                if expected != received {
                    return Err(ValidationError::ParentHashMismatch { expected, received });
                }
            }
        }
        if let Some(received) = base.filter(|b| **b != current.base) {
            return Err(ValidationError::UnexpectedBase {
                index,
                expected: Box::new(current.base.clone()),
                received: Box::new(received.clone()),
            });
        }
        let max = self.config.max_flashblocks_per_block;
        if index >= max {
            return Err(ValidationError::TooManyFlashblocks { index, max });
        }
        Ok(())
    }

    /// The optional head check, at an index 0 that starts a block.
    fn check_tip(&self, fb: &Flashblock) -> Result<(), ValidationError> {
        let (Some(tip), Some(base)) = (self.tip, fb.base()) else { return Ok(()) };
        let extends = base.parent_hash == tip.hash
            && Some(base.block_number) == tip.number.checked_add(1)
            && base.timestamp > tip.timestamp;
        if extends {
            Ok(())
        } else {
            Err(ValidationError::HeadMismatch {
                tip,
                parent_hash: base.parent_hash,
                number: base.block_number,
                timestamp: base.timestamp,
            })
        }
    }

    /// Takes an accepted flashblock in.
    fn apply(
        &mut self,
        fb: &Arc<Flashblock>,
        block_start: Option<BlockStart>,
        post_exec: Option<Arc<PostExecTx>>,
    ) {
        let gas_used = fb.diff().gas_used;
        let transactions = fb.transactions().len() as u64;
        let withdrawals = fb.diff().withdrawals.len() as u64;
        if let (Some(start), Some(base)) = (block_start, fb.base()) {
            self.newest = Some(match (start, self.newest) {
                (BlockStart::Restart { .. }, _) | (_, None) => base.block_number,
                (_, Some(newest)) => newest.max(base.block_number),
            });
        }
        match (block_start, fb.base(), self.current.as_mut()) {
            (Some(_), Some(base), Some(current)) => {
                // Reuse the allocation: memory does not grow with blocks seen.
                current.accepted.clear();
                current.accepted.push(Kept::new(fb));
                current.payload_id = fb.payload_id();
                current.base.clone_from(base);
                current.gas_used = gas_used;
                current.transactions = transactions;
                current.withdrawals = withdrawals;
                current.ended_at = None;
                current.post_exec = PostExecState::default();
                current.post_exec.apply(fb, post_exec);
            }
            (Some(_), Some(base), None) => {
                let mut accepted = Vec::with_capacity(
                    usize::try_from(self.config.max_flashblocks_per_block.min(64)).unwrap_or(64),
                );
                accepted.push(Kept::new(fb));
                let mut state = PostExecState::default();
                state.apply(fb, post_exec);
                self.current = Some(CurrentBlock {
                    payload_id: fb.payload_id(),
                    base: base.clone(),
                    accepted,
                    gas_used,
                    transactions,
                    withdrawals,
                    ended_at: None,
                    post_exec: state,
                });
            }
            (None, _, Some(current)) => {
                current.accepted.push(Kept::new(fb));
                current.gas_used = gas_used;
                current.transactions = current.transactions.saturating_add(transactions);
                current.withdrawals = current.withdrawals.saturating_add(withdrawals);
                current.post_exec.apply(fb, post_exec);
            }
            // `plan` accepts a block start only with a base, and a continuation only with
            // a current block.
            (Some(_), None, _) | (None, _, None) => {}
        }
    }
}

/// `payload_list_too_long`: the block's transactions or withdrawals with `fb`'s over the
/// execution payload's list limits (what the assembler can hold).
fn check_payload_lists(
    transactions: u64,
    withdrawals: u64,
    fb: &Flashblock,
) -> Result<(), ValidationError> {
    let count = transactions.saturating_add(fb.transactions().len() as u64);
    if count > MAX_TRANSACTIONS_PER_PAYLOAD as u64 {
        return Err(ValidationError::PayloadListTooLong {
            list: "transactions",
            count,
            max: MAX_TRANSACTIONS_PER_PAYLOAD as u64,
        });
    }
    let count = withdrawals.saturating_add(fb.diff().withdrawals.len() as u64);
    if count > MAX_WITHDRAWALS_PER_PAYLOAD as u64 {
        return Err(ValidationError::PayloadListTooLong {
            list: "withdrawals",
            count,
            max: MAX_WITHDRAWALS_PER_PAYLOAD as u64,
        });
    }
    Ok(())
}
