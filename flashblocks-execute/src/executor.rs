//! [`Executor`]: executes each flashblock's new transactions on the state the previous
//! one left, keeping a post-state layer per preconfirmed block.

use crate::{
    cache::{named_keys, prefetch, StateCache, StateCacheStats, DEFAULT_STATE_CACHE_BYTES},
    run::{run_flashblock, Totals},
    state::{merge_layers, BlockView, FrozenBlock, LayerState, PendingDb, StateChain},
    CanonicalStates, ChainConfig, ExecuteError,
};
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use flashblocks_assemble::{GroupHashes, TransactionTrie};
use flashblocks_overlay::OverlayEvent;
use flashblocks_types::{
    DiffBlockHash, ExecutedMetadata, ExecutionPayloadStaticV1, Flashblock, PayloadId,
};
use flashblocks_validate::ExecutionMismatch;
use op_alloy_consensus::{OpReceiptEnvelope, OpTxType, PostExecPayload};
use revm::{
    state::{AccountInfo, Bytecode},
    DatabaseRef,
};
use std::sync::{Arc, OnceLock};

/// How many preconfirmed blocks the executor keeps above the canonical chain by
/// default (flashblocks run ahead of the canonical chain, usually by one or two blocks).
pub const DEFAULT_MAX_LAYERS: usize = 16;

/// The largest block gas limit the executor executes by default: a hostile `base`
/// cannot make one flashblock run for ever (OP chains run far below it).
pub const DEFAULT_MAX_BLOCK_GAS_LIMIT: u64 = 1_000_000_000;

/// The block the executor is executing: its base, the state it started from, what its
/// accepted flashblocks changed, and the cumulative results.
#[derive(Debug)]
struct CurrentBlock<S> {
    payload_id: PayloadId,
    base: ExecutionPayloadStaticV1,
    chain: StateChain<S>,
    /// What each accepted flashblock changed, oldest first (shared with snapshots).
    layers: Vec<Arc<LayerState>>,
    totals: Totals,
    receipts: TransactionTrie,
    /// The block's hash so far, where the stream's `diff.block_hash` is the header hash.
    hash: Option<B256>,
    /// The block's latest post-exec payload (Lagoon): a subblock that omits
    /// `diff.post_exec_tx` leaves it as it was.
    post_exec: Option<Arc<PostExecPayload>>,
    next_index: u64,
}

/// A complete preconfirmed block with the chain that includes it (itself first).
#[derive(Debug)]
struct Preconfirmed<S> {
    block: Arc<FrozenBlock>,
    chain: StateChain<S>,
}

/// A new block's start, carried by its index 0's [`Execution`].
#[derive(Debug)]
struct NewBlock<S> {
    base: ExecutionPayloadStaticV1,
    parent: Parent<S>,
    /// The new block's Base link says the block in progress lacks frames: at the commit
    /// it is dropped, never kept as a preconfirmed layer.
    drops_incomplete: bool,
}

/// Where a new block's parent state is.
#[derive(Debug)]
enum Parent<S> {
    /// The block in progress, which becomes a preconfirmed layer at the commit.
    Current,
    /// A preconfirmed layer's chain, or the caller's canonical state.
    Chain(StateChain<S>),
}

/// The result of executing one flashblock, not yet taken into the executor's state
/// ([`Executor::commit`] does that once the flashblock is accepted).
#[derive(Debug)]
pub struct Execution<S> {
    payload_id: PayloadId,
    index: u64,
    start: Option<NewBlock<S>>,
    metadata: Arc<ExecutedMetadata>,
    pub(crate) scratch: LayerState,
    pub(crate) totals: Totals,
    pub(crate) receipts_root: B256,
    receipt_encodings: Vec<Bytes>,
    group_hashes: GroupHashes,
    /// The block's hash so far, where the stream's `diff.block_hash` is the header hash.
    block_hash: Option<B256>,
    /// The block's latest post-exec payload after this flashblock.
    post_exec: Option<Arc<PostExecPayload>>,
    mismatch: Option<ExecutionMismatch>,
    /// State reads answered by what the executor holds, and keys read from the caller.
    cache_counts: (u64, u64),
}

impl<S> Execution<S> {
    /// The proof: `Ok` when every claim of the flashblock equals its execution, else
    /// the first fact that differs (rule `execution_invalid`).
    ///
    /// # Errors
    ///
    /// The first mismatch, in the order [`Executor::execute`] documents.
    pub const fn proof(&self) -> Result<(), &ExecutionMismatch> {
        match &self.mismatch {
            Some(m) => Err(m),
            None => Ok(()),
        }
    }

    /// The flashblock's index.
    pub const fn index(&self) -> u64 {
        self.index
    }

    /// Sets the block hash the block so far has (a builder learns it only after
    /// executing).
    #[cfg(feature = "test-utils")]
    pub(crate) fn set_block_hash(&mut self, block_hash: B256) {
        self.block_hash = Some(block_hash);
    }

    /// The executed post-state and receipts of this flashblock.
    pub const fn metadata(&self) -> &Arc<ExecutedMetadata> {
        &self.metadata
    }

    /// The payload id of the flashblock executed.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The block's cumulative gas after this flashblock.
    pub const fn gas_used(&self) -> u64 {
        self.totals.gas_used
    }

    /// The block's cumulative data-availability footprint after this flashblock
    /// (Jovian's `blob_gas_used`; 0 before Jovian).
    pub const fn blob_gas_used(&self) -> u64 {
        self.totals.blob_gas_used
    }

    /// The receipts root over the block so far.
    pub const fn receipts_root(&self) -> B256 {
        self.receipts_root
    }

    /// The OR of the blooms of the block's receipts so far.
    pub const fn logs_bloom(&self) -> Bloom {
        self.totals.logs_bloom
    }
}

/// What a chain event dropped (see [`Executor::canonical`] and [`Executor::reset`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// The numbers of the preconfirmed blocks dropped, ascending.
    pub blocks: Vec<u64>,
    /// Whether the block in progress was dropped.
    pub current: bool,
}

/// Executes flashblocks on the state their predecessors left (spec page, "Execution").
///
/// Index 0 of block `N` executes on the state after its parent: the executor's own
/// post-state layer of that block when it holds it (the parent was preconfirmed and is
/// not yet canonical), else the caller's state fixed at `base.parent_hash`
/// ([`CanonicalStates`]), else [`ExecuteError::ParentStateUnavailable`]. A preconfirmed
/// block is the parent when its hash is `base.parent_hash`; where the stream's
/// `diff.block_hash` is not the header hash ([`set_diff_block_hash`](Self::set_diff_block_hash):
/// OP Subblocks, Base) a block whose hash is not known yet is the parent of the block
/// one above it, and `base.parent_hash` becomes its hash (for `BLOCKHASH`, and for the
/// blocks after) once that index 0 is committed. Flashblock `#k`
/// runs only its new transactions, on a scratch layer over the block so far, so its cost
/// does not grow with `k`. The block environment comes from `base`, the OP rules from
/// the hardfork active at `base.timestamp` ([`ChainConfig`]), and the transaction
/// by transaction execution (deposits, OP fees, receipts) from alloy-op-evm's
/// `OpBlockExecutor`.
///
/// [`execute`](Self::execute) changes nothing; [`commit`](Self::commit) takes an
/// accepted flashblock's execution in. Chain events: [`canonical`](Self::canonical)
/// (a block became canonical: its layer and those below are dropped, or, if its hash
/// differs from the preconfirmed one, the broken layer and everything above it),
/// [`reset`](Self::reset) (a reorg of the unsafe chain: everything dropped). A failover
/// (a new `payload_id` at the same height) replaces the block in progress at the next
/// commit of its index 0.
///
/// State rolls forward: each flashblock's layer keeps what its execution read from the
/// caller's state (a key is read from the caller once, not once per transaction), and
/// when the canonical chain confirms block `N` as preconfirmed, `N` and the blocks below
/// it join the state cache, which is then the state at `N`: the blocks after it
/// execute on the cache over the caller's state at `N`'s hash. The cache is bounded in
/// (estimated) bytes ([`with_state_cache_bytes`](Self::with_state_cache_bytes), the
/// oldest part going first), dropped by a broken preconfirmation, a reorg, a block the
/// canonical chain passed unconfirmed and a reset, and counted
/// ([`state_cache_stats`](Self::state_cache_stats)). Before a flashblock runs, what it
/// names that nothing here holds (senders, recipients, access and authorization lists)
/// is read ahead in one go ([`CanonicalStates::prefetch`]).
#[derive(Debug)]
pub struct Executor<C: CanonicalStates> {
    config: ChainConfig,
    canonical: C,
    max_layers: usize,
    max_block_gas_limit: u64,
    diff_block_hash: DiffBlockHash,
    preconfirmed: Vec<Preconfirmed<C::State>>,
    current: Option<CurrentBlock<C::State>>,
    cache: StateCache<C::State>,
}

impl<C: CanonicalStates> Executor<C> {
    /// An executor for `config`'s chain over the caller's canonical states, keeping at
    /// most [`DEFAULT_MAX_LAYERS`] preconfirmed blocks.
    pub fn new(config: ChainConfig, canonical: C) -> Self {
        Self::with_max_layers(config, canonical, DEFAULT_MAX_LAYERS)
    }

    /// As [`new`](Self::new), keeping at most `max_layers` preconfirmed blocks (at least
    /// one).
    pub fn with_max_layers(config: ChainConfig, canonical: C, max_layers: usize) -> Self {
        Self {
            config,
            canonical,
            max_layers: max_layers.max(1),
            max_block_gas_limit: DEFAULT_MAX_BLOCK_GAS_LIMIT,
            diff_block_hash: DiffBlockHash::HeaderHash,
            preconfirmed: Vec::new(),
            current: None,
            cache: StateCache::new(DEFAULT_STATE_CACHE_BYTES),
        }
    }

    /// The same executor, its rolled state cache bounded to `max_bytes` (estimated;
    /// [`DEFAULT_STATE_CACHE_BYTES`] by default). With 0 nothing rolls: each block
    /// after a confirmed one reads what it needs from the caller's state again.
    pub fn with_state_cache_bytes(mut self, max_bytes: usize) -> Self {
        self.cache.max_bytes = max_bytes;
        self
    }

    /// The state cache's counters (hits, misses, size): a handle any thread may read.
    pub fn state_cache_stats(&self) -> StateCacheStats {
        self.cache.stats.clone()
    }

    /// The same executor, executing blocks of at most `max` gas
    /// ([`DEFAULT_MAX_BLOCK_GAS_LIMIT`] by default); a larger `base.gas_limit` answers
    /// [`ExecuteError::GasLimitTooHigh`].
    pub const fn with_max_block_gas_limit(mut self, max: u64) -> Self {
        self.max_block_gas_limit = max;
        self
    }

    /// Tells the executor what the stream's `diff.block_hash` is (the dialect's
    /// [`block_hash`](flashblocks_types::Dialect::block_hash); the header hash until
    /// told; an [`ExecutionCheck`](crate::ExecutionCheck) tells it the stream's dialect,
    /// `auto`'s decision included, at every check): anything but the header hash is never
    /// taken as a block's hash, and blocks are linked by number and the hash learned
    /// from the next block's `base.parent_hash`.
    pub const fn set_diff_block_hash(&mut self, diff_block_hash: DiffBlockHash) {
        self.diff_block_hash = diff_block_hash;
    }

    /// What the stream's `diff.block_hash` is, as the executor was told.
    pub const fn diff_block_hash(&self) -> DiffBlockHash {
        self.diff_block_hash
    }

    /// The chain configuration.
    pub const fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The caller's canonical states.
    pub const fn canonical_states(&self) -> &C {
        &self.canonical
    }

    /// The numbers and hashes (when known) of the preconfirmed blocks held (complete
    /// blocks above the canonical chain), oldest first.
    pub fn preconfirmed(&self) -> Vec<(u64, Option<B256>)> {
        self.preconfirmed.iter().map(|p| (p.block.number, p.block.hash())).collect()
    }

    /// The pending state: the block in progress after its last accepted flashblock, over
    /// the preconfirmed layers below it and the caller's canonical state (`None`
    /// without a block in progress). Balances, nonces, code and storage read from it
    /// are the executed pending values.
    pub fn pending_state(&self) -> Option<PendingState<'_, C::State>> {
        self.pending_view().map(|(view, _)| PendingState(view))
    }

    /// An owned copy of the pending state (as [`pending_state`](Self::pending_state))
    /// with the block's environment, for calls made while the executor moves on
    /// (`None` without a block in progress). It costs one pointer per flashblock of the
    /// block in progress: every layer is shared, none copied.
    pub fn pending_snapshot(&self) -> Option<PendingSnapshot<C::State>> {
        let current = self.current.as_ref()?;
        Some(PendingSnapshot {
            config: self.config.clone(),
            base: current.base.clone(),
            payload_id: current.payload_id,
            next_index: current.next_index,
            block: current.layers.clone(),
            chain: current.chain.clone(),
        })
    }

    /// The block in progress's state and base.
    pub(crate) fn pending_view(
        &self,
    ) -> Option<(BlockView<'_, C::State>, &ExecutionPayloadStaticV1)> {
        self.current
            .as_ref()
            .map(|c| (BlockView { block: &c.layers, chain: &c.chain, hash: None }, &c.base))
    }

    /// The block in progress: its number and the next index it expects.
    pub fn current(&self) -> Option<(u64, u64)> {
        self.current.as_ref().map(|c| (c.base.block_number, c.next_index))
    }

    /// Executes `flashblock` (index 0 of a new block when `starts_block`), changing
    /// nothing, and proves it: [`Execution::proof`] compares, in this order, the
    /// executed cumulative gas with `diff.gas_used`, the receipts root over the block so
    /// far with `diff.receipts_root`, the OR of the receipts' blooms with
    /// `diff.logs_bloom`, Jovian's `blob_gas_used` when the flashblock carries it, then
    /// what the metadata carries: V1 per-transaction status, gas used and contract
    /// address, then V1 accounts' balance, nonce, code and slots; JSON receipts
    /// (type, status, cumulative gas, logs, deposit nonce and version) and balances.
    /// The state root needs the caller's trie: see [`ExecutionCheck::with_state_root`](
    /// crate::ExecutionCheck::with_state_root).
    ///
    /// # Errors
    ///
    /// [`ExecuteError::ParentStateUnavailable`] when the parent state is held nowhere;
    /// [`ExecuteError::BlockNotStarted`] for a flashblock of a block not started;
    /// [`ExecuteError::TransactionRejected`] when a transaction cannot be executed;
    /// [`ExecuteError::State`] when the caller's state fails.
    pub fn execute(
        &self,
        flashblock: &Flashblock,
        starts_block: bool,
    ) -> Result<Execution<C::State>, ExecuteError> {
        let (base, view, totals, start) = if starts_block {
            let base = flashblock.base().ok_or(ExecuteError::MissingBase)?;
            if base.gas_limit > self.max_block_gas_limit {
                return Err(ExecuteError::GasLimitTooHigh {
                    gas_limit: base.gas_limit,
                    max: self.max_block_gas_limit,
                });
            }
            let drops_incomplete = self.current_is_incomplete(flashblock);
            let parent = self.parent(base, drops_incomplete)?;
            let start = NewBlock { base: base.clone(), parent, drops_incomplete };
            (base, None, Totals::default(), Some(start))
        } else {
            let current = self
                .current
                .as_ref()
                .filter(|c| {
                    c.payload_id == flashblock.payload_id() && c.next_index == flashblock.index()
                })
                .ok_or(ExecuteError::BlockNotStarted { index: flashblock.index() })?;
            let view = BlockView { block: &current.layers, chain: &current.chain, hash: None };
            (&current.base, Some(view), current.totals, None)
        };
        let view = match (&start, view) {
            (_, Some(view)) => view,
            (Some(NewBlock { parent: Parent::Chain(chain), .. }), None) => {
                BlockView { block: &[], chain, hash: None }
            }
            // The block in progress is the parent, not yet frozen: `BLOCKHASH` of it
            // reads the hash this block names it by.
            (Some(NewBlock { parent: Parent::Current, base, .. }), None) => match &self.current {
                Some(current) => BlockView {
                    block: &current.layers,
                    chain: &current.chain,
                    hash: Some((current.base.block_number, base.parent_hash)),
                },
                None => return Err(ExecuteError::BlockNotStarted { index: flashblock.index() }),
            },
            (None, None) => {
                return Err(ExecuteError::BlockNotStarted { index: flashblock.index() })
            }
        };
        // The block's latest post-exec payload: this flashblock's, else the last one.
        let post_exec = match post_exec_payload(flashblock) {
            Some(payload) => Some(Arc::new(payload)),
            None if starts_block => None,
            None => self.current.as_ref().and_then(|c| c.post_exec.clone()),
        };
        // What the flashblock names that nothing here holds, read ahead in one go.
        let wanted = named_keys(
            flashblock.prepared(),
            |a| view.holds_account(a),
            |a, k| view.holds_slot(a, k),
        );
        let prefetched = prefetch(&self.canonical, &view.chain.base, &wanted);
        let run = run_flashblock(
            &self.config,
            base,
            PendingDb::new(view, prefetched),
            totals,
            starts_block,
            flashblock.transactions(),
            flashblock.prepared(),
            post_exec.as_deref(),
        )?;
        let receipt_encodings = run.encodings.clone();
        let empty = TransactionTrie::default();
        let trie = match self.current.as_ref().filter(|_| !starts_block) {
            Some(current) => &current.receipts,
            None => &empty,
        };
        let (mut receipts_root, group_hashes) = trie.root_with(&receipt_encodings);
        if post_exec.is_some() {
            // The block so far as the builder would seal it: its post-exec transaction
            // last, with its receipt (status 1, no logs, the cumulative gas before it).
            let mut sealed = receipt_encodings.clone();
            sealed.push(post_exec_receipt(run.totals.gas_used));
            receipts_root = trie.root_with(&sealed).0;
        }
        let metadata = Arc::new(run.metadata(base.block_number, view));
        let mismatch = crate::proof::prove(flashblock, &run, receipts_root, view);
        Ok(Execution {
            payload_id: flashblock.payload_id(),
            index: flashblock.index(),
            start,
            metadata,
            scratch: run.scratch,
            totals: run.totals,
            receipts_root,
            receipt_encodings,
            group_hashes,
            block_hash: self
                .diff_block_hash
                .is_header_hash()
                .then_some(flashblock.diff().block_hash),
            post_exec,
            mismatch,
            cache_counts: (run.hits, run.misses),
        })
    }

    /// Takes an accepted flashblock's execution into the executor's state: at index 0
    /// the block in progress becomes a preconfirmed layer (or is dropped, on a failover
    /// at its height) and the new block starts.
    pub fn commit(&mut self, execution: Execution<C::State>) {
        let Execution {
            payload_id,
            index,
            start,
            scratch,
            totals,
            receipt_encodings,
            group_hashes,
            block_hash,
            post_exec,
            cache_counts: (hits, misses),
            ..
        } = execution;
        self.cache.stats.add(hits, misses);
        if let Some(NewBlock { base, parent, drops_incomplete }) = start {
            if drops_incomplete {
                self.current = None;
            }
            let chain = match parent {
                Parent::Chain(chain) => {
                    self.finish_current(base.block_number, None);
                    let chain = self.rebase(chain);
                    // A preconfirmed parent whose hash was unknown: this block names it.
                    if let Some(parent) = chain
                        .layers
                        .first()
                        .filter(|p| p.number.saturating_add(1) == base.block_number)
                    {
                        let _ = parent.hash.set(base.parent_hash);
                    }
                    chain
                }
                Parent::Current => {
                    match self.finish_current(base.block_number, Some(base.parent_hash)) {
                        Some(chain) => chain,
                        None => return,
                    }
                }
            };
            self.current = Some(CurrentBlock {
                payload_id,
                base,
                chain,
                layers: Vec::new(),
                totals: Totals::default(),
                receipts: TransactionTrie::default(),
                hash: None,
                post_exec: None,
                next_index: 0,
            });
        }
        let Some(current) = self.current.as_mut() else { return };
        if !scratch.is_empty() {
            current.layers.push(Arc::new(scratch));
        }
        current.totals = totals;
        current.receipts.commit(receipt_encodings, group_hashes);
        current.hash = block_hash;
        current.post_exec = post_exec;
        current.next_index = index.saturating_add(1);
    }

    /// Block `number` became canonical with `hash`. If the executor preconfirmed it with
    /// that hash (or with a hash it did not know: the overlay confirms such a block by
    /// its transactions, `gasUsed` and `receiptsRoot`), its layer and those below are
    /// dropped (the caller's state now holds them); if with another hash (a broken
    /// preconfirmation), that layer and every block built on it (the block in progress
    /// included) are dropped.
    ///
    /// Confirmed as preconfirmed, the block and those below it roll into the state
    /// cache (the state at `hash` from then on, over the caller's state at `hash`);
    /// otherwise the rolled state is dropped.
    pub fn canonical(&mut self, number: u64, hash: B256) -> Dropped {
        self.roll(number, hash);
        self.drop_at(number, |known| known.is_some_and(|known| known != hash))
    }

    /// The state cache rolls forward over block `number`, canonical with `hash`, if the
    /// executor preconfirmed it with that hash (or one it did not know); else what
    /// rolled is dropped.
    fn roll(&mut self, number: u64, hash: B256) {
        let confirmed = self
            .preconfirmed
            .iter()
            .find(|p| p.block.number == number && p.block.hash().is_none_or(|h| h == hash));
        let Some(confirmed) = confirmed else {
            // A head confirming the block still in progress (the next block has not
            // started): nothing to roll over yet, and what rolled below it stays the
            // canonical state. Otherwise the canonical chain moved on without a block
            // the executor holds.
            let in_progress = self
                .current
                .as_ref()
                .is_some_and(|c| c.base.block_number == number && c.hash.is_none_or(|h| h == hash));
            if !in_progress {
                self.cache.drop_rolled();
            }
            return;
        };
        let _ = confirmed.block.hash.set(hash);
        let chain = confirmed.chain.clone();
        match self.canonical.state_at(hash) {
            Some(base) => self.cache.roll(&chain, hash, base),
            None => self.cache.drop_rolled(),
        }
    }

    /// `chain` over the rolled state cache when it is built on the block the cache is at.
    fn rebase(&self, chain: StateChain<C::State>) -> StateChain<C::State> {
        match &self.cache.rolled {
            Some(rolled) => rolled.rebase(chain),
            None => chain,
        }
    }

    /// Drops the preconfirmed blocks up to `number`, and those built on a block at
    /// `number` that `is_broken` (given its hash, when known) says is not canonical.
    fn drop_at(&mut self, number: u64, is_broken: impl Fn(Option<B256>) -> bool) -> Dropped {
        let mut dropped = Dropped::default();
        let broken: Vec<Arc<FrozenBlock>> = self
            .preconfirmed
            .iter()
            .filter(|p| p.block.number == number && is_broken(p.block.hash()))
            .map(|p| Arc::clone(&p.block))
            .collect();
        let current_hash_broken = self
            .current
            .as_ref()
            .is_some_and(|c| c.base.block_number == number && is_broken(c.hash));
        let built_on_broken = |chain: &StateChain<C::State>| {
            chain.layers.iter().any(|l| broken.iter().any(|b| Arc::ptr_eq(l, b)))
        };
        self.preconfirmed.retain(|p| {
            let keep = p.block.number > number && !built_on_broken(&p.chain);
            if !keep {
                dropped.blocks.push(p.block.number);
            }
            keep
        });
        if current_hash_broken
            || self
                .current
                .as_ref()
                .is_some_and(|c| built_on_broken(&c.chain) || c.base.block_number < number)
        {
            self.current = None;
            dropped.current = true;
        }
        dropped.blocks.sort_unstable();
        dropped
    }

    /// Follows what the overlay did on its own ([`OverlayEvent`]): a confirmed block's
    /// layer goes (the caller's state holds it now); a broken preconfirmation drops the
    /// broken layer and everything built on it; a block the canonical chain passed
    /// unreported goes with every layer below it; a reorg drops everything. A failover
    /// needs nothing here (the new payload's index 0 replaces the block in progress when
    /// committed), nor do a gap or an eviction (a block whose parent is held nowhere
    /// answers [`ExecuteError::ParentStateUnavailable`]).
    pub fn on_overlay_event(&mut self, event: &OverlayEvent) -> Dropped {
        match event {
            OverlayEvent::Confirmed { number, hash } => self.canonical(*number, *hash),
            // The overlay decided (by hash, or by transactions, `gasUsed` and
            // `receiptsRoot` where the hash is unknown): the block at `number` is broken.
            OverlayEvent::BrokenPreconfirmation { number, .. } => {
                self.cache.drop_rolled();
                self.drop_at(*number, |_| true)
            }
            OverlayEvent::Passed { number } => {
                self.cache.drop_rolled();
                self.passed(*number)
            }
            OverlayEvent::Reorg { .. } => self.reset(),
            _ => Dropped::default(),
        }
    }

    /// The canonical chain passed block `number` (its hash unknown here): the layers up
    /// to it go, and the block in progress if it is not above it.
    fn passed(&mut self, number: u64) -> Dropped {
        let mut dropped = Dropped::default();
        self.preconfirmed.retain(|p| {
            let keep = p.block.number > number;
            if !keep {
                dropped.blocks.push(p.block.number);
            }
            keep
        });
        if self.current.as_ref().is_some_and(|c| c.base.block_number <= number) {
            self.current = None;
            dropped.current = true;
        }
        dropped.blocks.sort_unstable();
        dropped
    }

    /// Stops executing the block in progress (its facts could not be executed or proved):
    /// a block `next_number` started that the executor does not execute. The block in
    /// progress is kept as a preconfirmed layer when below `next_number`.
    pub fn abandon(&mut self, next_number: u64) {
        self.finish_current(next_number, None);
    }

    /// Drops the block in progress (its executed state is not trusted).
    pub fn drop_current(&mut self) -> bool {
        self.current.take().is_some()
    }

    /// Forgets every preconfirmed layer and the block in progress (a reorg of the unsafe
    /// chain, or the caller's reset).
    pub fn reset(&mut self) -> Dropped {
        self.cache.drop_rolled();
        let blocks = self.preconfirmed.drain(..).map(|p| p.block.number).collect();
        let current = self.current.take().is_some();
        Dropped { blocks, current }
    }

    /// The state a block starting with `base` executes on.
    /// Whether index 0 `first`'s Base link (`metadata.prev_flashblock_id`, spec page,
    /// "Base") names a frame of the block in progress that it has not executed: that
    /// block is incomplete, its state is no parent (the new block waits for the
    /// canonical chain, as after a gap).
    fn current_is_incomplete(&self, first: &Flashblock) -> bool {
        let Some(link) = first.json_metadata().and_then(|m| m.prev_flashblock_id) else {
            return false;
        };
        self.current.as_ref().is_some_and(|c| {
            !link.is_none()
                && link.block_number == c.base.block_number
                && c.next_index < link.index.saturating_add(1)
        })
    }

    fn parent(
        &self,
        base: &ExecutionPayloadStaticV1,
        current_incomplete: bool,
    ) -> Result<Parent<C::State>, ExecuteError> {
        let parent_hash = base.parent_hash;
        // Known by its hash, or, a hash not known yet, by its number.
        let is_parent = |number: u64, hash: Option<B256>| match hash {
            Some(hash) => hash == parent_hash && number < base.block_number,
            None => number.saturating_add(1) == base.block_number,
        };
        let current_is_parent = !current_incomplete
            && self.current.as_ref().is_some_and(|c| {
                is_parent(c.base.block_number, c.hash) && c.chain.layers.len() < self.max_layers
            });
        if current_is_parent {
            return Ok(Parent::Current);
        }
        if let Some(p) =
            self.preconfirmed.iter().rev().find(|p| is_parent(p.block.number, p.block.hash()))
        {
            return Ok(Parent::Chain(self.rebase(p.chain.clone())));
        }
        if let Some(rolled) = self.cache.rolled.as_ref().filter(|r| r.hash == parent_hash) {
            return Ok(Parent::Chain(rolled.chain()));
        }
        match self.canonical.state_at(parent_hash) {
            Some(state) => Ok(Parent::Chain(StateChain::over(state))),
            None => Err(ExecuteError::ParentStateUnavailable {
                parent_hash,
                parent_number: base.block_number.saturating_sub(1),
            }),
        }
    }

    /// The block in progress ends as a block `next_number` starts: kept as a
    /// preconfirmed layer when below it (its chain returned), dropped when at its height
    /// (a failover). `named` is the hash the next block names it by when it is that
    /// block's parent: its hash when it had none.
    fn finish_current(
        &mut self,
        next_number: u64,
        named: Option<B256>,
    ) -> Option<StateChain<C::State>> {
        let current = self.current.take()?;
        if current.base.block_number >= next_number {
            return None;
        }
        let hash = OnceLock::new();
        if let Some(known) = current.hash.or(named) {
            let _ = hash.set(known);
        }
        let block = Arc::new(FrozenBlock {
            number: current.base.block_number,
            hash,
            state: merge_layers(current.layers),
        });
        let mut layers = Vec::with_capacity(current.chain.layers.len() + 1);
        layers.push(Arc::clone(&block));
        layers.extend(current.chain.layers);
        let chain = self.rebase(StateChain {
            layers,
            rolled: current.chain.rolled,
            base: current.chain.base,
        });
        self.preconfirmed.push(Preconfirmed { block, chain: chain.clone() });
        // Failed-over or replaced blocks at the new height are stale.
        self.preconfirmed.retain(|p| p.block.number < next_number);
        if self.preconfirmed.len() > self.max_layers {
            let excess = self.preconfirmed.len() - self.max_layers;
            self.preconfirmed.drain(..excess);
        }
        Some(chain)
    }
}

/// The post-exec payload `flashblock` carries in `diff.post_exec_tx` (one that does not
/// decode is the rules' `post_exec_invalid`, never executed).
fn post_exec_payload(flashblock: &Flashblock) -> Option<PostExecPayload> {
    let raw = flashblock.post_exec_tx()?;
    flashblocks_types::PostExecTx::decode(raw.clone()).ok().map(|tx| tx.payload().clone())
}

/// The EIP-2718 encoding of the post-exec transaction's receipt (post-exec.md,
/// "Receipt"): status 1, no logs, `cumulative_gas_used` that of the receipt before it.
pub(crate) fn post_exec_receipt(cumulative_gas_used: u64) -> Bytes {
    let receipt = OpReceiptEnvelope::<alloy_primitives::Log>::from_parts(
        true,
        cumulative_gas_used,
        std::iter::empty::<&alloy_primitives::Log>(),
        OpTxType::PostExec,
        None,
        None,
    );
    Bytes::from(alloy_eips::Encodable2718::encoded_2718(&receipt))
}

/// The executed pending state after one flashblock, owned (see
/// [`Executor::pending_snapshot`]): [`call`](Self::call) and
/// [`estimate_gas`](Self::estimate_gas) run on it without the executor, and
/// [`state`](Self::state) reads it.
pub struct PendingSnapshot<S> {
    pub(crate) config: ChainConfig,
    pub(crate) base: ExecutionPayloadStaticV1,
    payload_id: PayloadId,
    next_index: u64,
    block: Vec<Arc<LayerState>>,
    chain: StateChain<S>,
}

impl<S> std::fmt::Debug for PendingSnapshot<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSnapshot")
            .field("block_number", &self.base.block_number)
            .field("payload_id", &self.payload_id)
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl<S> PendingSnapshot<S> {
    /// The pending block's base (its environment: number, timestamp, gas limit, ...).
    pub const fn base(&self) -> &ExecutionPayloadStaticV1 {
        &self.base
    }

    /// The pending block's payload id.
    pub const fn payload_id(&self) -> PayloadId {
        self.payload_id
    }

    /// The index of the last flashblock the state includes (`None` before any).
    pub const fn flashblock_index(&self) -> Option<u64> {
        self.next_index.checked_sub(1)
    }

    /// The pending state as a revm [`DatabaseRef`].
    pub const fn state(&self) -> PendingState<'_, S> {
        PendingState(self.view())
    }

    pub(crate) const fn view(&self) -> BlockView<'_, S> {
        BlockView { block: self.block.as_slice(), chain: &self.chain, hash: None }
    }
}

/// The executed pending state as a revm [`DatabaseRef`] (see
/// [`Executor::pending_state`]).
#[derive(Debug)]
pub struct PendingState<'a, S>(BlockView<'a, S>);

impl<S> DatabaseRef for PendingState<'_, S>
where
    S: DatabaseRef<Error: std::error::Error + Send + Sync + 'static>,
{
    type Error = revm::database_interface::ErasedError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.0.basic_ref(address)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.0.code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.0.storage_ref(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.0.block_hash_ref(number)
    }
}
