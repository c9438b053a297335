//! The fast `hash_tree_root`: as close to the hashing floor as one core gets.
//!
//! Its entry points are [`FlashblocksPayloadV1::hash_tree_root_slow`] and
//! [`PayloadViewV1::hash_tree_root_slow`](crate::PayloadViewV1::hash_tree_root_slow); this
//! module, public with the `test-utils` feature only, shows its internals to the tests
//! and benches.
//!
//! It computes exactly what [`merkle`](crate::merkle) (the straightforward reference,
//! kept as the test oracle) computes, with:
//!
//! - one node hash = two raw SHA-256 compressions (`sha2::compress256`: the 64-byte
//!   node, then the constant padding block), which `sha2` runs on the CPU's SHA
//!   extensions (SHA-NI) when it has them, detected at run time;
//! - the zero hashes precomputed once, so a zero subtree (the empty right side of a
//!   2^30-byte transaction list, a `None` union) costs nothing;
//! - no allocation: lists are merkleized as a stream, with one pending node per level,
//!   and byte lists are hashed straight from their bytes.
//!
//! - two independent hash chains (two transactions, two accounts) hashed in turn, so
//!   that the CPU overlaps them.
//!
//! It does exactly [`node_hash_count`] node hashes, each hashed once: the floor is that
//! count times one [`node_hash`], which the benches measure in the same run. With the
//! feature `parallel`, `payload_root_parallel` computes the transactions' and accounts'
//! roots on rayon's thread pool, below the one-core floor.

#[cfg(feature = "test-utils")]
mod count;
mod lanes;
pub(crate) mod node;
#[cfg(feature = "parallel")]
mod parallel;
pub(crate) mod payload;

#[cfg(feature = "test-utils")]
use crate::merkle::SubRoots;
use crate::FlashblocksPayloadV1;
use alloy_primitives::B256;
use node::Hasher;

#[cfg(feature = "test-utils")]
pub use node::{node_hash, NodeHasher};
#[cfg(feature = "parallel")]
pub(crate) use parallel::payload_root_parallel;

/// `hash_tree_root(payload)` with the fast hasher.
pub(crate) fn payload_root(payload: &FlashblocksPayloadV1) -> B256 {
    let mut h = Hasher::new();
    B256::from(payload::payload(&mut h, payload))
}

/// `hash_tree_root(payload)` with the fast hasher, and the number of node hashes it did
/// (always [`node_hash_count`]`(payload)`).
#[cfg(feature = "test-utils")]
pub fn payload_root_counted(payload: &FlashblocksPayloadV1) -> (B256, u64) {
    let mut h = Hasher::new();
    let root = payload::payload(&mut h, payload);
    (B256::from(root), h.nodes)
}

/// The [`SubRoots`] of a payload, with the fast hasher.
#[cfg(feature = "test-utils")]
pub fn sub_roots(p: &FlashblocksPayloadV1) -> SubRoots {
    let mut h = Hasher::new();
    let parent_flash_hash = h.union(p.parent_flash_hash.map(|r| r.0));
    let base = match &p.base {
        Some(b) => {
            let root = payload::base(&mut h, b);
            h.union(Some(root))
        }
        None => h.union(None),
    };
    SubRoots {
        parent_flash_hash: B256::from(parent_flash_hash),
        base: B256::from(base),
        diff: B256::from(payload::diff(&mut h, &p.diff)),
        metadata: B256::from(payload::metadata(&mut h, &p.metadata)),
    }
}

/// The exact number of 64-byte node hashes `hash_tree_root(payload)` needs when the
/// roots of all-zero subtrees are precomputed, counted from the payload's shape without
/// hashing. Times the cost of one [`node_hash`], it is the floor of any single-core
/// hasher.
///
/// A 200-byte transaction needs 30: 7 chunks merkleized to depth 25 (the limit of
/// 2^30 bytes) take 4 + 2 + 1 + 22 hashes, and 1 more mixes in the length.
#[cfg(feature = "test-utils")]
pub fn node_hash_count(payload: &FlashblocksPayloadV1) -> u64 {
    count::payload(payload)
}
