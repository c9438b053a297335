//! [`AssembleError`]: why a flashblock could not be appended, or a header not rebuilt.

use crate::Commitments;
use alloy_primitives::{B256, U256};
use flashblocks_types::{DiffBlockHash, PayloadId};

/// Why the assembler refused a flashblock, or the block-hash check failed.
///
/// A refused flashblock leaves the assembler as it was. The sequence (payload id, index,
/// `base`) is the validator's to check; the assembler takes its tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssembleError {
    /// [`Assembler::new`](crate::Assembler::new) takes the flashblock that started a
    /// block; this one continues a block.
    #[error("flashblock {index} does not start a block")]
    NotBlockStart {
        /// The flashblock's index.
        index: u64,
    },
    /// [`Assembler::append`](crate::Assembler::append) takes the next flashblock of the
    /// block; this one started another block.
    #[error("payload {payload_id} starts another block")]
    BlockStart {
        /// The payload id of the block it started.
        payload_id: PayloadId,
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
    /// [`Assembler::verify_block_hash`](crate::Assembler::verify_block_hash) on a stream
    /// whose `diff.block_hash` is not the header hash (OP Subblocks, Base): there is no
    /// hash to verify ([`Assembler::block_hash_outcome`](
    /// crate::Assembler::block_hash_outcome) says which).
    #[error("diff.block_hash is not the header hash in this stream ({0:?})")]
    NotAHeaderHash(DiffBlockHash),
    /// The payload lacks a commitment its stream does not carry (OP Subblocks' zero
    /// roots, Base's block hash), so it does not convert into the Engine API's types: a
    /// zero root would be passed on as real.
    #[error("the payload's commitments are unavailable: {0:?}")]
    CommitmentsUnavailable(Commitments),
}

impl AssembleError {
    /// Whether this is a [`BlockHashMismatch`](Self::BlockHashMismatch).
    pub const fn is_block_hash_mismatch(&self) -> bool {
        matches!(self, Self::BlockHashMismatch { .. })
    }
}
