//! [`TransactionTrie`]: the block's transactions with an incremental `transactions_root`.
//!
//! The transactions root is the ordered trie root over the EIP-2718 encodings, keyed by
//! `rlp(index)` (as [`alloy_trie::root::ordered_trie_root_encoded`] computes it). Most of
//! its cost is hashing the leaves, which hold whole transactions. A leaf's node depends on
//! its neighbours, so a leaf hash cannot be kept on its own while the block grows; but
//! the `16^L` consecutive indices of an aligned block (`n·16^L .. (n+1)·16^L`) whose keys
//! have one length share every key nibble but the last `L`: once all of them are in the
//! block no later index lands under that prefix, and the node there never changes again.
//! Its hash is computed once (from its 16 leaves, or from the 16 subtrees of the level
//! below) and handed to the next roots as a branch ([`HashBuilder::add_branch`]).
//!
//! A root then adds the new transactions' leaves, the subtrees they complete (each
//! computed once over the block's life), and at most 15 cached subtrees per level, six
//! levels at most: what a flashblock's check costs follows the transactions it adds,
//! not the block (`O(new + log₁₆ n)`).
//!
//! Keys by index: `0` is `0x80`; `1..=127` one byte; `128..=255` `0x81` and a byte;
//! `256..65_536` `0x82` and two; `65_536..2^24` `0x83` and three. An aligned block is
//! taken from the first index of its key length on (`1`, `128`, `256`, `65_536`), and
//! its level is at most the nibbles below that length's header.

use alloy_primitives::{Bytes, B256};
use alloy_trie::{root::adjust_index_for_rlp, HashBuilder, Nibbles, EMPTY_ROOT_HASH};

/// The highest level of a cached subtree (`16^6` indices, above the payload's 2^20).
const MAX_LEVEL: usize = 6;

/// The trie key of transaction `index`: `rlp(index)` as nibbles.
fn key(index: usize) -> Nibbles {
    Nibbles::unpack(alloy_rlp::encode_fixed_size(&index))
}

/// The first index whose key has the length of `index`'s (index 0 has its own).
const fn region_start(index: usize) -> usize {
    match index {
        0..128 => 1,
        128..256 => 128,
        256..65_536 => 256,
        65_536..16_777_216 => 65_536,
        _ => 16_777_216,
    }
}

/// The highest level of a subtree among the keys of `index`'s length: the nibbles below
/// the key's header (one for `1..=127`, whose two nibbles are under the root).
const fn region_levels(index: usize) -> usize {
    match index {
        0..128 => 1,
        128..256 => 2,
        256..65_536 => 4,
        _ => MAX_LEVEL,
    }
}

/// The indices `start..end` of subtree `n` of `level`, if it is one.
fn subtree(level: usize, n: usize) -> Option<(usize, usize)> {
    let size = 1usize.checked_shl(4 * level as u32)?;
    let end = n.checked_add(1)?.checked_mul(size)?;
    let start = (n * size).max(region_start(end - 1));
    (level <= region_levels(end - 1) && start < end).then_some((start, end))
}

/// The path of subtree `n` of `level`: the keys of its members but the last `level`
/// nibbles.
fn subtree_prefix(level: usize, start: usize) -> Nibbles {
    let key = key(start);
    key.slice(..key.len().saturating_sub(level))
}

/// The subtree hashes a root uses: those cached (`cached[l - 1][n]` for level `l`) and
/// those it computes, appended in order to `fresh`.
struct Subtrees<'c> {
    cached: &'c [Vec<B256>],
    fresh: Vec<Vec<B256>>,
    /// Work done: leaves and branches handed to hash builders.
    work: usize,
}

impl Subtrees<'_> {
    fn known(&self, level: usize) -> usize {
        self.cached.get(level - 1).map_or(0, Vec::len)
            + self.fresh.get(level - 1).map_or(0, Vec::len)
    }

    fn get(&self, level: usize, n: usize) -> Option<B256> {
        let cached = self.cached.get(level - 1).map_or(&[][..], Vec::as_slice);
        match n.checked_sub(cached.len()) {
            None => cached.get(n).copied(),
            Some(i) => self.fresh.get(level - 1)?.get(i).copied(),
        }
    }

    /// The hash of subtree `n` of `level` (complete), computing it and every earlier
    /// one of its level not yet known.
    fn hash<'a>(&mut self, level: usize, n: usize, tx: &impl Fn(usize) -> &'a [u8]) -> B256 {
        while self.known(level) <= n {
            let m = self.known(level);
            let hash = self.compute(level, m, tx);
            if self.fresh.len() < level {
                self.fresh.resize_with(level, Vec::new);
            }
            if let Some(fresh) = self.fresh.get_mut(level - 1) {
                fresh.push(hash);
            }
        }
        self.get(level, n).unwrap_or_default()
    }

    fn compute<'a>(&mut self, level: usize, n: usize, tx: &impl Fn(usize) -> &'a [u8]) -> B256 {
        let Some((start, end)) = subtree(level, n) else { return B256::ZERO };
        if level == 1 {
            self.work += end - start;
            return leaves_root(start, end, tx);
        }
        let mut hb = HashBuilder::default();
        for m in n * 16..(n + 1) * 16 {
            let Some((_, child_end)) = subtree(level - 1, m) else { continue };
            if child_end <= start {
                continue;
            }
            let hash = self.hash(level - 1, m, tx);
            hb.add_branch(Nibbles::from_nibbles_unchecked([(m % 16) as u8]), hash, false);
            self.work += 1;
        }
        hb.root()
    }
}

/// The root of the level-1 subtree over indices `start..end` (at most 16, one leaf each).
fn leaves_root<'a>(start: usize, end: usize, tx: &impl Fn(usize) -> &'a [u8]) -> B256 {
    let mut hb = HashBuilder::default();
    for index in start..end {
        // Low nibble of the index: the member's key below the subtree's prefix.
        hb.add_leaf(Nibbles::from_nibbles_unchecked([(index % 16) as u8]), tx(index));
    }
    hb.root()
}

/// From how many level-1 subtrees to hash (16 leaves each) a root hashes them on
/// rayon's threads first.
#[cfg(feature = "parallel")]
const PARALLEL_SUBTREES: usize = 8;

#[cfg(feature = "parallel")]
impl Subtrees<'_> {
    /// Hashes the complete level-1 subtrees of the first `len` indices not yet known on
    /// rayon's threads (the leaves are most of a root's hashing), in order, as
    /// [`hash`](Self::hash) would; the pass that follows finds them known.
    fn hash_leaves_in_parallel<'a>(
        &mut self,
        len: usize,
        tx: &(impl Fn(usize) -> &'a [u8] + Sync),
    ) {
        use rayon::prelude::*;
        let first = self.known(1);
        let end = len / 16;
        if end.saturating_sub(first) < PARALLEL_SUBTREES {
            return;
        }
        let hashes: Vec<(B256, usize)> = (first..end)
            .into_par_iter()
            .map(|n| match subtree(1, n) {
                Some((start, end)) => (leaves_root(start, end, tx), end - start),
                None => (B256::ZERO, 0),
            })
            .collect();
        if self.fresh.is_empty() {
            self.fresh.push(Vec::new());
        }
        if let Some(fresh) = self.fresh.first_mut() {
            for (hash, work) in hashes {
                fresh.push(hash);
                self.work += work;
            }
        }
    }
}

/// The ordered trie root over `len` transactions given by `tx`, using and extending the
/// subtree hashes of `subtrees`.
fn root_with<'a>(len: usize, tx: impl Fn(usize) -> &'a [u8], subtrees: &mut Subtrees<'_>) -> B256 {
    if len == 0 {
        return EMPTY_ROOT_HASH;
    }
    let mut hb = HashBuilder::default();
    // Keys in ascending order: indices 1..=127 (one byte, below 0x80), then index 0
    // (0x80), then 128.. (0x81.., longer and ascending): `adjust_index_for_rlp`'s order.
    let mut position = 0;
    while position < len {
        let index = adjust_index_for_rlp(position, len);
        // The largest complete subtree that starts here.
        let largest = (1..=MAX_LEVEL).rev().find_map(|level| {
            let n = index >> (4 * level);
            let (start, end) = subtree(level, n)?;
            (index != 0 && start == index && end <= len).then_some((level, n, end))
        });
        subtrees.work += 1;
        match largest {
            Some((level, n, end)) => {
                let hash = subtrees.hash(level, n, &tx);
                hb.add_branch(subtree_prefix(level, index), hash, false);
                position += end - index;
            }
            None => {
                hb.add_leaf(key(index), tx(index));
                position += 1;
            }
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
    /// Hashes of complete subtrees: `subtrees[l - 1][n]` for subtree `n` of level `l`
    /// (never more than `len / 15` in all).
    subtrees: Vec<Vec<B256>>,
}

impl TransactionTrie {
    /// An empty trie.
    pub const fn new() -> Self {
        Self { transactions: Vec::new(), subtrees: Vec::new() }
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

    /// The ordered trie root over the transactions; caches the hashes of the subtrees
    /// it completes.
    pub fn root(&mut self) -> B256 {
        let (root, hashes) = self.root_with(&[]);
        self.keep(hashes);
        root
    }

    /// The root the trie would have with `more` appended, without changing it; the
    /// returned [`GroupHashes`] carry what was computed to [`commit`](Self::commit)
    /// with those same transactions.
    pub fn root_with(&self, more: &[Bytes]) -> (B256, GroupHashes) {
        let held = self.transactions.len();
        let tx = |i: usize| {
            let tx = match i.checked_sub(held) {
                None => self.transactions.get(i),
                Some(j) => more.get(j),
            };
            tx.map_or(&[][..], |tx| &tx[..])
        };
        let mut subtrees = Subtrees { cached: &self.subtrees, fresh: Vec::new(), work: 0 };
        #[cfg(feature = "parallel")]
        subtrees.hash_leaves_in_parallel(held + more.len(), &tx);
        let root = root_with(held + more.len(), tx, &mut subtrees);
        let first = self.subtrees.iter().map(Vec::len).collect();
        let hashes = GroupHashes {
            first,
            len: held + more.len(),
            hashes: subtrees.fresh,
            work: subtrees.work,
        };
        (root, hashes)
    }

    /// Appends `more` and keeps the subtree hashes [`root_with`](Self::root_with)
    /// computed for them (they are dropped if they were computed for another state).
    pub fn commit(&mut self, more: impl IntoIterator<Item = Bytes>, hashes: GroupHashes) {
        self.transactions.extend(more);
        if hashes.len == self.transactions.len() {
            self.keep(hashes);
        }
    }

    fn keep(&mut self, hashes: GroupHashes) {
        let current: Vec<usize> = self.subtrees.iter().map(Vec::len).collect();
        if hashes.first != current {
            return;
        }
        if self.subtrees.len() < hashes.hashes.len() {
            self.subtrees.resize_with(hashes.hashes.len(), Vec::new);
        }
        for (level, fresh) in self.subtrees.iter_mut().zip(hashes.hashes) {
            level.extend(fresh);
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

/// Subtree hashes computed by [`TransactionTrie::root_with`], to keep with
/// [`TransactionTrie::commit`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupHashes {
    /// How many subtrees of each level were known when they were computed.
    first: Vec<usize>,
    /// The transaction count they were computed for.
    len: usize,
    /// The new hashes, by level.
    hashes: Vec<Vec<B256>>,
    /// The leaves and branches the root took (its cost).
    work: usize,
}

#[cfg(test)]
impl GroupHashes {
    /// The leaves and subtree hashes the root computation handed to hash builders.
    const fn work(&self) -> usize {
        self.work
    }
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
    fn root_with_leaves_the_trie_unchanged_and_commit_keeps_the_subtrees() {
        let all = txs(300);
        let mut trie = TransactionTrie::new();
        trie.extend(all[..40].iter().cloned());
        let before = trie.clone();
        let (root, hashes) = trie.root_with(&all[40..200]);
        assert_eq!(trie, before);
        assert_eq!(trie.subtrees, before.subtrees);
        assert_eq!(root, ordered_trie_root_encoded(&all[..200]));
        // Level 1: the 12 complete 16-blocks of 1..192 ([1, 16) included); level 2:
        // 128..256 is not complete yet.
        assert_eq!(hashes.hashes.first().map(Vec::len), Some(12));
        trie.commit(all[40..200].iter().cloned(), hashes);
        assert_eq!(trie.subtrees.first().map(Vec::len), Some(12));
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..200]));
        // Stale hashes (computed for another length) are dropped, not used.
        let (_, stale) = trie.root_with(&all[200..210]);
        trie.commit(all[200..260].iter().cloned(), stale);
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..260]));
    }

    #[test]
    fn a_check_costs_what_the_flashblock_adds() {
        // 70,000 transactions (past 65,536, where keys grow to four bytes) in steps of
        // 100: each root hands at most the new 100 leaves, the subtrees they complete
        // and 15 cached subtrees a level to its hash builders, whatever the block holds.
        let all: Vec<Bytes> =
            (0..70_000u32).map(|i| Bytes::from(i.to_be_bytes().to_vec())).collect();
        let mut trie = TransactionTrie::new();
        let mut most = 0;
        for chunk in all.chunks(100) {
            let (_, hashes) = trie.root_with(chunk);
            // Leaves and branches of the root itself (the complete subtrees' own work,
            // done once each, is amortized: about 17 a 16 transactions).
            most = most.max(hashes.work());
            trie.commit(chunk.iter().cloned(), hashes);
        }
        assert!(most <= 100 + 100 * 17 / 16 + 16 * MAX_LEVEL * 2, "work {most}");
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all));
        let (root, hashes) = trie.root_with(&[]);
        assert_eq!(root, ordered_trie_root_encoded(&all));
        assert!(hashes.work() <= 16 * MAX_LEVEL * 2, "a root of nothing new: {}", hashes.work());
    }

    /// Steps of hundreds to thousands of transactions (with `parallel`, their 16-leaf
    /// subtrees are hashed on rayon's threads first), across the key-length boundaries.
    #[test]
    fn large_steps_match_the_ordered_root() {
        let all = txs(70_300);
        let mut trie = TransactionTrie::new();
        let mut at = 0;
        for step in [127, 129, 1_000, 3_000, 61_044, 5_000] {
            let (root, hashes) = trie.root_with(&all[at..at + step]);
            at += step;
            assert_eq!(root, ordered_trie_root_encoded(&all[..at]), "{at}");
            trie.commit(all[at - step..at].iter().cloned(), hashes);
        }
        assert_eq!(trie.root(), ordered_trie_root_encoded(&all[..at]));
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
