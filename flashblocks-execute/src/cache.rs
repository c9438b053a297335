//! The state cache that rolls forward: what the executor read from the caller's state
//! and its own executed post-state of the blocks the canonical chain confirmed, kept as
//! the state at the newest confirmed block, bounded in bytes; and what a flashblock
//! names, read ahead in one go ([`CanonicalStates::prefetch`]).
//!
//! Each flashblock's execution keeps what it read from the caller's state in its layer
//! (`Reads`): a key is read from the caller once per chain of blocks, not once per
//! transaction. When the canonical chain confirms block `N` as the executor
//! preconfirmed it, the layers of `N` and of the blocks below it (reads and writes)
//! join the rolled cache, which is then the state at `N`: the next blocks execute on
//! it over the caller's state fixed at `N`'s hash, instead of a chain that grows until
//! it starts cold again. A broken preconfirmation, a reorg, a block the canonical chain
//! passed unconfirmed, or a reset drop it.
//!
//! The cache is a list of chunks (newest first, each an immutable layer shared with
//! the chains built on it); a confirmed block merges into the newest chunk while that
//! is under a 32nd of the bound, else starts a new one; the oldest chunks go while the
//! whole is over the bound. A key whose chunk went is read again from the caller (and
//! kept again). Sizes are estimates (a fixed price per account and slot, plus code).

use crate::state::{FrozenBlock, Prefetch, Reads, Rolled, StateChain};
use crate::CanonicalStates;
use alloy_consensus::Transaction;
use alloy_primitives::{map::HashSet, Address, B256, U256};
use flashblocks_types::PreparedTransactions;
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

/// The rolled state cache's bound by default: 256 MiB (estimated).
pub const DEFAULT_STATE_CACHE_BYTES: usize = 256 << 20;

/// How many chunks the bound is cut into (a read misses through at most this many).
const CHUNKS: usize = 32;

/// The state cache's counters, published by the executor (one writer) for any reader
/// (cheap to clone: every clone reads the same counters).
#[derive(Clone, Debug, Default)]
pub struct StateCacheStats(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bytes: AtomicU64,
    rolls: AtomicU64,
    drops: AtomicU64,
}

impl StateCacheStats {
    /// State reads of accepted flashblocks answered by what the executor holds (the
    /// rolled cache, preconfirmed blocks, what earlier flashblocks read), not counting a
    /// flashblock's reads of its own writes.
    pub fn hits(&self) -> u64 {
        self.0.hits.load(Ordering::Relaxed)
    }

    /// Accounts and slots accepted flashblocks read from the caller's state (read ahead
    /// or by the EVM).
    pub fn misses(&self) -> u64 {
        self.0.misses.load(Ordering::Relaxed)
    }

    /// The rolled cache's size now (estimated bytes).
    pub fn bytes(&self) -> u64 {
        self.0.bytes.load(Ordering::Relaxed)
    }

    /// Confirmed blocks the cache rolled forward over.
    pub fn rolls(&self) -> u64 {
        self.0.rolls.load(Ordering::Relaxed)
    }

    /// Times the rolled cache was dropped (broken preconfirmation, reorg, passed,
    /// reset).
    pub fn drops(&self) -> u64 {
        self.0.drops.load(Ordering::Relaxed)
    }

    pub(crate) fn add(&self, hits: u64, misses: u64) {
        self.0.hits.fetch_add(hits, Ordering::Relaxed);
        self.0.misses.fetch_add(misses, Ordering::Relaxed);
    }
}

/// The rolled cache at one confirmed block.
#[derive(Debug)]
pub(crate) struct RolledState<S> {
    /// The confirmed block (the executor's own layer of it).
    pub(crate) block: Arc<FrozenBlock>,
    pub(crate) hash: B256,
    pub(crate) chunks: Rolled,
    sizes: Vec<usize>,
    pub(crate) base: Arc<S>,
}

impl<S> RolledState<S> {
    /// A chain of no preconfirmed block on the cache.
    pub(crate) fn chain(&self) -> StateChain<S> {
        StateChain {
            layers: Vec::new(),
            rolled: Arc::clone(&self.chunks),
            base: Arc::clone(&self.base),
        }
    }

    /// `chain` with the confirmed block and those below it replaced by the cache, if it
    /// is built on that block.
    pub(crate) fn rebase(&self, chain: StateChain<S>) -> StateChain<S> {
        match chain.layers.iter().position(|l| Arc::ptr_eq(l, &self.block)) {
            Some(at) => StateChain {
                layers: chain.layers.get(..at).unwrap_or_default().to_vec(),
                rolled: Arc::clone(&self.chunks),
                base: Arc::clone(&self.base),
            },
            None => chain,
        }
    }
}

/// The state cache as the executor owns it: its bound, the rolled state, the counters.
#[derive(Debug)]
pub(crate) struct StateCache<S> {
    pub(crate) max_bytes: usize,
    pub(crate) rolled: Option<RolledState<S>>,
    pub(crate) stats: StateCacheStats,
}

impl<S> StateCache<S> {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self { max_bytes, rolled: None, stats: StateCacheStats::default() }
    }

    /// Forgets the rolled state.
    pub(crate) fn drop_rolled(&mut self) {
        if self.rolled.take().is_some() {
            self.stats.0.drops.fetch_add(1, Ordering::Relaxed);
            self.stats.0.bytes.store(0, Ordering::Relaxed);
        }
    }

    /// The confirmed block `block` (the first layer of `chain`, with `hash`) and the
    /// blocks below it join the cache, which is then the state at it, over `base` (the
    /// caller's state at `hash`).
    pub(crate) fn roll(&mut self, chain: &StateChain<S>, hash: B256, base: S) {
        let Some(block) = chain.layers.first() else { return };
        // Start from what rolled already when this chain is built on it, else from what
        // the chain was built on.
        let (mut chunks, mut sizes, newer) = match self.rolled.take() {
            Some(r) => match chain.layers.iter().position(|l| Arc::ptr_eq(l, &r.block)) {
                Some(at) => (r.chunks, r.sizes, chain.layers.get(..at).unwrap_or_default()),
                None => (Arc::clone(&chain.rolled), sizes_of(&chain.rolled), &chain.layers[..]),
            },
            None => (Arc::clone(&chain.rolled), sizes_of(&chain.rolled), &chain.layers[..]),
        };
        let chunk_bytes = self.max_bytes / CHUNKS;
        let list = Arc::make_mut(&mut chunks);
        for layer in newer.iter().rev() {
            let size = layer.state.approx_bytes();
            match (list.first_mut(), sizes.first_mut()) {
                (Some(newest), Some(newest_size)) if *newest_size < chunk_bytes => {
                    let merged = Arc::make_mut(newest);
                    merged.merge(layer.state.clone());
                    *newest_size = merged.approx_bytes();
                }
                _ => {
                    list.insert(0, Arc::new(layer.state.clone()));
                    sizes.insert(0, size);
                }
            }
        }
        while !list.is_empty() && sizes.iter().sum::<usize>() > self.max_bytes {
            list.pop();
            sizes.pop();
        }
        let bytes = sizes.iter().sum::<usize>();
        self.stats.0.bytes.store(bytes as u64, Ordering::Relaxed);
        self.stats.0.rolls.fetch_add(newer.len() as u64, Ordering::Relaxed);
        self.rolled = Some(RolledState {
            block: Arc::clone(block),
            hash,
            chunks,
            sizes,
            base: Arc::new(base),
        });
    }
}

fn sizes_of(rolled: &Rolled) -> Vec<usize> {
    rolled.iter().map(|l| l.approx_bytes()).collect()
}

/// What `transactions` name that `holds` says the executor does not hold: senders,
/// recipients, EIP-2930 access lists, EIP-7702 authorities and delegates.
pub(crate) fn named_keys(
    transactions: &PreparedTransactions,
    holds_account: impl Fn(&Address) -> bool,
    holds_slot: impl Fn(&Address, &U256) -> bool,
) -> Prefetch {
    let mut accounts: HashSet<Address> = HashSet::default();
    let mut slots: HashSet<(Address, U256)> = HashSet::default();
    for prepared in transactions {
        let Ok(tx) = prepared.decoded() else { continue };
        accounts.insert(tx.signer());
        if let Some(to) = tx.to() {
            accounts.insert(to);
        }
        if let Some(list) = tx.access_list() {
            for item in list.iter() {
                accounts.insert(item.address);
                slots.extend(
                    item.storage_keys.iter().map(|k| (item.address, U256::from_be_bytes(k.0))),
                );
            }
        }
        if let Some(authorizations) = tx.authorization_list() {
            for auth in authorizations {
                accounts.insert(auth.address);
                if let Ok(authority) = auth.recover_authority() {
                    accounts.insert(authority);
                }
            }
        }
    }
    Prefetch {
        accounts: accounts.into_iter().filter(|a| !holds_account(a)).map(|a| (a, None)).collect(),
        slots: slots
            .into_iter()
            .filter(|(a, k)| !holds_slot(a, k))
            .map(|(a, k)| (a, k, None))
            .collect(),
    }
}

/// Reads `wanted` ahead through `canonical` from `state`; what it answered, as reads.
pub(crate) fn prefetch<C: CanonicalStates>(
    canonical: &C,
    state: &C::State,
    wanted: &Prefetch,
) -> Reads {
    let mut reads = Reads::default();
    if wanted.is_empty() {
        return reads;
    }
    let answered = canonical.prefetch(state, wanted);
    // Only what was asked is taken.
    let asked: HashSet<Address> = wanted.accounts.iter().map(|(a, _)| *a).collect();
    for (address, info) in answered.accounts {
        if let (Some(info), true) = (info, asked.contains(&address)) {
            reads.accounts.insert(address, info);
        }
    }
    let asked: HashSet<(Address, U256)> = wanted.slots.iter().map(|(a, k, _)| (*a, *k)).collect();
    for (address, key, value) in answered.slots {
        if let (Some(value), true) = (value, asked.contains(&(address, key))) {
            reads.slots.insert((address, key), value);
        }
    }
    reads
}
