//! The body of the cargo-fuzz target `overlay`, and the [`NaiveModel`] it checks the
//! overlay against, kept here so that `cargo test` runs them over the checked-in corpus
//! on stable.
//!
//! The input bytes drive a [`Driver`]: a builder making V1 flashblocks with the chain
//! maker, fed through a validator whose tokens the overlay takes (over a small pool of addresses and slots, so later flashblocks override
//! earlier ones), interleaved with failovers, gaps, restarts (rule 4), canonical advances (matching,
//! broken, reorgs), resets, replays and queries. After every step the overlay's answers
//! must equal the model's.

pub mod hostile;
mod model;

pub use model::{ModelBlock, ModelReceipt, NaiveModel};

use crate::{
    CanonicalBlock, CanonicalHead, Lookup, NotHere, Overlay, OverlayConfig, OverlayEvent, Snapshot,
};
use alloy_primitives::{keccak256, Address, Bytes, TxHash, B256, U256};
use flashblocks_types::{
    AccountMetadata, ChainMaker, CumulativeResults, ExecutionPayloadStaticV1, Flashblock,
    FlashblockMetadata, FlashblockStep, PayloadId, StorageSlot, TransactionMetadata,
};
use flashblocks_validate::{Outcome, Validator, ValidatorConfig};
use std::sync::Arc;

/// Addresses the driver draws from.
const ADDRESSES: u8 = 6;
/// Slot keys the driver draws from.
const SLOTS: u8 = 4;

/// Target `overlay`: any bytes in; the overlay and the naive model agree after every
/// step.
///
/// # Panics
///
/// When they disagree: that is a finding.
pub fn overlay(data: &[u8]) {
    let config = OverlayConfig { max_pending_blocks: 3, ..Default::default() };
    let mut driver = Driver::new(config);
    let mut input = data;
    // Each step reads at least one byte: the work is linear in the input.
    while let Some((&op, rest)) = input.split_first() {
        input = rest;
        driver.step(op, &mut input);
    }
    driver.check();
}

fn take(input: &mut &[u8]) -> u8 {
    match input.split_first() {
        Some((&b, rest)) => {
            *input = rest;
            b
        }
        None => 0,
    }
}

/// The validator's bound on flashblocks per block in the driver.
const MAX_FLASHBLOCKS_PER_BLOCK: u64 = 6;

/// A builder, a validator, an overlay fed with the validator's tokens, and the model,
/// stepped together.
#[derive(Debug)]
pub struct Driver {
    /// The validator whose tokens the overlay takes.
    pub validator: Validator,
    /// The overlay under test.
    pub overlay: Overlay,
    /// The model.
    pub model: NaiveModel,
    maker: Option<ChainMaker>,
    number: u64,
    parent_hash: B256,
    counter: u64,
    gas: u64,
    last: Option<Arc<Flashblock>>,
}

impl Driver {
    /// A driver whose first block is number 100.
    pub fn new(config: OverlayConfig) -> Self {
        let validator =
            ValidatorConfig::v1().with_max_flashblocks_per_block(MAX_FLASHBLOCKS_PER_BLOCK);
        Self {
            validator: Validator::new(validator),
            overlay: Overlay::new(config),
            model: NaiveModel::new(config),
            maker: None,
            number: 100,
            parent_hash: B256::ZERO,
            counter: 0,
            gas: 0,
            last: None,
        }
    }

    fn fresh(&mut self) -> B256 {
        self.counter += 1;
        keccak256(self.counter.to_be_bytes())
    }

    fn start_block(&mut self, number: u64) {
        self.number = number;
        let payload_id = PayloadId::new(self.fresh().0[..8].try_into().unwrap_or_default());
        let base = ExecutionPayloadStaticV1 {
            parent_hash: self.parent_hash,
            block_number: number,
            gas_limit: 30_000_000,
            timestamp: 1_700_000_000 + number * 2,
            base_fee_per_gas: U256::from(7),
            ..Default::default()
        };
        self.maker = Some(ChainMaker::new(payload_id, base));
        self.gas = 0;
    }

    /// Makes the next flashblock of the current block, its contents read from `input`.
    pub fn next_flashblock(&mut self, input: &mut &[u8]) -> Option<Arc<Flashblock>> {
        let index = self.maker.as_ref()?.next_index();
        let mut transactions = Vec::new();
        if index == 0 {
            let mut deposit = vec![0x7e];
            deposit.extend_from_slice(self.fresh().as_slice());
            transactions.push(Bytes::from(deposit));
        }
        for _ in 0..take(input) % 4 {
            let mut tx = vec![0x02];
            tx.extend_from_slice(self.fresh().as_slice());
            transactions.push(Bytes::from(tx));
        }
        let tx_meta: Vec<TransactionMetadata> = transactions
            .iter()
            .map(|_| {
                let b = take(input);
                TransactionMetadata {
                    status: b & 1,
                    gas_used: 21_000 + u64::from(b) * 100,
                    contract_address: b.is_multiple_of(7).then(|| Address::with_last_byte(b)),
                }
            })
            .collect();
        self.gas += tx_meta.iter().map(|m| m.gas_used).sum::<u64>();
        let mut accounts: Vec<AccountMetadata> = Vec::new();
        for _ in 0..take(input) % 4 {
            let a = take(input);
            let address = Address::with_last_byte(a % ADDRESSES + 1);
            if accounts.iter().any(|x| x.address == address) {
                continue;
            }
            let mut storage_slots: Vec<StorageSlot> = (0..a % 3)
                .map(|i| StorageSlot {
                    key: B256::with_last_byte((a / 3 + i) % SLOTS),
                    value: B256::with_last_byte(take(input)),
                })
                .collect();
            storage_slots.sort_unstable_by_key(|s| s.key);
            storage_slots.dedup_by_key(|s| s.key);
            let v = take(input);
            accounts.push(AccountMetadata {
                address,
                balance: (v & 1 == 1).then(|| U256::from(v)),
                nonce: u64::from(take(input)),
                code: (v & 2 == 2).then(|| Bytes::from(vec![v])),
                storage_slots,
            });
        }
        accounts.sort_unstable_by_key(|a| a.address);
        let block_hash = self.fresh();
        let step = FlashblockStep {
            transactions,
            withdrawals: Vec::new(),
            results: CumulativeResults { gas_used: self.gas, block_hash, ..Default::default() },
            metadata: FlashblockMetadata { accounts, transactions: tx_meta },
        };
        let sealed = self.maker.as_mut()?.push(step);
        self.parent_hash = block_hash;
        Some(Arc::new(Flashblock::from_sealed_v1(sealed)))
    }

    fn apply(&mut self, fb: Arc<Flashblock>) {
        let now = self.counter;
        self.last = Some(Arc::clone(&fb));
        // What the validator does not accept reaches neither.
        let Ok(Outcome::Accepted(accepted)) = self.validator.validate(Arc::clone(&fb)) else {
            return;
        };
        if accepted.block_start().is_some_and(|start| start.is_restart()) {
            self.model.restart();
        }
        let overlay = self.overlay.apply(&accepted, now).is_ok();
        let model = self.model.apply(fb.clone());
        assert_eq!(
            overlay,
            model,
            "acceptance of flashblock {} of block {:?}",
            fb.index(),
            fb.base().map(|b| b.block_number)
        );
    }

    fn canonical(&mut self, head: CanonicalHead, transactions: Option<&[TxHash]>) {
        let block = transactions.map(|txs| CanonicalBlock::new(txs.to_vec()));
        let events = self.overlay.advance_canonical(head, block.as_ref());
        self.model.advance_canonical(head, transactions);
        // A receiver keeps its validator's canonical head (rule 4).
        self.validator.set_canonical_head(Some(head.number));
        // A receiver resets its validator when the pending chain was dropped.
        if events.iter().any(|e| {
            matches!(e, OverlayEvent::Reorg { .. } | OverlayEvent::BrokenPreconfirmation { .. })
        }) {
            self.validator.reset();
        }
    }

    /// One step: `op` picks what, `input` gives its details.
    pub fn step(&mut self, op: u8, input: &mut &[u8]) {
        match op % 16 {
            0..=6 => {
                if self.maker.is_none() {
                    self.start_block(self.number);
                }
                if let Some(fb) = self.next_flashblock(input) {
                    self.apply(fb);
                }
            }
            7 | 8 => self.start_block(self.number + 1),
            9 => self.start_block(self.number), // failover: same height, new payload
            10 => {
                if take(input).is_multiple_of(4) {
                    // Far below the newest block: a restart (rule 4).
                    self.start_block(self.number.saturating_sub(10));
                } else {
                    self.start_block(self.number + 2); // a gap
                }
            }
            11 => {
                // The canonical chain confirms the oldest pending block (or not).
                let Some(oldest) = self.model.blocks.first().cloned() else { return };
                let b = take(input);
                let hash = if b.is_multiple_of(4) { self.fresh() } else { oldest.block_hash() };
                let txs = oldest.transaction_hashes();
                let txs = b.is_multiple_of(3).then_some(txs.as_slice());
                self.canonical(CanonicalHead { number: oldest.number, hash }, txs);
            }
            12 => {
                // The canonical chain moves by some amount, possibly backwards.
                let b = take(input);
                let base = self.model.canonical.map_or(self.number, |c| c.number);
                let number = (base + u64::from(b % 4)).saturating_sub(u64::from(b / 64));
                let hash = self.fresh();
                self.canonical(CanonicalHead { number, hash }, None);
            }
            13 => {
                self.validator.reset();
                self.overlay.reset();
                self.model.reset();
            }
            14 => {
                // A replay of the last flashblock: the validator answers it (a duplicate).
                if let Some(fb) = self.last.clone() {
                    self.apply(fb);
                }
            }
            _ => self.check(),
        }
    }

    /// Every query over the pools agrees with the model.
    ///
    /// # Panics
    ///
    /// When the overlay and the model disagree.
    pub fn check(&self) {
        let snapshot = self.overlay.snapshot();
        check_against(&snapshot, &self.model);
    }
}

/// Compares every query of `snapshot` over the driver's pools (and every pending
/// transaction) with `model`.
///
/// # Panics
///
/// When they disagree.
pub fn check_against(snapshot: &Snapshot, model: &NaiveModel) {
    let view = snapshot.at(0);
    let numbers: Vec<u64> = snapshot.pending_block_numbers().collect();
    let expected: Vec<u64> = model.blocks.iter().map(|b| b.number).collect();
    assert_eq!(numbers, expected, "pending blocks");
    if model.blocks.is_empty() {
        assert_eq!(snapshot.indexed_entries(), 0, "an empty overlay holds no index entries");
    }
    let state = |lookup: Option<NotHere>| -> bool {
        match lookup {
            None => true,
            Some(NotHere::Empty) => {
                assert!(model.blocks.is_empty());
                false
            }
            Some(NotHere::Incomplete { required, .. }) => {
                assert_eq!(model.required, Some(required));
                false
            }
            Some(_) => false,
        }
    };
    for a in 1..=ADDRESSES {
        let address = Address::with_last_byte(a);
        let complete = !model.blocks.is_empty() && model.required.is_none();
        let balance = view.balance(address);
        state(balance.not_here());
        assert_eq!(
            balance.into_value(),
            model.balances.get(&address).copied().filter(|_| complete),
            "balance"
        );
        assert_eq!(
            view.transaction_count(address).into_value(),
            model.nonces.get(&address).copied().filter(|_| complete),
            "nonce"
        );
        assert_eq!(
            view.code(address).into_value(),
            model.codes.get(&address).cloned().filter(|_| complete),
            "code"
        );
        for s in 0..SLOTS {
            let slot = B256::with_last_byte(s);
            assert_eq!(
                view.storage_at(address, slot).into_value(),
                model.storage.get(&(address, slot)).copied().filter(|_| complete),
                "storage"
            );
        }
    }
    for (hash, (number, index)) in &model.transactions {
        let Lookup::Found(found) = view.transaction(*hash) else {
            panic!("transaction {hash} missing")
        };
        assert_eq!((found.value.block_number, found.value.index), (*number, *index));
        let receipt = view
            .receipt(*hash)
            .into_value()
            .map(|r| (r.facts.success, r.facts.gas_used, r.facts.cumulative_gas_used));
        assert_eq!(receipt, model.receipts.get(hash).copied(), "receipt");
    }
    if let Some(newest) = model.blocks.last() {
        assert_eq!(
            view.pending_transaction_hashes().into_value(),
            Some(newest.transaction_hashes())
        );
        assert_eq!(
            snapshot.id().map(|id| id.flashblock_index),
            Some(newest.flashblocks.len() as u64 - 1)
        );
    }
    // The index holds exactly what the pending blocks set, nothing left over.
    assert_eq!(snapshot.index.balances.len(), model.balances.len(), "indexed balances");
    assert_eq!(snapshot.index.nonces.len(), model.nonces.len(), "indexed nonces");
    assert_eq!(snapshot.index.codes.len(), model.codes.len(), "indexed codes");
    // The slots, in the blocks' own maps: the model's, and in each block what its
    // flashblocks set.
    let mut slots = std::collections::HashSet::new();
    for block in &snapshot.blocks {
        let set: std::collections::HashSet<_> = block
            .flashblocks
            .iter()
            .flat_map(|l| crate::build::state_accounts(&l.flashblock))
            .flat_map(|a| a.storage_slots.iter().map(move |s| (a.address, s.key)))
            .collect();
        assert_eq!(block.storage.len(), set.len(), "slots of block {}", block.number);
        slots.extend(block.storage.iter().map(|(key, _)| *key));
    }
    assert_eq!(slots.len(), model.storage.len(), "indexed slots");
    // Each block's positions table holds its transactions, nothing beyond them.
    let mut held = std::collections::HashSet::new();
    for block in &snapshot.blocks {
        assert_eq!(block.positions.len(), block.tx_count, "positions of block {}", block.number);
        held.extend(block.transaction_hashes());
    }
    assert_eq!(held.len(), model.transactions.len(), "indexed transactions");
}
