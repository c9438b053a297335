//! [`Positions`]: one pending block's transactions by hash, an append-only table that
//! every snapshot of the block shares.
//!
//! A block only ever appends transactions, so the snapshots of one block need no copy
//! of their own: the writer appends each flashblock's hashes to the block's table in
//! place, and a snapshot reads only the positions below its own transaction count
//! (what it published). An apply costs one hash and a short probe a transaction,
//! however many the block (or the overlay) holds: no path of a trie is copied, and no
//! reference count of an older entry is touched. The table doubles (rebuilt from the
//! block's own hashes, amortized O(1) a transaction) before it is half full; the
//! snapshots published before keep the table they had.
//!
//! Readers and the writer share the table without a lock: each slot is one `AtomicU64`
//! (31 bits of the hash as a tag and the position: 8 bytes a slot, at most 32 a
//! transaction), written once by the writer and read with an atomic load, so a reader
//! sees a slot empty or whole; a reader compares the full hash at the position of each
//! slot whose tag matches. Probing is linear from a seeded hash (a builder cannot aim
//! many hashes at one cluster); entries are never removed.

use crate::pmap::{alloc_bytes, Hasher};
use alloy_primitives::TxHash;
use std::{
    hash::BuildHasher,
    mem::size_of,
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
};

/// A slot: 31 bits of the hash above the probe bits, and the position (`EMPTY` when
/// unused, which no entry is: its top bit is clear).
type Slot = AtomicU64;
const EMPTY: u64 = u64::MAX;

/// The smallest table: a block's first flashblocks rarely hold more.
const MIN_CAPACITY: usize = 16;

/// One block's transactions by hash (see the module docs).
pub(crate) struct Positions {
    slots: Box<[Slot]>,
    /// Entries written (the writer's count; a snapshot reads up to its own).
    len: AtomicU32,
    hasher: Hasher,
}

impl std::fmt::Debug for Positions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Positions")
            .field("len", &self.len())
            .field("capacity", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl Default for Positions {
    fn default() -> Self {
        Self::with_capacity(MIN_CAPACITY)
    }
}

impl Positions {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: (0..capacity).map(|_| Slot::new(EMPTY)).collect(),
            len: AtomicU32::new(0),
            hasher: Hasher::default(),
        }
    }

    /// The capacity a table of `len` entries needs: a power of two, at most half full.
    pub(crate) fn capacity_for(len: usize) -> usize {
        len.saturating_mul(2).max(MIN_CAPACITY).checked_next_power_of_two().unwrap_or(usize::MAX)
    }

    /// The bytes of a table of `capacity` slots (the slots and the `Arc` around it).
    pub(crate) const fn bytes_for(capacity: usize) -> usize {
        alloc_bytes(capacity.saturating_mul(size_of::<Slot>()))
            .saturating_add(alloc_bytes(2 * size_of::<usize>() + size_of::<Self>()))
    }

    /// The entries written.
    pub(crate) fn len(&self) -> u32 {
        self.len.load(Ordering::Acquire)
    }

    /// This table's bytes.
    pub(crate) fn bytes(&self) -> usize {
        Self::bytes_for(self.slots.len())
    }

    /// Whether `more` entries fit after the `len` a snapshot holds, appended in place:
    /// the table is this block's newest (nothing was appended beyond `len`, which a
    /// replaced payload or a copied overlay could have done) and stays at most half full.
    pub(crate) fn fits(&self, len: u32, more: usize) -> bool {
        self.len() == len
            && Self::capacity_for((len as usize).saturating_add(more)) <= self.slots.len()
    }

    /// A table for `hashes` (positions 0, 1, ...) with room for `capacity_for(total)`.
    pub(crate) fn rebuilt(hashes: impl Iterator<Item = TxHash>, total: usize) -> Self {
        let table = Self::with_capacity(Self::capacity_for(total));
        table.append(0, hashes);
        table
    }

    /// The first slot to probe for `hash`, and its tag.
    fn probe(&self, hash: &TxHash) -> (usize, u64) {
        let h = self.hasher.hash_one(hash);
        (h as usize & (self.slots.len() - 1), (h >> 32 & 0x7fff_ffff) << 32)
    }

    /// Appends `hashes` at positions `from`, `from + 1`, ... (the writer only, after
    /// [`fits`](Self::fits) said they fit).
    pub(crate) fn append(&self, from: u32, hashes: impl Iterator<Item = TxHash>) {
        let mask = self.slots.len() - 1;
        let mut position = from;
        for hash in hashes {
            let (mut at, tag) = self.probe(&hash);
            // At most half full: an empty slot is always ahead (the bound is a guard).
            for _ in 0..self.slots.len() {
                let Some(slot) = self.slots.get(at) else { break };
                if slot.load(Ordering::Relaxed) == EMPTY {
                    slot.store(tag | u64::from(position), Ordering::Release);
                    break;
                }
                at = (at + 1) & mask;
            }
            position = position.saturating_add(1);
        }
        self.len.store(position, Ordering::Release);
    }

    /// The positions below `len` whose entries may be `hash` (its tag matches; the
    /// caller compares the hash at each), in the order they were probed.
    pub(crate) fn candidates<'a>(
        &'a self,
        hash: &TxHash,
        len: u32,
    ) -> impl Iterator<Item = u32> + 'a {
        let mask = self.slots.len() - 1;
        let (first, tag) = self.probe(hash);
        // Every entry of the snapshot was written before it was published; an entry
        // written since is past `len` and ignored. The cluster ends at an empty slot.
        (0..self.slots.len())
            .map(move |i| {
                self.slots.get((first + i) & mask).map_or(EMPTY, |s| s.load(Ordering::Acquire))
            })
            .take_while(|slot| *slot != EMPTY)
            .filter(move |slot| slot & !0xffff_ffff == tag)
            .map(|slot| slot as u32)
            .filter(move |position| *position < len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    #[test]
    fn appends_are_seen_up_to_each_snapshot_length() {
        let hashes: Vec<TxHash> =
            (0..1000u64).map(|i| B256::from(alloy_primitives::U256::from(i))).collect();
        let mut table = Positions::default();
        let mut len = 0u32;
        for chunk in hashes.chunks(7) {
            if !table.fits(len, chunk.len()) {
                table = Positions::rebuilt(
                    hashes[..len as usize].iter().copied(),
                    len as usize + chunk.len(),
                );
            }
            table.append(len, chunk.iter().copied());
            len += chunk.len() as u32;
            assert!(table.slots.len() >= 2 * len as usize);
        }
        let get = |table: &Positions, h: &TxHash, len: u32| {
            table.candidates(h, len).filter(|p| hashes[*p as usize] == *h).max()
        };
        for (i, h) in hashes.iter().enumerate() {
            assert_eq!(get(&table, h, len), Some(i as u32));
            // An older snapshot does not see what came after it.
            assert_eq!(get(&table, h, i as u32), None);
            assert_eq!(get(&table, h, i as u32 + 1), Some(i as u32));
        }
        assert_eq!(get(&table, &B256::repeat_byte(0xee), len), None);
        // Someone appended beyond a snapshot's length: that snapshot must copy.
        assert!(!table.fits(len - 1, 1));
    }

    #[test]
    fn a_repeated_hash_answers_its_last_position_below_the_length() {
        let a = B256::repeat_byte(1);
        let b = B256::repeat_byte(2);
        let hashes = [a, b, a];
        let table = Positions::default();
        table.append(0, hashes.into_iter());
        let get = |h: &TxHash, len: u32| {
            table.candidates(h, len).filter(|p| hashes[*p as usize] == *h).max()
        };
        assert_eq!(get(&a, 3), Some(2));
        assert_eq!(get(&a, 2), Some(0));
        assert_eq!(get(&b, 1), None);
    }
}
