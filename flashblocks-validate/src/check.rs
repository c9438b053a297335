//! Extra checks a caller plugs into the validator ([spec page](flashblocks_types::spec), "Optional checks").

use crate::ExecutionMismatch;
use alloy_consensus::Header;
use alloy_primitives::{Sealed, B256};
use flashblocks_types::{Dialect, ExecutedMetadata, Flashblock};
use std::sync::Arc;

/// What an extra check produced for a flashblock it passed, handed on in the
/// [`AcceptedFlashblock`](crate::AcceptedFlashblock) so that a later stage does not redo
/// the work.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckOutput {
    /// Nothing to hand on.
    None,
    /// The block-hash check: the OP header rebuilt from the block up to and including
    /// the flashblock, sealed with its hash (which equals the flashblock's
    /// `diff.block_hash`).
    BlockHash(Arc<Sealed<Header>>),
    /// The execution check: the facts the flashblock's execution produced (post-state
    /// accounts, full receipts).
    Executed(Arc<ExecutedMetadata>),
}

/// Why an extra check rejected a flashblock.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckFailure {
    /// Rule `block_hash_mismatch`: the header rebuilt from the block so far does not hash
    /// to the flashblock's `diff.block_hash`.
    #[error("block hash mismatch: computed {computed}, claimed {claimed}")]
    BlockHashMismatch {
        /// The hash of the rebuilt header.
        computed: B256,
        /// The flashblock's `diff.block_hash`.
        claimed: B256,
    },
    /// Rule `execution_invalid`: executing the flashblock gave another value than it
    /// claims for the fact named.
    #[error("execution invalid: {0}")]
    ExecutionInvalid(Box<ExecutionMismatch>),
}

impl CheckFailure {
    /// The [spec page](flashblocks_types::spec)'s rule id: `block_hash_mismatch` or `execution_invalid`.
    pub const fn rule_id(&self) -> &'static str {
        match self {
            Self::BlockHashMismatch { .. } => "block_hash_mismatch",
            Self::ExecutionInvalid(_) => "execution_invalid",
        }
    }
}

/// A check with state of its own that runs after every built-in rule ([spec page](flashblocks_types::spec),
/// "Optional checks": the block-hash check, a caller's execution check).
///
/// The validator calls [`check`](Self::check) on a candidate that passed every earlier
/// rule; only when every check passes is the candidate accepted, and then
/// [`commit`](Self::commit) is called on each check. A rejection (by this check or any
/// other) is never committed, so a check's state changes only through `commit` and
/// [`reset`](Self::reset).
pub trait FlashblockCheck {
    /// Checks `candidate` against the block so far. `starts_block` is true when the
    /// candidate is the index 0 that starts a new block: check it against an empty block,
    /// not the current one. `dialect` is the stream's dialect: the configured one, or
    /// what `auto` decided (or, at the index 0 it decides from, would decide), so that a
    /// check knows what the candidate's fields are ([`Dialect::block_hash`]).
    ///
    /// It may cache work for the `commit` that may follow (keyed by
    /// [`Flashblock::identity`]), but must answer as if its state were unchanged. What it
    /// returns travels in the accepted flashblock ([`AcceptedFlashblock::outputs`](
    /// crate::AcceptedFlashblock::outputs)).
    fn check(
        &mut self,
        candidate: &Flashblock,
        starts_block: bool,
        dialect: Dialect,
    ) -> Result<CheckOutput, CheckFailure>;

    /// `accepted` passed every rule and check: take it into the block so far (after
    /// forgetting the previous block when `starts_block`).
    fn commit(&mut self, accepted: &Flashblock, starts_block: bool);

    /// The validator was reset: forget the current block.
    fn reset(&mut self);

    /// Rule 4's restart: `candidate`, which this check passed, is accepted as the first
    /// block of a new sequence, and [`commit`](Self::commit) follows. Forget everything
    /// kept for earlier blocks; work cached for the candidate may stay. The default is
    /// [`reset`](Self::reset).
    fn restart(&mut self) {
        self.reset();
    }
}
