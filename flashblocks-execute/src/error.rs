//! [`ExecuteError`]: why a flashblock could not be executed at all.

use alloy_primitives::B256;

/// Why the executor could not execute a flashblock. None of these says the flashblock
/// is invalid: a flashblock whose execution differs from its claims is an
/// [`ExecutionMismatch`](flashblocks_validate::ExecutionMismatch) (rule
/// `execution_invalid`); these are about what the executor holds.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecuteError {
    /// The state after the block's parent is held nowhere: no preconfirmed layer of the
    /// executor has that hash and the caller's canonical states do not have it either.
    #[error("parent state unavailable: block {parent_number} ({parent_hash})")]
    ParentStateUnavailable {
        /// `base.parent_hash` of the block to execute.
        parent_hash: B256,
        /// The parent's number (`base.block_number - 1`).
        parent_number: u64,
    },
    /// A flashblock after index 0 of a block the executor has not started (it missed
    /// index 0, or dropped the block).
    #[error("no executed block for flashblock {index}")]
    BlockNotStarted {
        /// The flashblock's index.
        index: u64,
    },
    /// A block whose `base.gas_limit` is above what the executor executes (see
    /// [`Executor::with_max_block_gas_limit`](crate::Executor::with_max_block_gas_limit)).
    #[error("block gas limit {gas_limit} above the executor's {max}")]
    GasLimitTooHigh {
        /// `base.gas_limit`.
        gas_limit: u64,
        /// The executor's bound.
        max: u64,
    },
    /// Index 0 without `base` (the validator rejects it first).
    #[error("index 0 without base")]
    MissingBase,
    /// A transaction could not be executed at all: the flashblock is invalid (the
    /// execution check reports it as `execution_invalid`, fact `Executable`).
    #[error("transaction {index} ({hash}) rejected: {rejection}")]
    TransactionRejected {
        /// The position in the flashblock's `diff.transactions`.
        index: usize,
        /// The transaction's hash.
        hash: B256,
        /// Why.
        rejection: flashblocks_validate::TransactionRejection,
    },
    /// `eth_call` / `eth_estimateGas` on `pending` without a block in progress.
    #[error("no pending block")]
    NoPendingBlock,
    /// The EVM rejected a call (the caller cannot pay, a bad nonce, ...) or a state
    /// override could not be applied.
    #[error("call rejected: {0}")]
    CallRejected(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// `eth_estimateGas`: the call fails even with the most gas allowed.
    #[error("call fails with the most gas allowed (used {})", .0.gas_used)]
    CallFailed(Box<crate::CallOutcome>),
    /// The caller's state could not be read.
    #[error("state read failed: {0}")]
    State(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl ExecuteError {
    /// Whether this is [`ParentStateUnavailable`](Self::ParentStateUnavailable).
    pub const fn is_parent_state_unavailable(&self) -> bool {
        matches!(self, Self::ParentStateUnavailable { .. })
    }
}
