//! Hostile streams, as an attacker would send them: the flashblocks of the hostile-stream
//! suite (`tests/it/hostile.rs`) and of the full-size `hostile` example. Each is valid
//! for its rule set with the OP rules off (they carry no L1-info deposit), except where
//! a builder says otherwise, and each aims at one cost. [`Feed`] validates them and
//! applies the tokens.

use crate::{Applied, Overlay, OverlayConfig, OverlayError};
use alloy_consensus::{Receipt, SignableTransaction, TxEip1559};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, Bytes, Log, LogData, Signature, TxKind, B256, U256};
use flashblocks_types::{
    AccountMetadata, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, Flashblock,
    FlashblockJson, FlashblockMetadata, FlashblocksPayloadV1, JsonDiff, JsonMetadata, PayloadId,
    StorageSlot, TransactionMetadata, VERSION_V1,
};
use flashblocks_validate::{ValidationError, Validator, ValidatorConfig};
use op_alloy_consensus::{OpReceipt, OpTxEnvelope};
use std::collections::BTreeMap;

/// Why a [`Feed`] did not apply a flashblock.
#[derive(Debug)]
pub enum Refused {
    /// The validator rejected it.
    Validator(ValidationError),
    /// The overlay refused its token.
    Overlay(OverlayError),
    /// A resend.
    Duplicate,
}

/// A validator (of the flashblocks' source, OP rules off, up to `max_flashblocks` a
/// block) in front of an overlay.
#[derive(Debug)]
pub struct Feed {
    /// The validator.
    pub validator: Validator,
    /// The overlay.
    pub overlay: Overlay,
}

impl Feed {
    /// A feed of V1 (`json` false) or JSON flashblocks.
    pub fn new(json: bool, max_flashblocks: u64, config: OverlayConfig) -> Self {
        let rules = if json { ValidatorConfig::json() } else { ValidatorConfig::v1() };
        let validator = Validator::new(
            rules.with_op_rules(false).with_max_flashblocks_per_block(max_flashblocks),
        );
        Self { validator, overlay: Overlay::new(config) }
    }

    /// Validates `fb` and applies its token at `now_ms`.
    ///
    /// # Errors
    ///
    /// [`Refused`] when a stage does not take it.
    pub fn apply(&mut self, fb: Flashblock, now_ms: u64) -> Result<Applied, Refused> {
        let token = self
            .validator
            .validate(fb)
            .map_err(Refused::Validator)?
            .into_accepted()
            .ok_or(Refused::Duplicate)?;
        self.overlay.apply(&token, now_ms).map_err(Refused::Overlay)
    }
}

/// A copy of `overlay` (readers of its own) that shares everything persistent with it,
/// for a benchmark that starts many runs from one filled state.
pub fn fork(overlay: &Overlay) -> Overlay {
    overlay.fork()
}

/// The `base` of block `number` (gas limit 30 M, parent hash derived from the number).
pub fn base(number: u64) -> ExecutionPayloadStaticV1 {
    ExecutionPayloadStaticV1 {
        parent_hash: B256::from(U256::from(number.saturating_sub(1))),
        block_number: number,
        gas_limit: 30_000_000,
        timestamp: 1_700_000_000 + number * 2,
        base_fee_per_gas: U256::from(1_000_000u64),
        ..Default::default()
    }
}

fn payload_id(number: u64, salt: u8) -> PayloadId {
    let mut id = number.to_be_bytes();
    id[0] ^= salt;
    PayloadId::new(id)
}

/// Case 1: a V1 index 0 of block `number` whose metadata sets `slots` storage slots of
/// one account (sorted keys, distinct for each block, so nothing overrides): the index
/// grows by `slots` entries a block. Its one transaction is the block's L1-info deposit,
/// so that it passes the OP rules too (a consumer program keeps them on).
pub fn slot_flood(number: u64, slots: usize) -> Flashblock {
    Flashblock::from_v1(slot_flood_payload(number, slots))
}

/// [`slot_flood`] as the SSZ frame a peer sends (about `slots` × 64 bytes).
pub fn slot_flood_frame(number: u64, slots: usize) -> Vec<u8> {
    slot_flood_payload(number, slots).encode_ssz()
}

fn slot_flood_payload(number: u64, slots: usize) -> FlashblocksPayloadV1 {
    let storage_slots = (0..slots as u64)
        .map(|i| StorageSlot {
            key: B256::from(U256::from(number) << 64 | U256::from(i)),
            value: B256::from(U256::from(i + 1)),
        })
        .collect();
    let account = AccountMetadata {
        address: Address::with_last_byte(0x51),
        balance: Some(U256::from(number)),
        nonce: number,
        code: None,
        storage_slots,
    };
    FlashblocksPayloadV1 {
        version: VERSION_V1.into(),
        payload_id: payload_id(number, 0),
        parent_flash_hash: None,
        index: 0,
        base: Some(base(number)),
        diff: ExecutionPayloadFlashblockDeltaV1 {
            transactions: vec![l1_info_deposit(number)],
            ..ExecutionPayloadFlashblockDeltaV1::default()
        },
        metadata: FlashblockMetadata {
            accounts: vec![account],
            transactions: vec![TransactionMetadata {
                status: 1,
                gas_used: 0,
                contract_address: None,
            }],
        },
    }
}

/// A deposit as the first transaction of block `number` (the L1-info deposit's shape:
/// from the depositor to the L1-block contract, a source hash of its own).
fn l1_info_deposit(number: u64) -> Bytes {
    let deposit = op_alloy_consensus::TxDeposit {
        source_hash: B256::from(U256::from(number)),
        from: flashblocks_types::devnet::L1_INFO_DEPOSITOR,
        to: TxKind::Call(Address::with_last_byte(0x15)),
        gas_limit: 1_000_000,
        ..Default::default()
    };
    Bytes::from(OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(deposit)).encoded_2718())
}

/// A V1 flashblock `index` of block `number` (the block's index 0 when `index` is 0,
/// else following the flashblock whose root is `parent`) with `txs` transactions of 100
/// bytes and their metadata, and one account: the shape of a long block, for the cost
/// of flashblock `#index`.
pub fn v1_flashblock(number: u64, index: u64, parent: Option<B256>, txs: usize) -> Flashblock {
    let transactions: Vec<Bytes> = (0..txs)
        .map(|i| {
            let mut tx = vec![0x02];
            tx.extend_from_slice(&index.to_be_bytes());
            tx.extend_from_slice(&(i as u64).to_be_bytes());
            tx.resize(100, 0x02);
            Bytes::from(tx)
        })
        .collect();
    let metadata = FlashblockMetadata {
        accounts: vec![AccountMetadata {
            address: Address::with_last_byte((index % 200) as u8),
            balance: Some(U256::from(index)),
            nonce: index,
            code: None,
            storage_slots: vec![StorageSlot { key: B256::with_last_byte(1), value: B256::ZERO }],
        }],
        transactions: vec![
            TransactionMetadata { status: 1, gas_used: 0, contract_address: None };
            txs
        ],
    };
    Flashblock::from_v1(FlashblocksPayloadV1 {
        version: VERSION_V1.into(),
        payload_id: payload_id(number, 0),
        parent_flash_hash: parent.filter(|_| index > 0),
        index,
        base: (index == 0).then(|| base(number)),
        diff: ExecutionPayloadFlashblockDeltaV1 { transactions, ..Default::default() },
        metadata,
    })
}

fn json(number: u64, transactions: Vec<Bytes>, receipts: BTreeMap<B256, OpReceipt>) -> Flashblock {
    Flashblock::from_json(FlashblockJson {
        payload_id: payload_id(number, 1),
        index: 0,
        base: Some(base(number)),
        diff: JsonDiff { transactions, ..Default::default() },
        metadata: JsonMetadata {
            block_number: Some(number),
            receipts: Some(receipts),
            ..JsonMetadata::default()
        },
        target_index: None,
    })
}

/// Case 2: a JSON index 0 of block `number` whose `metadata.receipts` holds one receipt
/// of `logs` logs of 64 bytes each under the hash of no transaction (the flashblock
/// carries one). The validator refuses it (`receipt_without_transaction`); an overlay
/// fed without the validator counts all of it.
pub fn receipt_flood(number: u64, logs: usize) -> Flashblock {
    let log = Log {
        address: Address::with_last_byte(0x77),
        data: LogData::new_unchecked(vec![B256::with_last_byte(1)], Bytes::from(vec![0xab; 64])),
    };
    let receipt = OpReceipt::Eip1559(Receipt {
        status: true.into(),
        cumulative_gas_used: 21_000,
        logs: vec![log; logs],
    });
    let mut receipts = BTreeMap::new();
    receipts.insert(B256::from(U256::from(number)), receipt);
    json(number, vec![signed_transfer(number, 0)], receipts)
}

/// An EIP-1559 transfer with nonce `nonce` and a fixed signature: it decodes, and its
/// sender recovers to an address that depends on its contents (no key signs it; a
/// builder's transactions would be signed, the cost of recovery is the same).
pub fn signed_transfer(chain: u64, nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: 10,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::with_last_byte(0x10)),
        value: U256::from(chain),
        ..Default::default()
    };
    // r: the x coordinate of secp256k1's generator, a point on the curve (a random r is
    // one only half of the time); s: small, so low.
    let r = U256::from_be_bytes(alloy_primitives::hex_literal::hex!(
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    ));
    let signature = Signature::new(r, U256::from(0x9abc_def0u64), false);
    OpTxEnvelope::Eip1559(tx.into_signed(signature)).encoded_2718().into()
}

/// Case 3: a JSON index 0 of block `number` with `txs` signed transfers and no
/// receipts: a stream that carries no nonces, where the pending nonce comes from the
/// transactions' senders.
pub fn nonce_flood(number: u64, txs: usize) -> Flashblock {
    let transactions = (0..txs as u64).map(|i| signed_transfer(number, i)).collect();
    json(number, transactions, BTreeMap::new())
}

/// The flashblocks of one long V1 block, each following the last (see
/// [`v1_flashblock`]).
#[derive(Debug)]
pub struct LongBlock {
    number: u64,
    next: u64,
    parent: Option<B256>,
}

impl LongBlock {
    /// Block `number`, from its index 0.
    pub const fn new(number: u64) -> Self {
        Self { number, next: 0, parent: None }
    }

    /// The next flashblock, with `txs` transactions.
    pub fn next_flashblock(&mut self, txs: usize) -> Flashblock {
        let fb = v1_flashblock(self.number, self.next, self.parent, txs);
        self.parent = Some(fb.identity());
        self.next += 1;
        fb
    }
}
