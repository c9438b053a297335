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

/// What the pending chain knows of one account (each field `None` = not set by any
/// pending block).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AccountEntry {
    pub(crate) balance: Option<Stamped<U256>>,
    pub(crate) nonce: Option<Stamped<u64>>,
    pub(crate) code: Option<Stamped<Bytes>>,
}

impl AccountEntry {
    const fn is_empty(&self) -> bool {
        self.balance.is_none() && self.nonce.is_none() && self.code.is_none()
    }

    /// Clears the fields set by `block`; true when nothing is left.
    fn clear_block(&mut self, block: u64) -> bool {
        if self.balance.as_ref().is_some_and(|s| s.block == block) {
            self.balance = None;
        }
        if self.nonce.as_ref().is_some_and(|s| s.block == block) {
            self.nonce = None;
        }
        if self.code.as_ref().is_some_and(|s| s.block == block) {
            self.code = None;
        }
        self.is_empty()
    }
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
    pub(crate) accounts: PMap<Address, AccountEntry>,
    pub(crate) storage: PMap<(Address, B256), Stamped<B256>>,
    pub(crate) transactions: PMap<TxHash, TxPosition>,
}

impl Index {
    /// Records the post-state of the accounts a flashblock of `block` touched.
    pub(crate) fn apply_accounts(&mut self, block: u64, accounts: &[AccountMetadata]) {
        for account in accounts {
            let entry = self.accounts.entry(account.address).or_default();
            if let Some(balance) = account.balance {
                entry.balance = Some(Stamped { value: balance, block });
            }
            entry.nonce = Some(Stamped { value: account.nonce, block });
            if let Some(code) = &account.code {
                entry.code = Some(Stamped { value: code.clone(), block });
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
            self.accounts.entry(*address).or_default().balance =
                Some(Stamped { value: *balance, block });
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
            let now_empty = self.accounts.get_mut(address).is_some_and(|e| e.clear_block(block));
            if now_empty {
                self.accounts.remove(address);
            }
        }
        for key in slots {
            if self.storage.get(&key).is_some_and(|s| s.block == block) {
                self.storage.remove(&key);
            }
        }
        for hash in transactions {
            if self.transactions.get(&hash).is_some_and(|p| p.block == block) {
                self.transactions.remove(&hash);
            }
        }
    }

    /// The number of entries: accounts, storage slots, transactions.
    pub(crate) fn len(&self) -> usize {
        self.accounts.len() + self.storage.len() + self.transactions.len()
    }
}
