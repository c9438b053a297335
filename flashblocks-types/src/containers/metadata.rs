//! `FlashblockMetadata`: the post-state of what one flashblock touched.

use crate::codec::{accounts, code, storage_slots, transaction_metadata};
use alloy_primitives::{Address, Bytes, B256, U256};
#[cfg(feature = "test-utils")]
use ssz_derive::Decode;
use ssz_derive::Encode;
#[cfg(feature = "test-utils")]
use tree_hash_derive::TreeHash;

/// One changed storage slot, with its value after the flashblock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode, TreeHash))]
pub struct StorageSlot {
    /// The slot key.
    pub key: B256,
    /// The slot value after the flashblock.
    pub value: B256,
}

/// An account the flashblock touched, with post-state values ([spec page](crate::spec), decision 7).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct AccountMetadata {
    /// The account's address (unique within one flashblock).
    pub address: Address,
    /// The balance after the flashblock, `None` if unchanged here.
    pub balance: Option<U256>,
    /// The nonce after the flashblock (always present).
    pub nonce: u64,
    /// The code, `Some` only when set by this flashblock; at most
    /// [`MAX_BYTES_PER_CODE`](crate::MAX_BYTES_PER_CODE) bytes.
    #[ssz(with = "code")]
    pub code: Option<Bytes>,
    /// The slots this flashblock changed, keys strictly ascending.
    #[ssz(with = "storage_slots")]
    pub storage_slots: Vec<StorageSlot>,
}

/// The outcome of one transaction of `diff.transactions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct TransactionMetadata {
    /// The receipt status: 1 success, 0 failure (anything else breaks `invalid_status`).
    pub status: u8,
    /// The gas the transaction used.
    pub gas_used: u64,
    /// The address of the contract the transaction created, if any.
    pub contract_address: Option<Address>,
}

/// Metadata of one flashblock: the accounts it touched and one entry per transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct FlashblockMetadata {
    /// The accounts this flashblock touched (unique addresses).
    #[ssz(with = "accounts")]
    pub accounts: Vec<AccountMetadata>,
    /// One entry per transaction of `diff.transactions`, in order.
    #[ssz(with = "transaction_metadata")]
    pub transactions: Vec<TransactionMetadata>,
}
