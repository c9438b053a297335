//! [`BlockHashChainMaker`]: the builder-side chain maker whose block hashes verify.

use crate::{
    header::{rebuild_header, results_of},
    AssembleError, TransactionTrie,
};
use flashblocks_types::{
    ChainMaker, ExecutionPayloadStaticV1, FlashblockStep, PayloadId, SealedFlashblock,
};

/// [`ChainMaker`] with correct block hashes: each flashblock's `diff.block_hash` is set to
/// the hash of the header rebuilt from the block so far (its transactions root over every
/// transaction so far), whatever the step says; the other cumulative fields are the
/// step's. What it makes passes [`BlockHashCheck`](crate::BlockHashCheck).
///
/// ```
/// use flashblocks_assemble::{verify_block_hash_slow, BlockHashChainMaker};
/// use flashblocks_types::{ExecutionPayloadStaticV1, Flashblock, FlashblockStep, PayloadId};
/// use alloy_primitives::Bytes;
///
/// let mut maker = BlockHashChainMaker::new(PayloadId::new([1; 8]), ExecutionPayloadStaticV1::default())?;
/// let step = FlashblockStep { transactions: vec![Bytes::from_static(&[0x7e, 1])], ..Default::default() };
/// let first = Flashblock::from(maker.push(step));
/// let hash = verify_block_hash_slow(first.base().unwrap(), &first, first.transactions())?;
/// assert_eq!(hash, first.diff().block_hash);
/// # Ok::<(), flashblocks_assemble::AssembleError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BlockHashChainMaker {
    maker: ChainMaker,
    transactions: TransactionTrie,
}

impl BlockHashChainMaker {
    /// Starts a block.
    ///
    /// # Errors
    ///
    /// [`AssembleError::BaseFeeOverflow`]: no header has a base fee over 64 bits.
    pub fn new(
        payload_id: PayloadId,
        base: ExecutionPayloadStaticV1,
    ) -> Result<Self, AssembleError> {
        if u64::try_from(base.base_fee_per_gas).is_err() {
            return Err(AssembleError::BaseFeeOverflow(base.base_fee_per_gas));
        }
        Ok(Self { maker: ChainMaker::new(payload_id, base), transactions: TransactionTrie::new() })
    }

    /// The inner chain maker (payload id, base, next index, parent root).
    pub const fn inner(&self) -> &ChainMaker {
        &self.maker
    }

    /// Makes the next flashblock, sealed, with `step.results.block_hash` replaced by the
    /// hash of the block so far. The transactions root reuses the previous pushes' work.
    pub fn push(&mut self, mut step: FlashblockStep) -> SealedFlashblock {
        let (root, groups) = self.transactions.root_with(&step.transactions);
        // The base fee was checked in `new`; a V1 step has no blob gas (Isthmus).
        step.results.block_hash = rebuild_header(self.maker.base(), &step.results, None, root)
            .map(|header| header.hash_slow())
            .unwrap_or_default();
        self.transactions.commit(step.transactions.iter().cloned(), groups);
        self.maker.push(step)
    }
}

/// Remakes one block's flashblocks (index 0 first, e.g. from
/// `SequenceGenerator` of the `test-utils` feature, whose hashes are random)
/// with block hashes that verify, and the `parent_flash_hash` chain that follows.
/// Transactions, withdrawals, metadata and the other cumulative fields stay as they were.
///
/// # Errors
///
/// [`AssembleError::NotBlockStart`] if the first has no `base`,
/// [`AssembleError::BaseFeeOverflow`].
pub fn with_block_hashes(
    block: impl IntoIterator<Item = SealedFlashblock>,
) -> Result<Vec<SealedFlashblock>, AssembleError> {
    let mut block = block.into_iter().map(|sealed| sealed.into_inner());
    let Some(first) = block.next() else { return Ok(Vec::new()) };
    let base = first.base.clone().ok_or(AssembleError::NotBlockStart { index: first.index })?;
    let mut maker = BlockHashChainMaker::new(first.payload_id, base)?;
    Ok(std::iter::once(first)
        .chain(block)
        .map(|payload| {
            let results = results_of(&payload.diff);
            let step = FlashblockStep {
                transactions: payload.diff.transactions,
                withdrawals: payload.diff.withdrawals,
                results,
                metadata: payload.metadata,
            };
            maker.push(step)
        })
        .collect())
}
