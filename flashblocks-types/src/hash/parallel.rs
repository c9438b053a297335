//! `hash_tree_root` on every core (feature `parallel`).
//!
//! Transactions and accounts are nearly all of a large flashblock's node hashes, and
//! each one's root is independent of the others': their roots are computed in chunks on
//! rayon's thread pool (each chunk with its own hasher, lanes and all), collected in
//! order, and merkleized on the calling thread with the rest of the payload. The one
//! allocation is the two lists of 32-byte roots. The result is the same root.

use super::{
    node::{Hasher, Node},
    payload::{
        account_roots, diff_with_transactions, metadata_with_accounts, payload_with,
        transaction_roots,
    },
};
use crate::{FlashblocksPayloadV1, MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_TRANSACTIONS_PER_PAYLOAD};
use alloy_primitives::B256;
use rayon::prelude::*;

/// Items per parallel task: large enough that a task's cost (tens of microseconds) hides
/// rayon's overhead, small enough to share out the work of a large flashblock.
const CHUNK: usize = 64;

/// Hands each root of a chunk of items to the callback, in order.
type ChunkRoots<T> = fn(&mut Hasher, &[T], &mut dyn FnMut(&mut Hasher, Node));

fn roots<T: Sync>(items: &[T], f: ChunkRoots<T>) -> Vec<Node> {
    let parts: Vec<Vec<Node>> = items
        .par_chunks(CHUNK)
        .map(|chunk| {
            let mut h = Hasher::new();
            let mut out = Vec::with_capacity(chunk.len());
            f(&mut h, chunk, &mut |_, root| out.push(root));
            out
        })
        .collect();
    parts.concat()
}

/// `hash_tree_root(payload)`, the transactions' and accounts' roots computed on rayon's
/// thread pool. Equal to [`payload_root`](super::payload_root) (the public method's doc
/// test checks it).
pub(crate) fn payload_root_parallel(payload: &FlashblocksPayloadV1) -> B256 {
    let (txs, accounts) = rayon::join(
        || roots(&payload.diff.transactions, |h, c, push| transaction_roots(h, c, push)),
        || roots(&payload.metadata.accounts, |h, c, push| account_roots(h, c, push)),
    );
    let mut h = Hasher::new();
    let txs = h.list(txs.len(), MAX_TRANSACTIONS_PER_PAYLOAD, |h, m| {
        txs.iter().for_each(|root| m.push(h, *root));
    });
    let diff = diff_with_transactions(&mut h, &payload.diff, txs);
    let accounts = h.list(accounts.len(), MAX_ACCOUNTS_PER_FLASHBLOCK, |h, m| {
        accounts.iter().for_each(|root| m.push(h, *root));
    });
    let metadata = metadata_with_accounts(&mut h, &payload.metadata, accounts);
    B256::from(payload_with(&mut h, payload, diff, metadata))
}
