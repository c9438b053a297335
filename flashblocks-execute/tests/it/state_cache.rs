//! The state cache that rolls forward: executed over a counting canonical state, blocks
//! confirmed as the real flow does (block `N` confirmed while `N + 1` is in progress);
//! a cached read equals the canonical answer, the canonical state is read only for keys
//! not held, a broken preconfirmation or a reorg drops what rolled, the bound holds.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{map::HashMap, Address, B256, U256};
use flashblocks_execute::{
    builder::{BuiltFlashblock, ExecutingBuilder, TxPlan, GENESIS_HASH},
    CanonicalStates, Executor, InMemoryState, DEFAULT_STATE_CACHE_BYTES,
};
use revm::{
    state::{AccountInfo, Bytecode},
    DatabaseRef,
};
use std::sync::{Arc, Mutex};

/// What the canonical state was asked: every account and slot read, in order.
type Log = Arc<Mutex<Vec<(Address, Option<U256>)>>>;

/// A balance the canonical state adds at a block hash (the test changes it after the
/// executor took the states).
type Extra = Arc<Mutex<HashMap<B256, (Address, U256)>>>;

/// Canonical states at block hashes, logging every read (a counting upstream).
#[derive(Clone, Debug, Default)]
struct Counting {
    states: HashMap<B256, InMemoryState>,
    log: Log,
    extra: Extra,
}

#[derive(Clone, Debug)]
struct CountingState {
    inner: InMemoryState,
    log: Log,
    extra: Option<(Address, U256)>,
}

impl DatabaseRef for CountingState {
    type Error = std::convert::Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        self.log.lock().unwrap().push((address, None));
        let mut info = self.inner.basic_ref(address)?;
        if let (Some((rich, extra)), Some(info)) = (self.extra, info.as_mut()) {
            if rich == address {
                info.balance += extra;
            }
        }
        Ok(info)
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        self.inner.code_by_hash_ref(code_hash)
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Self::Error> {
        self.log.lock().unwrap().push((address, Some(index)));
        self.inner.storage_ref(address, index)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        self.inner.block_hash_ref(number)
    }
}

impl CanonicalStates for Counting {
    type State = CountingState;

    fn state_at(&self, block_hash: B256) -> Option<CountingState> {
        let inner = self.states.get(&block_hash)?.clone();
        let extra = self.extra.lock().unwrap().get(&block_hash).copied();
        Some(CountingState { inner, log: Arc::clone(&self.log), extra })
    }
}

fn hash(block: &[BuiltFlashblock]) -> B256 {
    block.last().unwrap().flashblock.diff().block_hash
}

fn feed(executor: &mut Executor<Counting>, block: &[BuiltFlashblock]) {
    for b in block {
        let fb = b.json_stripped();
        let execution = executor.execute(&fb, fb.index() == 0).unwrap();
        assert_eq!(execution.proof(), Ok(()), "#{}", fb.index());
        assert_eq!(execution.metadata(), &b.executed);
        executor.commit(execution);
    }
}

fn plan() -> Vec<Vec<TxPlan>> {
    vec![
        vec![TxPlan::Transfer, TxPlan::TransferToNew, TxPlan::Deploy],
        vec![TxPlan::Call, TxPlan::Transfer, TxPlan::Call],
        vec![TxPlan::TransferToNew, TxPlan::Call, TxPlan::Delegate],
    ]
}

/// `blocks` blocks executed over canonical states that hold every block's state,
/// block `N` confirmed once `N + 1` started (as preconfirmed); the executor, the
/// builder, the canonical log and the blocks' hashes.
fn run(
    blocks: usize,
    cache_bytes: usize,
) -> (Executor<Counting>, ExecutingBuilder, Log, Vec<B256>) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut canonical = Counting::default();
    canonical.states.insert(GENESIS_HASH, builder.genesis());
    let built: Vec<Vec<BuiltFlashblock>> = (0..blocks)
        .map(|_| {
            let block = builder.next_block(&plan());
            canonical.states.insert(hash(&block), builder.state());
            block
        })
        .collect();
    let log = Arc::clone(&canonical.log);
    let mut executor =
        Executor::new(builder.config().clone(), canonical).with_state_cache_bytes(cache_bytes);
    let mut hashes = Vec::new();
    for (i, block) in built.iter().enumerate() {
        feed(&mut executor, block);
        if i > 0 {
            executor.canonical(i as u64, hashes[i - 1]);
            // The bound holds after every roll.
            let bytes = executor.state_cache_stats().bytes();
            assert!(bytes <= cache_bytes as u64, "{bytes} > {cache_bytes}");
        }
        hashes.push(hash(block));
    }
    (executor, builder, log, hashes)
}

/// Every account and slot the canonical state was asked for, at most once each when
/// the cache holds everything (no bound reached); asked again without the cache.
#[test]
fn the_canonical_state_is_read_only_for_keys_not_held() {
    let (cached, _, log, _) = run(8, DEFAULT_STATE_CACHE_BYTES);
    let reads = log.lock().unwrap().clone();
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<_> = reads.iter().filter(|k| !seen.insert(**k)).collect();
    assert!(repeated.is_empty(), "read again although held: {repeated:?}");
    let stats = cached.state_cache_stats();
    assert_eq!(stats.misses(), reads.len() as u64, "every canonical read is a counted miss");
    assert!(stats.hits() > stats.misses(), "hits {} misses {}", stats.hits(), stats.misses());
    assert_eq!(stats.rolls(), 7);
    assert!(stats.bytes() > 0);

    let (uncached, _, log, _) = run(8, 0);
    let uncached_log = log.lock().unwrap().clone();
    assert_eq!(uncached.state_cache_stats().bytes(), 0);
    // Without the cache each block after a confirmed one reads its keys again.
    let mut seen = std::collections::HashSet::new();
    let again = uncached_log.iter().filter(|k| !seen.insert(**k)).count();
    assert!(again > 0 && uncached_log.len() == reads.len() + again, "{again}");
}

/// After rolling forward, what the executor serves for every account the blocks touched
/// equals the canonical state's answer at the newest block (the builder's state).
#[test]
fn a_cached_read_equals_the_canonical_answer() {
    let (executor, builder, log, _) = run(6, DEFAULT_STATE_CACHE_BYTES);
    assert!(executor.state_cache_stats().rolls() > 0);
    let truth = builder.state();
    let pending = executor.pending_state().unwrap();
    let before = log.lock().unwrap().len();
    let mut addresses: Vec<Address> = builder.dev_accounts();
    addresses.extend(log.lock().unwrap().iter().map(|(a, _)| *a));
    addresses.sort_unstable();
    addresses.dedup();
    for address in &addresses {
        let cached = pending.basic_ref(*address).unwrap();
        let canonical = truth.basic_ref(*address).unwrap();
        // An empty account is an absent one (EIP-161).
        let facts = |info: Option<AccountInfo>| {
            info.filter(|i| !i.is_empty()).map(|i| (i.balance, i.nonce, i.code_hash))
        };
        assert_eq!(facts(cached), facts(canonical), "{address}");
    }
    // Everything asked was held: the canonical state was not read again.
    assert_eq!(log.lock().unwrap().len(), before);
}

/// What rolled is dropped by a reorg and by a broken preconfirmation: a block on the
/// rolled block's hash then reads the canonical state again, and sees its answer (here
/// changed under the same hash, which a cache kept would not see).
#[test]
fn a_reorg_or_a_broken_preconfirmation_drops_the_rolled_state() {
    for how in ["reorg", "broken"] {
        let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
        let mut canonical = Counting::default();
        canonical.states.insert(GENESIS_HASH, builder.genesis());
        let b1 = builder.next_block(&plan());
        canonical.states.insert(hash(&b1), builder.state());
        let b2 = builder.next_block(&plan());
        canonical.states.insert(hash(&b2), builder.state());
        let at_b2 = builder.state();
        let (log, extra) = (Arc::clone(&canonical.log), Arc::clone(&canonical.extra));
        let mut executor = Executor::new(builder.config().clone(), canonical);
        feed(&mut executor, &b1);
        feed(&mut executor, &b2);
        executor.canonical(1, hash(&b1));
        let b3 = builder.next_block(&plan());
        feed(&mut executor, &b3[..1]);
        executor.canonical(2, hash(&b2));
        let stats = executor.state_cache_stats();
        assert_eq!((stats.rolls(), stats.drops()), (2, 0));
        assert!(stats.bytes() > 0);
        // A development account blocks 1-2 read (so the cache holds it) that block 3's
        // index 0 does not change.
        let rich = builder
            .dev_accounts()
            .into_iter()
            .find(|a| {
                log.lock().unwrap().contains(&(*a, None)) && b3[0].executed.account(a).is_none()
            })
            .unwrap();
        let held = executor.pending_state().unwrap().basic_ref(rich).unwrap().unwrap().balance;
        assert_eq!(held, at_b2.basic_ref(rich).unwrap().unwrap().balance);
        match how {
            "reorg" => {
                executor.reset();
            }
            // Block 3 (in progress) is not canonical.
            _ => {
                executor.canonical(3, B256::repeat_byte(0xbb));
            }
        }
        assert_eq!((stats.drops(), stats.bytes()), (1, 0), "{how}");
        // The upstream now answers otherwise at block 2's hash.
        let more = U256::from(1_000_000_007u64);
        extra.lock().unwrap().insert(hash(&b2), (rich, more));
        let fb = b3[0].json_stripped();
        let execution = executor.execute(&fb, true).unwrap();
        assert_eq!(execution.proof(), Ok(()), "{how}");
        executor.commit(execution);
        let now = executor.pending_state().unwrap().basic_ref(rich).unwrap().unwrap().balance;
        assert_eq!(now, held + more, "{how}: block 3 executed on the dropped cache");
    }
}

/// A small bound holds block after block (the oldest chunks go), and execution stays
/// right (every flashblock proved equal to the builder's facts).
#[test]
fn the_bound_holds() {
    let bound = 24 << 10;
    let (executor, _, _, _) = run(12, bound);
    let stats = executor.state_cache_stats();
    assert!(stats.bytes() > 0 && stats.bytes() <= bound as u64, "{} > {bound}", stats.bytes());
    assert_eq!(stats.rolls(), 11);
}

/// A head confirming the block still in progress (its next block not started) keeps
/// what rolled: nothing is dropped, the next blocks execute right and roll on.
#[test]
fn a_head_confirming_the_block_in_progress_keeps_the_rolled_state() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut canonical = Counting::default();
    canonical.states.insert(GENESIS_HASH, builder.genesis());
    let blocks: Vec<Vec<BuiltFlashblock>> = (0..4)
        .map(|_| {
            let block = builder.next_block(&plan());
            canonical.states.insert(hash(&block), builder.state());
            block
        })
        .collect();
    let mut executor = Executor::new(builder.config().clone(), canonical);
    let stats = executor.state_cache_stats();
    feed(&mut executor, &blocks[0]);
    feed(&mut executor, &blocks[1]);
    executor.canonical(1, hash(&blocks[0]));
    assert_eq!((stats.rolls(), stats.drops()), (1, 0));
    // Block 2 is complete but still the block in progress when the head confirms it.
    executor.canonical(2, hash(&blocks[1]));
    assert_eq!((stats.rolls(), stats.drops()), (1, 0));
    assert!(stats.bytes() > 0);
    feed(&mut executor, &blocks[2]);
    feed(&mut executor, &blocks[3]);
    executor.canonical(3, hash(&blocks[2]));
    assert_eq!(stats.drops(), 0);
    assert!(stats.rolls() >= 2);
}
