//! The naive model the overlay is checked against: plain `HashMap`s rebuilt from
//! scratch, from every pending flashblock, after every change.

use crate::{CanonicalHead, OverlayConfig};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use flashblocks_types::{Flashblock, Metadata, PayloadId};
use std::{collections::HashMap, sync::Arc};

/// A receipt as the model sees it: success, gas used, cumulative gas used.
pub type ModelReceipt = (bool, u64, u64);

/// One pending block of the model.
#[derive(Clone, Debug)]
pub struct ModelBlock {
    /// Its number.
    pub number: u64,
    /// Its payload id.
    pub payload_id: PayloadId,
    /// Its flashblocks, in order.
    pub flashblocks: Vec<Arc<Flashblock>>,
}

impl ModelBlock {
    /// The latest `diff.block_hash`.
    pub fn block_hash(&self) -> B256 {
        self.flashblocks.last().map(|f| f.diff().block_hash).unwrap_or_default()
    }

    /// The parent hash from `base`.
    pub fn parent_hash(&self) -> B256 {
        self.flashblocks.first().and_then(|f| f.base()).map(|b| b.parent_hash).unwrap_or_default()
    }

    /// The transaction hashes, in order.
    pub fn transaction_hashes(&self) -> Vec<TxHash> {
        self.flashblocks
            .iter()
            .flat_map(|f| f.transactions().iter().map(|t| crate::transaction_hash(t)))
            .collect()
    }
}

/// The lifecycle rules of the [spec page](flashblocks_types::spec), written the obvious way, and the state rebuilt
/// from scratch into `HashMap`s after every change.
#[derive(Clone, Debug, Default)]
pub struct NaiveModel {
    config: OverlayConfig,
    /// The canonical head, if told.
    pub canonical: Option<CanonicalHead>,
    /// The pending blocks, oldest first.
    pub blocks: Vec<ModelBlock>,
    /// The canonical number state answers wait for.
    pub required: Option<u64>,
    /// Balances set by pending blocks.
    pub balances: HashMap<Address, U256>,
    /// Nonces set by pending blocks.
    pub nonces: HashMap<Address, u64>,
    /// Code set by pending blocks.
    pub codes: HashMap<Address, Bytes>,
    /// Storage slots set by pending blocks.
    pub storage: HashMap<(Address, B256), B256>,
    /// Transaction positions: block number and index in the block.
    pub transactions: HashMap<TxHash, (u64, u64)>,
    /// Receipts, when the source gives them.
    pub receipts: HashMap<TxHash, ModelReceipt>,
}

impl NaiveModel {
    /// An empty model with the overlay's bounds (the byte bound is not modelled).
    pub fn new(config: OverlayConfig) -> Self {
        Self { config, ..Default::default() }
    }

    fn require(&mut self, number: u64) {
        if self.canonical.is_none_or(|c| c.number < number) {
            self.required = Some(self.required.map_or(number, |r| r.max(number)));
        }
    }

    /// Applies a flashblock the validator accepted; false when the overlay must refuse
    /// it (its block is canonical already, or the block it continues is not pending).
    pub fn apply(&mut self, fb: Arc<Flashblock>) -> bool {
        if fb.index() == 0 {
            let Some(base) = fb.base() else { return false };
            let number = base.block_number;
            if self.canonical.is_some_and(|c| number <= c.number) {
                return false;
            }
            match self.blocks.last() {
                Some(newest) if number == newest.number => {
                    self.blocks.pop();
                }
                Some(newest) if number != newest.number.saturating_add(1) => {
                    self.drop_all();
                    self.require(number.saturating_sub(1));
                }
                Some(_) => {}
                None => {
                    if self.canonical.is_some_and(|c| number > c.number.saturating_add(1)) {
                        self.require(number - 1);
                    }
                }
            }
            self.blocks.push(ModelBlock {
                number,
                payload_id: fb.payload_id(),
                flashblocks: vec![fb],
            });
        } else {
            let Some(newest) = self.blocks.last_mut() else { return false };
            if newest.payload_id != fb.payload_id() || fb.index() != newest.flashblocks.len() as u64
            {
                return false;
            }
            newest.flashblocks.push(fb);
        }
        while self.blocks.len() > self.config.max_pending_blocks.max(1) {
            let evicted = self.blocks.remove(0);
            self.require(evicted.number);
        }
        self.rebuild();
        true
    }

    /// The canonical head moved.
    pub fn advance_canonical(&mut self, head: CanonicalHead, transactions: Option<&[TxHash]>) {
        let previous = self.canonical.replace(head);
        if previous.is_some_and(|p| {
            head.number < p.number || (head.number == p.number && head.hash != p.hash)
        }) {
            self.drop_all();
        }
        while let Some(oldest) = self.blocks.first() {
            if oldest.number > head.number {
                break;
            }
            if oldest.number == head.number
                && (oldest.block_hash() != head.hash
                    || transactions.is_some_and(|t| t != oldest.transaction_hashes().as_slice()))
            {
                self.drop_all();
                break;
            }
            self.blocks.remove(0);
            if self.blocks.is_empty() {
                self.drop_all();
            }
        }
        if self.blocks.first().is_some_and(|b| {
            b.number == head.number.saturating_add(1) && b.parent_hash() != head.hash
        }) {
            self.drop_all();
        }
        if self.required.is_some_and(|r| head.number >= r) {
            self.required = None;
        }
        self.rebuild();
    }

    /// Drops every pending block.
    pub fn reset(&mut self) {
        self.drop_all();
        self.rebuild();
    }

    /// Rule 4's restart, before the flashblock that restarted the stream is applied:
    /// every pending block and what state reads waited for are dropped.
    pub fn restart(&mut self) {
        self.drop_all();
    }

    /// Drops every pending block and what state reads waited for.
    fn drop_all(&mut self) {
        self.blocks.clear();
        self.required = None;
    }

    /// Rebuilds every map from the pending flashblocks.
    fn rebuild(&mut self) {
        self.balances.clear();
        self.nonces.clear();
        self.codes.clear();
        self.storage.clear();
        self.transactions.clear();
        self.receipts.clear();
        for block in &self.blocks {
            let mut index = 0u64;
            let mut cumulative = 0u64;
            for fb in &block.flashblocks {
                for (i, raw) in fb.transactions().iter().enumerate() {
                    let hash = crate::transaction_hash(raw);
                    self.transactions.insert(hash, (block.number, index));
                    index += 1;
                    if let Some(meta) = fb.transaction_metadata().and_then(|m| m.get(i)) {
                        cumulative = cumulative.saturating_add(meta.gas_used);
                        self.receipts.insert(hash, (meta.status == 1, meta.gas_used, cumulative));
                    }
                }
                match fb.metadata() {
                    Metadata::V1(m) => {
                        for a in &m.accounts {
                            if let Some(balance) = a.balance {
                                self.balances.insert(a.address, balance);
                            }
                            self.nonces.insert(a.address, a.nonce);
                            if let Some(code) = &a.code {
                                self.codes.insert(a.address, code.clone());
                            }
                            for s in &a.storage_slots {
                                self.storage.insert((a.address, s.key), s.value);
                            }
                        }
                    }
                    Metadata::Json(m) => {
                        for (address, balance) in m.new_account_balances.iter().flatten() {
                            self.balances.insert(*address, *balance);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
