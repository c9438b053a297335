//! [`ExecutingBuilder`]: a simulated builder that executes what it sends (test support,
//! behind the `test-utils` feature).
//!
//! It signs real transactions with the development keys, executes them with this
//! crate's [`Executor`] (the same EVM the receiver runs), and emits flashblocks whose
//! metadata, receipts with logs, `receipts_root`, `logs_bloom`, `state_root` (its whole
//! simulated state through alloy-trie) and `block_hash` are all true.
//!
//! **Genesis.** The development accounts hold 10 000 ether each. No predeploy bytecode
//! is available offline, so the `L1Block` predeploy (`0x4200…0015`) is a hand-written
//! stand-in: its code is a single `STOP` (the L1-info deposit calls it and changes
//! nothing) and its storage holds, from genesis, the slots op-revm reads for the L1 fee
//! (L1 base fee, blob base fee, the Ecotone scalars, Isthmus' operator fee scalars,
//! Jovian's DA footprint scalar), the values a real L1-info deposit would leave there.
//! The system contracts of EIP-4788 and EIP-2935 are absent: alloy-evm's system calls to
//! an account without code change nothing.

// Test support: every index is taken modulo the (non-empty, constant) development keys.
#![allow(clippy::indexing_slicing)]

use crate::{
    CanonicalStates, ChainConfig, Executor, InMemoryAccount, InMemoryState, InMemoryStates,
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip7702, TxLegacy};
use alloy_eips::{eip2718::Encodable2718, eip7702::Authorization};
use alloy_op_hardforks::{OpHardfork, OpHardforks};
use alloy_primitives::{b256, keccak256, map::HashMap, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_trie::{root, TrieAccount, EMPTY_ROOT_HASH};
use flashblocks_assemble::{rebuild_header, TransactionTrie};
use flashblocks_types::{
    ChainMaker, CumulativeResults, ExecutedMetadata, ExecutionPayloadStaticV1, Flashblock,
    FlashblockJson, FlashblockStep, JsonDiff, PayloadId,
};
use op_alloy_consensus::{build_post_exec_tx, OpTxEnvelope, SDMGasEntry, TxDeposit};
use revm::DatabaseRef;
use std::{collections::BTreeMap, sync::Arc};

pub use flashblocks_types::devnet::{
    CHAIN_ID, DEV_KEYS, INITIAL_BALANCE, L1_BLOCK, L1_INFO_DEPOSITOR, SEQUENCER_FEE_VAULT,
};

/// The hash the builder gives its genesis block.
pub const GENESIS_HASH: B256 =
    b256!("0000000000000000000000000000000000000000000000000000000000009e00");
/// The base fee of every block.
pub const BASE_FEE: u64 = 1_000_000;
/// The gas limit of every block (unless [`ExecutingBuilder::with_gas_limit`] says
/// otherwise).
pub const GAS_LIMIT: u64 = 30_000_000;
/// The topic of the log the test contract emits.
pub const LOG_TOPIC: B256 =
    b256!("f1a5b10c5f1a5b10c5f1a5b10c5f1a5b10c5f1a5b10c5f1a5b10c5f1a5b10c50");

/// The test contract's runtime: called with a 32-byte word `v`, it reverts when `v` is
/// zero, else stores `v` in slot 1 and emits `LOG1(LOG_TOPIC, v)`.
pub fn contract_runtime() -> Bytes {
    let mut code = vec![
        0x60, 0x00, 0x35, // v = calldataload(0)
        0x80, // dup v
        0x60, 0x0b, 0x57, // jumpi(0x0b, v)
        0x60, 0x00, 0x80, 0xfd, // revert(0, 0)
        0x5b, // jumpdest
        0x80, // dup v
        0x60, 0x01, 0x55, // sstore(1, v)
        0x60, 0x00, 0x52, // mstore(0, v)
        0x7f, // push32 topic
    ];
    code.extend_from_slice(LOG_TOPIC.as_slice());
    code.extend_from_slice(&[0x60, 0x20, 0x60, 0x00, 0xa1, 0x00]); // log1(0, 32, topic); stop
    Bytes::from(code)
}

/// The initcode that deploys [`contract_runtime`].
pub fn contract_initcode() -> Bytes {
    let runtime = contract_runtime();
    let len = runtime.len() as u8;
    let mut code = vec![0x60, len, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, len, 0x60, 0x00, 0xf3];
    code.extend_from_slice(&runtime);
    Bytes::from(code)
}

/// A transaction the builder can put in a flashblock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxPlan {
    /// An EIP-1559 value transfer between development accounts.
    Transfer,
    /// An EIP-1559 value transfer from a development account to a new account (another
    /// address each time): each one adds an account to the block's state.
    TransferToNew,
    /// A legacy value transfer.
    LegacyTransfer,
    /// A contract deployment (CREATE).
    Deploy,
    /// A call to a deployed contract that writes a slot and emits a log (a transfer
    /// when none is deployed yet).
    Call,
    /// A call to a deployed contract that reverts (a transfer when none is deployed).
    RevertingCall,
    /// An EIP-7702 transaction delegating another development account to a deployed
    /// contract (a transfer when none is deployed).
    Delegate,
}

/// The SDM gas refund the test builders give the user transaction at `block_index` of a
/// Lagoon block (the executing builder's [`with_lagoon`](ExecutingBuilder::with_lagoon),
/// the examples' sequencer): every odd index, 1 000 to 5 000 gas. A test policy, not
/// block-level warming: any user transaction uses at least 21 000 gas, so the refund is
/// never above the EVM gas.
pub const fn sdm_refund(block_index: u64) -> Option<u64> {
    if block_index % 2 == 1 {
        Some(1_000 * (1 + (block_index / 2) % 5))
    } else {
        None
    }
}

/// The post-exec transaction (`0x7D || rlp([1, block_number, entries])`, op-alloy's
/// codec) carrying `entries`, as `diff.post_exec_tx` sends it.
pub fn post_exec_tx(block_number: u64, entries: Vec<SDMGasEntry>) -> Bytes {
    Bytes::from(build_post_exec_tx(block_number, entries).encoded_2718())
}

/// One flashblock the builder made.
#[derive(Clone, Debug)]
pub struct BuiltFlashblock {
    /// As sent: V1 with the executed metadata before Jovian; JSON with the executed
    /// balances and receipts from Jovian on (V1 cannot carry `blob_gas_used`).
    pub flashblock: Flashblock,
    /// The JSON form with the executed balances and receipts.
    pub json: FlashblockJson,
    /// What the builder's execution yielded.
    pub executed: Arc<ExecutedMetadata>,
}

impl BuiltFlashblock {
    /// The JSON form with the metadata stripped (neither balances nor receipts, as
    /// Base's Azul shape), as a receiver that must execute it gets it.
    pub fn json_stripped(&self) -> Flashblock {
        let mut json = self.json.clone();
        json.metadata.new_account_balances = None;
        json.metadata.receipts = None;
        Flashblock::from_json(json)
    }

    /// The JSON form as an OP Stack subblock sequencer sends it (ethereum-optimism/specs
    /// `specs/protocol/subblocks.md`): stripped, with `diff.state_root`,
    /// `diff.block_hash` and `diff.withdrawals_root` zero and `diff.withdrawals` empty.
    pub fn json_subblock(&self) -> FlashblockJson {
        into_subblock(self.json.clone())
    }

    /// The JSON form as Base's builder sends it since 2026-06: `metadata
    /// {block_number, prev_flashblock_id}`, `prev` naming the frame before (`"0-0"`
    /// when there is none), and `diff.block_hash` a per-frame identity that is not the
    /// header hash (here the hash of the block hash and the index).
    pub fn json_base(&self, prev: flashblocks_types::FlashblockId) -> FlashblockJson {
        let mut json = self.json.clone();
        json.metadata.new_account_balances = None;
        json.metadata.receipts = None;
        json.metadata.prev_flashblock_id = Some(prev);
        let mut identity = json.diff.block_hash.to_vec();
        identity.extend_from_slice(&json.index.to_be_bytes());
        json.diff.block_hash = keccak256(identity);
        json
    }
}

/// `block` (one block's flashblocks, in order) as an OP Subblocks sequencer streams it
/// (ethereum-optimism/specs `specs/protocol/subblocks.md`, as the spec page's
/// "Subblocks and the deployed dialects" reads it): each flashblock's JSON with its
/// metadata stripped, `diff.state_root`, `diff.block_hash` and `diff.withdrawals_root`
/// zero and `diff.withdrawals` empty, and a heartbeat subblock after index 0 (no
/// transactions, the same cumulative claims), the later indices one higher.
pub fn subblocks(block: &[BuiltFlashblock]) -> Vec<FlashblockJson> {
    let mut out = Vec::with_capacity(block.len() + 1);
    for built in block {
        let mut json = built.json_subblock();
        json.index = out.len() as u64;
        let heartbeat = (json.index == 0).then(|| {
            let mut heartbeat = json.clone();
            heartbeat.index = 1;
            heartbeat.base = None;
            heartbeat.diff.transactions = Vec::new();
            heartbeat
        });
        out.push(json);
        out.extend(heartbeat);
    }
    out
}

/// `json` as an OP Stack subblock sequencer sends it (see
/// [`BuiltFlashblock::json_subblock`]; the examples' sequencer reshapes its flashblocks
/// with it): stripped, with `diff.state_root`, `diff.block_hash` and
/// `diff.withdrawals_root` zero and `diff.withdrawals` empty (`diff.post_exec_tx` kept).
pub fn into_subblock(mut json: FlashblockJson) -> FlashblockJson {
    json.metadata.new_account_balances = None;
    json.metadata.receipts = None;
    json.diff.state_root = B256::ZERO;
    json.diff.block_hash = B256::ZERO;
    json.diff.withdrawals_root = B256::ZERO;
    json.diff.withdrawals.clear();
    json
}

/// The builder's full state, for its state root.
#[derive(Clone, Debug, Default)]
struct World {
    accounts: BTreeMap<Address, InMemoryAccount>,
}

impl World {
    fn apply(&mut self, executed: &ExecutedMetadata) {
        apply_executed(&mut self.accounts, executed);
    }

    fn state_root(&self) -> B256 {
        state_root(&self.accounts)
    }
}

/// Takes what a flashblock changed (its executed post-state) into `world`: the full
/// state a builder keeps for its state root.
pub fn apply_executed(world: &mut BTreeMap<Address, InMemoryAccount>, executed: &ExecutedMetadata) {
    for a in &executed.accounts {
        let account = world.entry(a.address).or_default();
        if let Some(balance) = a.balance {
            account.balance = balance;
        }
        account.nonce = a.nonce;
        if let Some(code) = &a.code {
            account.code = code.clone();
        }
        for slot in &a.storage_slots {
            let (key, value) = (U256::from_be_bytes(slot.key.0), U256::from_be_bytes(slot.value.0));
            if value.is_zero() {
                account.storage.remove(&key);
            } else {
                account.storage.insert(key, value);
            }
        }
    }
}

/// The state root of `world` (alloy-trie; EIP-161: empty accounts are not in the trie).
pub fn state_root(world: &BTreeMap<Address, InMemoryAccount>) -> B256 {
    let accounts =
        world.iter().filter(|(_, a)| !(a.balance.is_zero() && a.nonce == 0 && a.code.is_empty()));
    root::state_root_unhashed(accounts.map(|(address, a)| {
        let storage_root =
            root::storage_root_unhashed(a.storage.iter().map(|(k, v)| (B256::from(*k), *v)));
        let code_hash =
            if a.code.is_empty() { alloy_trie::KECCAK_EMPTY } else { keccak256(&a.code) };
        (*address, TrieAccount { nonce: a.nonce, balance: a.balance, storage_root, code_hash })
    }))
}

/// A simulated builder that executes its transactions with this crate's EVM.
///
/// ```
/// use flashblocks_execute::builder::{ExecutingBuilder, TxPlan};
/// use alloy_op_hardforks::OpHardfork;
///
/// let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
/// let block = builder.next_block(&[vec![TxPlan::Deploy], vec![TxPlan::Call, TxPlan::Transfer]]);
/// assert_eq!(block.len(), 3); // index 0 (deposits), then the two planned flashblocks
/// assert_eq!(block[1].executed.receipts.len(), 1);
/// ```
#[derive(Debug)]
pub struct ExecutingBuilder {
    config: ChainConfig,
    hardfork: OpHardfork,
    signers: Vec<PrivateKeySigner>,
    genesis: InMemoryState,
    executor: Executor<InMemoryStates>,
    world: World,
    nonces: HashMap<Address, u64>,
    contract: Option<Address>,
    parent_hash: B256,
    number: u64,
    counter: u64,
    payload_salt: u8,
    gas_limit: u64,
    lagoon: bool,
}

impl ExecutingBuilder {
    /// A builder on a development chain running `hardfork` (Isthmus or later) from
    /// genesis.
    pub fn new(hardfork: OpHardfork) -> Self {
        let config = ChainConfig::dev(CHAIN_ID, hardfork);
        let signers: Vec<PrivateKeySigner> =
            DEV_KEYS.iter().filter_map(|key| PrivateKeySigner::from_bytes(key).ok()).collect();
        let mut world = World::default();
        for signer in &signers {
            world.accounts.insert(
                signer.address(),
                InMemoryAccount { balance: INITIAL_BALANCE, ..Default::default() },
            );
        }
        world.accounts.insert(L1_BLOCK, l1_block_stand_in());
        let genesis = InMemoryState::new(world.accounts.clone());
        let mut states = InMemoryStates::default();
        states.insert(GENESIS_HASH, genesis.clone());
        Self {
            executor: Executor::new(config.clone(), states),
            config,
            hardfork,
            signers,
            genesis,
            world,
            nonces: HashMap::default(),
            contract: None,
            parent_hash: GENESIS_HASH,
            number: 0,
            counter: 0,
            payload_salt: 0,
            gas_limit: GAS_LIMIT,
            lagoon: false,
        }
    }

    /// The same builder on a chain where Lagoon is active from genesis: its blocks are
    /// OP Subblocks with a post-exec transaction whose SDM entries refund the user
    /// transactions [`sdm_refund`] names. `diff.post_exec_tx` is restated (append-only,
    /// each new entry naming a transaction of its own flashblock) by each flashblock
    /// that adds an entry and omitted by the others; the refunds are settled by the
    /// builder's own execution, and the block's receipts root and hash include the
    /// post-exec transaction last. Every flashblock is sent as JSON.
    pub fn with_lagoon(mut self) -> Self {
        self.lagoon = true;
        self.config = self.config.clone().with_lagoon_time(Some(0));
        let mut states = InMemoryStates::default();
        states.insert(GENESIS_HASH, self.genesis.clone());
        self.executor = Executor::new(self.config.clone(), states)
            .with_max_block_gas_limit(self.gas_limit.max(crate::DEFAULT_MAX_BLOCK_GAS_LIMIT));
        self
    }

    /// The same builder, with blocks of `gas_limit` gas (for benches with many
    /// transactions per block).
    pub fn with_gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self.executor = self
            .executor
            .with_max_block_gas_limit(gas_limit.max(crate::DEFAULT_MAX_BLOCK_GAS_LIMIT));
        self
    }

    /// The same builder, giving its blocks payload ids salted with `salt` (two
    /// builders with other salts make the same blocks under other payload ids: a
    /// failover).
    pub const fn with_payload_salt(mut self, salt: u8) -> Self {
        self.payload_salt = salt;
        self
    }

    /// The chain configuration (a receiver executes with the same).
    pub const fn config(&self) -> &ChainConfig {
        &self.config
    }

    /// The genesis state: what a receiver's canonical state at [`GENESIS_HASH`] holds.
    pub fn genesis(&self) -> InMemoryState {
        self.genesis.clone()
    }

    /// The canonical states a receiver starts from: the genesis at [`GENESIS_HASH`].
    pub fn genesis_states(&self) -> InMemoryStates {
        let mut states = InMemoryStates::default();
        states.insert(GENESIS_HASH, self.genesis());
        states
    }

    /// The builder's whole state after its last block (what a canonical node holds at
    /// that block's hash).
    pub fn state(&self) -> InMemoryState {
        InMemoryState::new(self.world.accounts.clone())
    }

    /// The builder's current balance of `address` (its whole simulated state).
    pub fn balance(&self, address: &Address) -> U256 {
        self.world.accounts.get(address).map_or(U256::ZERO, |a| a.balance)
    }

    /// The development accounts.
    pub fn dev_accounts(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// Makes the next block: index 0 with the L1-info deposit and a user deposit, then
    /// one flashblock per entry of `plan`.
    ///
    /// # Panics
    ///
    /// If its own transactions do not execute (a bug in the builder, this is test
    /// support).
    pub fn next_block(&mut self, plan: &[Vec<TxPlan>]) -> Vec<BuiltFlashblock> {
        self.number += 1;
        let number = self.number;
        let timestamp = 1_700_000_000 + 2 * number;
        let base = ExecutionPayloadStaticV1 {
            parent_beacon_block_root: keccak256(number.to_be_bytes()),
            parent_hash: self.parent_hash,
            fee_recipient: SEQUENCER_FEE_VAULT,
            prev_randao: keccak256((number + 1).to_be_bytes()),
            block_number: number,
            gas_limit: self.gas_limit,
            timestamp,
            extra_data: Bytes::new(),
            base_fee_per_gas: U256::from(BASE_FEE),
        };
        let jovian = self.config.hardforks().is_jovian_active_at_timestamp(timestamp);
        let mut id = number.to_be_bytes();
        id[0] ^= self.payload_salt;
        let payload_id = PayloadId::new(id);
        let mut maker = ChainMaker::new(payload_id, base.clone());
        let mut tx_trie = TransactionTrie::default();
        let mut out = Vec::with_capacity(plan.len() + 1);
        // Lagoon: the block's SDM entries so far, its latest post-exec transaction and
        // how many transactions it has.
        let mut entries: Vec<SDMGasEntry> = Vec::new();
        let mut latest_post_exec: Option<Bytes> = None;
        let mut block_txs = 0u64;
        for index in 0..=plan.len() {
            let starts = index == 0;
            // Signed after the previous flashblock executed, so nonces are current.
            let transactions: Vec<Bytes> = match index.checked_sub(1).and_then(|i| plan.get(i)) {
                None => vec![l1_info_deposit(number), self.user_deposit(number)],
                Some(txs) => txs.iter().map(|&p| self.transaction(p)).collect(),
            };
            let first = block_txs;
            block_txs += transactions.len() as u64;
            let new: Vec<SDMGasEntry> = (first..block_txs)
                .filter(|_| self.lagoon && !starts)
                .filter_map(|i| {
                    sdm_refund(i).map(|gas_refund| SDMGasEntry { index: i, gas_refund })
                })
                .collect();
            let post_exec = (!new.is_empty()).then(|| {
                entries.extend(new);
                post_exec_tx(number, entries.clone())
            });
            if post_exec.is_some() {
                latest_post_exec.clone_from(&post_exec);
            }
            // A candidate with placeholder results: execution reads only the base, the
            // transactions and the post-exec transaction.
            let candidate =
                candidate(&maker, &base, index as u64, &transactions, post_exec.clone());
            let mut execution = self
                .executor
                .execute(&candidate, starts)
                .unwrap_or_else(|e| panic!("the builder's own flashblock executes: {e}"));
            let executed = Arc::clone(execution.metadata());
            self.world.apply(&executed);
            self.track_nonces(&executed);
            let (mut tx_root, groups) = tx_trie.root_with(&transactions);
            if let Some(post_exec) = &latest_post_exec {
                // Sealed now, the block would end with its post-exec transaction.
                let sealed: Vec<Bytes> =
                    transactions.iter().cloned().chain([post_exec.clone()]).collect();
                tx_root = tx_trie.root_with(&sealed).0;
            }
            tx_trie.commit(transactions.iter().cloned(), groups);
            let mut results = CumulativeResults {
                state_root: self.world.state_root(),
                receipts_root: execution.receipts_root(),
                logs_bloom: execution.logs_bloom(),
                gas_used: execution.gas_used(),
                block_hash: B256::ZERO,
                withdrawals_root: EMPTY_ROOT_HASH,
            };
            let blob_gas_used = jovian.then(|| execution.blob_gas_used());
            results.block_hash = rebuild_header(&base, &results, blob_gas_used, tx_root)
                .map(|h| h.hash_slow())
                .unwrap_or_default();
            execution.set_block_hash(results.block_hash);
            self.parent_hash = results.block_hash;
            self.executor.commit(execution);
            let step = FlashblockStep {
                transactions,
                withdrawals: Vec::new(),
                results,
                metadata: executed.to_v1(),
            };
            let sealed = maker.push(step);
            let v1 = sealed.inner().clone();
            let json = FlashblockJson {
                payload_id,
                index: v1.index,
                base: v1.base.clone(),
                diff: JsonDiff {
                    post_exec_tx: post_exec,
                    ..JsonDiff::from_parts(v1.diff.clone(), blob_gas_used)
                },
                metadata: executed.to_json(),
                target_index: None,
            };
            let flashblock = if jovian || self.lagoon {
                Flashblock::from_json(json.clone())
            } else {
                Flashblock::from(sealed)
            };
            out.push(BuiltFlashblock { flashblock, json, executed });
        }
        out
    }

    fn track_nonces(&mut self, executed: &ExecutedMetadata) {
        for a in &executed.accounts {
            self.nonces.insert(a.address, a.nonce);
        }
    }

    fn next_nonce(&mut self, address: Address) -> u64 {
        let nonce = self.nonces.entry(address).or_insert(0);
        let n = *nonce;
        *nonce += 1;
        n
    }

    /// A user deposit minting ether to a development account and sending part of it on.
    fn user_deposit(&mut self, number: u64) -> Bytes {
        let accounts = self.dev_accounts();
        let from = accounts[(number as usize) % accounts.len()];
        let to = accounts[(number as usize + 1) % accounts.len()];
        let deposit = TxDeposit {
            source_hash: keccak256([b"user".as_slice(), &number.to_be_bytes()].concat()),
            from,
            to: TxKind::Call(to),
            mint: 5_000_000_000_000_000,
            value: U256::from(1_000_000_000_000_000u64),
            gas_limit: 100_000,
            is_system_transaction: false,
            input: Bytes::new(),
        };
        Bytes::from(OpTxEnvelope::Deposit(deposit.seal()).encoded_2718())
    }

    /// Signs one planned transaction.
    fn transaction(&mut self, plan: TxPlan) -> Bytes {
        self.counter += 1;
        let n = self.signers.len();
        let i = (self.counter as usize) % n;
        let signer = self.signers[i].clone();
        let other = self.signers[(i + 1) % n].address();
        let value = U256::from(1_000_000_000_000u64) * U256::from(1 + self.counter % 7);
        let plan = match (plan, self.contract) {
            (TxPlan::Call | TxPlan::RevertingCall | TxPlan::Delegate, None) => TxPlan::Transfer,
            (plan, _) => plan,
        };
        let from = signer.address();
        let nonce = self.next_nonce(from);
        let eip1559 = |to: TxKind, value: U256, input: Bytes, gas_limit: u64| TxEip1559 {
            chain_id: CHAIN_ID,
            nonce,
            gas_limit,
            max_fee_per_gas: u128::from(BASE_FEE) * 2,
            max_priority_fee_per_gas: 1_000,
            to,
            value,
            access_list: Default::default(),
            input,
        };
        let envelope: OpTxEnvelope = match plan {
            TxPlan::Transfer => {
                sign(&signer, eip1559(TxKind::Call(other), value, Bytes::new(), 21_000))
            }
            TxPlan::TransferToNew => {
                let to = Address::from_word(keccak256(
                    [b"new".as_slice(), &self.counter.to_be_bytes()].concat(),
                ));
                sign(&signer, eip1559(TxKind::Call(to), value, Bytes::new(), 21_000))
            }
            TxPlan::LegacyTransfer => sign(
                &signer,
                TxLegacy {
                    chain_id: Some(CHAIN_ID),
                    nonce,
                    gas_price: u128::from(BASE_FEE) * 2,
                    gas_limit: 21_000,
                    to: TxKind::Call(other),
                    value,
                    input: Bytes::new(),
                },
            ),
            TxPlan::Deploy => {
                self.contract = Some(from.create(nonce));
                sign(&signer, eip1559(TxKind::Create, U256::ZERO, contract_initcode(), 200_000))
            }
            TxPlan::Call | TxPlan::RevertingCall => {
                let word = if plan == TxPlan::Call { U256::from(self.counter) } else { U256::ZERO };
                let input = Bytes::from(word.to_be_bytes::<32>().to_vec());
                let to = self.contract.unwrap_or(other);
                sign(&signer, eip1559(TxKind::Call(to), U256::ZERO, input, 100_000))
            }
            TxPlan::Delegate => {
                let authority = self.signers[(i + 1) % n].clone();
                let auth_nonce = self.next_nonce(authority.address());
                let auth = Authorization {
                    chain_id: U256::from(CHAIN_ID),
                    address: self.contract.unwrap_or(other),
                    nonce: auth_nonce,
                };
                let signature = authority
                    .sign_hash_sync(&auth.signature_hash())
                    .unwrap_or_else(|e| panic!("signing with a development key: {e}"));
                let word = U256::from(self.counter);
                let tx = TxEip7702 {
                    chain_id: CHAIN_ID,
                    nonce,
                    gas_limit: 200_000,
                    max_fee_per_gas: u128::from(BASE_FEE) * 2,
                    max_priority_fee_per_gas: 1_000,
                    to: authority.address(),
                    value: U256::ZERO,
                    access_list: Default::default(),
                    authorization_list: vec![auth.into_signed(signature)],
                    input: Bytes::from(word.to_be_bytes::<32>().to_vec()),
                };
                sign(&signer, tx)
            }
        };
        Bytes::from(envelope.encoded_2718())
    }

    /// The hardfork the builder's chain runs.
    pub const fn hardfork(&self) -> OpHardfork {
        self.hardfork
    }

    /// The builder's executor (its preconfirmed layers).
    pub const fn executor(&self) -> &Executor<InMemoryStates> {
        &self.executor
    }

    /// The genesis state's balance of `address` (what canonical answers).
    pub fn genesis_balance(&self, address: Address) -> U256 {
        self.executor
            .canonical_states()
            .state_at(GENESIS_HASH)
            .and_then(|s| s.basic_ref(address).ok().flatten())
            .map_or(U256::ZERO, |i| i.balance)
    }
}

/// The L1-info deposit of block `number` (to the stand-in `L1Block` predeploy, changing
/// nothing): what the executing builder and the examples' sequencer start each block
/// with.
pub fn l1_info_deposit(number: u64) -> Bytes {
    let mut input = vec![0x09, 0x89, 0x99, 0xbe]; // setL1BlockValuesIsthmus selector
    input.extend_from_slice(&number.to_be_bytes());
    let deposit = TxDeposit {
        source_hash: keccak256([b"l1-info".as_slice(), &number.to_be_bytes()].concat()),
        from: L1_INFO_DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: 1_000_000,
        is_system_transaction: false,
        input: Bytes::from(input),
    };
    Bytes::from(OpTxEnvelope::Deposit(deposit.seal()).encoded_2718())
}

/// Signs `tx` with `signer`.
fn sign<T>(signer: &PrivateKeySigner, tx: T) -> OpTxEnvelope
where
    T: SignableTransaction<alloy_primitives::Signature>,
    alloy_consensus::Signed<T>: Into<OpTxEnvelope>,
{
    let signature = signer
        .sign_hash_sync(&tx.signature_hash())
        .unwrap_or_else(|e| panic!("signing with a development key: {e}"));
    tx.into_signed(signature).into()
}

/// A flashblock with `transactions` (and a post-exec transaction) and placeholder
/// results, for the executor to run.
fn candidate(
    maker: &ChainMaker,
    base: &ExecutionPayloadStaticV1,
    index: u64,
    transactions: &[Bytes],
    post_exec_tx: Option<Bytes>,
) -> Flashblock {
    let json = FlashblockJson {
        payload_id: maker.payload_id(),
        index,
        base: (index == 0).then(|| base.clone()),
        diff: JsonDiff { transactions: transactions.to_vec(), post_exec_tx, ..Default::default() },
        metadata: Default::default(),
        target_index: None,
    };
    Flashblock::from_json(json)
}

/// The stand-in `L1Block` predeploy: code `STOP`, and the slots op-revm reads.
fn l1_block_stand_in() -> InMemoryAccount {
    let slot = |n: u64| U256::from(n);
    let mut storage = HashMap::default();
    // Slot 1: the L1 base fee (1 gwei).
    storage.insert(slot(1), U256::from(1_000_000_000u64));
    // Slot 3: base fee scalar (bytes 16..20) and blob base fee scalar (bytes 20..24).
    let mut scalars = [0u8; 32];
    scalars[16..20].copy_from_slice(&1368u32.to_be_bytes());
    scalars[20..24].copy_from_slice(&810_949u32.to_be_bytes());
    storage.insert(slot(3), U256::from_be_bytes(scalars));
    // Slot 7: the L1 blob base fee.
    storage.insert(slot(7), U256::from(1u64));
    // Slot 8: Isthmus operator fee scalar (bytes 20..24) and constant (bytes 24..32),
    // Jovian DA footprint gas scalar (bytes 18..20).
    let mut operator = [0u8; 32];
    operator[18..20].copy_from_slice(&400u16.to_be_bytes());
    operator[20..24].copy_from_slice(&1u32.to_be_bytes());
    operator[24..32].copy_from_slice(&100u64.to_be_bytes());
    storage.insert(slot(8), U256::from_be_bytes(operator));
    InMemoryAccount { balance: U256::ZERO, nonce: 1, code: Bytes::from_static(&[0x00]), storage }
}
