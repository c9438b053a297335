//! [`History`]: the state after every kept sealed block, stored as versions: each
//! account holds the post-states the blocks that changed it left (by block number), so
//! sealing a block costs what it changed, not what the chain holds, and a read at block
//! `N` is one lookup and a binary search. The chain's owner writes it (at a seal, a
//! reorg, a prune) under a write lock held for that bookkeeping only; readers (the
//! JSON-RPC methods, the EVM executing a block on its parent) take a read lock for one
//! lookup. No lock is held across IO or an await.

use super::chain::SealedBlock;
use alloy_primitives::{keccak256, map::HashMap, Address, B256, U256};
use flashblocks_execute::{CanonicalStates, InMemoryAccount};
use revm::{
    primitives::KECCAK_EMPTY,
    state::{AccountInfo, Bytecode},
    DatabaseRef,
};
use std::{
    collections::VecDeque,
    convert::Infallible,
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

/// One account's post-state after a block, with its code hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Version {
    /// The account.
    pub account: InMemoryAccount,
    /// `keccak256(code)`, or the empty code's hash.
    pub code_hash: B256,
}

impl Version {
    /// `account` with its code hash.
    pub fn new(account: InMemoryAccount) -> Self {
        let code_hash =
            if account.code.is_empty() { KECCAK_EMPTY } else { keccak256(&account.code) };
        Self { account, code_hash }
    }
}

/// The sealed blocks kept and the state after each.
#[derive(Debug, Default)]
pub struct History {
    /// The kept sealed blocks, oldest first (the head last).
    blocks: VecDeque<Arc<SealedBlock>>,
    /// Per account, its post-states by block number, ascending.
    versions: HashMap<Address, Vec<(u64, Arc<Version>)>>,
    codes: HashMap<B256, Bytecode>,
    numbers: HashMap<B256, u64>,
    /// Transaction hash → (block number, index), kept blocks only.
    included: HashMap<B256, (u64, usize)>,
}

impl History {
    /// The newest sealed block.
    pub fn head(&self) -> Option<&Arc<SealedBlock>> {
        self.blocks.back()
    }

    /// The oldest kept sealed block.
    pub fn oldest(&self) -> Option<&Arc<SealedBlock>> {
        self.blocks.front()
    }

    /// The kept blocks, oldest first.
    pub const fn blocks(&self) -> &VecDeque<Arc<SealedBlock>> {
        &self.blocks
    }

    /// A kept sealed block by number.
    pub fn by_number(&self, number: u64) -> Option<&Arc<SealedBlock>> {
        let first = self.blocks.front()?.number();
        self.blocks.get(usize::try_from(number.checked_sub(first)?).ok()?)
    }

    /// A kept sealed block by hash.
    pub fn by_hash(&self, hash: &B256) -> Option<&Arc<SealedBlock>> {
        self.numbers.get(hash).and_then(|&n| self.by_number(n))
    }

    /// A sealed transaction's block and index.
    pub fn transaction(&self, hash: &B256) -> Option<(Arc<SealedBlock>, usize)> {
        let &(number, index) = self.included.get(hash)?;
        Some((Arc::clone(self.by_number(number)?), index))
    }

    /// Whether a kept block includes the transaction `hash`.
    pub fn includes(&self, hash: &B256) -> bool {
        self.included.contains_key(hash)
    }

    /// The account after block `number` (`None`: it does not exist there).
    pub fn version(&self, number: u64, address: &Address) -> Option<&Arc<Version>> {
        let versions = self.versions.get(address)?;
        let at = versions.partition_point(|(n, _)| *n <= number);
        versions.get(at.checked_sub(1)?).map(|(_, v)| v)
    }

    /// The account after block `number` (the empty account when absent).
    pub fn account(&self, number: u64, address: &Address) -> InMemoryAccount {
        self.version(number, address).map(|v| v.account.clone()).unwrap_or_default()
    }

    /// Seals `block`: it becomes the head, `changed` (what it changed, post-state) its
    /// versions; then blocks beyond `kept` (at least 2) are forgotten, oldest first, with
    /// the versions no kept block reads.
    pub fn push(
        &mut self,
        block: Arc<SealedBlock>,
        changed: impl IntoIterator<Item = (Address, InMemoryAccount)>,
        kept: usize,
    ) {
        let number = block.number();
        for (address, account) in changed {
            let version = Version::new(account);
            if !version.account.code.is_empty() && !self.codes.contains_key(&version.code_hash) {
                self.codes
                    .insert(version.code_hash, Bytecode::new_raw(version.account.code.clone()));
            }
            let versions = self.versions.entry(address).or_default();
            versions.retain(|(n, _)| *n < number);
            versions.push((number, Arc::new(version)));
        }
        for (i, (hash, _)) in block.transactions.iter().enumerate() {
            self.included.insert(*hash, (number, i));
        }
        self.numbers.insert(block.hash, number);
        self.blocks.push_back(block);
        while self.blocks.len() > kept.max(2) {
            let Some(old) = self.blocks.pop_front() else { break };
            self.forget(&old);
        }
    }

    /// Forgets a block that fell out of the kept window: its hash, its transactions, and
    /// for each account it changed, the versions older than what the oldest kept block
    /// reads.
    fn forget(&mut self, old: &SealedBlock) {
        self.numbers.remove(&old.hash);
        for (hash, _) in &old.transactions {
            self.included.remove(hash);
        }
        let Some(oldest) = self.blocks.front().map(|b| b.number()) else { return };
        for address in &old.changed {
            if let Some(versions) = self.versions.get_mut(address) {
                let at = versions.partition_point(|(n, _)| *n <= oldest);
                let drop = at.saturating_sub(1);
                versions.drain(..drop);
            }
        }
    }

    /// Removes the head (a reorg), its versions and transactions; returns it. Genesis is
    /// never removed.
    pub fn pop_head(&mut self) -> Option<Arc<SealedBlock>> {
        if self.blocks.len() < 2 {
            return None;
        }
        let head = self.blocks.pop_back()?;
        let number = head.number();
        self.numbers.remove(&head.hash);
        for (hash, _) in &head.transactions {
            self.included.remove(hash);
        }
        for address in &head.changed {
            if let Some(versions) = self.versions.get_mut(address) {
                versions.retain(|(n, _)| *n < number);
            }
        }
        Some(head)
    }

    /// How many account versions are held (a bound the tests check).
    pub fn versions_held(&self) -> usize {
        self.versions.values().map(Vec::len).sum()
    }
}

/// The history, shared by its owner (the chain) and its readers.
#[derive(Clone, Debug, Default)]
pub struct SharedHistory(Arc<RwLock<History>>);

impl SharedHistory {
    /// A read view (held for one lookup).
    pub fn read(&self) -> RwLockReadGuard<'_, History> {
        // A panic while writing leaves the bookkeeping of at most one block half done.
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The owner's write access.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, History> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state after block `number`, as revm reads it.
    pub fn at(&self, number: u64) -> StateAt {
        StateAt { history: self.clone(), number }
    }
}

impl CanonicalStates for SharedHistory {
    type State = StateAt;

    fn state_at(&self, block_hash: B256) -> Option<StateAt> {
        let number = self.read().by_hash(&block_hash)?.number();
        Some(self.at(number))
    }
}

/// The state after one kept block, read through the shared history.
#[derive(Clone, Debug)]
pub struct StateAt {
    history: SharedHistory,
    number: u64,
}

impl StateAt {
    /// The block number it reads at.
    pub const fn number(&self) -> u64 {
        self.number
    }
}

impl DatabaseRef for StateAt {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        let history = self.history.read();
        Ok(history.version(self.number, &address).map(|v| AccountInfo {
            balance: v.account.balance,
            nonce: v.account.nonce,
            code_hash: v.code_hash,
            code: (v.code_hash != KECCAK_EMPTY)
                .then(|| history.codes.get(&v.code_hash))
                .flatten()
                .cloned(),
            ..Default::default()
        }))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.history.read().codes.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self
            .history
            .read()
            .version(self.number, &address)
            .and_then(|v| v.account.storage.get(&index).copied())
            .unwrap_or_default())
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        // BLOCKHASH reads the 256 blocks before the one executing.
        Ok(self.history.read().by_number(number).map(|b| b.hash).unwrap_or_default())
    }
}
