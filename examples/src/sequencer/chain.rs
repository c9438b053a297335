//! [`Chain`]: the sequencer's chain, synchronous and clock-free: a mempool of submitted
//! transactions, the block being built (one flashblock per [`Chain::tick`], executed
//! with `flashblocks-execute`'s EVM), and the sealed (canonical) blocks with the state
//! after each ([`History`]).

use super::{history::SharedHistory, mempool::Mempool, trie::StateTrie};
use alloy_consensus::{transaction::SignerRecoverable, Header, Transaction as _};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{keccak256, map::HashSet, Address, Bytes, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use flashblocks_assemble::{rebuild_header, TransactionTrie};
use flashblocks_execute::{
    builder::{
        apply_executed, l1_info_deposit, post_exec_tx, sdm_refund, ExecutingBuilder, BASE_FEE,
        DEV_KEYS, L1_BLOCK, SEQUENCER_FEE_VAULT,
    },
    ChainConfig, ExecuteError, Execution, Executor, InMemoryAccount, PendingSnapshot,
};
use flashblocks_types::{
    ChainMaker, CumulativeResults, ExecutedReceipt, ExecutionPayloadStaticV1, Flashblock,
    FlashblockJson, FlashblockStep, JsonDiff, PayloadId, SealedFlashblock,
};
use op_alloy_consensus::{OpReceipt, OpTxEnvelope, SDMGasEntry};
use std::{collections::BTreeMap, sync::Arc};

pub use super::{block::SealedBlock, history::StateAt};
pub use flashblocks_execute::builder::CHAIN_ID;

/// The hardfork the sequencer's chain runs (every fork up to it active from genesis):
/// Isthmus, the newest whose flashblocks the V1 (SSZ) form can carry.
pub const HARDFORK: alloy_op_hardforks::OpHardfork = alloy_op_hardforks::OpHardfork::Isthmus;

/// Every block's gas limit by default: 150 M, Base's order of magnitude, room for
/// 1,000 transactions a second of transfers and contract calls in 1 to 2 s blocks.
pub const DEFAULT_GAS_LIMIT: u64 = 150_000_000;

/// The shape of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSettings {
    /// The fewest flashblocks in a block (index 0 included), at least 1.
    pub flashblocks_min: u64,
    /// The most flashblocks in a block; block `n` has `min + n % (max - min + 1)`.
    pub flashblocks_max: u64,
    /// The most submitted transactions one flashblock takes.
    pub max_transactions_per_flashblock: usize,
    /// The most transactions waiting.
    pub max_mempool: usize,
    /// The sealed blocks kept (older ones answer "not found").
    pub kept_blocks: usize,
    /// Every block's gas limit.
    pub gas_limit: u64,
    /// Lagoon's activation time: each block from it carries a post-exec transaction
    /// whose SDM entries refund the user transactions the test policy
    /// ([`sdm_refund`]) names, restated by each flashblock that adds an entry
    /// (`diff.post_exec_tx`), settled by the chain's execution, and sealed last in
    /// the block.
    pub lagoon_time: Option<u64>,
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self {
            flashblocks_min: 5,
            flashblocks_max: 10,
            max_transactions_per_flashblock: 2_000,
            max_mempool: 16_384,
            kept_blocks: 1024,
            gas_limit: DEFAULT_GAS_LIMIT,
            lagoon_time: None,
        }
    }
}

/// Why a submitted transaction was refused (what `eth_sendRawTransaction` answers).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// The bytes are not an EIP-2718 transaction.
    #[error("transaction does not decode: {0}")]
    Undecodable(String),
    /// A deposit: only the sequencer makes those.
    #[error("deposit transactions cannot be submitted")]
    Deposit,
    /// The signature does not recover a sender.
    #[error("invalid sender")]
    InvalidSender,
    /// Signed for another chain.
    #[error("invalid chain id {0} (the chain is {CHAIN_ID})")]
    ChainId(u64),
    /// The nonce is below the sender's pending nonce.
    #[error("nonce too low: next nonce {expected}, tx nonce {got}")]
    NonceTooLow {
        /// The sender's pending nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// Already waiting or included.
    #[error("already known")]
    AlreadyKnown,
    /// Another transaction of the sender with the same nonce waits (geth's words).
    #[error("replacement transaction underpriced")]
    NonceTaken,
    /// The transaction's gas limit is above the block's.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// The mempool is full.
    #[error("txpool is full")]
    MempoolFull,
}

/// A submitted transaction, decoded and its sender recovered ([`Chain::prepare`]),
/// before the chain admits it ([`Chain::admit`]).
#[derive(Clone, Debug)]
pub struct Submitted {
    pub(crate) hash: B256,
    pub(crate) raw: Bytes,
    pub(crate) from: Address,
    pub(crate) nonce: u64,
    pub(crate) gas_limit: u64,
}

impl Submitted {
    /// The transaction's hash.
    pub const fn hash(&self) -> B256 {
        self.hash
    }
}

/// One flashblock the chain made, in the forms the stream sends.
#[derive(Clone, Debug)]
pub struct Emitted {
    /// The V1 form (SSZ), with the executed metadata (accounts and per-transaction
    /// facts).
    pub v1: SealedFlashblock,
    /// The JSON form, with the executed balances and receipts.
    pub json: FlashblockJson,
    /// The block this flashblock completed, now canonical.
    pub sealed: Option<Arc<SealedBlock>>,
}

/// The block being built.
#[derive(Debug)]
struct Building {
    base: ExecutionPayloadStaticV1,
    maker: ChainMaker,
    flashblocks: u64,
    tx_trie: TransactionTrie,
    transactions: Vec<(B256, Bytes)>,
    receipts: Vec<ExecutedReceipt>,
    /// The accounts its flashblocks changed.
    touched: HashSet<Address>,
    gas_used: u64,
    /// Lagoon is active for it.
    lagoon: bool,
    /// Its SDM entries so far.
    entries: Vec<SDMGasEntry>,
    /// Its latest post-exec transaction.
    post_exec: Option<Bytes>,
}

impl Building {
    /// The SDM entries a flashblock of `count` transactions after the block's adds
    /// (none before Lagoon or at index 0).
    fn new_entries(&self, count: usize) -> Vec<SDMGasEntry> {
        if !self.lagoon || self.maker.next_index() == 0 {
            return Vec::new();
        }
        let first = self.transactions.len() as u64;
        (first..first + count as u64)
            .filter_map(|i| sdm_refund(i).map(|gas_refund| SDMGasEntry { index: i, gas_refund }))
            .collect()
    }

    /// The post-exec transaction a flashblock of `count` transactions restates: the
    /// block's entries and its new ones, `None` when it adds none.
    fn restated(&self, count: usize) -> Option<Bytes> {
        let new = self.new_entries(count);
        (!new.is_empty()).then(|| {
            let entries = self.entries.iter().cloned().chain(new).collect();
            post_exec_tx(self.base.block_number, entries)
        })
    }
}

/// The sequencer's chain, synchronous and clock-free: a mempool of submitted
/// transactions, the block being built (one flashblock per [`tick`](Self::tick),
/// executed with `flashblocks-execute`'s EVM), and the sealed (canonical) blocks kept
/// with the state after each ([`SharedHistory`], which readers share).
#[derive(Debug)]
pub struct Chain {
    settings: ChainSettings,
    executor: Executor<SharedHistory>,
    history: SharedHistory,
    /// Every account after the newest flashblock.
    world: BTreeMap<Address, InMemoryAccount>,
    /// The state root over `world`, kept up to date.
    trie: StateTrie,
    building: Option<Building>,
    mempool: Mempool,
    payloads: u64,
    reorgs: u64,
}

impl Chain {
    /// A chain at its genesis (the executing builder's: the development accounts with
    /// 10 000 ether each and the stand-in `L1Block` predeploy), sealed at `timestamp`.
    pub fn new(settings: ChainSettings, timestamp: u64) -> Self {
        let builder = ExecutingBuilder::new(HARDFORK);
        let world = genesis_accounts(&builder);
        let mut trie = StateTrie::default();
        for (address, account) in &world {
            trie.update(*address, account);
        }
        let history = SharedHistory::default();
        let config = ChainConfig::dev(CHAIN_ID, HARDFORK).with_lagoon_time(settings.lagoon_time);
        let executor = Executor::new(config, history.clone()).with_max_block_gas_limit(
            settings.gas_limit.max(flashblocks_execute::DEFAULT_MAX_BLOCK_GAS_LIMIT),
        );
        let base = ExecutionPayloadStaticV1 {
            parent_beacon_block_root: B256::ZERO,
            parent_hash: B256::ZERO,
            fee_recipient: SEQUENCER_FEE_VAULT,
            prev_randao: B256::ZERO,
            block_number: 0,
            gas_limit: settings.gas_limit,
            timestamp,
            extra_data: Bytes::new(),
            base_fee_per_gas: U256::from(BASE_FEE),
        };
        let results = CumulativeResults {
            state_root: trie.root(),
            receipts_root: EMPTY_ROOT_HASH,
            withdrawals_root: EMPTY_ROOT_HASH,
            ..Default::default()
        };
        let header = rebuild_header(&base, &results, None, EMPTY_ROOT_HASH).unwrap_or_default();
        let touched = world.keys().copied().collect();
        let mut chain = Self {
            settings,
            executor,
            history,
            world,
            trie,
            building: None,
            mempool: Mempool::default(),
            payloads: 0,
            reorgs: 0,
        };
        chain.seal(header, base, Vec::new(), Vec::new(), touched);
        chain
    }

    /// The sealed blocks and their states, as readers share them.
    pub const fn history(&self) -> &SharedHistory {
        &self.history
    }

    /// The chain's shape.
    pub const fn settings(&self) -> &ChainSettings {
        &self.settings
    }

    /// The newest sealed block (the canonical head).
    pub fn head(&self) -> Arc<SealedBlock> {
        // Never empty: genesis is sealed at construction and a reorg replaces, never
        // removes, the head.
        self.history.read().head().cloned().unwrap_or_else(unreachable_head)
    }

    /// A kept sealed block by number.
    pub fn block_by_number(&self, number: u64) -> Option<Arc<SealedBlock>> {
        self.history.read().by_number(number).cloned()
    }

    /// A kept sealed block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<Arc<SealedBlock>> {
        self.history.read().by_hash(hash).cloned()
    }

    /// The oldest kept sealed block.
    pub fn oldest(&self) -> Arc<SealedBlock> {
        self.history.read().oldest().cloned().unwrap_or_else(unreachable_head)
    }

    /// A sealed transaction: its block and index.
    pub fn transaction(&self, hash: &B256) -> Option<(Arc<SealedBlock>, usize)> {
        self.history.read().transaction(hash)
    }

    /// An account after the newest flashblock (the sequencer's own pending state).
    pub fn pending_account(&self, address: &Address) -> InMemoryAccount {
        self.world.get(address).cloned().unwrap_or_default()
    }

    /// An account after the kept sealed block `number` (the empty account when absent).
    pub fn account_at(&self, number: u64, address: &Address) -> InMemoryAccount {
        self.history.read().account(number, address)
    }

    /// The pending state after the newest flashblock of the block being built (`None`
    /// between blocks: then the head's state is the pending one).
    pub fn pending_snapshot(&self) -> Option<PendingSnapshot<StateAt>> {
        self.executor.pending_snapshot()
    }

    /// The accounts in the state trie.
    pub const fn accounts(&self) -> usize {
        self.trie.len()
    }

    /// The state root over every account, computed from scratch (what the incremental
    /// root must equal).
    pub fn state_root_slow(&self) -> B256 {
        flashblocks_execute::builder::state_root(&self.world)
    }

    /// The transactions waiting.
    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    /// How many reorgs [`reorg`](Self::reorg) made.
    pub const fn reorgs(&self) -> u64 {
        self.reorgs
    }

    /// Decodes a signed transaction and recovers its sender: what [`admit`](Self::admit)
    /// needs, checked without the chain (so a server does it off the chain's owner).
    ///
    /// # Errors
    ///
    /// [`SubmitError`] when it does not decode, is a deposit, has no valid signature or
    /// another chain id.
    pub fn prepare(raw: Bytes) -> Result<Submitted, SubmitError> {
        let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref())
            .map_err(|e| SubmitError::Undecodable(e.to_string()))?;
        if envelope.is_deposit() {
            return Err(SubmitError::Deposit);
        }
        if let Some(id) = envelope.chain_id().filter(|&id| id != CHAIN_ID) {
            return Err(SubmitError::ChainId(id));
        }
        let from = envelope.recover_signer().map_err(|_| SubmitError::InvalidSender)?;
        let hash = keccak256(&raw);
        Ok(Submitted { hash, raw, from, nonce: envelope.nonce(), gas_limit: envelope.gas_limit() })
    }

    /// Takes a prepared transaction into the mempool: it goes into the next flashblock
    /// after index 0 that can execute it (one whose nonce is still ahead waits; one
    /// that cannot execute is dropped). Returns its hash.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] for a used nonce, a nonce another waiting transaction holds, a gas
    /// limit above the block's, a transaction already known, or a full mempool.
    pub fn admit(&mut self, tx: Submitted) -> Result<B256, SubmitError> {
        let expected = self.pending_account(&tx.from).nonce;
        if tx.nonce < expected {
            return Err(SubmitError::NonceTooLow { expected, got: tx.nonce });
        }
        if tx.gas_limit > self.settings.gas_limit {
            return Err(SubmitError::GasLimit);
        }
        let hash = tx.hash;
        // One in the block being built has a nonce below the pending one (refused above).
        if self.history.read().includes(&hash) {
            return Err(SubmitError::AlreadyKnown);
        }
        self.mempool.insert(tx, self.settings.max_mempool)?;
        Ok(hash)
    }

    /// [`prepare`](Self::prepare) then [`admit`](Self::admit).
    ///
    /// # Errors
    ///
    /// As those.
    pub fn submit(&mut self, raw: Bytes) -> Result<B256, SubmitError> {
        self.admit(Self::prepare(raw)?)
    }

    /// Makes the next flashblock, `timestamp` (seconds) being the time now: index 0 of
    /// a new block (the L1-info deposit) when none is being built, else the next index
    /// with what the mempool holds (by sender and nonce, within the block's gas left);
    /// the block's last flashblock seals it (it becomes the canonical head).
    ///
    /// # Errors
    ///
    /// [`ExecuteError`] when index 0 does not execute (a bug).
    pub fn tick(&mut self, timestamp: u64) -> Result<Emitted, ExecuteError> {
        let starts = self.building.is_none();
        if starts {
            self.start_block(timestamp);
        }
        let Some(building) = self.building.as_ref() else { unreachable!("a block is being built") };
        let index = building.maker.next_index();
        let payload_id = building.maker.payload_id();
        let base = building.base.clone();
        let candidate = |building: &Building, transactions: &[Bytes]| {
            let post_exec_tx = building.restated(transactions.len());
            Flashblock::from_json(FlashblockJson {
                payload_id,
                index,
                base: starts.then(|| base.clone()),
                diff: JsonDiff {
                    transactions: transactions.to_vec(),
                    post_exec_tx,
                    ..Default::default()
                },
                metadata: Default::default(),
                target_index: None,
            })
        };
        let (transactions, execution) = if starts {
            let txs = vec![l1_info_deposit(base.block_number)];
            let execution = self.executor.execute(&candidate(building, &txs), true)?;
            (txs, execution)
        } else {
            let gas_left = base.gas_limit.saturating_sub(building.gas_used);
            let world = &self.world;
            let mut picked = self.mempool.take(
                |a| world.get(a).map_or(0, |acc| acc.nonce),
                self.settings.max_transactions_per_flashblock,
                gas_left,
            );
            self.execute_picked(&mut picked, &candidate)?
        };
        Ok(self.commit(transactions, execution))
    }

    /// Executes the picked transactions as one flashblock; a transaction the EVM
    /// rejects is dropped and its sender's later ones go back to the mempool, and the
    /// rest is tried again (at most once per picked transaction).
    fn execute_picked(
        &mut self,
        picked: &mut Vec<Submitted>,
        candidate: &impl Fn(&Building, &[Bytes]) -> Flashblock,
    ) -> Result<(Vec<Bytes>, Execution<StateAt>), ExecuteError> {
        loop {
            let raws: Vec<Bytes> = picked.iter().map(|w| w.raw.clone()).collect();
            let Some(building) = self.building.as_ref() else {
                unreachable!("a block is being built")
            };
            match self.executor.execute(&candidate(building, &raws), false) {
                Ok(execution) => return Ok((raws, execution)),
                Err(ExecuteError::TransactionRejected { index, rejection, .. })
                    if index < picked.len() =>
                {
                    let bad = picked.remove(index);
                    tracing::info!(hash = %bad.hash, %rejection, "dropped a transaction that does not execute");
                    let (mut later, mut kept) = (Vec::new(), Vec::with_capacity(picked.len()));
                    for (i, w) in std::mem::take(picked).into_iter().enumerate() {
                        if i >= index && w.from == bad.from {
                            later.push(w);
                        } else {
                            kept.push(w);
                        }
                    }
                    *picked = kept;
                    self.mempool.put_back(later);
                }
                Err(err) => {
                    self.mempool.put_back(std::mem::take(picked));
                    return Err(err);
                }
            }
        }
    }

    /// Takes an executed flashblock into the block being built (and seals the block at
    /// its last flashblock).
    fn commit(&mut self, transactions: Vec<Bytes>, execution: Execution<StateAt>) -> Emitted {
        let Some(building) = self.building.as_mut() else { unreachable!("a block is being built") };
        let executed = Arc::clone(execution.metadata());
        apply_executed(&mut self.world, &executed);
        let empty = InMemoryAccount::default();
        for a in &executed.accounts {
            building.touched.insert(a.address);
            self.trie.update(a.address, self.world.get(&a.address).unwrap_or(&empty));
        }
        // What this flashblock restates (as its candidate did), before the block takes it.
        let post_exec = building.restated(transactions.len());
        let new = building.new_entries(transactions.len());
        building.entries.extend(new);
        if post_exec.is_some() {
            building.post_exec.clone_from(&post_exec);
        }
        let (mut tx_root, groups) = building.tx_trie.root_with(&transactions);
        if let Some(last) = &building.post_exec {
            // Sealed now, the block would end with its post-exec transaction.
            let sealed: Vec<Bytes> = transactions.iter().cloned().chain([last.clone()]).collect();
            tx_root = building.tx_trie.root_with(&sealed).0;
        }
        building.tx_trie.commit(transactions.iter().cloned(), groups);
        let mut results = CumulativeResults {
            state_root: self.trie.root(),
            receipts_root: execution.receipts_root(),
            logs_bloom: execution.logs_bloom(),
            gas_used: execution.gas_used(),
            block_hash: B256::ZERO,
            withdrawals_root: EMPTY_ROOT_HASH,
        };
        let header = rebuild_header(&building.base, &results, None, tx_root).unwrap_or_default();
        results.block_hash = header.hash_slow();
        building.gas_used = execution.gas_used();
        self.executor.commit(execution);
        building.transactions.extend(transactions.iter().map(|raw| (keccak256(raw), raw.clone())));
        building.receipts.extend(executed.receipts.iter().cloned());
        let step = FlashblockStep {
            transactions,
            withdrawals: Vec::new(),
            results,
            metadata: executed.to_v1(),
        };
        let v1 = building.maker.push(step);
        let inner = v1.inner();
        let json = FlashblockJson {
            payload_id: inner.payload_id,
            index: inner.index,
            base: inner.base.clone(),
            diff: JsonDiff {
                post_exec_tx: post_exec,
                ..JsonDiff::from_parts(inner.diff.clone(), None)
            },
            metadata: executed.to_json(),
            target_index: None,
        };
        let mut sealed = None;
        if building.maker.next_index() >= building.flashblocks {
            if let Some(mut b) = self.building.take() {
                self.executor.drop_current();
                if let Some(raw) = b.post_exec.take() {
                    // The block ends with its post-exec transaction (post-exec.md,
                    // "Receipt": status 1, no logs, the cumulative gas before it).
                    let receipt = ExecutedReceipt {
                        transaction_hash: keccak256(&raw),
                        receipt: OpReceipt::PostExec(alloy_consensus::Receipt {
                            status: alloy_consensus::Eip658Value::Eip658(true),
                            cumulative_gas_used: b.gas_used,
                            logs: Vec::new(),
                        }),
                        gas_used: 0,
                        contract_address: None,
                        l1_block_info: Default::default(),
                        blob_gas_used: None,
                        op_gas_refund: None,
                    };
                    b.transactions.push((keccak256(&raw), raw));
                    b.receipts.push(receipt);
                }
                sealed = Some(self.seal(header, b.base, b.transactions, b.receipts, b.touched));
            }
        }
        Emitted { v1, json, sealed }
    }

    /// Replaces the canonical head (a reorg of the unsafe chain, as the L2 node would
    /// report it): the block being built is abandoned, the head is removed, its
    /// submitted transactions and the abandoned block's go back to the mempool, and a
    /// new block at the head's height (the L1-info deposit only, other `extra_data`)
    /// is sealed in its place without being streamed. Returns the removed head and its
    /// replacement; genesis is never replaced (`None`).
    pub fn reorg(&mut self) -> Option<(Arc<SealedBlock>, Arc<SealedBlock>)> {
        let parent = self.block_by_number(self.head().number().checked_sub(1)?)?;
        let removed = self.history.write().pop_head()?;
        let abandoned = self.building.take();
        self.executor.reset();
        // Back to the mempool, in order: the head's user transactions, then the
        // abandoned block's.
        let mut back: Vec<Bytes> = removed
            .transactions
            .iter()
            .chain(abandoned.iter().flat_map(|b| b.transactions.iter()))
            .map(|(_, raw)| raw.clone())
            .collect();
        // Deposits and the post-exec transaction are the sequencer's own.
        back.retain(|raw| raw.first().is_none_or(|&t| t != 0x7e && t != 0x7d));
        // The pending state back to the parent's.
        let touched: HashSet<Address> = removed
            .changed
            .iter()
            .copied()
            .chain(abandoned.iter().flat_map(|b| b.touched.iter().copied()))
            .collect();
        for address in touched {
            let version = self.history.read().version(parent.number(), &address).cloned();
            match version {
                Some(v) => {
                    self.trie.update(address, &v.account);
                    self.world.insert(address, v.account.clone());
                }
                None => {
                    self.trie.update(address, &InMemoryAccount::default());
                    self.world.remove(&address);
                }
            }
        }
        let waiting = self.mempool.drain();
        for raw in back {
            let _ = self.submit(raw);
        }
        self.mempool.put_back(waiting);
        self.reorgs += 1;
        // The replacement: index 0 only, sealed at once.
        let settings = self.settings.clone();
        self.settings.flashblocks_min = 1;
        self.settings.flashblocks_max = 1;
        let timestamp = removed.header.timestamp;
        let result = self.tick(timestamp).ok().and_then(|e| e.sealed);
        self.settings = settings;
        Some((removed, result?))
    }

    fn start_block(&mut self, now: u64) {
        let head = self.head();
        let number = head.number() + 1;
        let timestamp = now.max(head.header.timestamp + 1);
        let s = &self.settings;
        let min = s.flashblocks_min.max(1);
        let span = s.flashblocks_max.max(min) - min + 1;
        let flashblocks = min + number % span;
        self.payloads += 1;
        let mut extra_data = Vec::new();
        if self.reorgs > 0 {
            extra_data.extend_from_slice(b"reorg ");
            extra_data.extend_from_slice(&self.reorgs.to_be_bytes());
        }
        let base = ExecutionPayloadStaticV1 {
            parent_beacon_block_root: keccak256(number.to_be_bytes()),
            parent_hash: head.hash,
            fee_recipient: SEQUENCER_FEE_VAULT,
            prev_randao: keccak256([head.hash.as_slice(), &number.to_be_bytes()].concat()),
            block_number: number,
            gas_limit: s.gas_limit,
            timestamp,
            extra_data: Bytes::from(extra_data),
            base_fee_per_gas: U256::from(BASE_FEE),
        };
        let payload_id = PayloadId::new(self.payloads.to_be_bytes());
        self.building = Some(Building {
            maker: ChainMaker::new(payload_id, base.clone()),
            base,
            flashblocks,
            tx_trie: TransactionTrie::default(),
            transactions: Vec::new(),
            receipts: Vec::new(),
            touched: HashSet::default(),
            gas_used: 0,
            lagoon: s.lagoon_time.is_some_and(|lagoon| timestamp >= lagoon),
            entries: Vec::new(),
            post_exec: None,
        });
    }

    /// Seals a block: it becomes the head, the post-state of what it changed its state.
    fn seal(
        &mut self,
        header: Header,
        base: ExecutionPayloadStaticV1,
        transactions: Vec<(B256, Bytes)>,
        receipts: Vec<ExecutedReceipt>,
        touched: HashSet<Address>,
    ) -> Arc<SealedBlock> {
        let hash = header.hash_slow();
        let mut changed: Vec<Address> = touched.into_iter().collect();
        changed.sort_unstable();
        let accounts: Vec<(Address, InMemoryAccount)> =
            changed.iter().map(|a| (*a, self.pending_account(a))).collect();
        let block = Arc::new(SealedBlock { hash, header, transactions, receipts, base, changed });
        self.history.write().push(Arc::clone(&block), accounts, self.settings.kept_blocks);
        block
    }
}

#[cold]
fn unreachable_head() -> Arc<SealedBlock> {
    unreachable!("the chain always holds its head")
}

/// The executing builder's genesis accounts: the development accounts and the stand-in
/// `L1Block` predeploy, whose slots (all below 16) are read back from its state.
fn genesis_accounts(builder: &ExecutingBuilder) -> BTreeMap<Address, InMemoryAccount> {
    use revm::DatabaseRef;
    let genesis = builder.genesis();
    let mut accounts = BTreeMap::new();
    let addresses = builder.dev_accounts().into_iter().chain([L1_BLOCK]);
    for address in addresses {
        let Ok(Some(info)) = genesis.basic_ref(address) else { continue };
        let code = info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
        let storage = (0..16u64)
            .filter_map(|slot| {
                let value = genesis.storage_ref(address, U256::from(slot)).ok()?;
                (!value.is_zero()).then_some((U256::from(slot), value))
            })
            .collect();
        accounts.insert(
            address,
            InMemoryAccount { balance: info.balance, nonce: info.nonce, code, storage },
        );
    }
    debug_assert_eq!(DEV_KEYS.len() + 1, accounts.len());
    accounts
}
