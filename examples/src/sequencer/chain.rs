//! [`Chain`]: the sequencer's chain, synchronous and clock-free: a mempool of submitted
//! transactions, the block being built (one flashblock per [`Chain::tick`], executed
//! with `flashblocks-execute`'s EVM), and the sealed (canonical) blocks with their state.

use alloy_consensus::{
    transaction::SignerRecoverable, Eip658Value, Header, Receipt, ReceiptWithBloom,
    Transaction as _, TxReceipt as _,
};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{keccak256, logs_bloom, map::HashMap, Address, Bytes, B256, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use flashblocks_assemble::{rebuild_header, TransactionTrie};
use flashblocks_execute::{
    builder::{
        apply_executed, l1_info_deposit, state_root, ExecutingBuilder, BASE_FEE, DEV_KEYS,
        GAS_LIMIT, L1_BLOCK, SEQUENCER_FEE_VAULT,
    },
    CanonicalStates, ChainConfig, Executor, InMemoryAccount, InMemoryState,
};
use flashblocks_types::{
    ChainMaker, CumulativeResults, ExecutedReceipt, ExecutionPayloadStaticV1, Flashblock,
    FlashblockJson, FlashblockStep, JsonDiff, PayloadId, SealedFlashblock,
};
use op_alloy_consensus::{OpDepositReceipt, OpReceipt, OpTxEnvelope};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, RwLock},
};

pub use flashblocks_execute::builder::CHAIN_ID;

/// The hardfork the sequencer's chain runs (every fork up to it active from genesis):
/// Isthmus, the newest whose flashblocks the V1 (SSZ) form can carry.
pub const HARDFORK: alloy_op_hardforks::OpHardfork = alloy_op_hardforks::OpHardfork::Isthmus;

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
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self {
            flashblocks_min: 5,
            flashblocks_max: 10,
            max_transactions_per_flashblock: 256,
            max_mempool: 4096,
            kept_blocks: 1024,
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
    /// The mempool is full.
    #[error("txpool is full")]
    MempoolFull,
}

/// A sealed (canonical) block: its header, transactions, receipts and the state after it.
#[derive(Debug)]
pub struct SealedBlock {
    /// Its hash (the header's).
    pub hash: B256,
    /// Its header.
    pub header: Header,
    /// Its transactions: hash and EIP-2718 bytes.
    pub transactions: Vec<(B256, Bytes)>,
    /// One receipt per transaction.
    pub receipts: Vec<ExecutedReceipt>,
    /// Every account after the block.
    pub accounts: Arc<BTreeMap<Address, InMemoryAccount>>,
}

impl SealedBlock {
    /// Its number.
    pub const fn number(&self) -> u64 {
        self.header.number
    }

    /// An account after the block (the default, empty account when absent).
    pub fn account(&self, address: &Address) -> InMemoryAccount {
        self.accounts.get(address).cloned().unwrap_or_default()
    }

    /// The block as `eth_getBlockByNumber` returns it (transactions as hashes, or in
    /// full with their recovered senders).
    pub fn rpc_block(&self, full: bool) -> alloy_rpc_types_eth::Block<Transaction> {
        use alloy_rpc_types_eth::BlockTransactions;
        let transactions = if full {
            BlockTransactions::Full(
                (0..self.transactions.len()).filter_map(|i| self.rpc_transaction(i)).collect(),
            )
        } else {
            BlockTransactions::Hashes(self.transactions.iter().map(|(hash, _)| *hash).collect())
        };
        alloy_rpc_types_eth::Block {
            header: alloy_rpc_types_eth::Header {
                hash: self.hash,
                inner: self.header.clone(),
                total_difficulty: Some(U256::ZERO),
                size: None,
            },
            uncles: Vec::new(),
            transactions,
            withdrawals: Some(Default::default()),
        }
    }

    /// Transaction `index` as `eth_getTransactionByHash` returns it.
    pub fn rpc_transaction(&self, index: usize) -> Option<Transaction> {
        use alloy_consensus::transaction::TransactionInfo;
        use op_alloy_consensus::transaction::{OpDepositInfo, OpTransactionInfo};
        let (hash, raw) = self.transactions.get(index)?;
        let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
        let signer = match &envelope {
            OpTxEnvelope::Deposit(d) => d.from,
            other => other.recover_signer().ok()?,
        };
        let receipt = self.receipts.get(index)?;
        let deposit = match &receipt.receipt {
            OpReceipt::Deposit(d) => OpDepositInfo {
                deposit_nonce: d.deposit_nonce,
                deposit_receipt_version: d.deposit_receipt_version,
            },
            _ => OpDepositInfo::default(),
        };
        let info = TransactionInfo {
            hash: Some(*hash),
            index: Some(index as u64),
            block_hash: Some(self.hash),
            block_number: Some(self.header.number),
            base_fee: self.header.base_fee_per_gas,
            block_timestamp: Some(self.header.timestamp),
        };
        let recovered = alloy_consensus::transaction::Recovered::new_unchecked(envelope, signer);
        Some(Transaction::from_transaction(recovered, OpTransactionInfo::new(info, deposit)))
    }

    /// The receipt of transaction `index` as `eth_getTransactionReceipt` returns it
    /// (with the L1 fee fields execution computed).
    pub fn rpc_receipt(&self, index: usize) -> Option<OpTransactionReceipt> {
        let (hash, raw) = self.transactions.get(index)?;
        let executed = self.receipts.get(index)?;
        let envelope = OpTxEnvelope::decode_2718(&mut raw.as_ref()).ok()?;
        let from = match &envelope {
            OpTxEnvelope::Deposit(d) => d.from,
            other => other.recover_signer().ok()?,
        };
        let first_log_index: usize =
            self.receipts.iter().take(index).map(|r| r.receipt.logs().len()).sum();
        let logs: Vec<alloy_rpc_types_eth::Log> = executed
            .receipt
            .logs()
            .iter()
            .enumerate()
            .map(|(i, log)| alloy_rpc_types_eth::Log {
                inner: log.clone(),
                block_hash: Some(self.hash),
                block_number: Some(self.header.number),
                block_timestamp: Some(self.header.timestamp),
                transaction_hash: Some(*hash),
                transaction_index: Some(index as u64),
                log_index: Some((first_log_index + i) as u64),
                removed: false,
            })
            .collect();
        let bloom = logs_bloom(logs.iter().map(|l| &l.inner));
        let receipt = Receipt {
            status: Eip658Value::Eip658(executed.status()),
            cumulative_gas_used: executed.cumulative_gas_used(),
            logs,
        };
        let inner = match &executed.receipt {
            OpReceipt::Legacy(_) => OpReceipt::Legacy(receipt),
            OpReceipt::Eip2930(_) => OpReceipt::Eip2930(receipt),
            OpReceipt::Eip1559(_) => OpReceipt::Eip1559(receipt),
            OpReceipt::Eip7702(_) => OpReceipt::Eip7702(receipt),
            OpReceipt::PostExec(_) => OpReceipt::PostExec(receipt),
            OpReceipt::Deposit(d) => OpReceipt::Deposit(OpDepositReceipt {
                inner: receipt,
                deposit_nonce: d.deposit_nonce,
                deposit_receipt_version: d.deposit_receipt_version,
            }),
        };
        let effective_gas_price = if envelope.is_deposit() {
            0
        } else {
            envelope.effective_gas_price(self.header.base_fee_per_gas)
        };
        Some(OpTransactionReceipt {
            inner: alloy_rpc_types_eth::TransactionReceipt {
                inner: ReceiptWithBloom { receipt: inner, logs_bloom: bloom },
                transaction_hash: *hash,
                transaction_index: Some(index as u64),
                block_hash: Some(self.hash),
                block_number: Some(self.header.number),
                gas_used: executed.gas_used,
                effective_gas_price,
                blob_gas_used: executed.blob_gas_used,
                blob_gas_price: None,
                from,
                to: envelope.to(),
                contract_address: executed.contract_address,
            },
            l1_block_info: executed.l1_block_info,
            op_gas_refund: None,
        })
    }
}

/// The states after the sealed blocks, by hash: what index 0 of a block executes on.
#[derive(Clone, Debug, Default)]
struct SealedStates(Arc<RwLock<HashMap<B256, InMemoryState>>>);

impl SealedStates {
    fn insert(&self, hash: B256, state: InMemoryState) {
        if let Ok(mut states) = self.0.write() {
            states.insert(hash, state);
        }
    }

    fn remove(&self, hash: &B256) {
        if let Ok(mut states) = self.0.write() {
            states.remove(hash);
        }
    }
}

impl CanonicalStates for SealedStates {
    type State = InMemoryState;

    fn state_at(&self, block_hash: B256) -> Option<InMemoryState> {
        self.0.read().ok()?.get(&block_hash).cloned()
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

/// A transaction waiting for a flashblock.
#[derive(Clone, Debug)]
struct Waiting {
    hash: B256,
    raw: Bytes,
    from: Address,
    nonce: u64,
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
}

/// The sequencer's chain, synchronous and clock-free: a mempool of submitted
/// transactions, the block being built (one flashblock per [`tick`](Self::tick),
/// executed with `flashblocks-execute`'s EVM), and the sealed (canonical) blocks kept
/// with the state after each.
#[derive(Debug)]
pub struct Chain {
    settings: ChainSettings,
    executor: Executor<SealedStates>,
    states: SealedStates,
    /// Every account after the newest flashblock.
    world: BTreeMap<Address, InMemoryAccount>,
    /// The sealed blocks kept, oldest first (the head last).
    sealed: VecDeque<Arc<SealedBlock>>,
    by_hash: HashMap<B256, u64>,
    /// Transaction hash → (block number, index), sealed blocks only.
    included: HashMap<B256, (u64, usize)>,
    building: Option<Building>,
    mempool: VecDeque<Waiting>,
    payloads: u64,
    reorgs: u64,
}

impl Chain {
    /// A chain at its genesis (the executing builder's: the development accounts with
    /// 10 000 ether each and the stand-in `L1Block` predeploy), sealed at `timestamp`.
    pub fn new(settings: ChainSettings, timestamp: u64) -> Self {
        let builder = ExecutingBuilder::new(HARDFORK);
        let world = genesis_accounts(&builder);
        let states = SealedStates::default();
        let executor = Executor::new(ChainConfig::dev(CHAIN_ID, HARDFORK), states.clone());
        let base = ExecutionPayloadStaticV1 {
            parent_beacon_block_root: B256::ZERO,
            parent_hash: B256::ZERO,
            fee_recipient: SEQUENCER_FEE_VAULT,
            prev_randao: B256::ZERO,
            block_number: 0,
            gas_limit: GAS_LIMIT,
            timestamp,
            extra_data: Bytes::new(),
            base_fee_per_gas: U256::from(BASE_FEE),
        };
        let results = CumulativeResults {
            state_root: state_root(&world),
            receipts_root: EMPTY_ROOT_HASH,
            withdrawals_root: EMPTY_ROOT_HASH,
            ..Default::default()
        };
        let header = rebuild_header(&base, &results, None, EMPTY_ROOT_HASH).unwrap_or_default();
        let mut chain = Self {
            settings,
            executor,
            states,
            world,
            sealed: VecDeque::new(),
            by_hash: HashMap::default(),
            included: HashMap::default(),
            building: None,
            mempool: VecDeque::new(),
            payloads: 0,
            reorgs: 0,
        };
        chain.seal(header, Vec::new(), Vec::new());
        chain
    }

    /// The newest sealed block (the canonical head).
    pub fn head(&self) -> Arc<SealedBlock> {
        // Never empty: genesis is sealed at construction and a reorg replaces, never
        // removes, the head.
        self.sealed.back().cloned().unwrap_or_else(unreachable_head)
    }

    /// A kept sealed block by number.
    pub fn block_by_number(&self, number: u64) -> Option<Arc<SealedBlock>> {
        let first = self.sealed.front()?.number();
        let i = usize::try_from(number.checked_sub(first)?).ok()?;
        self.sealed.get(i).cloned()
    }

    /// A kept sealed block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<Arc<SealedBlock>> {
        self.by_hash.get(hash).and_then(|&n| self.block_by_number(n))
    }

    /// The oldest kept sealed block.
    pub fn oldest(&self) -> Arc<SealedBlock> {
        self.sealed.front().cloned().unwrap_or_else(unreachable_head)
    }

    /// A sealed transaction: its block and index.
    pub fn transaction(&self, hash: &B256) -> Option<(Arc<SealedBlock>, usize)> {
        let &(number, index) = self.included.get(hash)?;
        Some((self.block_by_number(number)?, index))
    }

    /// An account after the newest flashblock (the sequencer's own pending state).
    pub fn pending_account(&self, address: &Address) -> InMemoryAccount {
        self.world.get(address).cloned().unwrap_or_default()
    }

    /// The transactions waiting.
    pub fn mempool_len(&self) -> usize {
        self.mempool.len()
    }

    /// How many reorgs [`reorg`](Self::reorg) made.
    pub const fn reorgs(&self) -> u64 {
        self.reorgs
    }

    /// Takes a signed transaction into the mempool: it goes into the next flashblock
    /// after index 0 that can execute it (one whose nonce is still ahead waits; one
    /// that cannot execute is dropped). Returns its hash.
    ///
    /// # Errors
    ///
    /// [`SubmitError`] when it does not decode, is a deposit, has no valid signature,
    /// another chain id, a used nonce, is already known, or the mempool is full.
    pub fn submit(&mut self, raw: Bytes) -> Result<B256, SubmitError> {
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
        let expected = self.pending_account(&from).nonce;
        let nonce = envelope.nonce();
        if nonce < expected {
            return Err(SubmitError::NonceTooLow { expected, got: nonce });
        }
        let building =
            self.building.as_ref().is_some_and(|b| b.transactions.iter().any(|(h, _)| *h == hash));
        if building
            || self.included.contains_key(&hash)
            || self.mempool.iter().any(|w| w.hash == hash)
        {
            return Err(SubmitError::AlreadyKnown);
        }
        if self.mempool.len() >= self.settings.max_mempool {
            return Err(SubmitError::MempoolFull);
        }
        self.mempool.push_back(Waiting { hash, raw, from, nonce });
        Ok(hash)
    }

    /// Makes the next flashblock, `timestamp` (seconds) being the time now: index 0 of
    /// a new block (the L1-info deposit) when none is being built, else the next index
    /// with what the mempool holds; the block's last flashblock seals it (it becomes
    /// the canonical head).
    ///
    /// # Errors
    ///
    /// [`flashblocks_execute::ExecuteError`] when index 0 does not execute (a bug).
    pub fn tick(&mut self, timestamp: u64) -> Result<Emitted, flashblocks_execute::ExecuteError> {
        let starts = self.building.is_none();
        if starts {
            self.start_block(timestamp);
        }
        let Some(building) = self.building.as_mut() else { unreachable!("a block is being built") };
        let index = building.maker.next_index();
        let candidate_of = |transactions: &[Bytes]| {
            Flashblock::from_json(FlashblockJson {
                payload_id: building.maker.payload_id(),
                index,
                base: starts.then(|| building.base.clone()),
                diff: JsonDiff { transactions: transactions.to_vec(), ..Default::default() },
                metadata: Default::default(),
                target_index: None,
            })
        };
        let (transactions, execution) = if starts {
            let deposit = l1_info_deposit(building.base.block_number);
            let txs = vec![deposit];
            let execution = self.executor.execute(&candidate_of(&txs), true)?;
            (txs, execution)
        } else {
            let take = self.settings.max_transactions_per_flashblock.min(self.mempool.len());
            let picked: Vec<Waiting> = self.mempool.drain(..take).collect();
            let all: Vec<Bytes> = picked.iter().map(|w| w.raw.clone()).collect();
            match self.executor.execute(&candidate_of(&all), false) {
                Ok(execution) => (all, execution),
                Err(_) => {
                    // One at a time: keep what executes, put back what waits for an
                    // earlier nonce, drop the rest.
                    let mut kept: Vec<Bytes> = Vec::new();
                    let mut last = self.executor.execute(&candidate_of(&[]), false)?;
                    let mut requeue = Vec::new();
                    for w in picked {
                        let mut trial = kept.clone();
                        trial.push(w.raw.clone());
                        match self.executor.execute(&candidate_of(&trial), false) {
                            Ok(execution) => {
                                kept = trial;
                                last = execution;
                            }
                            Err(err) => {
                                let current = self.world.get(&w.from).map_or(0, |a| a.nonce);
                                if w.nonce > current {
                                    requeue.push(w);
                                } else {
                                    tracing::info!(hash = %w.hash, %err, "dropped a transaction that does not execute");
                                }
                            }
                        }
                    }
                    for w in requeue.into_iter().rev() {
                        self.mempool.push_front(w);
                    }
                    (kept, last)
                }
            }
        };
        let executed = std::sync::Arc::clone(execution.metadata());
        apply_executed(&mut self.world, &executed);
        let (tx_root, groups) = building.tx_trie.root_with(&transactions);
        building.tx_trie.commit(transactions.iter().cloned(), groups);
        let mut results = CumulativeResults {
            state_root: state_root(&self.world),
            receipts_root: execution.receipts_root(),
            logs_bloom: execution.logs_bloom(),
            gas_used: execution.gas_used(),
            block_hash: B256::ZERO,
            withdrawals_root: EMPTY_ROOT_HASH,
        };
        let header = rebuild_header(&building.base, &results, None, tx_root).unwrap_or_default();
        results.block_hash = header.hash_slow();
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
            diff: JsonDiff::from_parts(inner.diff.clone(), None),
            metadata: executed.to_json(),
            target_index: None,
        };
        let mut sealed = None;
        if building.maker.next_index() >= building.flashblocks {
            if let Some(building) = self.building.take() {
                self.executor.drop_current();
                sealed = Some(self.seal(header, building.transactions, building.receipts));
            }
        }
        Ok(Emitted { v1, json, sealed })
    }

    /// Replaces the canonical head (a reorg of the unsafe chain, as the L2 node would
    /// report it): the block being built is abandoned, the head is removed, its
    /// submitted transactions and the abandoned block's go back to the mempool, and a
    /// new block at the head's height (the L1-info deposit only, other `extra_data`)
    /// is sealed in its place without being streamed. Returns the removed head and its
    /// replacement; genesis is never replaced (`None`).
    pub fn reorg(&mut self) -> Option<(Arc<SealedBlock>, Arc<SealedBlock>)> {
        let removed = self.head();
        let parent = self.block_by_number(removed.number().checked_sub(1)?)?;
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
        back.retain(|raw| raw.first().is_none_or(|&t| t != 0x7e));
        self.sealed.pop_back();
        self.by_hash.remove(&removed.hash);
        self.states.remove(&removed.hash);
        for (hash, _) in &removed.transactions {
            self.included.remove(hash);
        }
        self.world = (*parent.accounts).clone();
        let waiting: Vec<Waiting> = self.mempool.drain(..).collect();
        for raw in back {
            let _ = self.submit(raw);
        }
        self.mempool.extend(waiting);
        self.reorgs += 1;
        // The replacement: index 0 only, sealed at once.
        let settings = self.settings.clone();
        self.settings.flashblocks_min = 1;
        self.settings.flashblocks_max = 1;
        let timestamp = removed.header.timestamp;
        let result = self.tick_replacement(timestamp);
        self.settings = settings;
        let replacement = result?;
        Some((removed, replacement))
    }

    fn tick_replacement(&mut self, timestamp: u64) -> Option<Arc<SealedBlock>> {
        self.tick(timestamp).ok()?.sealed
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
            gas_limit: GAS_LIMIT,
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
        });
    }

    /// Seals a block: it becomes the head, its state the one the next block executes on.
    fn seal(
        &mut self,
        header: Header,
        transactions: Vec<(B256, Bytes)>,
        receipts: Vec<ExecutedReceipt>,
    ) -> Arc<SealedBlock> {
        let hash = header.hash_slow();
        let number = header.number;
        let accounts = Arc::new(self.world.clone());
        let mut state = InMemoryState::new(accounts.iter().map(|(a, acc)| (*a, acc.clone())))
            .with_block_hash(number, hash);
        for block in self.sealed.iter().rev().take(255) {
            state = state.with_block_hash(block.number(), block.hash);
        }
        self.states.insert(hash, state);
        for (i, (tx, _)) in transactions.iter().enumerate() {
            self.included.insert(*tx, (number, i));
        }
        let block = Arc::new(SealedBlock { hash, header, transactions, receipts, accounts });
        self.by_hash.insert(hash, number);
        self.sealed.push_back(Arc::clone(&block));
        while self.sealed.len() > self.settings.kept_blocks.max(2) {
            if let Some(old) = self.sealed.pop_front() {
                self.by_hash.remove(&old.hash);
                self.states.remove(&old.hash);
                for (tx, _) in &old.transactions {
                    self.included.remove(tx);
                }
            }
        }
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
