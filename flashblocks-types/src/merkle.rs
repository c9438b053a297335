//! `hash_tree_root` of every container, written straight from the SSZ definition on top
//! of `tree_hash`'s merkleization (the reference implementation; kept as the oracle the
//! faster hasher is tested against).
//!
//! `tree_hash` has no `TreeHash` for `Option` (an SSZ union), `Bloom`, `Bytes` or
//! `PayloadId`, and the orphan rule forbids adding one, so the containers that hold them
//! implement [`TreeHash`] here by hand.
//!
//! A list longer than its schema limit has no `hash_tree_root`; such a value can be
//! built in memory (never decoded), and is hashed as if the limit were large enough,
//! without panicking.

use crate::{
    AccountMetadata, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1,
    FlashblockMetadata, FlashblocksPayloadV1, TransactionMetadata, BYTES_PER_LOGS_BLOOM,
    MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_BYTES_PER_CODE, MAX_BYTES_PER_TRANSACTION,
    MAX_EXTRA_DATA_BYTES, MAX_STORAGE_SLOTS_PER_ACCOUNT, MAX_TRANSACTIONS_PER_PAYLOAD,
    MAX_WITHDRAWALS_PER_PAYLOAD,
};
use alloy_primitives::{Address, B256, U256};
use tree_hash::{merkle_root, mix_in_length, mix_in_selector, MerkleHasher, TreeHash};

const BYTES_PER_CHUNK: usize = 32;

/// The root of a basic value packed into one chunk (little-endian, zero padded).
fn chunk(bytes: &[u8]) -> B256 {
    let mut out = B256::ZERO;
    for (dst, src) in out.0.iter_mut().zip(bytes) {
        *dst = *src;
    }
    out
}

/// `merkleize(roots, limit)` over 32-byte roots.
fn merkleize_roots<'a>(roots: impl ExactSizeIterator<Item = &'a B256>, limit: usize) -> B256 {
    let mut hasher = MerkleHasher::with_leaves(limit.max(roots.len()));
    for root in roots {
        if hasher.write(root.as_slice()).is_err() {
            break;
        }
    }
    hasher.finish().unwrap_or_default()
}

/// `hash_tree_root` of a `List[T, limit]` of composite items, given the items' roots.
pub(crate) fn list_root(roots: &[B256], limit: usize) -> B256 {
    mix_in_length(&merkleize_roots(roots.iter(), limit), roots.len())
}

/// `hash_tree_root` of a `ByteList[max_len]`.
pub(crate) fn byte_list_root(bytes: &[u8], max_len: usize) -> B256 {
    let limit_chunks = max_len.div_ceil(BYTES_PER_CHUNK).max(bytes.len().div_ceil(BYTES_PER_CHUNK));
    mix_in_length(&merkle_root(bytes, limit_chunks), bytes.len())
}

/// `hash_tree_root` of a `Union[None, T]` given the root of its value.
pub(crate) fn union_root(value: Option<B256>) -> B256 {
    let (root, selector) = match value {
        Some(root) => (root, 1),
        None => (B256::ZERO, 0),
    };
    // Selectors 0 and 1 are far below MAX_UNION_SELECTOR.
    mix_in_selector(&root, selector).unwrap_or_default()
}

/// `hash_tree_root` of a container given its fields' roots.
pub(crate) fn container_root(fields: &[B256]) -> B256 {
    merkleize_roots(fields.iter(), fields.len())
}

fn u64_root(v: u64) -> B256 {
    chunk(&v.to_le_bytes())
}

fn address_root(a: &Address) -> B256 {
    chunk(a.as_slice())
}

fn u256_root(v: &U256) -> B256 {
    B256::from(v.to_le_bytes::<32>())
}

pub(crate) fn base_root(base: &ExecutionPayloadStaticV1) -> B256 {
    container_root(&[
        base.parent_beacon_block_root,
        base.parent_hash,
        address_root(&base.fee_recipient),
        base.prev_randao,
        u64_root(base.block_number),
        u64_root(base.gas_limit),
        u64_root(base.timestamp),
        byte_list_root(&base.extra_data, MAX_EXTRA_DATA_BYTES),
        u256_root(&base.base_fee_per_gas),
    ])
}

pub(crate) fn diff_root(diff: &ExecutionPayloadFlashblockDeltaV1) -> B256 {
    let txs: Vec<B256> =
        diff.transactions.iter().map(|tx| byte_list_root(tx, MAX_BYTES_PER_TRANSACTION)).collect();
    let withdrawals: Vec<B256> = diff.withdrawals.iter().map(TreeHash::tree_hash_root).collect();
    debug_assert_eq!(diff.logs_bloom.len(), BYTES_PER_LOGS_BLOOM);
    container_root(&[
        diff.state_root,
        diff.receipts_root,
        merkle_root(diff.logs_bloom.as_slice(), 0),
        u64_root(diff.gas_used),
        diff.block_hash,
        list_root(&txs, MAX_TRANSACTIONS_PER_PAYLOAD),
        list_root(&withdrawals, MAX_WITHDRAWALS_PER_PAYLOAD),
        diff.withdrawals_root,
    ])
}

pub(crate) fn account_root(account: &AccountMetadata) -> B256 {
    let slots: Vec<B256> = account.storage_slots.iter().map(TreeHash::tree_hash_root).collect();
    container_root(&[
        address_root(&account.address),
        union_root(account.balance.as_ref().map(u256_root)),
        u64_root(account.nonce),
        union_root(account.code.as_ref().map(|c| byte_list_root(c, MAX_BYTES_PER_CODE))),
        list_root(&slots, MAX_STORAGE_SLOTS_PER_ACCOUNT),
    ])
}

pub(crate) fn transaction_metadata_root(tx: &TransactionMetadata) -> B256 {
    container_root(&[
        u64_root(u64::from(tx.status)),
        u64_root(tx.gas_used),
        union_root(tx.contract_address.as_ref().map(address_root)),
    ])
}

pub(crate) fn metadata_root(metadata: &FlashblockMetadata) -> B256 {
    let accounts: Vec<B256> = metadata.accounts.iter().map(account_root).collect();
    let txs: Vec<B256> = metadata.transactions.iter().map(transaction_metadata_root).collect();
    container_root(&[
        list_root(&accounts, MAX_ACCOUNTS_PER_FLASHBLOCK),
        list_root(&txs, MAX_TRANSACTIONS_PER_PAYLOAD),
    ])
}

/// The roots of the four composite parts of a payload, as the vectors' `sub_roots` list
/// them: `parent_flash_hash` and `base` as unions, `diff`, `metadata`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubRoots {
    /// Root of the `parent_flash_hash` union.
    pub parent_flash_hash: B256,
    /// Root of the `base` union.
    pub base: B256,
    /// Root of `diff`.
    pub diff: B256,
    /// Root of `metadata`.
    pub metadata: B256,
}

/// The [`SubRoots`] of a payload, computed with the reference hasher.
pub fn sub_roots(payload: &FlashblocksPayloadV1) -> SubRoots {
    SubRoots {
        parent_flash_hash: union_root(payload.parent_flash_hash),
        base: union_root(payload.base.as_ref().map(base_root)),
        diff: diff_root(&payload.diff),
        metadata: metadata_root(&payload.metadata),
    }
}

/// `hash_tree_root(FlashblocksPayloadV1)` with the reference hasher.
pub fn payload_root(payload: &FlashblocksPayloadV1) -> B256 {
    let sub = sub_roots(payload);
    container_root(&[
        chunk(payload.version.as_slice()),
        chunk(payload.payload_id.0.as_slice()),
        sub.parent_flash_hash,
        u64_root(payload.index),
        sub.base,
        sub.diff,
        sub.metadata,
    ])
}

/// Implements [`TreeHash`] for a container whose root a function above computes.
macro_rules! impl_container_tree_hash {
    ($($ty:ty => $root:path),* $(,)?) => {$(
        impl TreeHash for $ty {
            fn tree_hash_type() -> tree_hash::TreeHashType {
                tree_hash::TreeHashType::Container
            }

            fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
                // Containers are never packed; `tree_hash` asks only basic types.
                tree_hash::PackedEncoding::from_slice(self.tree_hash_root().as_slice())
            }

            fn tree_hash_packing_factor() -> usize {
                1
            }

            fn tree_hash_root(&self) -> tree_hash::Hash256 {
                $root(self)
            }
        }
    )*};
}

impl_container_tree_hash!(
    ExecutionPayloadStaticV1 => base_root,
    ExecutionPayloadFlashblockDeltaV1 => diff_root,
    AccountMetadata => account_root,
    TransactionMetadata => transaction_metadata_root,
    FlashblockMetadata => metadata_root,
    FlashblocksPayloadV1 => payload_root,
);
