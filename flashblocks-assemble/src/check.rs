//! [`BlockHashCheck`]: the block-hash check as a validator extra check.

use crate::{AssembleError, Assembler, GroupHashes};
use alloy_consensus::Header;
use alloy_primitives::{Sealed, B256};
use flashblocks_types::{Dialect, DiffBlockHash, Flashblock, PayloadId};
use flashblocks_validate::{CheckFailure, CheckOutput, FlashblockCheck};
use std::sync::Arc;

/// The optional rule `block_hash_mismatch` for the validator: the header rebuilt from the
/// block so far must hash to every flashblock's `diff.block_hash`.
///
/// It keeps the block's transactions itself (in an [`Assembler`]). `check` computes the
/// candidate's hash without changing that block, and keeps the trie work it did for the
/// `commit` that may follow (keyed by the candidate's payload id and index: the
/// validator commits only the candidate it has just checked, and accepts an index of a
/// payload once), so a stream of checks
/// hashes each transaction's trie leaf about once, not once per flashblock. The header
/// it rebuilt is its output ([`CheckOutput::BlockHash`]): the accepted flashblock carries
/// it on to the [`Assembler`], which keeps it instead of rebuilding it.
///
/// It runs where the stream's dialect (as the validator passes it, `auto`'s decision
/// included) says `diff.block_hash` is the header hash ([`DiffBlockHash::HeaderHash`]):
/// in a stream whose dialect says otherwise there is nothing to check, it passes every
/// candidate with no output, holds no block, and the outcome to report is
/// [`BlockHashOutcome::unchecked`](crate::BlockHashOutcome::unchecked).
///
/// It trusts the validator's order: a continuation is appended to the block it holds.
/// When no header can be rebuilt (no block held, which the validator never lets happen,
/// a base fee over 64 bits, or a list over the payload's limits) it answers
/// [`CheckFailure::BlockHashMismatch`] with `computed` = [`B256::ZERO`].
///
/// ```
/// use flashblocks_assemble::{BlockHashChainMaker, BlockHashCheck};
/// use flashblocks_types::{Dialect, ExecutionPayloadStaticV1, Flashblock, FlashblockStep, PayloadId};
/// use flashblocks_validate::{CheckOutput, FlashblockCheck};
///
/// let mut maker = BlockHashChainMaker::new(PayloadId::new([1; 8]), ExecutionPayloadStaticV1::default())?;
/// let first = Flashblock::from(maker.push(FlashblockStep::default()));
/// let mut check = BlockHashCheck::default();
/// let output = check.check(&first, true, Dialect::SszV1).expect("the hash verifies");
/// assert!(matches!(output, CheckOutput::BlockHash(header) if header.hash() == first.diff().block_hash));
/// check.commit(&first, true);
/// # Ok::<(), flashblocks_assemble::AssembleError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BlockHashCheck {
    block: Option<Assembler>,
    pending: Option<Pending>,
}

impl Default for BlockHashCheck {
    fn default() -> Self {
        Self::new()
    }
}

/// Which candidate `check` did its work for: its payload id and index (not its
/// identity, which for JSON is a hash over the whole flashblock).
type Key = (PayloadId, u64);

fn key(fb: &Flashblock) -> Key {
    (fb.payload_id(), fb.index())
}

/// Work done by `check` for the candidate with this key.
#[derive(Clone, Debug)]
enum Pending {
    /// A new block, started by the candidate.
    Start(Key, Box<Assembler>),
    /// The trie groups the candidate completes in the current block.
    Next(Key, GroupHashes),
    /// Not checked: the stream's `diff.block_hash` is not the header hash.
    Unchecked(Key),
}

impl BlockHashCheck {
    /// A check with no block.
    pub const fn new() -> Self {
        Self { block: None, pending: None }
    }

    /// The block it holds, if any.
    pub const fn block(&self) -> Option<&Assembler> {
        self.block.as_ref()
    }

    fn try_check(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
    ) -> Result<Arc<Sealed<Header>>, AssembleError> {
        let identity = key(candidate);
        if starts_block {
            let mut block = Assembler::start(candidate, DiffBlockHash::HeaderHash)?;
            block.verify_block_hash()?;
            let header = block.header()?;
            self.pending = Some(Pending::Start(identity, Box::new(block)));
            Ok(header)
        } else {
            let Some(block) = &self.block else {
                return Err(AssembleError::NotBlockStart { index: candidate.index() });
            };
            let (header, groups) = block.check_next_block_hash(candidate)?;
            self.pending = Some(Pending::Next(identity, groups));
            Ok(Arc::new(header))
        }
    }
}

impl FlashblockCheck for BlockHashCheck {
    fn check(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
        dialect: Dialect,
    ) -> Result<CheckOutput, CheckFailure> {
        self.pending = None;
        if !dialect.block_hash().is_header_hash() {
            // Nothing to check; its commit leaves no block held.
            self.pending = Some(Pending::Unchecked(key(candidate)));
            return Ok(CheckOutput::None);
        }
        match self.try_check(candidate, starts_block) {
            Ok(header) => Ok(CheckOutput::BlockHash(header)),
            Err(AssembleError::BlockHashMismatch { computed, claimed }) => {
                Err(CheckFailure::BlockHashMismatch { computed, claimed })
            }
            Err(_) => Err(CheckFailure::BlockHashMismatch {
                computed: B256::ZERO,
                claimed: candidate.diff().block_hash,
            }),
        }
    }

    fn commit(&mut self, accepted: &Flashblock, starts_block: bool) {
        let identity = key(accepted);
        match (self.pending.take(), starts_block) {
            (Some(Pending::Unchecked(id)), _) if id == identity => self.block = None,
            (Some(Pending::Start(id, block)), true) if id == identity => {
                self.block = Some(*block);
            }
            (_, true) => {
                self.block = Assembler::start(accepted, DiffBlockHash::HeaderHash).ok();
            }
            (pending, false) => {
                let groups = match pending {
                    Some(Pending::Next(id, groups)) if id == identity => groups,
                    _ => GroupHashes::default(),
                };
                // A flashblock that does not follow (the validator never commits one)
                // leaves no block to check against, rather than a wrong one.
                if let Some(block) = &mut self.block {
                    if block.push_checked(accepted, groups).is_err() {
                        self.block = None;
                    }
                }
            }
        }
    }

    fn reset(&mut self) {
        self.block = None;
        self.pending = None;
    }

    /// A new block never depends on the one before: the candidate's work is kept for the
    /// commit that follows.
    fn restart(&mut self) {
        self.block = None;
    }
}
