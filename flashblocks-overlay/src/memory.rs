//! Upper bounds of the heap memory a flashblock and its layer keep alive, counted
//! against [`OverlayConfig::max_bytes`](crate::OverlayConfig::max_bytes).
//!
//! Every figure here bounds from above: vectors decoded from JSON are counted at twice
//! their length (a growing vector at most doubles its capacity), ordered maps at three
//! times their entries (a B-tree node is at least half full, plus its pointers), and
//! every allocation with [`alloc_bytes`]'s rounding and header. The index counts its own
//! memory exactly ([`crate::pmap::PMap::bytes`]).

use crate::{
    layer::{FlashblockLayer, TxEntry},
    pmap::alloc_bytes,
};
use alloy_primitives::{Address, Log, B256, U256};
use flashblocks_types::{
    AccountMetadata, ExecutedMetadata, ExecutedReceipt, ExecutionPayloadStaticV1, Flashblock,
    Metadata, RecoveredTransaction, StorageSlot, TransactionMetadata, Withdrawal,
};
use op_alloy_consensus::OpReceipt;
use std::mem::size_of;

/// A vector of `len` items of `T`, decoded by a parser that may have grown it.
const fn vec_bytes<T>(len: usize) -> usize {
    alloc_bytes(len.saturating_mul(2).saturating_mul(size_of::<T>()))
}

/// A byte string of `len` bytes: its own allocation, and the shared header a `Bytes`
/// handle may allocate when cloned.
const fn bytes_bytes(len: usize) -> usize {
    alloc_bytes(len).saturating_add(48)
}

/// A B-tree map entry of `K` and `V`.
const fn btree_entry_bytes<K, V>() -> usize {
    3 * (size_of::<K>() + size_of::<V>()) + 16
}

/// The logs of a receipt, as decoded.
fn logs_bytes(logs: &[Log]) -> usize {
    vec_bytes::<Log>(logs.len()).saturating_add(
        logs.iter()
            .map(|l| vec_bytes::<B256>(l.topics().len()) + bytes_bytes(l.data.data.len()))
            .fold(0, usize::saturating_add),
    )
}

/// What a decoded [`Flashblock`] holds on the heap, whatever its source: the
/// transactions, withdrawals, `base`, a Lagoon post-exec transaction and every metadata
/// item, including JSON receipts that match no transaction.
pub(crate) fn flashblock_bytes(fb: &Flashblock) -> usize {
    let mut total = alloc_bytes(2 * size_of::<usize>() + size_of::<Flashblock>());
    let txs = fb.transactions();
    total = total.saturating_add(vec_bytes::<alloy_primitives::Bytes>(txs.len()));
    for tx in txs {
        total = total.saturating_add(bytes_bytes(tx.len()));
    }
    total = total.saturating_add(vec_bytes::<Withdrawal>(fb.diff().withdrawals.len()));
    if let Some(base) = fb.base() {
        total = total.saturating_add(bytes_bytes(base.extra_data.len()));
    }
    if let Some(post_exec) = fb.post_exec_tx() {
        // Its bytes as sent, and the block's decoded copy (its refund entries).
        let len = post_exec.len();
        total = total.saturating_add(bytes_bytes(len)).saturating_add(decoded_bytes(len));
    }
    total.saturating_add(metadata_bytes(fb, fb.metadata()))
}

/// What `metadata` holds on the heap (for V1, with the rest of its frame).
fn metadata_bytes(fb: &Flashblock, metadata: &Metadata) -> usize {
    let mut total = 0usize;
    match metadata {
        Metadata::V1(m) => {
            total = total
                .saturating_add(accounts_bytes(&m.accounts))
                .saturating_add(vec_bytes::<TransactionMetadata>(m.transactions.len()))
                // A V1 frame is one buffer that the transactions' bytes point into: the
                // rest of it (the encoded metadata, at most this) lives as long as they do.
                .saturating_add(v1_frame_rest(fb));
        }
        Metadata::Json(m) => {
            let balances = m.new_account_balances.as_ref().map_or(0, |b| b.len());
            total =
                total.saturating_add(balances.saturating_mul(btree_entry_bytes::<Address, U256>()));
            for receipt in m.receipts.iter().flat_map(|r| r.values()) {
                total = total
                    .saturating_add(btree_entry_bytes::<B256, OpReceipt>())
                    .saturating_add(logs_bytes(receipt_logs(receipt)));
            }
        }
        Metadata::Executed { carried, executed } => {
            total = total
                .saturating_add(alloc_bytes(size_of::<Metadata>()))
                .saturating_add(metadata_bytes(fb, carried))
                .saturating_add(alloc_bytes(2 * size_of::<usize>() + size_of::<ExecutedMetadata>()))
                .saturating_add(accounts_bytes(&executed.accounts))
                .saturating_add(vec_bytes::<ExecutedReceipt>(executed.receipts.len()));
            for receipt in &executed.receipts {
                total = total.saturating_add(logs_bytes(receipt_logs(&receipt.receipt)));
            }
        }
        // A metadata shape this version does not know: its frame's size at most.
        _ => total = total.saturating_add(v1_frame_rest(fb)),
    }
    total
}

fn accounts_bytes(accounts: &[AccountMetadata]) -> usize {
    let mut total = vec_bytes::<AccountMetadata>(accounts.len());
    for account in accounts {
        total = total
            .saturating_add(account.code.as_ref().map_or(0, |c| bytes_bytes(c.len())))
            .saturating_add(vec_bytes::<StorageSlot>(account.storage_slots.len()));
    }
    total
}

fn receipt_logs(receipt: &OpReceipt) -> &[Log] {
    use alloy_consensus::TxReceipt;
    receipt.logs()
}

/// The SSZ encoding of everything in a V1 frame but the transactions' bytes.
fn v1_frame_rest(fb: &Flashblock) -> usize {
    const FIXED: usize = 1024; // version, ids, base, diff roots and bloom, offsets
    let mut rest = FIXED
        + fb.transactions().len() * 4
        + fb.diff().withdrawals.len() * size_of::<Withdrawal>()
        + fb.base().map_or(0, |b| size_of::<ExecutionPayloadStaticV1>() + b.extra_data.len());
    if let Metadata::V1(m) = fb.metadata().carried() {
        rest = rest.saturating_add(m.transactions.len() * 40);
        for account in &m.accounts {
            rest = rest
                .saturating_add(96)
                .saturating_add(account.code.as_ref().map_or(0, |c| c.len()))
                .saturating_add(account.storage_slots.len() * 64);
        }
    }
    rest
}

/// A decoded transaction in a layer's cache: the `Arc`, the envelope, and what the
/// envelope owns on the heap, at most three times the encoding (input and access or
/// authorization lists, each item of which takes less than three times its encoding).
pub(crate) const fn decoded_bytes(raw_len: usize) -> usize {
    alloc_bytes(2 * size_of::<usize>() + size_of::<RecoveredTransaction>())
        .saturating_add(alloc_bytes(raw_len.saturating_mul(3)))
}

/// What a layer holds beside its flashblock: the entries, their receipt facts and logs,
/// and room for every transaction's decoded form (the cache fills on demand).
pub(crate) fn layer_bytes(layer: &FlashblockLayer) -> usize {
    let mut total = alloc_bytes(2 * size_of::<usize>() + size_of::<FlashblockLayer>())
        .saturating_add(alloc_bytes(layer.transactions.capacity() * size_of::<TxEntry>()))
        // The block's list of layers: one pointer and its share of a chunk.
        .saturating_add(64);
    for (raw, entry) in layer.flashblock.transactions().iter().zip(&layer.transactions) {
        total = total.saturating_add(decoded_bytes(raw.len()));
        if let Some(logs) = entry.receipt.as_ref().and_then(|r| r.logs.as_ref()) {
            total = total.saturating_add(logs_bytes(logs));
        }
    }
    total.saturating_add(flashblock_bytes(&layer.flashblock))
}
