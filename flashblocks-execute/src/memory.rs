//! [`InMemoryState`]: a state held in memory (a genesis, a test's canonical state), and
//! [`InMemoryStates`]: such states by block hash.

use crate::CanonicalStates;
use alloy_primitives::{keccak256, map::HashMap, Address, Bytes, B256, U256};
use revm::{
    primitives::KECCAK_EMPTY,
    state::{AccountInfo, Bytecode},
    DatabaseRef,
};
use std::{convert::Infallible, sync::Arc};

/// One account of an [`InMemoryState`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InMemoryAccount {
    /// The balance.
    pub balance: U256,
    /// The nonce.
    pub nonce: u64,
    /// The code (empty: none).
    pub code: Bytes,
    /// The non-zero slots.
    pub storage: HashMap<U256, U256>,
}

/// An account as an [`InMemoryState`] stores it: its info and its slots.
type StoredAccount = (AccountInfo, HashMap<U256, U256>);

/// A state held in memory: accounts with balance, nonce, code and storage, and the
/// hashes of earlier blocks (for `BLOCKHASH`). Cheap to clone (shared).
#[derive(Clone, Debug, Default)]
pub struct InMemoryState {
    accounts: Arc<HashMap<Address, StoredAccount>>,
    codes: Arc<HashMap<B256, Bytecode>>,
    block_hashes: Arc<HashMap<u64, B256>>,
}

impl InMemoryState {
    /// A state holding `accounts`.
    pub fn new(accounts: impl IntoIterator<Item = (Address, InMemoryAccount)>) -> Self {
        let mut codes = HashMap::default();
        let accounts = accounts
            .into_iter()
            .map(|(address, a)| {
                let (code_hash, code) = if a.code.is_empty() {
                    (KECCAK_EMPTY, None)
                } else {
                    let code = Bytecode::new_raw(a.code.clone());
                    let hash = keccak256(&a.code);
                    codes.insert(hash, code.clone());
                    (hash, Some(code))
                };
                let info = AccountInfo {
                    balance: a.balance,
                    nonce: a.nonce,
                    code_hash,
                    code,
                    ..Default::default()
                };
                (address, (info, a.storage))
            })
            .collect();
        Self { accounts: Arc::new(accounts), codes: Arc::new(codes), block_hashes: Arc::default() }
    }

    /// The same state, answering `BLOCKHASH(number)` with `hash`.
    pub fn with_block_hash(mut self, number: u64, hash: B256) -> Self {
        Arc::make_mut(&mut self.block_hashes).insert(number, hash);
        self
    }
}

impl DatabaseRef for InMemoryState {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.accounts.get(&address).map(|(info, _)| info.clone()))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self.codes.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        Ok(self
            .accounts
            .get(&address)
            .and_then(|(_, storage)| storage.get(&index).copied())
            .unwrap_or_default())
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.block_hashes.get(&number).copied().unwrap_or_default())
    }
}

/// [`InMemoryState`]s by block hash: the simplest [`CanonicalStates`].
#[derive(Clone, Debug, Default)]
pub struct InMemoryStates {
    states: HashMap<B256, InMemoryState>,
}

impl InMemoryStates {
    /// Holds `state` as the state after block `block_hash`.
    pub fn insert(&mut self, block_hash: B256, state: InMemoryState) {
        self.states.insert(block_hash, state);
    }

    /// Forgets the state after block `block_hash`.
    pub fn remove(&mut self, block_hash: &B256) -> Option<InMemoryState> {
        self.states.remove(block_hash)
    }
}

impl CanonicalStates for InMemoryStates {
    type State = InMemoryState;

    fn state_at(&self, block_hash: B256) -> Option<Self::State> {
        self.states.get(&block_hash).cloned()
    }
}
