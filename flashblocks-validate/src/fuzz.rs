//! The body of the cargo-fuzz target `validate_sequence` (in `fuzz/`), and the
//! invariants it checks, kept here so that `cargo test` runs it over the checked-in
//! corpus on stable and the property tests share the invariants.

use crate::{
    BlockStart, CheckFailure, CheckOutput, FlashblockCheck, Outcome, RuleSet, Validator,
    ValidatorConfig,
};
use alloy_primitives::B256;
use flashblocks_types::{
    Dialect, DialectChoice, Flashblock, FlashblockSource, GeneratorConfig, JsonMessage, PayloadId,
    SealedFlashblock, SequenceGenerator,
};
use std::sync::{Arc, Mutex, PoisonError};

/// What the accepted flashblocks of the current block looked like, from the outside.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ObservedBlock {
    payload_id: PayloadId,
    number: u64,
    gas_limit: u64,
    gas_used: u64,
    roots: Vec<B256>,
}

/// Checks the sequence invariants over whatever a validator accepted: contiguous
/// indices from 0, one payload per index (a duplicate has the accepted identity), the
/// `parent_flash_hash` chain (V1), monotone gas within the limit, and block starts that
/// never go back in block number but for a restart (rule 4: further back than the
/// default replay distance).
///
/// # Panics
///
/// [`observe`](Self::observe) panics when an invariant does not hold: a finding.
#[derive(Clone, Debug, Default)]
pub struct SequenceInvariants {
    block: Option<ObservedBlock>,
    accepted: u64,
}

impl SequenceInvariants {
    /// A checker that has seen nothing.
    pub const fn new() -> Self {
        Self { block: None, accepted: 0 }
    }

    /// The number of accepted flashblocks observed.
    pub const fn accepted(&self) -> u64 {
        self.accepted
    }

    /// The validator was reset.
    pub fn reset(&mut self) {
        self.block = None;
    }

    /// Records what the validator answered to `fb` when it did not reject it.
    ///
    /// # Panics
    ///
    /// When the answer breaks an invariant.
    #[allow(clippy::unwrap_used, clippy::indexing_slicing)] // a panic is the finding
    pub fn observe(&mut self, fb: &Flashblock, outcome: &Outcome) {
        let accepted = match outcome {
            Outcome::Duplicate { payload_id, index } => {
                let block = self.block.as_ref().expect("a duplicate needs a current block");
                assert_eq!(*payload_id, block.payload_id);
                assert_eq!(*payload_id, fb.payload_id());
                assert_eq!(block.roots[*index as usize], fb.identity(), "duplicate of another");
                return;
            }
            Outcome::Accepted(a) => a,
            Outcome::PayloadEnd(_) => panic!("validating a flashblock answered a PayloadEnd"),
        };
        self.accepted += 1;
        assert_eq!(accepted.index(), fb.index());
        assert_eq!(accepted.payload_id(), fb.payload_id());
        assert_eq!(accepted.flashblock().identity(), fb.identity());
        let gas_used = fb.diff().gas_used;
        if let Some(start) = accepted.block_start() {
            assert_eq!(fb.index(), 0, "only index 0 starts a block");
            if fb.source() == FlashblockSource::V1 {
                assert_eq!(fb.parent_flash_hash(), None);
            }
            let base = fb.base().expect("a block starts with its base");
            match (start, &self.block) {
                (BlockStart::First, None) => {}
                (BlockStart::Next { previous }, Some(b)) => {
                    assert_eq!(previous, b.payload_id);
                    assert!(base.block_number > b.number, "next block must be higher");
                }
                (BlockStart::Failover { replaced }, Some(b)) => {
                    assert_eq!(replaced, b.payload_id);
                    assert_eq!(base.block_number, b.number, "failover at the same height");
                }
                (BlockStart::Restart { newest }, _) => {
                    let window = newest.saturating_sub(base.block_number);
                    assert!(
                        window > crate::DEFAULT_MAX_REPLAY_DISTANCE,
                        "a restart is further below the newest than a replay"
                    );
                }
                (start, block) => panic!("{start:?} with current block {block:?}"),
            }
            if let Some(b) = &self.block {
                assert_ne!(b.payload_id, fb.payload_id(), "index 0 of the current payload");
            }
            assert!(gas_used <= base.gas_limit);
            assert_eq!(accepted.block_number(), base.block_number);
            self.block = Some(ObservedBlock {
                payload_id: fb.payload_id(),
                number: base.block_number,
                gas_limit: base.gas_limit,
                gas_used,
                roots: vec![fb.identity()],
            });
        } else {
            let block = self.block.as_mut().expect("a continuation needs a current block");
            assert_eq!(block.payload_id, fb.payload_id(), "one payload per block");
            assert_eq!(accepted.block_number(), block.number, "the block's number");
            assert_eq!(fb.index(), block.roots.len() as u64, "contiguous indices");
            if fb.source() == FlashblockSource::V1 {
                assert_eq!(fb.parent_flash_hash(), block.roots.last().copied(), "hash chain");
            }
            assert!(gas_used >= block.gas_used, "gas monotone");
            assert!(gas_used <= block.gas_limit, "gas within the limit");
            block.gas_used = gas_used;
            block.roots.push(fb.identity());
        }
    }
}

/// An extra check for fuzzing: rejects (as `execution_invalid`) the flashblocks whose
/// identity starts with a chosen byte, and records what was committed, so that a
/// rejection can be seen not to reach it.
#[derive(Debug, Default)]
struct RecordingCheck {
    reject_first_byte: u8,
    committed: Arc<Mutex<Vec<B256>>>,
}

impl FlashblockCheck for RecordingCheck {
    fn check(
        &mut self,
        candidate: &Flashblock,
        _starts_block: bool,
        _dialect: Dialect,
    ) -> Result<CheckOutput, CheckFailure> {
        if candidate.identity().0.first() == Some(&self.reject_first_byte) {
            return Err(CheckFailure::ExecutionInvalid(Box::new(fuzz_mismatch())));
        }
        Ok(CheckOutput::None)
    }

    fn commit(&mut self, accepted: &Flashblock, starts_block: bool) {
        let mut committed = self.committed.lock().unwrap_or_else(PoisonError::into_inner);
        if starts_block {
            committed.clear();
        }
        committed.push(accepted.identity());
    }

    fn reset(&mut self) {
        self.committed.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// What [`validate_sequence`] saw: how many frames were accepted, answered as
/// duplicates, and rejected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceStats {
    /// Frames accepted.
    pub accepted: u64,
    /// Frames answered as duplicates.
    pub duplicates: u64,
    /// Frames rejected.
    pub rejected: u64,
    /// X Layer's ends of a payload's sequence.
    pub payload_ends: u64,
}

/// A validator under test with its invariants and the recording check's view.
#[derive(Debug)]
struct Harness {
    validator: Validator,
    invariants: SequenceInvariants,
    committed: Arc<Mutex<Vec<B256>>>,
    stats: SequenceStats,
}

impl Harness {
    fn new(config: ValidatorConfig, reject_first_byte: u8) -> Self {
        let committed = Arc::new(Mutex::new(Vec::new()));
        let check = RecordingCheck { reject_first_byte, committed: Arc::clone(&committed) };
        Self {
            validator: Validator::new(config).with_check(Box::new(check)),
            invariants: SequenceInvariants::new(),
            committed,
            stats: SequenceStats::default(),
        }
    }

    #[allow(clippy::unwrap_used)] // a panic is the finding
    fn feed(&mut self, frame: &[u8]) {
        let before = self.validator.current_block().cloned();
        let committed_before = self.committed.lock().unwrap().clone();
        let dialect_before = self.validator.dialect();
        // X Layer's end of a sequence: it never changes the block's frames or the dialect.
        if let Ok(JsonMessage::PayloadEnd(end)) = self.validator.decode_message(frame) {
            self.validator.end_payload(end);
            self.stats.payload_ends += 1;
            let identities = |b: Option<&crate::CurrentBlock>| {
                b.map(|b| b.identities().collect::<Vec<_>>()).unwrap_or_default()
            };
            assert_eq!(
                identities(self.validator.current_block()),
                identities(before.as_ref()),
                "a PayloadEnd changed the block"
            );
            assert_eq!(self.validator.dialect(), dialect_before, "a PayloadEnd decided");
            return;
        }
        match self.validator.validate_frame(frame) {
            Ok(validated) => {
                self.invariants.observe(&validated.flashblock, &validated.outcome);
                match validated.outcome {
                    Outcome::Accepted(_) => self.stats.accepted += 1,
                    Outcome::Duplicate { .. } => self.stats.duplicates += 1,
                    Outcome::PayloadEnd(_) => panic!("a flashblock frame answered a PayloadEnd"),
                }
            }
            Err(_) => {
                self.stats.rejected += 1;
                assert_eq!(self.validator.current_block(), before.as_ref(), "rejection moved");
                assert_eq!(self.validator.dialect(), dialect_before, "a rejection decided");
                assert_eq!(*self.committed.lock().unwrap(), committed_before, "check moved");
            }
        }
        let roots = self.validator.current_block().map(|b| b.identities().collect::<Vec<_>>());
        let committed = self.committed.lock().unwrap().clone();
        assert_eq!(roots.unwrap_or_default(), committed, "check out of step with the block");
    }

    fn reset(&mut self) {
        self.validator.reset();
        self.invariants.reset();
    }
}

/// Splits fuzz input into frames, each a 2-byte little-endian length then that many
/// bytes (the last one takes what is left). Shared by the fuzz bodies of the later
/// crates, which read frame sequences the same way.
pub fn frames(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let (len, tail) = match rest {
            [] => return None,
            [a, b, tail @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), tail),
            [_] => (0, &[][..]),
        };
        let (frame, after) = tail.split_at(len.min(tail.len()));
        rest = after;
        Some(frame)
    })
}

/// Encodes frames in the layout [`validate_sequence`] reads in its raw mode (mode byte
/// 0 for a V1 stream, 2 for a JSON stream), for building a corpus.
pub fn encode_raw_input(
    rule_set: RuleSet,
    max_flashblocks_per_block: u8,
    frames: &[Vec<u8>],
) -> Vec<u8> {
    let mode = match rule_set {
        RuleSet::V1 => 0,
        RuleSet::Json => 2,
    };
    let mut out = vec![mode, max_flashblocks_per_block, 0];
    for frame in frames {
        let len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(frame.get(..usize::from(len)).unwrap_or(frame));
    }
    out
}

/// The JSON stream's dialects the raw-frame mode of [`validate_sequence`] picks from.
pub const JSON_DIALECTS: [DialectChoice; 6] = [
    DialectChoice::Fixed(Dialect::RollupBoost),
    DialectChoice::Fixed(Dialect::Subblocks),
    DialectChoice::Fixed(Dialect::Base),
    DialectChoice::Fixed(Dialect::WorldChain),
    DialectChoice::Fixed(Dialect::XLayer),
    DialectChoice::Auto,
];

/// Target `validate_sequence`: arbitrary sequences of frames into one validator; no
/// panic, every rejection leaves the validator and its extra check unchanged, and
/// whatever it accepts keeps the sequence invariants ([`SequenceInvariants`]).
///
/// Layout: byte 0 is the mode, byte 1 the bound on flashblocks per block, byte 2 the
/// first identity byte the extra check rejects. Mode even: the rest is raw frames, each
/// a 2-byte little-endian length then its bytes, fed to a V1 stream (mode bit 1 clear)
/// or a JSON stream (bit 1 set) whose dialect is picked by `(mode >> 2) % 6`
/// ([`JSON_DIALECTS`]: rollup-boost, OP Subblocks, Base, World Chain, X Layer, `auto`),
/// so each dialect's rules and X Layer's `PayloadEnd` messages are fuzzed too. Mode odd: the next 8 bytes seed a
/// [`SequenceGenerator`] of three small blocks, and each following pair of bytes is an
/// operation on those frames (feed one, feed one with a byte flipped or cut short, feed
/// one of an older block, reset).
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn validate_sequence(data: &[u8]) -> SequenceStats {
    let [mode, max, reject, rest @ ..] = data else { return SequenceStats::default() };
    let mut config = ValidatorConfig::default().with_max_flashblocks_per_block(u64::from(*max));
    if mode & 3 == 2 {
        let pick = usize::from(mode >> 2) % JSON_DIALECTS.len();
        if let Some(dialect) = JSON_DIALECTS.get(pick) {
            config = config.with_dialect(*dialect);
        }
    }
    let mut harness = Harness::new(config, *reject);
    if mode & 1 == 0 {
        for frame in frames(rest) {
            harness.feed(frame);
        }
        return harness.stats;
    }
    let (seed, ops) = rest.split_at(rest.len().min(8));
    let mut seed_bytes = [0u8; 8];
    seed_bytes.iter_mut().zip(seed).for_each(|(d, s)| *d = *s);
    let shape = GeneratorConfig {
        flashblocks_per_block: 1 + usize::from(mode >> 5),
        transactions_per_flashblock: usize::from((mode >> 1) & 3),
        transaction_size: 8,
        accounts_per_flashblock: 1,
        slots_per_account: 2,
        gas_limit: 30_000_000,
    };
    let mut generator = SequenceGenerator::new(u64::from_le_bytes(seed_bytes), shape);
    let blocks: Vec<Vec<SealedFlashblock>> = (0..3).map(|_| generator.next_block()).collect();
    let all: Vec<Vec<u8>> = blocks.iter().flatten().map(|fb| fb.encode_ssz()).collect();
    for op in ops.chunks(2) {
        let (kind, arg) = match op {
            [kind, arg] => (*kind, *arg),
            [kind] => (*kind, 0),
            _ => continue,
        };
        let Some(frame) = all.get(usize::from(kind >> 2) % all.len().max(1)) else { break };
        match kind & 3 {
            0 | 1 => harness.feed(frame),
            2 => {
                let mut flipped = frame.clone();
                let at = usize::from(arg) * 7 % flipped.len().max(1);
                if let Some(b) = flipped.get_mut(at) {
                    *b ^= arg | 1;
                }
                harness.feed(&flipped);
            }
            _ if arg == 0 => harness.reset(),
            _ => harness.feed(frame.get(..frame.len() * usize::from(arg) / 256).unwrap_or(frame)),
        }
    }
    harness.stats
}

/// The mismatch the fuzzing check reports.
fn fuzz_mismatch() -> crate::ExecutionMismatch {
    crate::ExecutionMismatch {
        fact: crate::ExecutedFact::GasUsed,
        subject: crate::FactSubject::Block,
        executed: crate::FactValue::Absent,
        claimed: crate::FactValue::Absent,
    }
}
