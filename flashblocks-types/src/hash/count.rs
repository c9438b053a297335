//! The exact number of 64-byte node hashes a value's `hash_tree_root` needs, counted
//! from its shape (the floor the fast hasher is measured against).
//!
//! Counted as the fast hasher works: every node that is not the root of an all-zero
//! subtree is hashed once; roots of all-zero subtrees are the precomputed zero hashes.
//! That includes a `None` union (`mix_in_selector(ZERO, 0)` = `ZERO[1]`); an empty list
//! still takes one hash to mix in its length 0.

use super::{
    node::depth_for,
    payload::{BLOOM_CHUNKS, CODE_CHUNKS, EXTRA_DATA_CHUNKS, TX_CHUNKS},
};
use crate::{
    AccountMetadata, FlashblocksPayloadV1, MAX_ACCOUNTS_PER_FLASHBLOCK,
    MAX_STORAGE_SLOTS_PER_ACCOUNT, MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};

/// Node hashes to merkleize `leaves` non-zero leaves into a tree of `depth`:
/// `ceil(leaves / 2^k)` at each level `k` from 1 to `depth`.
pub(crate) fn merkleize(leaves: u64, depth: usize) -> u64 {
    if leaves == 0 {
        return 0;
    }
    let mut total = 0;
    let mut width = leaves;
    for _ in 0..depth {
        width = width.div_ceil(2);
        total += width;
    }
    total
}

/// Node hashes of a container of `fields` fields (their own roots not included).
pub(crate) fn container(fields: usize) -> u64 {
    merkleize(fields as u64, depth_for(fields))
}

/// Node hashes of a list of `len` composite items (their roots not included).
pub(crate) fn list(len: usize, limit: usize) -> u64 {
    merkleize(len as u64, depth_for(limit.max(len))) + 1
}

/// Node hashes of `merkleize(pack(bytes))` with room for `limit_chunks` chunks.
pub(crate) fn byte_vector(len: usize, limit_chunks: usize) -> u64 {
    let chunks = len.div_ceil(32);
    merkleize(chunks as u64, depth_for(limit_chunks.max(chunks)))
}

/// Node hashes of a `ByteList` of `len` bytes.
pub(crate) fn byte_list(len: usize, limit_chunks: usize) -> u64 {
    byte_vector(len, limit_chunks) + 1
}

/// Node hashes of a `Union[None, T]` whose value needs `value` (`None`: no value).
pub(crate) fn union(value: Option<u64>) -> u64 {
    value.map_or(0, |v| v + 1)
}

pub(crate) fn account(a: &AccountMetadata) -> u64 {
    container(5)
        + union(a.balance.map(|_| 0))
        + union(a.code.as_ref().map(|c| byte_list(c.len(), CODE_CHUNKS)))
        + list(a.storage_slots.len(), MAX_STORAGE_SLOTS_PER_ACCOUNT)
        + a.storage_slots.len() as u64 * container(2)
}

/// The node hashes of `hash_tree_root(payload)`; see [`node_hash_count`](super::node_hash_count).
pub(crate) fn payload(p: &FlashblocksPayloadV1) -> u64 {
    let base =
        p.base.as_ref().map(|b| container(9) + byte_list(b.extra_data.len(), EXTRA_DATA_CHUNKS));
    let d = &p.diff;
    let txs: u64 = d.transactions.iter().map(|tx| byte_list(tx.len(), TX_CHUNKS)).sum();
    let diff = container(8)
        + byte_vector(d.logs_bloom.len(), BLOOM_CHUNKS)
        + list(d.transactions.len(), MAX_TRANSACTIONS_PER_PAYLOAD)
        + txs
        + list(d.withdrawals.len(), MAX_WITHDRAWALS_PER_PAYLOAD)
        + d.withdrawals.len() as u64 * container(4);
    let m = &p.metadata;
    let accounts: u64 = m.accounts.iter().map(account).sum();
    let tx_meta: u64 =
        m.transactions.iter().map(|t| container(3) + union(t.contract_address.map(|_| 0))).sum();
    let metadata = container(2)
        + list(m.accounts.len(), MAX_ACCOUNTS_PER_FLASHBLOCK)
        + accounts
        + list(m.transactions.len(), MAX_TRANSACTIONS_PER_PAYLOAD)
        + tx_meta;
    container(7) + union(p.parent_flash_hash.map(|_| 0)) + union(base) + diff + metadata
}
