//! The immutable layers a snapshot is made of: one per flashblock, chained per block.
//!
//! A [`FlashblockLayer`] keeps the flashblock itself (behind an `Arc`, never copied),
//! the hash of each of its transactions and the receipt facts its metadata gives. A
//! [`BlockLayer`] is the chain of a block's flashblock layers; cloning one clones a
//! vector of at most the validator's `max_flashblocks_per_block` pointers.
//!
//! Nothing is decoded here: each transaction's hash and decoded form with its sender
//! come from the flashblock's preparation ([`Flashblock::prepared`], done once when the
//! validator let it through), shared by every snapshot.

use crate::{pmap::PMap, positions::Positions};
use alloy_primitives::{keccak256, Address, Bytes, Log, TxHash, B256};
use flashblocks_types::{
    DiffBlockHash, ExecutionPayloadStaticV1, Flashblock, FlashblockSource, Metadata, PayloadId,
    PostExecTx, RecoveredTransaction,
};
use std::sync::{Arc, OnceLock};

/// What the source says about a transaction's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptFacts {
    /// True for success (status 1).
    pub success: bool,
    /// Gas used by this transaction.
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// The contract the transaction created, if any.
    pub contract_address: Option<Address>,
    /// The logs, when the source carries them (deployed JSON receipts do, V1 does not).
    pub logs: Option<Vec<Log>>,
    /// The index in the block of this transaction's first log.
    pub first_log_index: u64,
    /// A deposit's nonce, when the source carries it.
    pub deposit_nonce: Option<u64>,
    /// A deposit's receipt version, when the source carries it.
    pub deposit_receipt_version: Option<u64>,
}

/// One preconfirmed transaction: its hash, what is known of its outcome, and its
/// decoded form with its sender (from the flashblock's preparation; `None` where the
/// bytes do not decode or the signature recovers no sender).
#[derive(Debug)]
pub(crate) struct TxEntry {
    pub(crate) hash: TxHash,
    pub(crate) receipt: Option<ReceiptFacts>,
    decoded: Option<Arc<RecoveredTransaction>>,
}

impl TxEntry {
    pub(crate) const fn new(
        hash: TxHash,
        receipt: Option<ReceiptFacts>,
        decoded: Option<Arc<RecoveredTransaction>>,
    ) -> Self {
        Self { hash, receipt, decoded }
    }

    /// The transaction decoded, with its sender; `None` when the bytes are not a valid
    /// OP transaction or the signature does not recover.
    pub(crate) const fn decoded(&self) -> Option<&Arc<RecoveredTransaction>> {
        self.decoded.as_ref()
    }
}

/// The hash of a transaction: keccak-256 of its EIP-2718 bytes.
pub fn transaction_hash(raw: &[u8]) -> TxHash {
    keccak256(raw)
}

/// One applied flashblock.
#[derive(Debug)]
pub(crate) struct FlashblockLayer {
    pub(crate) flashblock: Arc<Flashblock>,
    /// The block-level index of this flashblock's first transaction.
    pub(crate) first_tx: u32,
    pub(crate) transactions: Vec<TxEntry>,
    /// The caller's clock when it was applied (milliseconds).
    pub(crate) received_at_ms: u64,
    /// The bytes this layer holds, as counted against the bound.
    pub(crate) bytes: usize,
    /// The block's log count and cumulative gas after this flashblock.
    pub(crate) log_end: u64,
    pub(crate) cumulative_gas_end: u64,
    /// The transactions root of the block up to this flashblock, computed on demand.
    pub(crate) transactions_root: OnceLock<B256>,
}

impl FlashblockLayer {
    /// The raw bytes and the entry of the transaction at `offset` in this flashblock.
    pub(crate) fn transaction(&self, offset: usize) -> Option<(&Bytes, &TxEntry)> {
        Some((self.flashblock.transactions().get(offset)?, self.transactions.get(offset)?))
    }
}

/// One pending block: its flashblocks so far, oldest first.
#[derive(Clone, Debug)]
pub(crate) struct BlockLayer {
    pub(crate) number: u64,
    pub(crate) payload_id: PayloadId,
    /// Never empty once published: a block layer is created with its index 0.
    pub(crate) flashblocks: imbl::Vector<Arc<FlashblockLayer>>,
    pub(crate) base: Arc<ExecutionPayloadStaticV1>,
    pub(crate) tx_count: u32,
    pub(crate) log_count: u64,
    /// The cumulative gas of the last transaction with receipt facts.
    pub(crate) cumulative_gas: u64,
    /// The layers' bytes (the positions table counts its own).
    pub(crate) bytes: usize,
    /// The block's transactions by hash, shared with every snapshot of the block.
    pub(crate) positions: Arc<Positions>,
    /// The storage slots the block set, the newest value of each (a persistent map:
    /// each snapshot of the block shares what the flashblocks before it set). Built
    /// from empty for each block and dropped with it.
    pub(crate) storage: PMap<(Address, B256), B256>,
    /// Whether a flashblock of the block comes from a JSON source and was not executed
    /// (its nonces, code and storage are not known).
    pub(crate) unexecuted_json: bool,
    /// Whether a flashblock of the block carries balances (V1 or executed metadata, or
    /// a JSON `new_account_balances` with entries).
    pub(crate) carries_balances: bool,
    /// What the stream's `diff.block_hash` is: the block's hash only where it is the
    /// header hash.
    pub(crate) diff_block_hash: DiffBlockHash,
    /// The block's hash learned from the next block's `base.parent_hash`, where
    /// `diff.block_hash` is not the header hash.
    pub(crate) learned_hash: Option<B256>,
    /// Lagoon: the block's latest post-exec transaction (from the validator's token),
    /// listed after its transactions, provisional until the block seals.
    pub(crate) post_exec: Option<Arc<PostExecTx>>,
}

impl BlockLayer {
    /// A block before its first flashblock.
    pub(crate) fn new(
        number: u64,
        payload_id: PayloadId,
        base: Arc<ExecutionPayloadStaticV1>,
        diff_block_hash: DiffBlockHash,
    ) -> Self {
        Self {
            number,
            payload_id,
            flashblocks: imbl::Vector::new(),
            base,
            tx_count: 0,
            log_count: 0,
            cumulative_gas: 0,
            bytes: 0,
            positions: Arc::default(),
            storage: PMap::default(),
            unexecuted_json: false,
            carries_balances: false,
            diff_block_hash,
            learned_hash: None,
            post_exec: None,
        }
    }

    /// Adds the next flashblock's layer (its positions recorded first, see
    /// [`record_positions`](Self::record_positions)).
    pub(crate) fn push(&mut self, layer: FlashblockLayer) {
        let fb = &layer.flashblock;
        self.unexecuted_json |= fb.source() == FlashblockSource::Json && fb.executed().is_none();
        self.carries_balances |= match fb.metadata() {
            Metadata::Json(m) => m.new_account_balances.as_ref().is_some_and(|b| !b.is_empty()),
            _ => true,
        };
        self.tx_count = self.tx_count.saturating_add(layer.transactions.len() as u32);
        self.log_count = layer.log_end;
        self.cumulative_gas = layer.cumulative_gas_end;
        self.bytes = self.bytes.saturating_add(layer.bytes);
        self.flashblocks.push_back(Arc::new(layer));
    }

    /// The bytes the block holds: its layers, its positions table and its storage map.
    pub(crate) fn bytes_held(&self) -> usize {
        self.bytes.saturating_add(self.positions.bytes()).saturating_add(self.storage.bytes())
    }

    /// Records the storage slots `layer`'s flashblock sets (its executed post-state, or
    /// its V1 metadata's) in the block's map. The writer does it before it checks the
    /// block's bytes: the map is this block's copy, dropped with it if it is refused.
    pub(crate) fn record_storage(&mut self, layer: &FlashblockLayer) {
        for account in crate::build::state_accounts(&layer.flashblock) {
            for slot in &account.storage_slots {
                self.storage.insert((account.address, slot.key), slot.value);
            }
        }
    }

    /// The position of the transaction `hash` in this block, if it holds it, with its
    /// flashblock layer and offset there (as [`locate`](Self::locate)).
    pub(crate) fn position(&self, hash: &TxHash) -> Option<(u32, &FlashblockLayer, usize)> {
        // The last one, if the block holds the same transaction twice.
        self.positions
            .candidates(hash, self.tx_count)
            .filter_map(|p| {
                let (layer, offset) = self.locate(p)?;
                (layer.transactions.get(offset)?.hash == *hash).then_some((p, layer, offset))
            })
            .max_by_key(|(p, ..)| *p)
    }

    /// Appends `layer`'s transactions to the positions (the writer, before it adds the
    /// layer): in place, or into a table twice the size (see [`Positions`]).
    pub(crate) fn record_positions(&mut self, layer: &FlashblockLayer) {
        let hashes = layer.transactions.iter().map(|t| t.hash);
        if self.positions.fits(self.tx_count, layer.transactions.len()) {
            self.positions.append(self.tx_count, hashes);
        } else {
            let total = (self.tx_count as usize).saturating_add(layer.transactions.len());
            self.positions =
                Arc::new(Positions::rebuilt(self.transaction_hashes().chain(hashes), total));
        }
    }

    /// The bytes of the positions table once `more` transactions are recorded.
    pub(crate) fn positions_bytes_with(&self, more: usize) -> usize {
        if self.positions.fits(self.tx_count, more) {
            self.positions.bytes()
        } else {
            Positions::bytes_for(Positions::capacity_for(
                (self.tx_count as usize).saturating_add(more),
            ))
        }
    }

    /// The newest flashblock of this block.
    pub(crate) fn latest(&self) -> Option<&Arc<FlashblockLayer>> {
        self.flashblocks.last()
    }

    /// The hash of the block so far, when known: the latest flashblock's
    /// `diff.block_hash` where it is the header hash, else the hash learned from the next
    /// block's `base.parent_hash` (`None` until then).
    pub(crate) fn block_hash(&self) -> Option<B256> {
        self.latest().and_then(|l| self.hash_with(&l.flashblock))
    }

    /// The hash of the block once `latest` is its newest flashblock (as
    /// [`block_hash`](Self::block_hash)).
    pub(crate) fn hash_with(&self, latest: &Flashblock) -> Option<B256> {
        if self.diff_block_hash.is_header_hash() {
            Some(latest.diff().block_hash)
        } else {
            self.learned_hash
        }
    }

    /// The latest flashblock's cumulative `gas_used` and `receipts_root`: what a
    /// canonical block confirms a block whose hash is unknown by.
    pub(crate) fn gas_and_receipts_root(&self) -> Option<(u64, B256)> {
        self.latest().map(|l| (l.flashblock.diff().gas_used, l.flashblock.diff().receipts_root))
    }

    /// The latest flashblock index.
    pub(crate) fn flashblock_index(&self) -> u64 {
        self.latest().map(|l| l.flashblock.index()).unwrap_or_default()
    }

    /// The flashblock layer and offset of the block-level transaction `index`.
    pub(crate) fn locate(&self, index: u32) -> Option<(&FlashblockLayer, usize)> {
        // The last layer whose first transaction is at or below `index`.
        let (mut low, mut high) = (0, self.flashblocks.len());
        while low < high {
            let mid = low + (high - low) / 2;
            if self.flashblocks.get(mid)?.first_tx <= index {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        let layer = self.flashblocks.get(low.checked_sub(1)?)?;
        let offset = (index - layer.first_tx) as usize;
        (offset < layer.transactions.len()).then_some((layer.as_ref(), offset))
    }

    /// All transactions of the block so far, in order, with their raw bytes.
    pub(crate) fn transactions(&self) -> impl Iterator<Item = (&Bytes, &TxEntry)> + '_ {
        self.flashblocks
            .iter()
            .flat_map(|l| l.flashblock.transactions().iter().zip(l.transactions.iter()))
    }

    /// The hashes of the block's transactions, in order.
    pub(crate) fn transaction_hashes(&self) -> impl Iterator<Item = TxHash> + '_ {
        self.flashblocks.iter().flat_map(|l| l.transactions.iter().map(|t| t.hash))
    }

    /// The hashes the block lists, as the sealed block will: its transactions, then its
    /// latest post-exec transaction when it has one.
    pub(crate) fn listed_hashes(&self) -> impl Iterator<Item = TxHash> + '_ {
        self.transaction_hashes().chain(self.post_exec.as_ref().map(|p| p.hash()))
    }
}
