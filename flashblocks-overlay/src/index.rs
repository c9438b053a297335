//! The lookup index: one persistent map per kind of key, over every pending block.
//!
//! Each map is an [`imbl`] hash array mapped trie: cloning it is O(1) and an insert
//! copies only the path to the changed leaf, so a snapshot shares everything it did not
//! change with the one before it. That is what makes an apply cost what the flashblock
//! carries (`O(k log₃₂ n)` for `k` changes), not what the block holds, and keeps a point
//! read to one hash and a walk of two or three trie nodes, whichever block set the key.
//!
//! Every value remembers the block that set it ([`Stamped`]), so that dropping the
//! oldest pending block (when the canonical chain reaches it) removes exactly the values
//! no later block overrode.

use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use flashblocks_types::AccountMetadata;
use imbl::{shared_ptr::DefaultSharedPtr, GenericHashMap};

/// The hasher of the index: `foldhash`, seeded per process (keys come from the stream,
/// so a fixed hash would let a builder aim collisions at one trie node).
pub(crate) type Hasher = foldhash::fast::RandomState;

/// A persistent hash map with the index's hasher.
pub(crate) type PMap<K, V> = GenericHashMap<K, V, Hasher, DefaultSharedPtr>;

/// A value and the number of the block that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamped<T> {
    pub(crate) value: T,
    pub(crate) block: u64,
}

/// Where a preconfirmed transaction is: its block and its index in that block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TxPosition {
    /// The block number.
    pub(crate) block: u64,
    /// The transaction's index in its block.
    pub(crate) index: u32,
}

/// The merged view of every pending block: the newest value of each key.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    // One map per field keeps each entry small: a trie node (32 entries) is copied on
    // the first write after a snapshot shares it, and read through on every lookup.
    pub(crate) balances: PMap<Address, Stamped<U256>>,
    pub(crate) nonces: PMap<Address, Stamped<u64>>,
    pub(crate) codes: PMap<Address, Stamped<Bytes>>,
    pub(crate) storage: PMap<(Address, B256), Stamped<B256>>,
    pub(crate) transactions: PMap<TxHash, TxPosition>,
}

impl Index {
    /// Records the post-state of the accounts a flashblock of `block` touched.
    pub(crate) fn apply_accounts(&mut self, block: u64, accounts: &[AccountMetadata]) {
        for account in accounts {
            if let Some(balance) = account.balance {
                self.balances.insert(account.address, Stamped { value: balance, block });
            }
            self.nonces.insert(account.address, Stamped { value: account.nonce, block });
            if let Some(code) = &account.code {
                self.codes.insert(account.address, Stamped { value: code.clone(), block });
            }
            for slot in &account.storage_slots {
                self.storage
                    .insert((account.address, slot.key), Stamped { value: slot.value, block });
            }
        }
    }

    /// Records balances from a source that carries nothing else (deployed JSON).
    pub(crate) fn apply_balances<'a>(
        &mut self,
        block: u64,
        balances: impl IntoIterator<Item = (&'a Address, &'a U256)>,
    ) {
        for (address, balance) in balances {
            self.balances.insert(*address, Stamped { value: *balance, block });
        }
    }

    /// Records a transaction's position.
    pub(crate) fn apply_transaction(&mut self, hash: TxHash, position: TxPosition) {
        self.transactions.insert(hash, position);
    }

    /// Removes what `block` set and no later block overrode, given what it touched.
    pub(crate) fn remove_block<'a>(
        &mut self,
        block: u64,
        accounts: impl IntoIterator<Item = &'a Address>,
        slots: impl IntoIterator<Item = (Address, B256)>,
        transactions: impl IntoIterator<Item = TxHash>,
    ) {
        for address in accounts {
            remove_if_set_by(&mut self.balances, address, block);
            remove_if_set_by(&mut self.nonces, address, block);
            remove_if_set_by(&mut self.codes, address, block);
        }
        for key in slots {
            remove_if_set_by(&mut self.storage, &key, block);
        }
        for hash in transactions {
            if self.transactions.get(&hash).is_some_and(|p| p.block == block) {
                self.transactions.remove(&hash);
            }
        }
    }

    /// The number of entries: balances, nonces, codes, storage slots, transactions.
    pub(crate) fn len(&self) -> usize {
        self.balances.len()
            + self.nonces.len()
            + self.codes.len()
            + self.storage.len()
            + self.transactions.len()
    }
}

/// Removes `key` if its value was set by `block`.
fn remove_if_set_by<K, V>(map: &mut PMap<K, Stamped<V>>, key: &K, block: u64)
where
    K: std::hash::Hash + Eq + Clone,
    V: Clone,
{
    if map.get(key).is_some_and(|s| s.block == block) {
        map.remove(key);
    }
}
