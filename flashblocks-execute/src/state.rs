//! The executor's own post-state layers and the databases revm runs on.
//!
//! A [`LayerState`] holds what one block (or one flashblock) changed: accounts with
//! their post-state, changed slots, new code. A block's state is read through a
//! [`StateChain`]: the block's own layer, then the preconfirmed blocks below it (newest
//! first), then the caller's canonical state fixed at one block hash. Flashblock `#k`
//! executes on a [`PendingDb`]: a fresh scratch layer over that chain, so its cost is
//! its own transactions', whatever `k` is. The block in progress is a stack of frozen
//! layers, one per accepted flashblock (`Arc<LayerState>`, read newest first): accepting
//! a flashblock pushes its scratch, and a snapshot of the block copies `k` pointers, not
//! what the block changed so far. The stack is merged into one layer once, when the block
//! ends ([`merge_layers`]). The price is on reads: a key no layer of the block holds costs
//! one hash lookup per layer before the chain, at most one layer per accepted non-empty
//! flashblock (the validator's `max_flashblocks_per_block`, 20 by default).

use alloy_primitives::{map::HashMap, Address, B256, U256};
use revm::{
    database_interface::ErasedError,
    primitives::{AddressMap, KECCAK_EMPTY},
    state::{Account, AccountInfo, Bytecode},
    Database, DatabaseCommit, DatabaseRef,
};
use std::sync::{Arc, OnceLock};

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

    /// Reads, before a flashblock executes, what it names that the executor does not
    /// hold (its senders, recipients, EIP-2930 and EIP-7702 lists), at once: a caller
    /// whose reads are round trips batches them ([`Prefetch`]). What it answers is taken
    /// as `state`'s answer; what it leaves out (or a failed read) the EVM reads one by
    /// one. By default nothing is read ahead.
    fn prefetch(&self, state: &Self::State, wanted: &Prefetch) -> Prefetch {
        let _ = (state, wanted);
        Prefetch::default()
    }
}

/// Accounts and slots a flashblock names, read ahead of its execution (see
/// [`CanonicalStates::prefetch`]): asked for with `None` values, answered with the
/// state's values (an account `Some(None)` when it does not exist).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefetch {
    /// Accounts, and (answered) their balance, nonce and code.
    pub accounts: Vec<(Address, Option<Option<AccountInfo>>)>,
    /// Slots, and (answered) their values.
    pub slots: Vec<(Address, U256, Option<U256>)>,
}

impl Prefetch {
    /// Whether it names nothing.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.slots.is_empty()
    }
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

/// What a layer's execution read from the caller's canonical state (no layer below it
/// knew those keys): still the values after the layer for every key the layer did not
/// write (a write shadows its read, see [`layer_basic`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Reads {
    /// Accounts read (`None`: it does not exist), with their code.
    pub(crate) accounts: HashMap<Address, Option<AccountInfo>>,
    /// Slots read.
    pub(crate) slots: HashMap<(Address, U256), U256>,
}

impl Reads {
    fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.slots.is_empty()
    }
}

/// What a block or a flashblock changed, and what its execution read from the caller's
/// state.
#[derive(Clone, Debug, Default)]
pub(crate) struct LayerState {
    pub(crate) accounts: HashMap<Address, LayerAccount>,
    pub(crate) codes: HashMap<B256, Bytecode>,
    pub(crate) reads: Reads,
}

/// A layer's answer for an account: `None` when the layer does not know it.
fn layer_basic(layer: &LayerState, address: &Address) -> Option<Option<AccountInfo>> {
    match layer.accounts.get(address) {
        Some(account) => Some(account.info.clone()),
        None => layer.reads.accounts.get(address).cloned(),
    }
}

/// A layer's answer for a slot: `None` when the layer does not know it.
fn layer_storage(layer: &LayerState, address: &Address, key: &U256) -> Option<U256> {
    if let Some(account) = layer.accounts.get(address) {
        match account.storage.get(key) {
            Some(value) => return Some(*value),
            None if account.storage_cleared => return Some(U256::ZERO),
            None => {}
        }
    }
    layer.reads.slots.get(&(*address, *key)).copied()
}

/// Where a read was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A layer the executor holds (a block's, or the rolled cache).
    Held,
    /// The caller's canonical state (for the node: the upstream).
    Canonical,
}

/// Bytes an account entry is taken to cost (the key, the entry, the map's share), code
/// and slots apart.
const ACCOUNT_BYTES: usize = 256;
/// Bytes a slot entry is taken to cost.
const SLOT_BYTES: usize = 128;

/// One layer holding what `layers` (oldest first) changed, newest winning: the block's
/// layer once it ends. A layer no snapshot shares is moved, not copied.
pub(crate) fn merge_layers(layers: Vec<Arc<LayerState>>) -> LayerState {
    let mut layers = layers.into_iter();
    let Some(first) = layers.next() else { return LayerState::default() };
    let mut merged = Arc::unwrap_or_clone(first);
    for layer in layers {
        merged.merge(Arc::unwrap_or_clone(layer));
    }
    merged
}

impl LayerState {
    /// Whether the layer changes and read nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.codes.is_empty() && self.reads.is_empty()
    }

    /// What the layer is taken to cost in memory: a fixed price per account and slot
    /// entry, and the code's bytes (an estimate, used to bound the rolled cache).
    pub(crate) fn approx_bytes(&self) -> usize {
        let code = |info: &Option<AccountInfo>| {
            info.as_ref().and_then(|i| i.code.as_ref()).map_or(0, |c| c.original_bytes().len())
        };
        let written: usize = self
            .accounts
            .values()
            .map(|a| ACCOUNT_BYTES + code(&a.info) + a.storage.len() * SLOT_BYTES)
            .sum();
        let codes: usize = self.codes.values().map(|c| c.original_bytes().len()).sum();
        let read: usize = self.reads.accounts.values().map(|i| ACCOUNT_BYTES + code(i)).sum();
        written + codes + read + self.reads.slots.len() * SLOT_BYTES
    }

    /// Takes `newer` (a later layer) into this one.
    pub(crate) fn merge(&mut self, newer: Self) {
        // A later layer read only what no earlier one knew; its writes shadow every read.
        self.reads.accounts.extend(newer.reads.accounts);
        self.reads.slots.extend(newer.reads.slots);
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
    /// The block's hash, once known: its last flashblock's `diff.block_hash` where that
    /// is the header hash, else learned from the next block's `base.parent_hash` (set
    /// once, when that block's index 0 is committed) or the canonical head.
    pub(crate) hash: OnceLock<B256>,
    pub(crate) state: LayerState,
}

impl FrozenBlock {
    /// The block's hash, if known.
    pub(crate) fn hash(&self) -> Option<B256> {
        self.hash.get().copied()
    }
}

/// The rolled state cache: the state at the canonical block a chain's base is fixed at,
/// as the executor holds it (what its blocks read and wrote, confirmed), in chunks,
/// newest first (see [`Executor`](crate::Executor)'s docs).
pub(crate) type Rolled = Arc<Vec<Arc<LayerState>>>;

/// The state a block executes on: the preconfirmed blocks below it (newest first) over
/// the rolled cache and the caller's state fixed at a canonical block.
#[derive(Debug)]
pub(crate) struct StateChain<S> {
    pub(crate) layers: Vec<Arc<FrozenBlock>>,
    /// The state at `base`'s block the executor holds.
    pub(crate) rolled: Rolled,
    pub(crate) base: Arc<S>,
}

impl<S> Clone for StateChain<S> {
    fn clone(&self) -> Self {
        Self {
            layers: self.layers.clone(),
            rolled: Arc::clone(&self.rolled),
            base: Arc::clone(&self.base),
        }
    }
}

impl<S> StateChain<S> {
    /// A chain of no preconfirmed block over `base`, with nothing rolled.
    pub(crate) fn over(base: S) -> Self {
        Self { layers: Vec::new(), rolled: Rolled::default(), base: Arc::new(base) }
    }

    fn held_layers(&self) -> impl Iterator<Item = &LayerState> {
        self.layers.iter().map(|l| &l.state).chain(self.rolled.iter().map(|l| &**l))
    }
}

impl<S> StateChain<S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    fn basic(&self, address: Address) -> Result<(Option<AccountInfo>, Source), ErasedError> {
        for layer in self.held_layers() {
            if let Some(info) = layer_basic(layer, &address) {
                return Ok((info, Source::Held));
            }
        }
        let info = self.base.basic_ref(address).map_err(ErasedError::new)?;
        Ok((info, Source::Canonical))
    }

    fn storage(&self, address: Address, key: U256) -> Result<(U256, Source), ErasedError> {
        for layer in self.held_layers() {
            if let Some(value) = layer_storage(layer, &address, &key) {
                return Ok((value, Source::Held));
            }
        }
        let value = self.base.storage_ref(address, key).map_err(ErasedError::new)?;
        Ok((value, Source::Canonical))
    }

    /// Whether a layer the executor holds knows the account.
    pub(crate) fn holds_account(&self, address: &Address) -> bool {
        self.held_layers().any(|l| layer_basic(l, address).is_some())
    }

    /// Whether a layer the executor holds knows the slot.
    pub(crate) fn holds_slot(&self, address: &Address, key: &U256) -> bool {
        self.held_layers().any(|l| layer_storage(l, address, key).is_some())
    }

    fn code_by_hash(&self, code_hash: B256) -> Result<Bytecode, ErasedError> {
        for layer in self.held_layers() {
            if let Some(code) = layer.codes.get(&code_hash) {
                return Ok(code.clone());
            }
        }
        self.base.code_by_hash_ref(code_hash).map_err(ErasedError::new)
    }

    /// `BLOCKHASH`: a preconfirmed block's known hash, else the caller's state's
    /// (a preconfirmed block whose hash is not known reads zero, as an unknown block
    /// does).
    fn block_hash(&self, number: u64) -> Result<B256, ErasedError> {
        if let Some(layer) = self.layers.iter().find(|l| l.number == number) {
            return Ok(layer.hash().unwrap_or_default());
        }
        self.base.block_hash_ref(number).map_err(ErasedError::new)
    }
}

/// The state of a block in progress, read-only: its flashblocks' layers (oldest first,
/// read newest first) over its chain.
pub(crate) struct BlockView<'a, S> {
    pub(crate) block: &'a [Arc<LayerState>],
    pub(crate) chain: &'a StateChain<S>,
    /// The number and hash of the block these layers make, when a child block executes
    /// on them before they are frozen (the child's index 0: its `base.parent_hash`
    /// names them), for `BLOCKHASH`.
    pub(crate) hash: Option<(u64, B256)>,
}

impl<S> std::fmt::Debug for BlockView<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockView").field("layers", &self.block.len()).finish_non_exhaustive()
    }
}

impl<S> Clone for BlockView<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for BlockView<'_, S> {}

impl<S> BlockView<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    /// An account, and where it was answered.
    pub(crate) fn basic_src(
        &self,
        address: Address,
    ) -> Result<(Option<AccountInfo>, Source), ErasedError> {
        for layer in self.block.iter().rev() {
            if let Some(info) = layer_basic(layer, &address) {
                return Ok((info, Source::Held));
            }
        }
        self.chain.basic(address)
    }

    /// A slot, and where it was answered.
    pub(crate) fn storage_src(
        &self,
        address: Address,
        index: U256,
    ) -> Result<(U256, Source), ErasedError> {
        for layer in self.block.iter().rev() {
            if let Some(value) = layer_storage(layer, &address, &index) {
                return Ok((value, Source::Held));
            }
        }
        self.chain.storage(address, index)
    }

    /// Whether the account is held (answered without the caller's state).
    pub(crate) fn holds_account(&self, address: &Address) -> bool {
        self.block.iter().any(|l| layer_basic(l, address).is_some())
            || self.chain.holds_account(address)
    }

    /// Whether the slot is held (answered without the caller's state).
    pub(crate) fn holds_slot(&self, address: &Address, key: &U256) -> bool {
        self.block.iter().any(|l| layer_storage(l, address, key).is_some())
            || self.chain.holds_slot(address, key)
    }
}

impl<S> DatabaseRef for BlockView<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    type Error = ErasedError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.basic_src(address).map(|(info, _)| info)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        for layer in self.block.iter().rev() {
            if let Some(code) = layer.codes.get(&code_hash) {
                return Ok(code.clone());
            }
        }
        self.chain.code_by_hash(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.storage_src(address, index).map(|(value, _)| value)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        match self.hash {
            Some((own, hash)) if own == number => Ok(hash),
            _ => self.chain.block_hash(number),
        }
    }
}

/// The database one flashblock executes on: a scratch layer over the block so far. What
/// it reads from the caller's state is kept in the scratch's [`Reads`] (read once per
/// chain, not once per transaction), and counted: `hits` are reads answered by
/// anything the executor holds but the flashblock's own writes, `misses` keys read
/// from the caller's state.
pub(crate) struct PendingDb<'a, S> {
    pub(crate) below: BlockView<'a, S>,
    pub(crate) scratch: LayerState,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl<'a, S> PendingDb<'a, S> {
    /// A scratch layer over `below`, holding `prefetched` (read ahead from the caller's
    /// state, counted as misses).
    pub(crate) fn new(below: BlockView<'a, S>, prefetched: Reads) -> Self {
        let misses = (prefetched.accounts.len() + prefetched.slots.len()) as u64;
        let scratch = LayerState { reads: prefetched, ..LayerState::default() };
        Self { below, scratch, hits: 0, misses }
    }
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
        if let Some(account) = self.scratch.accounts.get(&address) {
            return Ok(account.info.clone());
        }
        if let Some(info) = self.scratch.reads.accounts.get(&address) {
            self.hits += 1;
            return Ok(info.clone());
        }
        let (info, source) = self.below.basic_src(address)?;
        match source {
            Source::Held => self.hits += 1,
            Source::Canonical => {
                self.misses += 1;
                self.scratch.reads.accounts.insert(address, info.clone());
            }
        }
        Ok(info)
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        match self.scratch.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.below.code_by_hash_ref(code_hash),
        }
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, Self::Error> {
        if let Some(account) = self.scratch.accounts.get(&address) {
            match account.storage.get(&index) {
                Some(value) => return Ok(*value),
                None if account.storage_cleared => return Ok(U256::ZERO),
                None => {}
            }
        }
        if let Some(value) = self.scratch.reads.slots.get(&(address, index)) {
            self.hits += 1;
            return Ok(*value);
        }
        let (value, source) = self.below.storage_src(address, index)?;
        match source {
            Source::Held => self.hits += 1,
            Source::Canonical => {
                self.misses += 1;
                self.scratch.reads.slots.insert((address, index), value);
            }
        }
        Ok(value)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InMemoryAccount, InMemoryState};

    fn account(info: Option<u64>, slots: &[(u64, u64)], storage_cleared: bool) -> LayerAccount {
        LayerAccount {
            info: info
                .map(|balance| AccountInfo { balance: U256::from(balance), ..Default::default() }),
            storage: slots.iter().map(|&(k, v)| (U256::from(k), U256::from(v))).collect(),
            storage_cleared,
        }
    }

    fn layer(accounts: Vec<(Address, LayerAccount)>) -> Arc<LayerState> {
        Arc::new(LayerState { accounts: accounts.into_iter().collect(), ..Default::default() })
    }

    /// Layers shadow older ones, a cleared account hides every older slot, untouched
    /// keys read through to the canonical state; the stack reads as its merge.
    #[test]
    fn stacked_layers_read_as_their_merge() {
        let (a, b, c) = (Address::repeat_byte(1), Address::repeat_byte(2), Address::repeat_byte(3));
        let slots = |pairs: &[(u64, u64)]| {
            pairs.iter().map(|&(k, v)| (U256::from(k), U256::from(v))).collect()
        };
        let canonical = InMemoryState::new([
            (
                a,
                InMemoryAccount {
                    balance: U256::from(10),
                    storage: slots(&[(1, 11), (9, 19)]),
                    ..Default::default()
                },
            ),
            (
                c,
                InMemoryAccount {
                    balance: U256::from(30),
                    storage: slots(&[(1, 31)]),
                    ..Default::default()
                },
            ),
        ]);
        let chain = StateChain::over(canonical);
        let layers = vec![
            // #1 writes a's slots 1 and 2, and b.
            layer(vec![
                (a, account(Some(100), &[(1, 101), (2, 102)], false)),
                (b, account(Some(200), &[(5, 205)], false)),
            ]),
            // #2 destroys b and recreates a (every older slot of a reads zero but 3).
            layer(vec![(a, account(Some(110), &[(3, 113)], true)), (b, account(None, &[], true))]),
            // #3 overwrites a's slot 1, and writes c's slot 2 only.
            layer(vec![
                (a, account(Some(120), &[(1, 121)], false)),
                (c, account(Some(300), &[(2, 302)], false)),
            ]),
        ];
        let stacked = BlockView { block: &layers, chain: &chain, hash: None };
        let merged = [Arc::new(merge_layers(layers.clone()))];
        let merged = BlockView { block: &merged, chain: &chain, hash: None };
        let balance = |view: &BlockView<'_, InMemoryState>, address| {
            view.basic_ref(address).unwrap().map(|i| i.balance)
        };
        let slot = |view: &BlockView<'_, InMemoryState>, address, key: u64| {
            view.storage_ref(address, U256::from(key)).unwrap()
        };
        for view in [&stacked, &merged] {
            assert_eq!(balance(view, a), Some(U256::from(120)));
            assert_eq!(balance(view, b), None);
            assert_eq!(balance(view, c), Some(U256::from(300)));
            assert_eq!(slot(view, a, 1), U256::from(121)); // #3 over #2's clear and #1
            assert_eq!(slot(view, a, 2), U256::ZERO); // #1's write, cleared by #2
            assert_eq!(slot(view, a, 3), U256::from(113)); // #2, through #3
            assert_eq!(slot(view, a, 9), U256::ZERO); // canonical, cleared by #2
            assert_eq!(slot(view, b, 5), U256::ZERO); // destroyed by #2
            assert_eq!(slot(view, c, 1), U256::from(31)); // through #3 to canonical
            assert_eq!(slot(view, c, 2), U256::from(302));
        }
        // Only the first two layers: a's slot 1 reads #1's write, cleared by #2.
        let two = BlockView { block: &layers[..2], chain: &chain, hash: None };
        assert_eq!(slot(&two, a, 1), U256::ZERO);
        let one = BlockView { block: &layers[..1], chain: &chain, hash: None };
        assert_eq!(slot(&one, a, 1), U256::from(101));
        assert_eq!(slot(&one, a, 9), U256::from(19));
        // Merging moved nothing out of the shared layers.
        assert_eq!(layers[0].accounts[&a].storage[&U256::from(1)], U256::from(101));
    }
}
