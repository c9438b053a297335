//! [`TransactionTrie`]: the block's transactions with an incremental `transactions_root`.
//!
//! The transactions root is the ordered trie root over the EIP-2718 encodings, keyed by
//! `rlp(index)` (as [`alloy_trie::root::ordered_trie_root_encoded`] computes it). Most of
//! its cost is hashing the leaves, which hold whole transactions. A leaf's node depends on
//! its neighbours, so a leaf hash cannot be kept on its own while the block grows; but
//! 16 consecutive indices `16g .. 16g + 15` (indices 1 to 15 for `g = 0`: index 0 is
//! keyed `0x80`) share every key nibble but the last, and once all 16 are in the block no
//! later index lands under that prefix: the branch node there never changes again. Its
//! hash is computed once (with its own [`HashBuilder`]) and handed to the next roots as
//! a branch ([`HashBuilder::add_branch`]), so a root costs the new transactions'
//! leaves plus about `n / 16` cached hashes, instead of every leaf again.

use alloy_primitives::{Bytes, B256};
use alloy_trie::{root::adjust_index_for_rlp, HashBuilder, Nibbles, EMPTY_ROOT_HASH};

/// Transactions per cached group: the 16 children of one branch node.
const GROUP: usize = 16;

/// The trie key of transaction `index`: `rlp(index)` as nibbles.
fn key(index: usize) -> Nibbles {
    Nibbles::unpack(alloy_rlp::encode_fixed_size(&index))
}

/// The first index of group `g` (index 0 is keyed apart from the others).
const fn group_start(g: usize) -> usize {
    if g == 0 {
        1
    } else {
        g * GROUP
    }
}

/// The path of the branch node that holds group `g`: the key of its members but the last
/// nibble.
fn group_prefix(g: usize) -> Nibbles {
    let key = key(group_start(g));
    key.slice(..key.len().saturating_sub(1))
}

/// The hash of the branch node holding the complete group `g`, with the transaction at
/// `index` given by `tx`.
fn group_hash<'a>(g: usize, tx: &impl Fn(usize) -> &'a [u8]) -> B256 {
    let mut hb = HashBuilder::default();
    for index in group_start(g)..(g + 1) * GROUP {
        // Low nibble of the index: the member's key below the group's prefix.
        hb.add_leaf(Nibbles::from_nibbles_unchecked([(index % GROUP) as u8]), tx(index));
    }
    hb.root()
}

/// The ordered trie root over `len` transactions given by `tx`, using the hashes of the
/// complete groups in `cached` (groups `0 .. cached.len()`) and pushing the hashes of the
/// complete groups it had to compute onto `fresh`, in group order.
fn root_with<'a>(
    len: usize,
    tx: impl Fn(usize) -> &'a [u8],
    cached: &[B256],
    fresh: &mut Vec<B256>,
) -> B256 {
    if len == 0 {
        return EMPTY_ROOT_HASH;
    }
    let complete = len / GROUP;
    let mut hb = HashBuilder::default();
    // Keys in ascending order: indices 1..=127 (one byte, below 0x80), then index 0
    // (0x80), then 128.. (0x81.., longer and ascending): `adjust_index_for_rlp`'s order.
    let mut position = 0;
    while position < len {
        let index = adjust_index_for_rlp(position, len);
        let g = index / GROUP;
        if index != 0 && index == group_start(g) && g < complete {
            let hash = match cached.get(g) {
                Some(hash) => *hash,
                None => {
                    let hash = group_hash(g, &tx);
                    fresh.push(hash);
                    hash
                }
            };
            hb.add_branch(group_prefix(g), hash, false);
            position += (g + 1) * GROUP - index;
        } else {
            hb.add_leaf(key(index), tx(index));
            position += 1;
        }
    }
    hb.root()
}

/// A block's transactions, in order, with a `transactions_root` that reuses what the
/// previous roots computed.
///
/// ```
/// use alloy_primitives::Bytes;
/// use alloy_trie::root::ordered_trie_root_encoded;
/// use flashblocks_assemble::TransactionTrie;
///
/// let txs: Vec<Bytes> = (0..40u8).map(|i| Bytes::from(vec![2, i, i])).collect();
/// let mut trie = TransactionTrie::default();
/// trie.extend(txs[..20].iter().cloned());
/// assert_eq!(trie.root(), ordered_trie_root_encoded(&txs[..20]));
/// trie.extend(txs[20..].iter().cloned());
/// assert_eq!(trie.root(), ordered_trie_root_encoded(&txs));
/// ```
///
/// Two tries are equal when they hold the same transactions, whatever they have cached.
#[derive(Clone, Debug, Default)]
pub struct TransactionTrie {
    transactions: Vec<Bytes>,
    /// Hashes of complete groups `0 .. groups.len()` (never more than `len / 16`).
    groups: Vec<B256>,
}

impl TransactionTrie {
    /// An empty trie.
    pub const fn new() -> Self {
        Self { transactions: Vec::new(), groups: Vec::new() }
    }

    /// The transactions, in order.
    pub fn transactions(&self) -> &[Bytes] {
        &self.transactions
    }

    /// The number of transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether it holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Appends a transaction (its EIP-2718 encoding).
    pub fn push(&mut self, transaction: Bytes) {
        self.transactions.push(transaction);
    }

    /// Reserves room for `additional` more transactions.
    pub fn reserve(&mut self, additional: usize) {
        self.transactions.reserve(additional);
    }

    /// Appends transactions.
    pub fn extend(&mut self, transactions: impl IntoIterator<Item = Bytes>) {
        self.transactions.extend(transactions);
    }

    /// The ordered trie root over the transactions; caches the hashes of the groups it
    /// completes.
    pub fn root(&mut self) -> B256 {
        let mut fresh = Vec::new();
        let transactions = &self.transactions;
        let root = root_with(
            transactions.len(),
            |i| transactions.get(i).map_or(&[][..], |tx| &tx[..]),
            &self.groups,
            &mut fresh,
        );
        self.groups.extend(fresh);
        root
    }

    /// The root the trie would have with `more` appended, without changing it; the
    /// returned [`GroupHashes`] carry what was computed to [`commit`](Self::commit)
    /// with those same transactions.
    pub fn root_with(&self, more: &[Bytes]) -> (B256, GroupHashes) {
        let mut fresh = Vec::new();
        let held = self.transactions.len();
        let tx = |i: usize| {
            let tx = match i.checked_sub(held) {
                None => self.transactions.get(i),
                Some(j) => more.get(j),
            };
            tx.map_or(&[][..], |tx| &tx[..])
        };
        let root = root_with(held + more.len(), tx, &self.groups, &mut fresh);
        (root, GroupHashes { first: self.groups.len(), len: held + more.len(), hashes: fresh })
    }

    /// Appends `more` and keeps the group hashes [`root_with`](Self::root_with) computed
    /// for them (they are dropped if they were computed for another state).
    pub fn commit(&mut self, more: impl IntoIterator<Item = Bytes>, hashes: GroupHashes) {
        self.transactions.extend(more);
        if hashes.first == self.groups.len() && hashes.len == self.transactions.len() {
            self.groups.extend(hashes.hashes);
        }
    }

    /// Takes the transactions out.
    pub fn into_transactions(self) -> Vec<Bytes> {
        self.transactions
    }
}

impl PartialEq for TransactionTrie {
    fn eq(&self, other: &Self) -> bool {
        self.transactions == other.transactions
    }
}

impl Eq for TransactionTrie {}

/// Group hashes computed by [`TransactionTrie::root_with`], to keep with
/// [`TransactionTrie::commit`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupHashes {
    /// The first group they hash.
    first: usize,
    /// The transaction count they were computed for.
    len: usize,
    hashes: Vec<B256>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_trie::root::ordered_trie_root_encoded;

    fn txs(n: usize) -> Vec<Bytes> {
        (0..n).map(|i| Bytes::from(vec![2u8; 1 + i % 70])).collect()
    }

    #[test]
    fn matches_the_ordered_root_at_every_length_and_step() {
        let all = txs(300);
        for step in [1, 7, 16, 50, 129] {
            let mut trie = TransactionTrie::new();
            let mut len = 0;
            while len < all.len() {
                let end = (len + step).min(all.len());
                trie.extend(all[len..end].iter().cloned());
                len = end;
                assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..len]), "len {len}");
            }
        }
    }

    #[test]
    fn root_with_leaves_the_trie_unchanged_and_commit_keeps_the_groups() {
        let all = txs(300);
        let mut trie = TransactionTrie::new();
        trie.extend(all[..40].iter().cloned());
        let before = trie.clone();
        let (root, hashes) = trie.root_with(&all[40..200]);
        assert_eq!(trie, before);
        assert_eq!(trie.groups, before.groups);
        assert_eq!(root, ordered_trie_root_encoded(&all[..200]));
        assert_eq!(hashes.hashes.len(), 200 / GROUP);
        trie.commit(all[40..200].iter().cloned(), hashes);
        assert_eq!(trie.groups.len(), 200 / GROUP);
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..200]));
        // Stale hashes (computed for another length) are dropped, not used.
        let (_, stale) = trie.root_with(&all[200..210]);
        trie.commit(all[200..260].iter().cloned(), stale);
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..260]));
    }

    #[test]
    fn large_indices_cross_the_key_length_boundaries() {
        // 256 is where keys grow from 2 to 3 bytes.
        let all = txs(1100);
        let mut trie = TransactionTrie::new();
        trie.extend(all[..255].iter().cloned());
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..255]));
        trie.extend(all[255..].iter().cloned());
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all));
    }
}
