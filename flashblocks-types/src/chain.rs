//! The chain maker: the builder side of a flashblock stream.

use crate::{
    ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, FlashblockMetadata,
    FlashblocksPayloadV1, SealedFlashblock, Withdrawal, VERSION_V1,
};
use alloy_primitives::{Bloom, Bytes, FixedBytes, Sealable, B256};
use alloy_rpc_types_engine::PayloadId;

/// The execution results of the block so far, after a flashblock: the cumulative fields
/// of the diff ([spec page](crate::spec), decision 6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CumulativeResults {
    /// State root after the flashblock.
    pub state_root: B256,
    /// Receipts root of the block so far.
    pub receipts_root: B256,
    /// Logs bloom of the block so far.
    pub logs_bloom: Bloom,
    /// Gas used by the block so far.
    pub gas_used: u64,
    /// Hash of the block so far.
    pub block_hash: B256,
    /// Withdrawals root of the block so far.
    pub withdrawals_root: B256,
}

/// What the builder has for one flashblock: the transactions and withdrawals it adds,
/// the cumulative results after it, and its metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlashblockStep {
    /// The EIP-2718 transactions this flashblock adds.
    pub transactions: Vec<Bytes>,
    /// The withdrawals this flashblock adds (none on OP Stack).
    pub withdrawals: Vec<Withdrawal>,
    /// The results of the block so far, after this flashblock.
    pub results: CumulativeResults,
    /// The metadata of this flashblock.
    pub metadata: FlashblockMetadata,
}

/// Makes the flashblocks of one block: correct indices, the block's `payload_id`,
/// `base` at index 0 and the `parent_flash_hash` chain, each sealed with its root.
///
/// ```
/// use flashblocks_types::{ChainMaker, ExecutionPayloadStaticV1, FlashblockStep};
/// use alloy_rpc_types_engine::PayloadId;
///
/// let mut maker = ChainMaker::new(PayloadId::new([7; 8]), ExecutionPayloadStaticV1::default());
/// let first = maker.push(FlashblockStep::default());
/// let second = maker.push(FlashblockStep::default());
/// assert_eq!(first.index, 0);
/// assert!(first.base.is_some() && second.base.is_none());
/// assert_eq!(second.parent_flash_hash, Some(first.seal()));
/// ```
#[derive(Clone, Debug)]
pub struct ChainMaker {
    payload_id: PayloadId,
    base: ExecutionPayloadStaticV1,
    next_index: u64,
    parent: Option<B256>,
}

impl ChainMaker {
    /// Starts a block.
    pub const fn new(payload_id: PayloadId, base: ExecutionPayloadStaticV1) -> Self {
        Self { payload_id, base, next_index: 0, parent: None }
    }

    /// The block's payload id.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The block's base.
    pub const fn base(&self) -> &ExecutionPayloadStaticV1 {
        &self.base
    }

    /// The index the next flashblock gets.
    pub const fn next_index(&self) -> u64 {
        self.next_index
    }

    /// The root of the last flashblock made, the next one's `parent_flash_hash`.
    pub const fn parent_flash_hash(&self) -> Option<B256> {
        self.parent
    }

    /// Makes the next flashblock, sealed with its `hash_tree_root`.
    pub fn push(&mut self, step: FlashblockStep) -> SealedFlashblock {
        let FlashblockStep { transactions, withdrawals, results, metadata } = step;
        let payload = FlashblocksPayloadV1 {
            version: FixedBytes(VERSION_V1),
            payload_id: self.payload_id,
            parent_flash_hash: self.parent,
            index: self.next_index,
            base: (self.next_index == 0).then(|| self.base.clone()),
            diff: ExecutionPayloadFlashblockDeltaV1 {
                state_root: results.state_root,
                receipts_root: results.receipts_root,
                logs_bloom: results.logs_bloom,
                gas_used: results.gas_used,
                block_hash: results.block_hash,
                transactions,
                withdrawals,
                withdrawals_root: results.withdrawals_root,
            },
            metadata,
        };
        let sealed = payload.seal_slow();
        self.parent = Some(sealed.seal());
        self.next_index += 1;
        sealed
    }
}
