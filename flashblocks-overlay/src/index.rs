//! The lookup index of the accounts: one persistent map per kind of key, over every
//! pending block (the transactions are in each block's own table, [`crate::positions`],
//! and the storage slots in each block's own map, `BlockLayer::storage`).
//!
//! Each map is a [`PMap`]: cloning it is O(1) and an insert copies only the nodes of its
//! path that the previous snapshot shares, so a snapshot shares everything it did not
//! change with the one before it. That is what makes an apply cost what the flashblock
//! carries (`O(k log₃₂ n)` for `k` changes), not what the block holds, and keeps a point
//! read to one hash and a walk of two or three trie nodes, whichever block set the key.
//! Each map counts its own memory ([`Index::bytes`]) and what it stopped sharing with
//! older versions ([`Index::retired`]).
//!
//! Every value remembers the block that set it ([`Stamped`]), so that dropping the
//! oldest pending block (when the canonical chain reaches it) removes exactly the values
//! no later block overrode.

use crate::pmap::PMap;
use alloy_primitives::{Address, Bytes, U256};
use flashblocks_types::AccountMetadata;

/// A value and the number of the block that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamped<T> {
    pub(crate) value: T,
    pub(crate) block: u64,
}

/// The merged view of every pending block: the newest value of each account field.
///
/// Storage slots are kept by each block instead (a block may set 100,000 of them in one
/// flashblock, where an account sets four fields): a merged map would copy most of its
/// shared nodes for every such block and walk its slots again to drop it, so that an
/// apply would cost what the pending blocks hold; a block's own map is built from
/// empty and dropped whole. The nonce of every account a block lists is here, stamped
/// with the newest block that listed it, which is where a storage read starts.
#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    // One map per field keeps each entry small: a trie node (32 entries) is copied on
    // the first write after a snapshot shares it, and read through on every lookup.
    pub(crate) balances: PMap<Address, Stamped<U256>>,
    pub(crate) nonces: PMap<Address, Stamped<u64>>,
    pub(crate) codes: PMap<Address, Stamped<Bytes>>,
    /// For sources without nonces (deployed JSON): one more than the highest nonce of a
    /// pending transaction each sender signed, maintained as flashblocks arrive.
    pub(crate) sender_nonces: PMap<Address, Stamped<u64>>,
}

impl Index {
    /// Records the post-state of the accounts a flashblock of `block` touched (but their
    /// storage slots, which the block keeps: `BlockLayer::record_storage`).
    pub(crate) fn apply_accounts(&mut self, block: u64, accounts: &[AccountMetadata]) {
        for account in accounts {
            if let Some(balance) = account.balance {
                self.balances.insert(account.address, Stamped { value: balance, block });
            }
            self.nonces.insert(account.address, Stamped { value: account.nonce, block });
            if let Some(code) = &account.code {
                self.codes.insert(account.address, Stamped { value: code.clone(), block });
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

    /// Records that `sender` signed a transaction with `nonce` in `block`.
    pub(crate) fn apply_sender_nonce(&mut self, block: u64, sender: Address, nonce: u64) {
        // The newest transaction's nonce wins, as the newest value of every other key.
        self.sender_nonces.insert(sender, Stamped { value: nonce.saturating_add(1), block });
    }

    /// Removes what `block` set and no later block overrode, given what it touched.
    pub(crate) fn remove_block<'a>(
        &mut self,
        block: u64,
        accounts: impl IntoIterator<Item = &'a Address>,
        senders: impl IntoIterator<Item = Address>,
    ) {
        for address in senders {
            remove_if_set_by(&mut self.sender_nonces, &address, block);
        }
        for address in accounts {
            remove_if_set_by(&mut self.balances, address, block);
            remove_if_set_by(&mut self.nonces, address, block);
            remove_if_set_by(&mut self.codes, address, block);
        }
    }

    /// The number of entries: balances, nonces, codes, senders' nonces.
    pub(crate) fn len(&self) -> usize {
        self.balances.len() + self.nonces.len() + self.codes.len() + self.sender_nonces.len()
    }

    /// The bytes of the index's maps (their nodes and entries; the code bytes are
    /// shared with the flashblocks and counted there, but each entry's copy of a `Bytes`
    /// handle may allocate its shared header: counted here).
    pub(crate) fn bytes(&self) -> usize {
        self.balances.bytes()
            + self.nonces.bytes()
            + self.codes.bytes()
            + self.codes.len() * CODE_HANDLE_BYTES
            + self.sender_nonces.bytes()
    }

    /// The bytes the maps stopped sharing with older versions since this index was
    /// cloned.
    pub(crate) fn retired(&self) -> usize {
        self.balances.retired()
            + self.nonces.retired()
            + self.codes.retired()
            + self.sender_nonces.retired()
    }

    /// Starts counting retired bytes anew.
    pub(crate) fn reset_retired(&mut self) {
        self.balances.reset_retired();
        self.nonces.reset_retired();
        self.codes.reset_retired();
        self.sender_nonces.reset_retired();
    }
}

/// What cloning a `Bytes` may allocate: the shared header of a vector-backed `Bytes`.
const CODE_HANDLE_BYTES: usize = 48;

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
