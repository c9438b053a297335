//! The executor's own post-state layers and the databases revm runs on.
//!
//! A [`LayerState`] holds what one block (or one flashblock) changed: accounts with
//! their post-state, changed slots, new code. A block's state is read through a
//! [`StateChain`]: the block's own layer, then the preconfirmed blocks below it (newest
//! first), then the caller's canonical state fixed at one block hash. Flashblock `#k`
//! executes on a [`PendingDb`]: a fresh scratch layer over that chain, so its cost is
//! its own transactions', whatever `k` is; the scratch is merged into the block's layer
//! only when the flashblock is accepted.

use alloy_primitives::{map::HashMap, Address, B256, U256};
use revm::{
    database_interface::ErasedError,
    primitives::{AddressMap, KECCAK_EMPTY},
    state::{Account, AccountInfo, Bytecode},
    Database, DatabaseCommit, DatabaseRef,
};
use std::sync::Arc;

/// The caller's state at canonical blocks: what index 0 of a block executes on when
/// its parent is canonical.
///
/// `state_at` answers the state **fixed at** that block hash (never a moving
/// `latest`), or `None` when the caller does not hold it (then the executor answers
/// [`ExecuteError::ParentStateUnavailable`](crate::ExecuteError::ParentStateUnavailable)
/// unless a preconfirmed layer of its own has that hash).
pub trait CanonicalStates {
    /// The state at one block.
    type State: DatabaseRef<Error: std::error::Error + Send + Sync + 'static> + Send + Sync;

    /// The state after the block `block_hash`, if the caller holds it.
    fn state_at(&self, block_hash: B256) -> Option<Self::State>;
}

/// One account in a layer: its post-state (`None`: it does not exist) and the slots
/// changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerAccount {
    /// Balance, nonce, code hash and code after the layer; `None` if destroyed.
    pub(crate) info: Option<AccountInfo>,
    /// Changed slots with their new values.
    pub(crate) storage: HashMap<U256, U256>,
    /// Created or destroyed in this layer: a slot not in `storage` is zero.
    pub(crate) storage_cleared: bool,
}

/// What a block or a flashblock changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerState {
    pub(crate) accounts: HashMap<Address, LayerAccount>,
    pub(crate) codes: HashMap<B256, Bytecode>,
}

/// A layer's answer for an account: `None` when the layer does not know it.
fn layer_basic(layer: &LayerState, address: &Address) -> Option<Option<AccountInfo>> {
    layer.accounts.get(address).map(|a| a.info.clone())
}

/// A layer's answer for a slot: `None` when the layer does not know it.
fn layer_storage(layer: &LayerState, address: &Address, key: &U256) -> Option<U256> {
    let account = layer.accounts.get(address)?;
    match account.storage.get(key) {
        Some(value) => Some(*value),
        None if account.storage_cleared => Some(U256::ZERO),
        None => None,
    }
}

impl LayerState {
    /// Takes `newer` (a later layer) into this one.
    pub(crate) fn merge(&mut self, newer: Self) {
        for (address, account) in newer.accounts {
            if account.storage_cleared {
                self.accounts.insert(address, account);
                continue;
            }
            let entry = self.accounts.entry(address).or_default();
            entry.info = account.info;
            entry.storage.extend(account.storage);
        }
        self.codes.extend(newer.codes);
    }

    /// Takes the state changes of one transaction, as revm reports them.
    fn commit_changes(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() {
                self.accounts.insert(
                    address,
                    LayerAccount { info: None, storage: HashMap::default(), storage_cleared: true },
                );
                continue;
            }
            let entry = self.accounts.entry(address).or_default();
            if account.is_created() {
                entry.storage.clear();
                entry.storage_cleared = true;
            }
            if let Some(code) = &account.info.code {
                if account.info.code_hash != KECCAK_EMPTY {
                    self.codes.entry(account.info.code_hash).or_insert_with(|| code.clone());
                }
            }
            for (key, slot) in account.storage {
                if slot.is_changed() || entry.storage_cleared {
                    entry.storage.insert(key, slot.present_value);
                }
            }
            entry.info = Some(account.info);
        }
    }
}

/// A preconfirmed block the executor holds: its state over its parent's.
#[derive(Debug)]
pub(crate) struct FrozenBlock {
    pub(crate) number: u64,
    /// The block's hash (its last flashblock's `diff.block_hash`).
    pub(crate) hash: B256,
    pub(crate) state: LayerState,
}

/// The state a block executes on: the preconfirmed blocks below it (newest first) over
/// the caller's state fixed at a canonical block.
#[derive(Debug)]
pub(crate) struct StateChain<S> {
    pub(crate) layers: Vec<Arc<FrozenBlock>>,
    pub(crate) base: Arc<S>,
}

impl<S> Clone for StateChain<S> {
    fn clone(&self) -> Self {
        Self { layers: self.layers.clone(), base: Arc::clone(&self.base) }
    }
}

impl<S> StateChain<S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    fn basic(&self, address: Address) -> Result<Option<AccountInfo>, ErasedError> {
        for layer in &self.layers {
            if let Some(info) = layer_basic(&layer.state, &address) {
                return Ok(info);
            }
        }
        self.base.basic_ref(address).map_err(ErasedError::new)
    }

    fn storage(&self, address: Address, key: U256) -> Result<U256, ErasedError> {
        for layer in &self.layers {
            if let Some(value) = layer_storage(&layer.state, &address, &key) {
                return Ok(value);
            }
        }
        self.base.storage_ref(address, key).map_err(ErasedError::new)
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Bytecode, ErasedError> {
        for layer in &self.layers {
            if let Some(code) = layer.state.codes.get(&code_hash) {
                return Ok(code.clone());
            }
        }
        self.base.code_by_hash_ref(code_hash).map_err(ErasedError::new)
    }

    fn block_hash(&self, number: u64) -> Result<B256, ErasedError> {
        if let Some(layer) = self.layers.iter().find(|l| l.number == number) {
            return Ok(layer.hash);
        }
        self.base.block_hash_ref(number).map_err(ErasedError::new)
    }
}

/// The state of a block in progress, read-only: its own layer over its chain.
pub(crate) struct BlockView<'a, S> {
    pub(crate) block: &'a LayerState,
    pub(crate) chain: &'a StateChain<S>,
}

impl<S> std::fmt::Debug for BlockView<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockView").field("block", self.block).finish_non_exhaustive()
    }
}

impl<S> Clone for BlockView<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for BlockView<'_, S> {}

impl<S> DatabaseRef for BlockView<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    type Error = ErasedError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        match layer_basic(self.block, &address) {
            Some(info) => Ok(info),
            None => self.chain.basic(address),
        }
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        match self.block.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.chain.code_by_hash(code_hash),
        }
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        match layer_storage(self.block, &address, &index) {
            Some(value) => Ok(value),
            None => self.chain.storage(address, index),
        }
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.chain.block_hash(number)
    }
}

/// The database one flashblock executes on: a scratch layer over the block so far.
pub(crate) struct PendingDb<'a, S> {
    pub(crate) below: BlockView<'a, S>,
    pub(crate) scratch: LayerState,
}

impl<S> std::fmt::Debug for PendingDb<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDb").field("scratch", &self.scratch).finish_non_exhaustive()
    }
}

impl<S> Database for PendingDb<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    type Error = ErasedError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        match layer_basic(&self.scratch, &address) {
            Some(info) => Ok(info),
            None => self.below.basic_ref(address),
        }
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        match self.scratch.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.below.code_by_hash_ref(code_hash),
        }
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, Self::Error> {
        match layer_storage(&self.scratch, &address, &index) {
            Some(value) => Ok(value),
            None => self.below.storage_ref(address, index),
        }
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        self.below.block_hash_ref(number)
    }
}

impl<S> DatabaseCommit for PendingDb<'_, S> {
    fn commit(&mut self, changes: AddressMap<Account>) {
        self.scratch.commit_changes(changes);
    }
}

/// The state after a flashblock, read-only: its scratch layer over the block before it.
pub(crate) struct PostView<'a, S> {
    pub(crate) scratch: &'a LayerState,
    pub(crate) below: BlockView<'a, S>,
}

impl<S> DatabaseRef for PostView<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    type Error = ErasedError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        match layer_basic(self.scratch, &address) {
            Some(info) => Ok(info),
            None => self.below.basic_ref(address),
        }
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        match self.scratch.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.below.code_by_hash_ref(code_hash),
        }
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        match layer_storage(self.scratch, &address, &index) {
            Some(value) => Ok(value),
            None => self.below.storage_ref(address, index),
        }
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.below.block_hash_ref(number)
    }
}
