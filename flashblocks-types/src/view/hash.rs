//! `hash_tree_root` straight from a validated frame's bytes, with the fast hasher.

use super::{
    items::{array, sub, u64_at, union_value, AccountView, BaseView},
    PayloadViewV1,
};
use crate::{
    hash::{
        node::{chunk, u64_chunk, Hasher, Merkleizer, Node},
        payload::{withdrawal, BLOOM_CHUNKS, CODE_CHUNKS, EXTRA_DATA_CHUNKS, TX_CHUNKS},
    },
    MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_STORAGE_SLOTS_PER_ACCOUNT, MAX_TRANSACTIONS_PER_PAYLOAD,
    MAX_WITHDRAWALS_PER_PAYLOAD,
};
use alloy_primitives::B256;

/// A 32-byte field at `at`, which is its own chunk.
fn field(bytes: &[u8], at: usize) -> Node {
    array::<32>(bytes, at)
}

fn base(h: &mut Hasher, b: BaseView<'_>) -> Node {
    let bytes = b.bytes;
    let extra_data = h.byte_list(b.extra_data(), EXTRA_DATA_CHUNKS);
    h.container([
        field(bytes, 0),
        field(bytes, 32),
        chunk(&array::<20>(bytes, 64)),
        field(bytes, 84),
        u64_chunk(u64_at(bytes, 116)),
        u64_chunk(u64_at(bytes, 124)),
        u64_chunk(u64_at(bytes, 132)),
        extra_data,
        // uint256 little-endian is its own chunk.
        field(bytes, 144),
    ])
}

/// The items of an account's `storage_slots` list: each `StorageSlot` container is the
/// hash of its 64 bytes.
fn slot_roots(slots: &[u8]) -> impl FnOnce(&mut Hasher, &mut Merkleizer) + '_ {
    move |h, m| {
        for slot in slots.chunks_exact(64) {
            let root = match slot.first_chunk::<64>() {
                Some(block) => h.block(block),
                None => h.padded(slot),
            };
            m.push(h, root);
        }
    }
}

/// An account's root, given the root of its `storage_slots`.
fn account_with_slots(h: &mut Hasher, a: AccountView<'_>, slots: Node) -> Node {
    let balance = h.union(union_value(a.balance_union()).map(|b| array::<32>(b, 0)));
    let code = match a.code() {
        Some(code) => {
            let root = h.byte_list(code, CODE_CHUNKS);
            h.union(Some(root))
        }
        None => h.union(None),
    };
    h.container([
        chunk(&array::<20>(a.bytes, 0)),
        balance,
        u64_chunk(u64_at(a.bytes, 24)),
        code,
        slots,
    ])
}

fn account(h: &mut Hasher, a: AccountView<'_>) -> Node {
    let slots =
        h.list(a.storage_slot_count(), MAX_STORAGE_SLOTS_PER_ACCOUNT, slot_roots(a.slots_bytes()));
    account_with_slots(h, a, slots)
}

/// Two accounts, their storage-slot chains interleaved.
fn accounts2(h: &mut Hasher, a: AccountView<'_>, b: AccountView<'_>) -> (Node, Node) {
    let (slots_a, slots_b) = h.lists2(
        MAX_STORAGE_SLOTS_PER_ACCOUNT,
        (a.storage_slot_count(), slot_roots(a.slots_bytes())),
        (b.storage_slot_count(), slot_roots(b.slots_bytes())),
    );
    (account_with_slots(h, a, slots_a), account_with_slots(h, b, slots_b))
}

fn transaction_metadata(h: &mut Hasher, bytes: &[u8]) -> Node {
    let contract = h.union(union_value(sub(bytes, 13, bytes.len())).map(chunk));
    h.container([
        u64_chunk(u64::from(bytes.first().copied().unwrap_or_default())),
        u64_chunk(u64_at(bytes, 1)),
        contract,
    ])
}

pub(super) fn payload(view: &PayloadViewV1) -> (B256, u64) {
    let mut h = Hasher::new();
    let frame: &[u8] = &view.frame;
    let parent = h.union(view.layout.parent.map(|at| field(frame, at)));
    let base = match view.base() {
        Some(b) => {
            let root = base(&mut h, b);
            h.union(Some(root))
        }
        None => h.union(None),
    };

    let d = view.diff_bytes();
    let bloom = h.byte_vector(sub(d, 64, 320), BLOOM_CHUNKS);
    let txs = view.transactions();
    let txs = h.list(txs.len(), MAX_TRANSACTIONS_PER_PAYLOAD, |h, m| {
        // Two transactions at a time: their chains interleave.
        let mut iter = txs.iter();
        while let Some(a) = iter.next() {
            if let Some(b) = iter.next() {
                let (a, b) = h.byte_lists2(a, b, TX_CHUNKS);
                m.push(h, a);
                m.push(h, b);
            } else {
                let root = h.byte_list(a, TX_CHUNKS);
                m.push(h, root);
            }
        }
    });
    let ws = view.withdrawals();
    let ws = h.list(ws.len(), MAX_WITHDRAWALS_PER_PAYLOAD, |h, m| {
        for w in ws {
            let root = withdrawal(h, &w);
            m.push(h, root);
        }
    });
    let diff = h.container([
        field(d, 0),
        field(d, 32),
        bloom,
        u64_chunk(u64_at(d, 320)),
        field(d, 328),
        txs,
        ws,
        field(d, 368),
    ]);

    let accounts = view.accounts();
    let accounts = h.list(accounts.len(), MAX_ACCOUNTS_PER_FLASHBLOCK, |h, m| {
        let mut iter = accounts.iter();
        while let Some(a) = iter.next() {
            if let Some(b) = iter.next() {
                let (a, b) = accounts2(h, a, b);
                m.push(h, a);
                m.push(h, b);
            } else {
                let root = account(h, a);
                m.push(h, root);
            }
        }
    });
    let tx_meta = view.transaction_metadata();
    let tx_meta = h.list(tx_meta.len(), MAX_TRANSACTIONS_PER_PAYLOAD, |h, m| {
        for t in tx_meta.list.iter() {
            let root = transaction_metadata(h, t);
            m.push(h, root);
        }
    });
    let metadata = h.container([accounts, tx_meta]);

    let root = h.container([
        chunk(&array::<4>(frame, 0)),
        chunk(&array::<8>(frame, 4)),
        parent,
        u64_chunk(u64_at(frame, 16)),
        base,
        diff,
        metadata,
    ]);
    (B256::from(root), h.nodes)
}
