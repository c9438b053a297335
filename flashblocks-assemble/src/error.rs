//! [`AssembleError`]: why a flashblock could not be appended, or a header not rebuilt.

use alloy_primitives::{B256, U256};
use flashblocks_types::PayloadId;

/// Why the assembler refused a flashblock, or the block-hash check failed.
///
/// A refused flashblock leaves the assembler as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssembleError {
    /// A block starts at index 0, with its `base`; this flashblock has another index.
    #[error("a block starts at index 0, got index {index}")]
    NotIndexZero {
        /// The flashblock's index.
        index: u64,
    },
    /// The index 0 that starts the block carries no `base`.
    #[error("index 0 carries no base")]
    MissingBase,
    /// The flashblock belongs to another block.
    #[error("payload id mismatch: block {expected}, flashblock {got}")]
    PayloadIdMismatch {
        /// The block's payload id.
        expected: PayloadId,
        /// The flashblock's payload id.
        got: PayloadId,
    },
    /// The flashblock is not the next one of the block.
    #[error("index gap: expected {expected}, got {got}")]
    IndexGap {
        /// The index the next flashblock must have.
        expected: u64,
        /// The flashblock's index.
        got: u64,
    },
    /// A later flashblock carries a `base` other than the block's.
    #[error("flashblock {index} carries a base that differs from the block's")]
    UnexpectedBase {
        /// The flashblock's index.
        index: u64,
    },
    /// The block would hold more transactions than an execution payload may
    /// ([`MAX_TRANSACTIONS_PER_PAYLOAD`](flashblocks_types::MAX_TRANSACTIONS_PER_PAYLOAD)).
    #[error("too many transactions: {count} > {max}")]
    TooManyTransactions {
        /// The block's transaction count with this flashblock.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// The block would hold more withdrawals than an execution payload may
    /// ([`MAX_WITHDRAWALS_PER_PAYLOAD`](flashblocks_types::MAX_WITHDRAWALS_PER_PAYLOAD)).
    #[error("too many withdrawals: {count} > {max}")]
    TooManyWithdrawals {
        /// The block's withdrawal count with this flashblock.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// `base.base_fee_per_gas` does not fit the header's 64-bit field, so no header can
    /// be rebuilt.
    #[error("base fee per gas {0} does not fit in 64 bits")]
    BaseFeeOverflow(U256),
    /// Rule `block_hash_mismatch`: the header rebuilt from the block so far does not
    /// hash to the flashblock's `diff.block_hash`.
    #[error("block hash mismatch: computed {computed}, claimed {claimed}")]
    BlockHashMismatch {
        /// The keccak of the rebuilt header.
        computed: B256,
        /// The flashblock's `diff.block_hash`.
        claimed: B256,
    },
}

impl AssembleError {
    /// Whether this is a [`BlockHashMismatch`](Self::BlockHashMismatch).
    pub const fn is_block_hash_mismatch(&self) -> bool {
        matches!(self, Self::BlockHashMismatch { .. })
    }
}
