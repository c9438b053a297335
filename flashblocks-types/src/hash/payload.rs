//! The fast `hash_tree_root` of the owned containers.

use super::node::{chunk, u64_chunk, Hasher, Merkleizer, Node};
use crate::{
    AccountMetadata, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1,
    FlashblockMetadata, FlashblocksPayloadV1, StorageSlot, TransactionMetadata, Withdrawal,
    BYTES_PER_LOGS_BLOOM, MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_BYTES_PER_CODE,
    MAX_BYTES_PER_TRANSACTION, MAX_EXTRA_DATA_BYTES, MAX_STORAGE_SLOTS_PER_ACCOUNT,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD,
};
use alloy_primitives::Bytes;

/// Chunks of room in a `ByteList[max_bytes]`.
pub(crate) const fn chunks_of(max_bytes: usize) -> usize {
    max_bytes.div_ceil(32)
}

pub(crate) const TX_CHUNKS: usize = chunks_of(MAX_BYTES_PER_TRANSACTION);
pub(crate) const CODE_CHUNKS: usize = chunks_of(MAX_BYTES_PER_CODE);
pub(crate) const EXTRA_DATA_CHUNKS: usize = chunks_of(MAX_EXTRA_DATA_BYTES);
pub(crate) const BLOOM_CHUNKS: usize = chunks_of(BYTES_PER_LOGS_BLOOM);

pub(crate) fn base(h: &mut Hasher, b: &ExecutionPayloadStaticV1) -> Node {
    let extra_data = h.byte_list(&b.extra_data, EXTRA_DATA_CHUNKS);
    h.container([
        b.parent_beacon_block_root.0,
        b.parent_hash.0,
        chunk(b.fee_recipient.as_slice()),
        b.prev_randao.0,
        u64_chunk(b.block_number),
        u64_chunk(b.gas_limit),
        u64_chunk(b.timestamp),
        extra_data,
        b.base_fee_per_gas.to_le_bytes::<32>(),
    ])
}

pub(crate) fn withdrawal(h: &mut Hasher, w: &Withdrawal) -> Node {
    h.container([
        u64_chunk(w.index),
        u64_chunk(w.validator_index),
        chunk(w.address.as_slice()),
        u64_chunk(w.amount),
    ])
}

/// Hands the roots of `transactions`' byte lists to `push`, in order, two at a time:
/// their chains interleave (see `lanes`).
pub(crate) fn transaction_roots(
    h: &mut Hasher,
    txs: &[Bytes],
    mut push: impl FnMut(&mut Hasher, Node),
) {
    let mut pairs = txs.chunks_exact(2);
    for pair in pairs.by_ref() {
        if let [a, b] = pair {
            let (a, b) = h.byte_lists2(a, b, TX_CHUNKS);
            push(h, a);
            push(h, b);
        }
    }
    for tx in pairs.remainder() {
        let root = h.byte_list(tx, TX_CHUNKS);
        push(h, root);
    }
}

/// Hands the roots of `accounts` to `push`, in order, two at a time.
pub(crate) fn account_roots(
    h: &mut Hasher,
    accounts: &[AccountMetadata],
    mut push: impl FnMut(&mut Hasher, Node),
) {
    let mut pairs = accounts.chunks_exact(2);
    for pair in pairs.by_ref() {
        if let [a, b] = pair {
            let (a, b) = accounts2(h, a, b);
            push(h, a);
            push(h, b);
        }
    }
    for a in pairs.remainder() {
        let root = account(h, a);
        push(h, root);
    }
}

pub(crate) fn diff(h: &mut Hasher, d: &ExecutionPayloadFlashblockDeltaV1) -> Node {
    let txs = h.list(d.transactions.len(), MAX_TRANSACTIONS_PER_PAYLOAD, |h, m| {
        transaction_roots(h, &d.transactions, |h, root| m.push(h, root));
    });
    diff_with_transactions(h, d, txs)
}

/// `diff`'s root, given the root of its transactions list.
pub(crate) fn diff_with_transactions(
    h: &mut Hasher,
    d: &ExecutionPayloadFlashblockDeltaV1,
    txs: Node,
) -> Node {
    let bloom = h.byte_vector(d.logs_bloom.as_slice(), BLOOM_CHUNKS);
    let withdrawals = h.list(d.withdrawals.len(), MAX_WITHDRAWALS_PER_PAYLOAD, |h, m| {
        for w in &d.withdrawals {
            let root = withdrawal(h, w);
            m.push(h, root);
        }
    });
    h.container([
        d.state_root.0,
        d.receipts_root.0,
        bloom,
        u64_chunk(d.gas_used),
        d.block_hash.0,
        txs,
        withdrawals,
        d.withdrawals_root.0,
    ])
}

pub(crate) fn storage_slot(h: &mut Hasher, s: &StorageSlot) -> Node {
    h.pair(&s.key.0, &s.value.0)
}

/// The items of an account's `storage_slots` list.
fn slot_roots(slots: &[StorageSlot]) -> impl FnOnce(&mut Hasher, &mut Merkleizer) + '_ {
    move |h, m| {
        for s in slots {
            let root = storage_slot(h, s);
            m.push(h, root);
        }
    }
}

/// An account's root, given the root of its `storage_slots`.
fn account_with_slots(h: &mut Hasher, a: &AccountMetadata, slots: Node) -> Node {
    let balance = h.union(a.balance.map(|b| b.to_le_bytes::<32>()));
    let code = match &a.code {
        Some(code) => {
            let root = h.byte_list(code, CODE_CHUNKS);
            h.union(Some(root))
        }
        None => h.union(None),
    };
    h.container([chunk(a.address.as_slice()), balance, u64_chunk(a.nonce), code, slots])
}

pub(crate) fn account(h: &mut Hasher, a: &AccountMetadata) -> Node {
    let slots =
        h.list(a.storage_slots.len(), MAX_STORAGE_SLOTS_PER_ACCOUNT, slot_roots(&a.storage_slots));
    account_with_slots(h, a, slots)
}

/// Two accounts, their storage-slot chains interleaved (see `lanes`).
fn accounts2(h: &mut Hasher, a: &AccountMetadata, b: &AccountMetadata) -> (Node, Node) {
    let (slots_a, slots_b) = h.lists2(
        MAX_STORAGE_SLOTS_PER_ACCOUNT,
        (a.storage_slots.len(), slot_roots(&a.storage_slots)),
        (b.storage_slots.len(), slot_roots(&b.storage_slots)),
    );
    (account_with_slots(h, a, slots_a), account_with_slots(h, b, slots_b))
}

pub(crate) fn transaction_metadata(h: &mut Hasher, t: &TransactionMetadata) -> Node {
    let contract = h.union(t.contract_address.map(|a| chunk(a.as_slice())));
    h.container([u64_chunk(u64::from(t.status)), u64_chunk(t.gas_used), contract])
}

pub(crate) fn metadata(h: &mut Hasher, m: &FlashblockMetadata) -> Node {
    let accounts = h.list(m.accounts.len(), MAX_ACCOUNTS_PER_FLASHBLOCK, |h, mk| {
        account_roots(h, &m.accounts, |h, root| mk.push(h, root));
    });
    metadata_with_accounts(h, m, accounts)
}

/// `metadata`'s root, given the root of its accounts list.
pub(crate) fn metadata_with_accounts(
    h: &mut Hasher,
    m: &FlashblockMetadata,
    accounts: Node,
) -> Node {
    let txs = h.list(m.transactions.len(), MAX_TRANSACTIONS_PER_PAYLOAD, |h, mk| {
        for t in &m.transactions {
            let root = transaction_metadata(h, t);
            mk.push(h, root);
        }
    });
    h.container([accounts, txs])
}

pub(crate) fn payload(h: &mut Hasher, p: &FlashblocksPayloadV1) -> Node {
    let diff = diff(h, &p.diff);
    let metadata = metadata(h, &p.metadata);
    payload_with(h, p, diff, metadata)
}

/// The payload's root, given the roots of `diff` and `metadata`.
pub(crate) fn payload_with(
    h: &mut Hasher,
    p: &FlashblocksPayloadV1,
    diff: Node,
    metadata: Node,
) -> Node {
    let parent = h.union(p.parent_flash_hash.map(|r| r.0));
    let base = match &p.base {
        Some(b) => {
            let root = base(h, b);
            h.union(Some(root))
        }
        None => h.union(None),
    };
    h.container([
        chunk(p.version.as_slice()),
        chunk(p.payload_id.0.as_slice()),
        parent,
        u64_chunk(p.index),
        base,
        diff,
        metadata,
    ])
}
