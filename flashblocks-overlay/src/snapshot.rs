//! [`Snapshot`]: one immutable state of the overlay, and the answers it gives.

use crate::{
    index::Index,
    layer::{BlockLayer, FlashblockLayer, ReceiptFacts, TxEntry},
};
use alloy_primitives::{Address, Bytes, TxHash, B256, U256};
use flashblocks_types::PayloadId;
use op_alloy_rpc_types::L1BlockInfo;
use std::sync::Arc;

/// The canonical head as the caller reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CanonicalHead {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
}

/// What the caller read of the canonical block at the head, to check the preconfirmed
/// block at its number against ([`Overlay::advance_canonical`](crate::Overlay::advance_canonical)):
/// its transactions, and its `gasUsed` and `receiptsRoot`, which confirm a block whose
/// hash is unknown ([spec page](flashblocks_types::spec), "Subblocks and the deployed
/// dialects").
///
/// ```
/// use alloy_primitives::{B256, TxHash};
/// use flashblocks_overlay::CanonicalBlock;
///
/// let block = CanonicalBlock::new(vec![TxHash::repeat_byte(1)]).with_gas_used(21_000).with_receipts_root(B256::repeat_byte(2));
/// assert_eq!((block.gas_used, block.receipts_root), (Some(21_000), Some(B256::repeat_byte(2))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CanonicalBlock {
    /// Its transaction hashes, in order.
    pub transactions: Vec<TxHash>,
    /// Its `gasUsed`, when read.
    pub gas_used: Option<u64>,
    /// Its `receiptsRoot`, when read.
    pub receipts_root: Option<B256>,
}

impl CanonicalBlock {
    /// A block with these transaction hashes (in order), its `gasUsed` and
    /// `receiptsRoot` not read.
    pub const fn new(transactions: Vec<TxHash>) -> Self {
        Self { transactions, gas_used: None, receipts_root: None }
    }

    /// With its `gasUsed`.
    pub const fn with_gas_used(mut self, gas_used: u64) -> Self {
        self.gas_used = Some(gas_used);
        self
    }

    /// With its `receiptsRoot`.
    pub const fn with_receipts_root(mut self, receipts_root: B256) -> Self {
        self.receipts_root = Some(receipts_root);
        self
    }
}

/// Which snapshot an answer came from: the newest pending block and flashblock at the
/// time. Two answers with the same id were read from the same state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotId {
    /// The newest pending block's number.
    pub block_number: u64,
    /// Its latest flashblock index.
    pub flashblock_index: u64,
}

/// A value from the overlay, with the snapshot it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preconfirmed<T> {
    /// The value.
    pub value: T,
    /// The snapshot it was read from.
    pub snapshot: SnapshotId,
}

/// Why the overlay has no answer: the caller falls back (to the canonical state, or to
/// an error for the client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotHere {
    /// No pending block.
    Empty,
    /// The newest flashblock is older than the staleness bound.
    Stale {
        /// How old it is.
        age_ms: u64,
        /// The bound.
        max_age_ms: u64,
    },
    /// No pending block touched this key: the canonical value is the answer.
    Untouched,
    /// Not known: the source does not carry this kind of value and no execution gave it
    /// (deployed JSON carries no nonce, code or storage, balances only when its
    /// `new_account_balances` has entries, and receipts only when its metadata has
    /// them). Unlike [`Untouched`](Self::Untouched), the canonical (`latest`) value is
    /// **not** the pending answer: a pending block may have changed it.
    NotCarried,
    /// Blocks between the canonical head and the pending chain are missing (a gap in the
    /// stream, or an eviction): state answers wait for the canonical chain to reach
    /// `required`.
    Incomplete {
        /// The canonical head's number, if known.
        canonical: Option<u64>,
        /// The block the canonical chain must reach.
        required: u64,
    },
    /// The transaction bytes do not decode as an OP transaction (or its signature does
    /// not recover), so the RPC shape cannot be built.
    Undecodable,
}

/// An answer of the overlay: the value with its snapshot, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a lookup says whether the overlay answered or the caller must fall back"]
pub enum Lookup<T> {
    /// The preconfirmed value.
    Found(Preconfirmed<T>),
    /// Not in the overlay.
    NotHere(NotHere),
}

impl<T> Lookup<T> {
    /// The value, if found.
    pub const fn value(&self) -> Option<&T> {
        match self {
            Self::Found(p) => Some(&p.value),
            Self::NotHere(_) => None,
        }
    }

    /// The value, if found.
    pub fn into_value(self) -> Option<T> {
        match self {
            Self::Found(p) => Some(p.value),
            Self::NotHere(_) => None,
        }
    }

    /// Why not, if not found.
    pub const fn not_here(&self) -> Option<NotHere> {
        match self {
            Self::Found(_) => None,
            Self::NotHere(reason) => Some(*reason),
        }
    }

    /// Maps the value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Lookup<U> {
        match self {
            Self::Found(p) => {
                Lookup::Found(Preconfirmed { value: f(p.value), snapshot: p.snapshot })
            }
            Self::NotHere(reason) => Lookup::NotHere(reason),
        }
    }
}

/// One immutable state of the overlay: the pending blocks above the canonical head,
/// oldest first, and the merged index over them.
///
/// Point queries ([`View::balance`] and the like) hash the key once and walk a
/// persistent trie of two or three nodes, whatever the number of pending blocks.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub(crate) index: Index,
    pub(crate) blocks: Vec<Arc<BlockLayer>>,
    pub(crate) canonical: Option<CanonicalHead>,
    /// Set after a gap or an eviction: state answers wait until the canonical head
    /// reaches this number.
    pub(crate) required_canonical: Option<u64>,
    pub(crate) max_age_ms: Option<u64>,
    /// What older versions of the index the writer keeps hold beside this one's (set at
    /// publication, see [`bytes_held`](Self::bytes_held)).
    pub(crate) beside: usize,
    pub(crate) sequence: u64,
    /// Cached at publish: the newest block and flashblock.
    pub(crate) id: Option<SnapshotId>,
    /// The newest flashblock taken and when it arrived, kept when its block leaves.
    pub(crate) newest_received: Option<SnapshotId>,
    pub(crate) received_at_ms: Option<u64>,
}

/// A preconfirmed transaction: its bytes and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreconfirmedTransaction {
    /// The hash (keccak-256 of `raw`).
    pub hash: TxHash,
    /// The EIP-2718 bytes.
    pub raw: Bytes,
    /// The block number.
    pub block_number: u64,
    /// The hash of the block so far, when known: its latest flashblock's
    /// `diff.block_hash` where that is the header hash, else the hash learned from the
    /// next block (`None`, answered as null, until then).
    pub block_hash: Option<B256>,
    /// The index in the block.
    pub index: u64,
    /// The index of the flashblock that carried it.
    pub flashblock_index: u64,
    /// The block's timestamp.
    pub timestamp: u64,
    /// The block's base fee.
    pub base_fee_per_gas: U256,
}

/// A preconfirmed receipt: the transaction and its outcome as the source gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreconfirmedReceipt {
    /// The transaction.
    pub transaction: PreconfirmedTransaction,
    /// Its outcome.
    pub facts: ReceiptFacts,
    /// The OP fee fields of an executed receipt (`l1Fee`, `l1GasPrice`, `l1GasUsed`, the
    /// scalars, the operator fee, `daFootprintGasScalar`), as the executor computed
    /// them; all absent when the stream carried the receipt (no stream carries them).
    pub l1_block_info: L1BlockInfo,
    /// An executed receipt's `blobGasUsed` (from Jovian, the transaction's DA
    /// footprint); `None` before Jovian and when the stream carried the receipt.
    pub blob_gas_used: Option<u64>,
    /// An executed receipt's SDM gas refund (`opGasRefund`, from Lagoon): `Some` when
    /// the block's post-exec transaction refunded it (its gas is then canonical).
    pub op_gas_refund: Option<u64>,
}

impl Snapshot {
    pub(crate) fn empty(max_age_ms: Option<u64>) -> Self {
        Self {
            index: Index::default(),
            blocks: Vec::new(),
            canonical: None,
            required_canonical: None,
            max_age_ms,
            beside: 0,
            sequence: 0,
            id: None,
            newest_received: None,
            received_at_ms: None,
        }
    }

    /// Fills the cached fields from the blocks (the writer calls it before publishing).
    pub(crate) fn seal(&mut self) {
        let newest = self.blocks.last();
        self.id = newest
            .map(|b| SnapshotId { block_number: b.number, flashblock_index: b.flashblock_index() });
        // The stream's liveness outlives the blocks: a confirmed or dropped block leaves
        // its newest flashblock's id and arrival time behind.
        if let Some(at) = newest.and_then(|b| b.latest()).map(|l| l.received_at_ms) {
            self.newest_received = self.id;
            self.received_at_ms = Some(at);
        }
    }

    /// Drops every pending block, and with them what their state reads waited for.
    pub(crate) fn clear(&mut self) {
        self.index = Index::default();
        self.beside = 0;
        self.blocks.clear();
        self.required_canonical = None;
    }

    /// State reads wait for the canonical chain to reach `number` (a block below the
    /// pending chain is missing). Only the pending chain's own gaps and evictions set it,
    /// and dropping the chain clears it, so a block that is no longer pending never
    /// holds state reads back.
    pub(crate) fn require_canonical(&mut self, number: u64) {
        if self.canonical.is_none_or(|c| c.number < number) {
            self.required_canonical =
                Some(self.required_canonical.map_or(number, |n| n.max(number)));
        }
    }

    /// The bytes of the pending blocks' layers.
    pub(crate) fn layer_bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.bytes_held()).fold(0, usize::saturating_add)
    }

    /// The newest pending block and flashblock, `None` when nothing is pending.
    pub fn id(&self) -> Option<SnapshotId> {
        let newest = self.blocks.last()?;
        Some(SnapshotId {
            block_number: newest.number,
            flashblock_index: newest.flashblock_index(),
        })
    }

    /// Counts the snapshots the writer published before this one (0 for the first).
    pub const fn sequence(&self) -> u64 {
        self.sequence
    }

    /// The canonical head the overlay was last told of.
    pub const fn canonical_head(&self) -> Option<CanonicalHead> {
        self.canonical
    }

    /// The numbers of the pending blocks, oldest first.
    pub fn pending_block_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        self.blocks.iter().map(|b| b.number)
    }

    /// The payload id of the newest pending block.
    pub fn payload_id(&self) -> Option<PayloadId> {
        self.blocks.last().map(|b| b.payload_id)
    }

    /// An upper bound of the heap memory the overlay holds with this snapshot published,
    /// as counted against [`OverlayConfig::max_bytes`](crate::OverlayConfig::max_bytes):
    ///
    /// - each pending flashblock: the decoded flashblock itself (every list and map it
    ///   carries, JSON receipts and logs included), its layer (hashes, receipt facts and
    ///   their logs) and room for every transaction's decoded form;
    /// - each pending block's table of its transactions by hash and its map of the
    ///   storage slots it set, counted node by node with the allocator's overhead;
    /// - the merged index of the accounts, counted the same way;
    /// - what older versions of the index that the writer keeps (for a failover) hold
    ///   beyond this one.
    ///
    /// What it does not count: a snapshot a reader still holds after the writer replaced
    /// it keeps alive what it held (its evicted blocks, the index nodes and transaction
    /// tables replaced since); and during an [`apply`](crate::Overlay::apply), until it
    /// publishes, the replaced snapshot and the new flashblock are both alive.
    ///
    /// The bound per reader snapshot: everything a snapshot reaches was counted in its
    /// own `bytes_held()` when it was published (the decoded forms as room, filled or
    /// not), so a held snapshot keeps at most that much beyond the current one, and the
    /// writer keeps that at most
    /// [`max_bytes`](crate::OverlayConfig::max_bytes) (beyond it only while a single
    /// block and its index entries remain). With `r` snapshots held at once, the memory
    /// is at most the sum of `r + 1` snapshots' `bytes_held()`. An
    /// [`OverlayReader::with`](crate::OverlayReader::with) holds one for the call; an
    /// [`OverlayReader::snapshot`](crate::OverlayReader::snapshot) as long as the caller
    /// keeps it; a [`CachedReader`](crate::CachedReader) one per thread until its next
    /// load (an idle thread keeps the last one it loaded).
    pub fn bytes_held(&self) -> usize {
        self.layer_bytes().saturating_add(self.index.bytes()).saturating_add(self.beside)
    }

    /// The entries of the merged index (accounts, senders' nonces) and of the pending
    /// blocks' storage maps and transaction tables: zero when nothing is pending, and
    /// never more than the pending blocks set.
    pub fn indexed_entries(&self) -> usize {
        let blocks = self.blocks.iter().map(|b| b.tx_count as usize + b.storage.len());
        self.index.len().saturating_add(blocks.sum::<usize>())
    }

    /// When the newest flashblock was applied, on the caller's clock; kept when its
    /// block is confirmed or dropped (`None` before the first flashblock).
    pub const fn received_at_ms(&self) -> Option<u64> {
        self.received_at_ms
    }

    /// The newest flashblock applied (its block number and index), kept when its block
    /// is confirmed or dropped, unlike [`id`](Self::id): what a health check reports
    /// between a block's confirmation and the next block's first flashblock.
    pub const fn newest_received(&self) -> Option<SnapshotId> {
        self.newest_received
    }

    /// How old the newest flashblock applied is at `now_ms` (0 if the clock went back),
    /// whether or not its block is still pending.
    pub fn age_ms(&self, now_ms: u64) -> Option<u64> {
        self.received_at_ms().map(|t| now_ms.saturating_sub(t))
    }

    /// The queries, as seen at `now_ms` on the caller's clock (for the staleness bound).
    pub const fn at(&self, now_ms: u64) -> View<'_> {
        View { snapshot: self, now_ms }
    }

    pub(crate) fn block(&self, number: u64) -> Option<&Arc<BlockLayer>> {
        let first = self.blocks.first()?.number;
        self.blocks.get(usize::try_from(number.checked_sub(first)?).ok()?)
    }

    pub(crate) fn newest_block(&self) -> Option<&Arc<BlockLayer>> {
        self.blocks.last()
    }

    /// Whether some pending flashblock comes from a JSON source and was not executed
    /// (its nonces, code and storage are not known).
    fn has_json(&self) -> bool {
        self.blocks.iter().any(|b| b.unexecuted_json)
    }

    /// The number of the newest pending block whose flashblocks carry no balances (no
    /// V1 or executed metadata, and every JSON `new_account_balances` empty or absent):
    /// balances at or above it are not known.
    fn newest_without_balances(&self) -> Option<u64> {
        self.blocks.iter().rev().find(|b| !b.carries_balances).map(|b| b.number)
    }

    /// The transaction `hash` in the newest pending block that holds it.
    pub(crate) fn entry(
        &self,
        hash: &TxHash,
    ) -> Option<(&BlockLayer, &FlashblockLayer, &Bytes, &TxEntry, u64)> {
        let (block, (position, layer, offset)) =
            self.blocks.iter().rev().find_map(|b| Some((b, b.position(hash)?)))?;
        let (raw, entry) = layer.transaction(offset)?;
        Some((block, layer, raw, entry, u64::from(position)))
    }
}

/// The queries of one [`Snapshot`] at one time: every answer is
/// [`NotHere::Stale`] when the newest flashblock is older than the staleness bound.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub(crate) snapshot: &'a Snapshot,
    pub(crate) now_ms: u64,
}

impl<'a> View<'a> {
    /// The snapshot.
    pub const fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// The snapshot id if the view can answer at all.
    #[inline]
    pub(crate) fn ready(&self) -> Result<SnapshotId, NotHere> {
        let id = self.snapshot.id.ok_or(NotHere::Empty)?;
        if let Some(max_age_ms) = self.snapshot.max_age_ms {
            let age_ms = self.snapshot.age_ms(self.now_ms).unwrap_or_default();
            if age_ms > max_age_ms {
                return Err(NotHere::Stale { age_ms, max_age_ms });
            }
        }
        Ok(id)
    }

    /// As [`ready`](Self::ready), and the account state is complete.
    fn state_ready(&self) -> Result<SnapshotId, NotHere> {
        let id = self.ready()?;
        if let Some(required) = self.snapshot.required_canonical {
            return Err(NotHere::Incomplete {
                canonical: self.snapshot.canonical.map(|c| c.number),
                required,
            });
        }
        Ok(id)
    }

    pub(crate) fn answer<T>(
        id: Result<SnapshotId, NotHere>,
        value: impl FnOnce() -> Result<T, NotHere>,
    ) -> Lookup<T> {
        match id.and_then(|snapshot| Ok(Preconfirmed { value: value()?, snapshot })) {
            Ok(found) => Lookup::Found(found),
            Err(reason) => Lookup::NotHere(reason),
        }
    }

    fn untouched_or_not_carried(&self) -> NotHere {
        if self.snapshot.has_json() {
            NotHere::NotCarried
        } else {
            NotHere::Untouched
        }
    }

    /// `eth_getBalance(address, "pending")`. Untouched accounts answer
    /// [`NotHere::Untouched`]; when a pending block carries no balances (a JSON stream
    /// whose `new_account_balances` is empty or absent, not executed) every balance it
    /// may have changed answers [`NotHere::NotCarried`]: not known, never the latest.
    pub fn balance(&self, address: Address) -> Lookup<U256> {
        Self::answer(self.state_ready(), || {
            let unknown_from = self.snapshot.newest_without_balances();
            match self.snapshot.index.balances.get(&address) {
                Some(s) if unknown_from.is_none_or(|n| s.block > n) => Ok(s.value),
                _ if unknown_from.is_some() => Err(NotHere::NotCarried),
                _ => Err(NotHere::Untouched),
            }
        })
    }

    /// `eth_getTransactionCount(address, "pending")`: the metadata's post-state nonce,
    /// which stays right for CREATE and EIP-7702 authorizations. A JSON stream carries
    /// no nonces: then [`NotHere::NotCarried`], and the caller may use
    /// [`nonce_from_transactions`](Self::nonce_from_transactions).
    pub fn transaction_count(&self, address: Address) -> Lookup<u64> {
        Self::answer(self.state_ready(), || {
            self.snapshot
                .index
                .nonces
                .get(&address)
                .map(|s| s.value)
                .ok_or_else(|| self.untouched_or_not_carried())
        })
    }

    /// The fallback nonce where the source carries none (deployed JSON): one more than
    /// the nonce of the newest pending transaction `address` signed. The overlay
    /// recovers the senders of such a source's transactions when it applies them, so
    /// this is one index lookup.
    ///
    /// Where it can be wrong: it misses nonce bumps that no signed transaction of the
    /// pending blocks shows, namely EIP-7702 authorizations (the authority's nonce
    /// moves), contracts creating contracts, and deposits (which carry no nonce); in
    /// those cases it answers low, and [`NotHere::Untouched`] when `address` signed no
    /// pending transaction.
    pub fn nonce_from_transactions(&self, address: Address) -> Lookup<u64> {
        Self::answer(self.ready(), || {
            self.snapshot
                .index
                .sender_nonces
                .get(&address)
                .map(|s| s.value)
                .ok_or(NotHere::Untouched)
        })
    }

    /// `eth_getCode(address, "pending")`: code set by a pending block.
    pub fn code(&self, address: Address) -> Lookup<Bytes> {
        Self::answer(self.state_ready(), || {
            self.snapshot
                .index
                .codes
                .get(&address)
                .map(|s| s.value.clone())
                .ok_or_else(|| self.untouched_or_not_carried())
        })
    }

    /// `eth_getStorageAt(address, slot, "pending")`: a slot set by a pending block.
    pub fn storage_at(&self, address: Address, slot: B256) -> Lookup<B256> {
        Self::answer(self.state_ready(), || {
            // Every block that set a slot of `address` listed it, and the account's
            // nonce is stamped with the newest such block: start there.
            let key = (address, slot);
            let newest = self.snapshot.index.nonces.get(&address).map(|n| n.block);
            newest
                .and_then(|newest| {
                    self.snapshot
                        .blocks
                        .iter()
                        .rev()
                        .skip_while(|b| b.number > newest)
                        .find_map(|b| b.storage.get(&key).copied())
                })
                .ok_or_else(|| self.untouched_or_not_carried())
        })
    }

    /// A preconfirmed transaction by hash (`eth_getTransactionByHash` before the
    /// canonical chain has it).
    pub fn transaction(&self, hash: TxHash) -> Lookup<PreconfirmedTransaction> {
        Self::answer(self.ready(), || {
            let (block, layer, raw, entry, index) =
                self.snapshot.entry(&hash).ok_or(NotHere::Untouched)?;
            Ok(preconfirmed_transaction(block, layer, raw, entry, index))
        })
    }

    /// A preconfirmed receipt by transaction hash. [`NotHere::NotCarried`] when the
    /// transaction is pending but its source has no receipt for it (a JSON stream
    /// without receipts).
    pub fn receipt(&self, hash: TxHash) -> Lookup<PreconfirmedReceipt> {
        Self::answer(self.ready(), || {
            let (block, layer, raw, entry, index) =
                self.snapshot.entry(&hash).ok_or(NotHere::Untouched)?;
            let facts = entry.receipt.clone().ok_or(NotHere::NotCarried)?;
            // The executed facts hold the fee fields, at the transaction's offset in
            // its flashblock.
            let executed = layer.flashblock.executed().and_then(|e| {
                let offset = usize::try_from(index.checked_sub(u64::from(layer.first_tx))?).ok()?;
                e.receipts.get(offset).filter(|r| r.transaction_hash == hash)
            });
            Ok(PreconfirmedReceipt {
                transaction: preconfirmed_transaction(block, layer, raw, entry, index),
                facts,
                l1_block_info: executed.map(|r| r.l1_block_info).unwrap_or_default(),
                blob_gas_used: executed.and_then(|r| r.blob_gas_used),
                op_gas_refund: executed.and_then(|r| r.op_gas_refund),
            })
        })
    }

    /// The hashes of the newest pending block's transactions, in order.
    pub fn pending_transaction_hashes(&self) -> Lookup<Vec<TxHash>> {
        Self::answer(self.ready(), || {
            let block = self.snapshot.newest_block().ok_or(NotHere::Empty)?;
            Ok(block.transaction_hashes().collect())
        })
    }
}

fn preconfirmed_transaction(
    block: &BlockLayer,
    layer: &FlashblockLayer,
    raw: &Bytes,
    entry: &TxEntry,
    index: u64,
) -> PreconfirmedTransaction {
    PreconfirmedTransaction {
        hash: entry.hash,
        raw: raw.clone(),
        block_number: block.number,
        block_hash: block.block_hash(),
        index,
        flashblock_index: layer.flashblock.index(),
        timestamp: block.base.timestamp,
        base_fee_per_gas: block.base.base_fee_per_gas,
    }
}
