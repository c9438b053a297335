//! A deterministic simulated builder: real signed transactions, consistent metadata and
//! gas, block hashes that verify.
//!
//! What it makes is what an OP Stack block builder streams, without an EVM: every block
//! starts with an L1-info deposit (an [`op_alloy_consensus::TxDeposit`] from the
//! depositor account to the `L1Block` predeploy), followed by EIP-1559 value transfers
//! signed with well-known development keys ([`DEV_KEYS`], the first accounts of the
//! `test test ... junk` mnemonic every local devnet funds). The builder keeps the world
//! state itself (balances and nonces of every account it touches, the `L1Block`
//! storage slots the deposit sets, the fee vaults), so each flashblock's metadata gives
//! the true post-state of the accounts it touched, its [`TransactionMetadata`] the gas
//! each transaction used (21 000 per transfer), and `diff.gas_used` their running sum.
//!
//! The `receipts_root` is real: the ordered trie root of the block's OP receipts so far
//! (a deposit receipt with its deposit nonce, then EIP-1559 receipts with their
//! cumulative gas; transfers emit no logs, so the blooms are empty). What cannot be real
//! without an EVM and a state trie is documented as such: the `state_root` is a keccak
//! commitment to the simulated state (not a Merkle-Patricia root), the L1 data fee is not
//! charged, and `withdrawals_root` is a constant. The block hashes are real: they are the keccak of
//! the OP header rebuilt from the block so far, made by the assembler's builder-side
//! [`BlockHashChainMaker`], so the assembler's block-hash check passes on every
//! flashblock.

use crate::Error;
use alloy_consensus::{proofs::calculate_receipt_root, SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{address, keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use flashblocks_assemble::BlockHashChainMaker;
use flashblocks_types::{
    AccountMetadata, CumulativeResults, ExecutionPayloadStaticV1, FlashblockJson,
    FlashblockMetadata, FlashblockStep, PayloadId, SealedFlashblock, StorageSlot,
    TransactionMetadata,
};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope, OpTxType, TxDeposit};
use std::collections::{BTreeMap, BTreeSet};

pub use flashblocks_types::devnet::{
    CHAIN_ID, DEV_KEYS, INITIAL_BALANCE, L1_BLOCK, L1_INFO_DEPOSITOR, SEQUENCER_FEE_VAULT,
};

/// The base fee vault, paid the base fees.
pub const BASE_FEE_VAULT: Address = address!("4200000000000000000000000000000000000019");

/// Gas used by each L1-info deposit (what an Ecotone `setL1BlockValuesEcotone` costs).
pub const L1_INFO_GAS_USED: u64 = 43_887;
/// Gas used by each value transfer.
pub const TRANSFER_GAS: u64 = 21_000;

/// The shape of what the simulated builder makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulationConfig {
    /// The number of blocks.
    pub blocks: usize,
    /// Flashblocks per block.
    pub flashblocks_per_block: usize,
    /// The first block's number.
    pub first_block_number: u64,
    /// The first block's timestamp (blocks are 2 s apart).
    pub first_timestamp: u64,
    /// The base fee of every block, in wei.
    pub base_fee_per_gas: u64,
    /// The priority fee every transfer pays, in wei.
    pub priority_fee_per_gas: u64,
    /// The block gas limit.
    pub gas_limit: u64,
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            blocks: 3,
            flashblocks_per_block: 5,
            first_block_number: 24_000_000,
            first_timestamp: 1_767_225_600,
            base_fee_per_gas: 1_000_000,
            priority_fee_per_gas: 1_000,
            gas_limit: 30_000_000,
        }
    }
}

/// What the builder knows of one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct AccountState {
    balance: U256,
    nonce: u64,
    storage: BTreeMap<B256, B256>,
}

/// One transaction the builder made, with what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedTransaction {
    /// Its hash.
    pub hash: B256,
    /// Its sender.
    pub from: Address,
    /// Its recipient.
    pub to: Address,
    /// The value it moves, in wei.
    pub value: U256,
    /// The sender's nonce it used.
    pub nonce: u64,
    /// Whether it is the block's L1-info deposit.
    pub deposit: bool,
}

/// The simulated builder's output: the flashblocks of every block, and the facts a test
/// checks the pipeline's answers against.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The blocks, each its flashblocks in order (block hashes that verify).
    pub blocks: Vec<Vec<SealedFlashblock>>,
    /// Every transaction made, in order.
    pub transactions: Vec<SimulatedTransaction>,
    /// Every account's final balance and nonce.
    pub final_state: BTreeMap<Address, (U256, u64)>,
    /// The `L1Block` storage after the last block.
    pub l1_block_storage: BTreeMap<B256, B256>,
}

impl Simulation {
    /// Every flashblock, in stream order.
    pub fn flashblocks(&self) -> impl Iterator<Item = &SealedFlashblock> {
        self.blocks.iter().flatten()
    }

    /// Every flashblock as an SSZ frame, in stream order.
    pub fn ssz_frames(&self) -> Vec<Vec<u8>> {
        self.flashblocks().map(|fb| fb.encode_ssz()).collect()
    }

    /// Every flashblock in the deployed JSON format, in stream order (the lossy
    /// conversion: balances kept, nonces, storage and per-transaction metadata dropped,
    /// see [`FlashblockJson::from_v1_lossy`]).
    pub fn json_frames(&self) -> Vec<Vec<u8>> {
        self.blocks
            .iter()
            .flat_map(|block| {
                let number =
                    block.first().and_then(|fb| fb.base.as_ref()).map_or(0, |b| b.block_number);
                block.iter().map(move |fb| FlashblockJson::from_v1_lossy(fb, number).to_vec())
            })
            .collect()
    }
}

/// The development accounts' signers.
///
/// # Panics
///
/// Never: [`DEV_KEYS`] are valid secp256k1 keys (a test checks it).
#[allow(clippy::expect_used)] // constant, valid keys
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    DEV_KEYS
        .iter()
        .map(|key| PrivateKeySigner::from_bytes(key).expect("a valid development key"))
        .collect()
}

/// The builder's world state and the block being built.
struct World {
    accounts: BTreeMap<Address, AccountState>,
    touched: BTreeSet<Address>,
    touched_slots: BTreeMap<Address, BTreeSet<B256>>,
    /// The receipts of the block being built.
    receipts: Vec<OpReceiptEnvelope>,
}

impl World {
    fn account(&mut self, address: Address) -> &mut AccountState {
        self.touched.insert(address);
        self.accounts.entry(address).or_default()
    }

    fn set_slot(&mut self, address: Address, key: B256, value: B256) {
        self.account(address).storage.insert(key, value);
        self.touched_slots.entry(address).or_default().insert(key);
    }

    /// The metadata of the accounts touched since the last call, and a commitment to the
    /// whole state.
    fn take_metadata(&mut self) -> (Vec<AccountMetadata>, B256) {
        let touched = std::mem::take(&mut self.touched);
        let mut slots = std::mem::take(&mut self.touched_slots);
        let accounts = touched
            .into_iter()
            .filter_map(|address| {
                let state = self.accounts.get(&address)?;
                let storage_slots = slots
                    .remove(&address)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|key| StorageSlot {
                        key,
                        value: state.storage.get(&key).copied().unwrap_or_default(),
                    })
                    .collect();
                Some(AccountMetadata {
                    address,
                    balance: Some(state.balance),
                    nonce: state.nonce,
                    code: None,
                    storage_slots,
                })
            })
            .collect();
        let mut preimage = Vec::new();
        for (address, state) in &self.accounts {
            preimage.extend_from_slice(address.as_slice());
            preimage.extend_from_slice(&state.balance.to_be_bytes::<32>());
            preimage.extend_from_slice(&state.nonce.to_be_bytes());
            for (k, v) in &state.storage {
                preimage.extend_from_slice(k.as_slice());
                preimage.extend_from_slice(v.as_slice());
            }
        }
        (accounts, keccak256(preimage))
    }
}

/// The L1-info deposit of a block: `setL1BlockValuesEcotone`-shaped calldata (the L1
/// facts are made up from the block number), and the `L1Block` slots it sets.
fn l1_info_deposit(number: u64, timestamp: u64) -> (TxDeposit, [(B256, B256); 3]) {
    let l1_number = number / 6;
    let l1_hash = keccak256(l1_number.to_be_bytes());
    let mut input = vec![0x44, 0x0a, 0x5e, 0x20];
    input.extend_from_slice(&[0u8; 24]);
    input.extend_from_slice(&l1_number.to_be_bytes());
    input.extend_from_slice(&[0u8; 24]);
    input.extend_from_slice(&timestamp.to_be_bytes());
    input.extend_from_slice(l1_hash.as_slice());
    let deposit = TxDeposit {
        source_hash: keccak256([l1_hash.as_slice(), &number.to_be_bytes()].concat()),
        from: L1_INFO_DEPOSITOR,
        to: TxKind::Call(L1_BLOCK),
        mint: 0,
        value: U256::ZERO,
        gas_limit: 1_000_000,
        is_system_transaction: false,
        input: Bytes::from(input),
    };
    let slot = |i: u8| B256::with_last_byte(i);
    let slots = [
        (slot(0), B256::from(U256::from(l1_number))),
        (slot(1), B256::from(U256::from(timestamp))),
        (slot(2), l1_hash),
    ];
    (deposit, slots)
}

/// Makes the blocks of a simulated builder: deterministic (the same config gives the same
/// bytes), every flashblock valid under the V1 rules with OP rules on, and every block
/// hash the hash of the OP header of the block so far.
///
/// ```
/// use flashblocks_examples::simulate::{simulate, SimulationConfig};
///
/// let sim = simulate(&SimulationConfig::default())?;
/// assert_eq!(sim.blocks.len(), 3);
/// assert!(sim.blocks.iter().all(|block| block.len() == 5));
/// assert!(sim.transactions.first().is_some_and(|tx| tx.deposit));
/// # Ok::<(), flashblocks_examples::Error>(())
/// ```
///
/// # Errors
///
/// [`Error`] if the chain maker refuses a base or a signature fails (neither
/// happens with a default-like config).
pub fn simulate(config: &SimulationConfig) -> Result<Simulation, Error> {
    let signers = dev_signers();
    let recipients: Vec<Address> = (1..=3u8)
        .map(|i| Address::from_word(keccak256([b"recipient".as_slice(), &[i]].concat())))
        .collect();
    // Senders take turns; recipients in another order, so pairs vary.
    let mut senders = signers.iter().cycle();
    let mut receivers = recipients.iter().rev().cycle();
    let mut world = World {
        accounts: BTreeMap::new(),
        touched: BTreeSet::new(),
        touched_slots: BTreeMap::new(),
        receipts: Vec::new(),
    };
    for signer in &signers {
        world.accounts.insert(
            signer.address(),
            AccountState { balance: INITIAL_BALANCE, ..Default::default() },
        );
    }
    let price = config.base_fee_per_gas + config.priority_fee_per_gas;
    let mut parent_hash = keccak256(b"simulated genesis");
    let mut blocks = Vec::with_capacity(config.blocks);
    let mut transactions = Vec::new();
    let mut tx_counter = 0u64;
    for b in 0..config.blocks {
        let number = config.first_block_number + b as u64;
        let timestamp = config.first_timestamp + 2 * b as u64;
        let base = ExecutionPayloadStaticV1 {
            parent_beacon_block_root: keccak256(
                [b"beacon".as_slice(), &number.to_be_bytes()].concat(),
            ),
            parent_hash,
            fee_recipient: SEQUENCER_FEE_VAULT,
            prev_randao: keccak256([b"randao".as_slice(), &number.to_be_bytes()].concat()),
            block_number: number,
            gas_limit: config.gas_limit,
            timestamp,
            // Holocene extra data: version 0, denominator 250, elasticity 6.
            extra_data: Bytes::from_static(&[0, 0, 0, 0, 250, 0, 0, 0, 6]),
            base_fee_per_gas: U256::from(config.base_fee_per_gas),
        };
        let id = keccak256([b"payload".as_slice(), &number.to_be_bytes()].concat());
        let payload_id = PayloadId::new(id.0.first_chunk::<8>().copied().unwrap_or_default());
        let mut maker = BlockHashChainMaker::new(payload_id, base)?;
        let mut gas_used = 0u64;
        let mut block = Vec::with_capacity(config.flashblocks_per_block);
        world.receipts.clear();
        for index in 0..config.flashblocks_per_block {
            let mut raw = Vec::new();
            let mut tx_meta = Vec::new();
            if index == 0 {
                let (deposit, slots) = l1_info_deposit(number, timestamp);
                let hash = deposit.tx_hash();
                raw.push(Bytes::from(deposit.encoded_2718()));
                tx_meta.push(TransactionMetadata {
                    status: 1,
                    gas_used: L1_INFO_GAS_USED,
                    contract_address: None,
                });
                let deposit_nonce = world.account(L1_INFO_DEPOSITOR).nonce;
                world.account(L1_INFO_DEPOSITOR).nonce += 1;
                gas_used += L1_INFO_GAS_USED;
                world.receipts.push(OpReceiptEnvelope::from_parts(
                    true,
                    gas_used,
                    [],
                    OpTxType::Deposit,
                    Some(deposit_nonce),
                    Some(1),
                ));
                for (key, value) in slots {
                    world.set_slot(L1_BLOCK, key, value);
                }
                transactions.push(SimulatedTransaction {
                    hash,
                    from: L1_INFO_DEPOSITOR,
                    to: L1_BLOCK,
                    value: U256::ZERO,
                    nonce: deposit_nonce,
                    deposit: true,
                });
            }
            let transfers = 1 + (b * 7 + index * 3) % 3;
            for _ in 0..transfers {
                let (Some(signer), Some(&to)) = (senders.next(), receivers.next()) else {
                    break;
                };
                let value = U256::from(1_000_000_000_000_000u64) * U256::from(1 + tx_counter % 9);
                let from = signer.address();
                let nonce = world.account(from).nonce;
                let mut tx = TxEip1559 {
                    chain_id: CHAIN_ID,
                    nonce,
                    gas_limit: TRANSFER_GAS,
                    max_fee_per_gas: u128::from(config.base_fee_per_gas) * 2,
                    max_priority_fee_per_gas: u128::from(config.priority_fee_per_gas),
                    to: TxKind::Call(to),
                    value,
                    access_list: Default::default(),
                    input: Bytes::new(),
                };
                let signature = signer.sign_transaction_sync(&mut tx)?;
                let envelope = OpTxEnvelope::from(tx.into_signed(signature));
                let hash = envelope.tx_hash();
                raw.push(Bytes::from(envelope.encoded_2718()));
                tx_meta.push(TransactionMetadata {
                    status: 1,
                    gas_used: TRANSFER_GAS,
                    contract_address: None,
                });
                let fee = U256::from(TRANSFER_GAS) * U256::from(price);
                {
                    let sender = world.account(from);
                    sender.balance = sender.balance.saturating_sub(value + fee);
                    sender.nonce += 1;
                }
                world.account(to).balance += value;
                world.account(SEQUENCER_FEE_VAULT).balance +=
                    U256::from(TRANSFER_GAS) * U256::from(config.priority_fee_per_gas);
                world.account(BASE_FEE_VAULT).balance +=
                    U256::from(TRANSFER_GAS) * U256::from(config.base_fee_per_gas);
                gas_used += TRANSFER_GAS;
                world.receipts.push(OpReceiptEnvelope::from_parts(
                    true,
                    gas_used,
                    [],
                    OpTxType::Eip1559,
                    None,
                    None,
                ));
                transactions.push(SimulatedTransaction {
                    hash,
                    from,
                    to,
                    value,
                    nonce,
                    deposit: false,
                });
                tx_counter += 1;
            }
            let (accounts, state_root) = world.take_metadata();
            let step = FlashblockStep {
                transactions: raw,
                withdrawals: Vec::new(),
                results: CumulativeResults {
                    state_root,
                    receipts_root: calculate_receipt_root(&world.receipts),
                    logs_bloom: Default::default(),
                    gas_used,
                    block_hash: B256::ZERO, // filled by the chain maker
                    withdrawals_root: keccak256(b"L2ToL1MessagePasser storage"),
                },
                metadata: FlashblockMetadata { accounts, transactions: tx_meta },
            };
            block.push(maker.push(step));
        }
        parent_hash = block.last().map_or(parent_hash, |fb| fb.diff.block_hash);
        blocks.push(block);
    }
    let final_state = world.accounts.iter().map(|(a, s)| (*a, (s.balance, s.nonce))).collect();
    let l1_block_storage =
        world.accounts.get(&L1_BLOCK).map(|a| a.storage.clone()).unwrap_or_default();
    Ok(Simulation { blocks, transactions, final_state, l1_block_storage })
}
