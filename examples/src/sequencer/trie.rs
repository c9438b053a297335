//! [`StateTrie`]: the chain's state root, kept up to date as accounts change, at a cost
//! that follows what changed rather than what the state holds.
//!
//! The accounts' trie leaves (`keccak256(address)` → the RLP of the trie account) are
//! kept in 4,096 buckets by the first three nibbles of the hashed key, each with the
//! hash of its subtrie cached. A root recomputes the subtries of the buckets that
//! changed since the last root (alloy-trie's `HashBuilder` over the keys' remaining
//! nibbles) and builds the top three levels from the cached hashes
//! (`HashBuilder::add_branch`). That holds when every non-empty prefix of one and two
//! nibbles, and the root, branch (hold keys under at least two next nibbles), which is
//! the case with overwhelming probability once the state has a few thousand accounts;
//! otherwise the root is computed over every leaf, as `state_root` does.

// Bucket indices come from `bucket` (12 bits) or `0..BUCKETS`: always in range.
#![allow(clippy::indexing_slicing)]

use alloy_primitives::{keccak256, Address, B256};
use alloy_trie::{root::storage_root_unhashed, HashBuilder, Nibbles, TrieAccount, KECCAK_EMPTY};
use flashblocks_execute::InMemoryAccount;
use std::collections::BTreeMap;

/// Buckets by the first three nibbles of the hashed key.
const BUCKETS: usize = 4096;

/// The state trie's leaves, bucketed, with each bucket's subtrie hash cached.
#[derive(Debug)]
pub struct StateTrie {
    buckets: Vec<BTreeMap<B256, Vec<u8>>>,
    /// A bucket's subtrie hash, `None` when it changed since.
    cached: Vec<Option<B256>>,
    leaves: usize,
}

impl Default for StateTrie {
    fn default() -> Self {
        Self { buckets: vec![BTreeMap::new(); BUCKETS], cached: vec![None; BUCKETS], leaves: 0 }
    }
}

/// The bucket of a hashed key: its first three nibbles.
fn bucket(key: &B256) -> usize {
    (usize::from(key[0]) << 4) | usize::from(key[1] >> 4)
}

impl StateTrie {
    /// Sets `address`'s account (EIP-161: an empty account is not in the trie).
    pub fn update(&mut self, address: Address, account: &InMemoryAccount) {
        let key = keccak256(address);
        let b = bucket(&key);
        let empty = account.balance.is_zero() && account.nonce == 0 && account.code.is_empty();
        let changed = if empty {
            self.buckets[b].remove(&key).is_some()
        } else {
            let storage_root =
                storage_root_unhashed(account.storage.iter().map(|(k, v)| (B256::from(*k), *v)));
            let code_hash =
                if account.code.is_empty() { KECCAK_EMPTY } else { keccak256(&account.code) };
            let leaf = TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root,
                code_hash,
            };
            let encoded = alloy_rlp::encode(leaf);
            match self.buckets[b].insert(key, encoded.clone()) {
                None => {
                    self.leaves += 1;
                    true
                }
                Some(old) => old != encoded,
            }
        };
        if empty && changed {
            self.leaves -= 1;
        }
        if changed {
            self.cached[b] = None;
        }
    }

    /// The accounts in the trie.
    pub const fn len(&self) -> usize {
        self.leaves
    }

    /// Whether the trie holds no account.
    pub const fn is_empty(&self) -> bool {
        self.leaves == 0
    }

    /// Whether [`root`](Self::root) builds on the cached bucket hashes (else it hashes
    /// every leaf: a small or unusual state).
    pub fn uses_buckets(&self) -> bool {
        self.top_levels_branch()
    }

    /// The state root.
    pub fn root(&mut self) -> B256 {
        if !self.top_levels_branch() {
            return self.root_slow();
        }
        let mut hb = HashBuilder::default();
        for b in 0..BUCKETS {
            if self.buckets[b].is_empty() {
                continue;
            }
            let hash = match self.cached[b] {
                Some(hash) => hash,
                None => {
                    let hash = subtrie_hash(&self.buckets[b]);
                    self.cached[b] = Some(hash);
                    hash
                }
            };
            let path =
                Nibbles::from_nibbles([(b >> 8) as u8, ((b >> 4) & 0xf) as u8, (b & 0xf) as u8]);
            hb.add_branch(path, hash, false);
        }
        hb.root()
    }

    /// The state root over every leaf (what `state_root` computes).
    pub fn root_slow(&self) -> B256 {
        let mut hb = HashBuilder::default();
        for bucket in &self.buckets {
            for (key, leaf) in bucket {
                hb.add_leaf(Nibbles::unpack(key), leaf);
            }
        }
        hb.root()
    }

    /// Whether the root and every non-empty prefix of one and two nibbles hold keys
    /// under at least two next nibbles (then each non-empty bucket is a child of a
    /// branch node at its two-nibble prefix).
    fn top_levels_branch(&self) -> bool {
        let filled =
            |from: usize, to: usize| (from..to).filter(|&b| !self.buckets[b].is_empty()).count();
        let mut first = 0;
        for a in 0..16 {
            let mut seconds = 0;
            for s in 0..16 {
                let start = (a << 8) | (s << 4);
                match filled(start, start + 16) {
                    0 => {}
                    1 => return false,
                    _ => seconds += 1,
                }
            }
            match seconds {
                0 => {}
                1 => return false,
                _ => first += 1,
            }
        }
        first >= 2
    }
}

/// The hash of the subtrie below a bucket's three-nibble prefix: the trie of its keys'
/// remaining 61 nibbles (a node of at least 32 bytes, so a branch refers to it by hash).
fn subtrie_hash(bucket: &BTreeMap<B256, Vec<u8>>) -> B256 {
    let mut hb = HashBuilder::default();
    for (key, leaf) in bucket {
        hb.add_leaf(Nibbles::unpack(key).slice(3..), leaf);
    }
    hb.root()
}
