//! `ExecutionPayloadFlashblockDeltaV1`: what one flashblock adds, and the cumulative results.

use super::Withdrawal;
use crate::codec::{transactions, withdrawals};
use alloy_primitives::{Bloom, Bytes, B256};
#[cfg(feature = "test-utils")]
use ssz_derive::Decode;
use ssz_derive::Encode;

/// The execution payload fields a flashblock carries.
///
/// Per the [spec page](crate::spec) (decision 6), `transactions` and `withdrawals` carry only what this
/// flashblock adds (the block's lists are their concatenation in index order), while
/// `state_root`, `receipts_root`, `logs_bloom`, `gas_used`, `block_hash` and
/// `withdrawals_root` describe the whole block up to and including this flashblock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct ExecutionPayloadFlashblockDeltaV1 {
    /// The state root after this flashblock (cumulative).
    pub state_root: B256,
    /// The receipts root of the block so far (cumulative).
    pub receipts_root: B256,
    /// The logs bloom of the block so far (cumulative).
    pub logs_bloom: Bloom,
    /// The gas used by the block so far (cumulative).
    pub gas_used: u64,
    /// The hash of the block so far (cumulative).
    pub block_hash: B256,
    /// The EIP-2718 encoded transactions this flashblock adds (delta).
    #[ssz(with = "transactions")]
    pub transactions: Vec<Bytes>,
    /// The withdrawals this flashblock adds (delta).
    #[ssz(with = "withdrawals")]
    pub withdrawals: Vec<Withdrawal>,
    /// The withdrawals root of the block so far (cumulative; Isthmus: the L2 to L1
    /// message passer's storage root).
    pub withdrawals_root: B256,
}
