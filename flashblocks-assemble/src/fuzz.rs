//! The body of the cargo-fuzz target `assemble` (in `fuzz/`), kept here so that
//! `cargo test` runs it over the checked-in corpus (`tests/corpus/assemble/`) on stable.

use crate::{verify_block_hash_slow, with_block_hashes, Assembler, BlockHashCheck};
use alloy_primitives::{Bytes, B256};
use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
use flashblocks_validate::{Outcome, Validator, ValidatorConfig};

/// Operations read in generator mode; the rest of the input is ignored.
const MAX_OPS: usize = 512;

/// Encodes frames in the layout [`assemble`] reads in its raw mode (mode byte 0, no
/// block-hash check), for building a corpus.
pub fn encode_raw_input(max_flashblocks_per_block: u8, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0, max_flashblocks_per_block];
    for frame in frames {
        let len = u16::try_from(frame.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(frame.get(..usize::from(len)).unwrap_or(frame));
    }
    out
}

/// A validator (with the block-hash check or without) and an assembler fed with what it
/// accepts, with what the block's transactions must be.
struct Harness {
    validator: Validator,
    hash_check: bool,
    assembler: Option<Assembler>,
    expected: Vec<Bytes>,
    accepted: u64,
}

impl Harness {
    fn new(max: u8, hash_check: bool) -> Self {
        let config = ValidatorConfig::default().with_max_flashblocks_per_block(u64::from(max));
        let mut validator = Validator::new(config);
        if hash_check {
            validator.add_check(Box::new(BlockHashCheck::new()));
        }
        Self { validator, hash_check, assembler: None, expected: Vec::new(), accepted: 0 }
    }

    #[allow(clippy::unwrap_used, clippy::indexing_slicing)] // a panic is the finding
    fn feed(&mut self, frame: &[u8]) {
        let Ok(fb) = Flashblock::decode_v1(frame) else { return };
        let fb = std::sync::Arc::new(fb);
        let before = self.assembler.clone();
        match self.validator.validate(std::sync::Arc::clone(&fb)) {
            Err(_) | Ok(Outcome::Duplicate { .. } | Outcome::PayloadEnd(_)) => {}
            Ok(Outcome::Accepted(accepted)) => {
                self.accepted += 1;
                assert_eq!(accepted.header().is_some(), self.hash_check);
                if accepted.starts_block() {
                    self.assembler = Some(Assembler::new(&accepted).unwrap());
                    self.expected.clear();
                } else {
                    self.assembler.as_mut().unwrap().append(&accepted).unwrap();
                }
                self.expected.extend(fb.transactions().iter().cloned());
                let assembler = self.assembler.as_mut().unwrap();
                assert_eq!(assembler.transactions(), &self.expected[..]);
                let payload = assembler.payload();
                assert_eq!(payload.transactions(), &self.expected[..]);
                assert_eq!(payload.block_hash(), Some(fb.diff().block_hash));
                assert_eq!(
                    payload.execution_payload.payload_inner.payload_inner.gas_used,
                    fb.diff().gas_used
                );
                // The incremental root and the whole one agree on the block's hash.
                let base = assembler.base().clone();
                let slow = verify_block_hash_slow(&base, &fb, &self.expected);
                let fast = assembler.verify_block_hash();
                assert_eq!(fast, slow);
                if self.hash_check {
                    assert_eq!(fast, Ok(fb.diff().block_hash), "the check accepted it");
                }
                return;
            }
        }
        assert_eq!(self.assembler, before, "a flashblock not accepted changes nothing");
    }

    fn reset(&mut self) {
        self.validator.reset();
        self.assembler = None;
        self.expected.clear();
    }
}

/// Target `assemble`: whatever a validator accepts from arbitrary input is assembled,
/// and the block's transactions are always the concatenation of the accepted ones of the
/// current block; the payload carries them and the latest cumulative fields; the
/// incremental block hash agrees with the one recomputed from scratch, and equals the
/// claimed one whenever the block-hash check was on.
///
/// Layout: byte 0 is the mode, byte 1 the bound on flashblocks per block. Mode bit 0
/// clear: the rest is raw frames (each a 2-byte little-endian length then its bytes),
/// fed to a validator without the block-hash check (bit 1 set: with it). Bit 0 set: the
/// next 8 bytes seed a [`SequenceGenerator`] of three blocks (sizes from the mode's
/// other bits) whose block hashes are made to verify, fed to a validator with the check;
/// each following pair of bytes (up to 512) is an operation on those frames (feed one, feed one with
/// a byte flipped, feed one with another block hash, reset).
///
/// Returns the number of flashblocks accepted (for the corpus tests).
///
/// # Panics
///
/// When a property does not hold: that is a finding.
pub fn assemble(data: &[u8]) -> u64 {
    let [mode, max, rest @ ..] = data else { return 0 };
    if mode % 2 == 0 {
        let mut harness = Harness::new(*max, mode & 2 != 0);
        for frame in flashblocks_validate::fuzz::frames(rest) {
            harness.feed(frame);
        }
        return harness.accepted;
    }
    let mut harness = Harness::new(*max, true);
    let (seed, ops) = rest.split_at(rest.len().min(8));
    let mut seed_bytes = [0u8; 8];
    seed_bytes.iter_mut().zip(seed).for_each(|(d, s)| *d = *s);
    let shape = GeneratorConfig {
        flashblocks_per_block: 1 + usize::from(mode >> 5),
        transactions_per_flashblock: 3 * usize::from((mode >> 1) & 7),
        transaction_size: 8,
        accounts_per_flashblock: 1,
        slots_per_account: 1,
        gas_limit: 30_000_000,
    };
    let mut generator = SequenceGenerator::new(u64::from_le_bytes(seed_bytes), shape);
    let mut payloads = Vec::new();
    for _ in 0..3 {
        let Ok(block) = with_block_hashes(generator.next_block()) else { return harness.accepted };
        payloads.extend(block.into_iter().map(|sealed| sealed.into_inner()));
    }
    let frames: Vec<Vec<u8>> = payloads.iter().map(|p| p.encode_ssz()).collect();
    // Bounded, so that a long input stays a fast one (each op may feed a whole frame).
    for op in ops.chunks(2).take(MAX_OPS) {
        let (kind, arg) = match op {
            [kind, arg] => (*kind, *arg),
            [kind] => (*kind, 0),
            _ => continue,
        };
        let at = usize::from(kind >> 2) % frames.len().max(1);
        let (Some(frame), Some(payload)) = (frames.get(at), payloads.get(at)) else { break };
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
            _ => {
                let mut other = payload.clone();
                other.diff.block_hash = B256::repeat_byte(arg);
                harness.feed(&other.encode_ssz());
            }
        }
    }
    harness.accepted
}
