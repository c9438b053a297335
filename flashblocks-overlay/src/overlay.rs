//! The writer, [`Overlay`], and its readers, [`OverlayReader`].

use crate::{
    build::{build_layer, index_layer, remove_block},
    changes::ChangeSet,
    index::Index,
    layer::BlockLayer,
    snapshot::{CanonicalBlock, CanonicalHead, Snapshot},
    OverlayConfig, OverlayError,
};
use alloy_primitives::{TxHash, B256};
use arc_swap::ArcSwap;
use flashblocks_types::{Flashblock, PayloadId};
use flashblocks_validate::{AcceptedFlashblock, PrevBlockLink};
use std::sync::Arc;

/// Something the overlay did on its own that a server may want to log or push.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OverlayEvent {
    /// The canonical chain reached a preconfirmed block that is the same block: its
    /// layer was dropped. A block whose hash is known is the same with the same hash
    /// (and the same transactions, when the caller gave them); one whose hash is unknown
    /// (its stream's `diff.block_hash` is not the header hash) with the same
    /// transactions, `gasUsed` and `receiptsRoot` ([`CanonicalBlock`]), and its hash is
    /// learned from the canonical head.
    Confirmed {
        /// The block number.
        number: u64,
        /// Its hash (the canonical head's).
        hash: B256,
    },
    /// The canonical chain moved past a pending block without the caller reporting that
    /// block (it skipped it): the layer was dropped unchecked.
    Passed {
        /// The block number.
        number: u64,
    },
    /// The canonical block differs from what was preconfirmed: every pending block was
    /// dropped.
    BrokenPreconfirmation {
        /// The block number.
        number: u64,
        /// The hash the flashblocks preconfirmed (`None` when it was unknown).
        preconfirmed: Option<B256>,
        /// The canonical hash.
        canonical: B256,
        /// Preconfirmed transactions the canonical block does not hold (empty when the
        /// caller gave no transaction list).
        dropped_transactions: Vec<TxHash>,
    },
    /// The lowest pending block does not extend the canonical head (its `parent_hash`
    /// is another block), or the canonical head moved back: every pending block was
    /// dropped.
    Reorg {
        /// The canonical head after the change.
        canonical: CanonicalHead,
        /// The number of the lowest pending block that was dropped, if any.
        dropped_from: Option<u64>,
    },
    /// A new `payload_id` at the newest pending block's height (builder failover): that
    /// block's layer was replaced.
    Failover {
        /// The block number.
        number: u64,
        /// The replaced payload.
        replaced: PayloadId,
        /// The new payload.
        payload_id: PayloadId,
        /// The replaced block's transactions, no longer preconfirmed (the new payload
        /// may include them again).
        dropped_transactions: Vec<TxHash>,
    },
    /// A block started that is not the one after the newest pending block (more than one
    /// above it, or below it when the overlay was not reset with the validator): the
    /// pending blocks were dropped, and state queries wait for the canonical chain to
    /// fill the gap.
    Gap {
        /// The block number expected next.
        expected: u64,
        /// The block number that started.
        got: u64,
    },
    /// Base: the block that started names, in `metadata.prev_flashblock_id`, a last
    /// frame of the newest pending block that never arrived
    /// ([`PrevBlockLink::Incomplete`](flashblocks_validate::PrevBlockLink::Incomplete)).
    /// That block was incomplete: the pending blocks were dropped (its preconfirmed
    /// state stops serving), and state queries wait for the canonical chain to reach it,
    /// as after a gap.
    Incomplete {
        /// The incomplete block's number.
        number: u64,
        /// The frames of it that were received.
        held: u64,
        /// The frames the link says it had.
        named: u64,
    },
    /// A bound was reached: the oldest pending block was evicted, and state queries wait
    /// for the canonical chain to reach it.
    Evicted {
        /// The evicted block's number.
        number: u64,
    },
    /// Rule 4's restart ([`BlockStart::Restart`](flashblocks_validate::BlockStart::Restart)):
    /// the stream started over at `number`, far below the newest block seen. Every
    /// pending block and what state reads waited for were dropped first; the new block
    /// is taken as the first above the canonical head.
    Restart {
        /// The block that restarted the stream.
        number: u64,
        /// The number of the lowest pending block that was dropped, if any.
        dropped_from: Option<u64>,
    },
}

/// What one [`Overlay::apply`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The change set to push to subscribers.
    pub changes: ChangeSet,
    /// What else happened (failover, gap, eviction).
    pub events: Vec<OverlayEvent>,
}

/// The preconfirmed state overlay: the one writer.
///
/// Feed it the validator's accepted flashblocks with [`apply`](Self::apply), tell it where the canonical
/// chain is with [`advance_canonical`](Self::advance_canonical), and hand
/// [`reader`](Self::reader)s to the threads that serve queries. Each call publishes a new
/// immutable [`Snapshot`] atomically (an [`ArcSwap`] store): a reader sees the state
/// before or after a whole flashblock, never half of one, never waits for the writer,
/// and the writer never waits for readers.
///
/// ```
/// use flashblocks_overlay::{Overlay, OverlayConfig};
/// use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
/// use flashblocks_validate::Validator;
///
/// let mut validator = Validator::default();
/// let mut overlay = Overlay::new(OverlayConfig::default());
/// let reader = overlay.reader();
/// let block = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
/// for (now, fb) in block.into_iter().enumerate() {
///     let accepted = validator.validate(Flashblock::from_sealed_v1(fb)).unwrap().into_accepted().unwrap();
///     overlay.apply(&accepted, now as u64 * 200)?;
/// }
/// let snapshot = reader.snapshot();
/// let id = snapshot.id().expect("a pending block");
/// assert_eq!((id.block_number, id.flashblock_index), (1_000_000, 4));
/// # Ok::<(), flashblocks_overlay::OverlayError>(())
/// ```
#[derive(Debug)]
pub struct Overlay {
    config: OverlayConfig,
    shared: Arc<ArcSwap<Snapshot>>,
    current: Arc<Snapshot>,
    /// The index as it was before the newest pending block's first flashblock, to undo
    /// that block on failover.
    before_newest: Index,
    /// The index bytes the snapshots published since `before_newest` was taken stopped
    /// sharing with it and the snapshots before them (see [`Overlay::publish`]).
    retired_in_block: usize,
}

/// A handle for reader threads: cheap to clone, `Send + Sync`.
#[derive(Clone, Debug)]
pub struct OverlayReader {
    shared: Arc<ArcSwap<Snapshot>>,
}

impl OverlayReader {
    /// The latest snapshot, held as long as the caller keeps the `Arc`.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared.load_full()
    }

    /// Runs `f` on the latest snapshot without touching its reference count (keep `f`
    /// short, the snapshot stays alive while it runs).
    pub fn with<R>(&self, f: impl FnOnce(&Snapshot) -> R) -> R {
        f(&self.shared.load())
    }

    /// A per-thread handle that keeps the latest snapshot and only reloads it when the
    /// writer published another: the fastest way to make many reads on one thread.
    pub fn cached(&self) -> CachedReader {
        CachedReader { cache: arc_swap::Cache::new(self.shared.clone()) }
    }
}

/// A reader for one thread ([`OverlayReader::cached`]): [`load`](Self::load) costs one
/// atomic load and a compare while the writer has published nothing new.
#[derive(Debug)]
pub struct CachedReader {
    cache: arc_swap::Cache<Arc<ArcSwap<Snapshot>>, Arc<Snapshot>>,
}

impl CachedReader {
    /// The latest snapshot.
    pub fn load(&mut self) -> &Arc<Snapshot> {
        self.cache.load()
    }
}

impl Default for Overlay {
    fn default() -> Self {
        Self::new(OverlayConfig::default())
    }
}

impl Overlay {
    /// An empty overlay; the canonical head is unknown until
    /// [`advance_canonical`](Self::advance_canonical) (until then the pending chain is
    /// trusted to sit on it).
    pub fn new(config: OverlayConfig) -> Self {
        let current = Arc::new(Snapshot::empty(config.max_age_ms));
        Self {
            config,
            shared: Arc::new(ArcSwap::new(current.clone())),
            current,
            before_newest: Index::default(),
            retired_in_block: 0,
        }
    }

    /// An empty overlay above a known canonical head.
    pub fn with_canonical_head(config: OverlayConfig, head: CanonicalHead) -> Self {
        let mut overlay = Self::new(config);
        let mut next = (*overlay.current).clone();
        next.canonical = Some(head);
        overlay.publish(next);
        overlay
    }

    /// A copy of this overlay with readers of its own, for a benchmark that starts many
    /// runs from one filled state: it shares every persistent part, and copies the
    /// newest block's positions table (one writer appends to a table).
    #[cfg(feature = "test-utils")]
    pub(crate) fn fork(&self) -> Self {
        let mut current = (*self.current).clone();
        if let Some(newest) = current.blocks.pop() {
            let mut block = (*newest).clone();
            block.positions = Arc::new(crate::positions::Positions::rebuilt(
                block.transaction_hashes(),
                block.tx_count as usize,
            ));
            current.blocks.push(Arc::new(block));
        }
        let current = Arc::new(current);
        Self {
            config: self.config,
            shared: Arc::new(ArcSwap::new(current.clone())),
            current,
            before_newest: self.before_newest.clone(),
            retired_in_block: self.retired_in_block,
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &OverlayConfig {
        &self.config
    }

    /// A reader handle for query threads.
    pub fn reader(&self) -> OverlayReader {
        OverlayReader { shared: self.shared.clone() }
    }

    /// The snapshot the writer last published.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.clone()
    }

    /// What older versions of the index keep beside `next`'s once it is published: the
    /// index kept for a failover (`before_newest`) holds, beyond the nodes it shares with
    /// `next`, at most the nodes retired since it was taken (and those its own eviction
    /// removals copied), and at most its own bytes.
    fn held_beside(&self, next: &Snapshot) -> usize {
        self.retired_in_block
            .saturating_add(next.index.retired())
            .saturating_add(self.before_newest.retired())
            .min(self.before_newest.bytes())
    }

    /// The bytes the overlay holds once `next` is published ([`Snapshot::bytes_held`]).
    fn held(&self, next: &Snapshot) -> usize {
        next.layer_bytes().saturating_add(next.index.bytes()).saturating_add(self.held_beside(next))
    }

    /// Publishes `next`. The replaced snapshot is freed by whoever holds it last: the
    /// writer, here, unless a reader still holds it (a reader keeps alive the snapshot it
    /// holds, see [`Snapshot::bytes_held`]).
    fn publish(&mut self, mut next: Snapshot) {
        next.sequence = self.current.sequence + 1;
        next.beside = self.held_beside(&next);
        self.retired_in_block = self.retired_in_block.saturating_add(next.index.retired());
        next.index.reset_retired();
        next.seal();
        let next = Arc::new(next);
        self.shared.store(next.clone());
        self.current = next;
    }

    /// Applies a flashblock the validator accepted (its token); `now_ms` is the caller's
    /// clock, kept as the flashblock's arrival time for the staleness bound.
    ///
    /// The token proves the sequence (payload id, index, `base`, the bound on
    /// flashblocks per block), so the overlay does not check it again: a block start
    /// pushes a new pending block (or, for a failover, replaces the newest), a
    /// continuation extends the newest.
    ///
    /// The cost is that of the flashblock: hashing its transactions (keccak, which no
    /// design avoids) and one persistent-map insert per transaction, account and slot.
    ///
    /// # Errors
    ///
    /// [`OverlayError`] when the overlay cannot place the flashblock: its block is
    /// already canonical, the block it continues is no longer pending here, or the block
    /// would exceed the byte bound; the state is then unchanged.
    pub fn apply(
        &mut self,
        accepted: &AcceptedFlashblock,
        now_ms: u64,
    ) -> Result<Applied, OverlayError> {
        // The execution check's facts travel in the token: the layer serves them.
        let flashblock = match accepted.executed() {
            Some(executed) if accepted.flashblock().metadata().executed().is_none() => Arc::new(
                Flashblock::clone(accepted.flashblock()).with_executed(Arc::clone(executed)),
            ),
            _ => Arc::clone(accepted.flashblock()),
        };
        let number = accepted.block_number();
        if let Some(canonical) = self.current.canonical.filter(|c| number <= c.number) {
            return Err(OverlayError::AlreadyCanonical { number, canonical: canonical.number });
        }
        let mut next = (*self.current).clone();
        let mut events = Vec::new();
        let mut before_newest = None;
        let block = if let (Some(start), Some(base)) = (accepted.block_start(), flashblock.base()) {
            if start.is_restart() {
                let dropped_from = next.blocks.first().map(|b| b.number);
                events.push(OverlayEvent::Restart { number, dropped_from });
                self.drop_all(&mut next);
            }
            match next.blocks.last().map(|b| (b.number, b.payload_id)) {
                Some((newest, payload_id)) if number == newest => {
                    let dropped_transactions = next
                        .blocks
                        .pop()
                        .map_or_else(Vec::new, |b| b.transaction_hashes().collect());
                    next.index = self.before_newest.clone();
                    before_newest = Some(self.before_newest.clone());
                    events.push(OverlayEvent::Failover {
                        number,
                        replaced: payload_id,
                        payload_id: flashblock.payload_id(),
                        dropped_transactions,
                    });
                }
                // Not the block after the newest: more than one above it, or below it
                // (the validator was reset without the overlay).
                Some((newest, _)) if number != newest.saturating_add(1) => {
                    events.push(OverlayEvent::Gap { expected: newest + 1, got: number });
                    next.clear();
                    next.require_canonical(number.saturating_sub(1));
                    before_newest = Some(Index::default());
                }
                // The block after the newest, which Base's link says is incomplete.
                Some((newest, _)) if incomplete(accepted, newest).is_some() => {
                    if let Some((held, named)) = incomplete(accepted, newest) {
                        events.push(OverlayEvent::Incomplete { number: newest, held, named });
                    }
                    next.clear();
                    next.require_canonical(newest);
                    before_newest = Some(Index::default());
                }
                Some(_) => {
                    // The block after the newest: the newest's hash, if unknown, is
                    // this block's parent hash.
                    learn_newest_hash(&mut next, base.parent_hash);
                    before_newest = Some(next.index.clone());
                }
                None => {
                    if next.canonical.is_some_and(|c| number > c.number.saturating_add(1)) {
                        next.require_canonical(number - 1);
                    }
                    before_newest = Some(next.index.clone());
                }
            }
            BlockLayer::new(
                number,
                flashblock.payload_id(),
                Arc::new(base.clone()),
                accepted.dialect().block_hash(),
            )
        } else {
            // The validator accepted it as the next of its block: the overlay holds that
            // block unless it dropped it (confirmed, reorged, evicted or refused).
            let held = next.blocks.last().filter(|newest| {
                newest.payload_id == flashblock.payload_id()
                    && newest.flashblocks.len() as u64 == flashblock.index()
            });
            let Some(newest) = held else {
                return Err(OverlayError::NotPending {
                    payload_id: flashblock.payload_id(),
                    index: flashblock.index(),
                });
            };
            let block = (**newest).clone();
            next.blocks.pop();
            block
        };
        let mut block = block;
        // Lagoon: the token carries the block's latest post-exec transaction.
        block.post_exec = accepted.post_exec_tx().cloned();
        let layer = build_layer(&block, flashblock, now_ms);
        // The block's own copy of its storage map: dropped with `block` if refused.
        block.record_storage(&layer);
        let block_bytes =
            block.bytes.saturating_add(layer.bytes).saturating_add(block.storage.bytes());
        let with_positions =
            block_bytes.saturating_add(block.positions_bytes_with(layer.transactions.len()));
        if with_positions > self.config.max_bytes {
            return Err(OverlayError::BlockTooLarge {
                number,
                bytes: with_positions,
                max: self.config.max_bytes,
            });
        }
        // From here on the flashblock is accepted: nothing below can fail.
        index_layer(&mut next.index, number, &layer);
        block.record_positions(&layer);
        let changes = ChangeSet::of(&block, &layer);
        block.push(layer);
        next.blocks.push(Arc::new(block));
        if let Some(index) = before_newest {
            self.before_newest = index;
            self.retired_in_block = 0;
        }
        // Bounds: evict the oldest complete blocks.
        while next.blocks.len() > self.config.max_pending_blocks.max(1)
            || (self.held(&next) > self.config.max_bytes && next.blocks.len() > 1)
        {
            let evicted = next.blocks.remove(0);
            remove_block(&mut next.index, &evicted);
            remove_block(&mut self.before_newest, &evicted);
            next.require_canonical(evicted.number);
            events.push(OverlayEvent::Evicted { number: evicted.number });
        }
        self.publish(next);
        Ok(Applied { changes, events })
    }

    /// The execution check reported a mismatch in the newest block (`payload_id`): from
    /// now on none of that block's executed facts serve (its flashblocks are held again
    /// with only what they carried, and the index is rebuilt from the block before it);
    /// its transactions and carried facts still serve. Returns whether anything changed
    /// (false when the newest block is another or holds no executed facts).
    pub fn void_executed(&mut self, payload_id: PayloadId) -> bool {
        let Some(newest) = self.current.blocks.last().filter(|b| b.payload_id == payload_id) else {
            return false;
        };
        if newest.flashblocks.iter().all(|l| l.flashblock.executed().is_none()) {
            return false;
        }
        let mut next = (*self.current).clone();
        let Some(old) = next.blocks.pop() else { return false };
        next.index = self.before_newest.clone();
        // The transactions are the same: the block keeps its positions table.
        let mut block = BlockLayer {
            positions: Arc::clone(&old.positions),
            learned_hash: old.learned_hash,
            post_exec: old.post_exec.clone(),
            ..BlockLayer::new(
                old.number,
                old.payload_id,
                Arc::clone(&old.base),
                old.diff_block_hash,
            )
        };
        for layer in &old.flashblocks {
            let carried = Arc::new(Flashblock::clone(&layer.flashblock).without_executed());
            let layer = build_layer(&block, carried, layer.received_at_ms);
            block.record_storage(&layer);
            index_layer(&mut next.index, block.number, &layer);
            block.push(layer);
        }
        next.blocks.push(Arc::new(block));
        self.publish(next);
        true
    }

    /// Tells the overlay the canonical head moved (a new block, or a reorg). Blocks at or
    /// below it are dropped; the block at its height is checked against what was
    /// preconfirmed, with what the caller read of the canonical block (`block`):
    ///
    /// - a block whose hash is known: the same hash, and the same transactions when
    ///   `block` is given;
    /// - a block whose hash is unknown (its stream's `diff.block_hash` is not the header
    ///   hash): the same transactions, `gasUsed` and `receiptsRoot`; without `block`
    ///   (or without its `gasUsed` or `receiptsRoot`) it cannot be checked and is
    ///   dropped unchecked ([`OverlayEvent::Passed`]).
    ///
    /// A block that is the same is confirmed, one that differs is a broken
    /// preconfirmation (every pending block dropped).
    pub fn advance_canonical(
        &mut self,
        head: CanonicalHead,
        block: Option<&CanonicalBlock>,
    ) -> Vec<OverlayEvent> {
        let mut next = (*self.current).clone();
        let mut events = Vec::new();
        let previous = next.canonical.replace(head);
        let moved_back = previous.is_some_and(|p| {
            head.number < p.number || (head.number == p.number && head.hash != p.hash)
        });
        if moved_back && !next.blocks.is_empty() {
            events.push(OverlayEvent::Reorg {
                canonical: head,
                dropped_from: next.blocks.first().map(|b| b.number),
            });
            self.drop_all(&mut next);
        }
        let transactions = block.map(|b| b.transactions.as_slice());
        while let Some(oldest) = next.blocks.first().cloned() {
            if oldest.number > head.number {
                break;
            }
            if oldest.number < head.number {
                events.push(OverlayEvent::Passed { number: oldest.number });
                self.drop_oldest(&mut next);
                continue;
            }
            let preconfirmed = oldest.block_hash();
            let same_transactions =
                transactions.is_none_or(|txs| oldest.listed_hashes().eq(txs.iter().copied()));
            let same = match preconfirmed {
                Some(hash) => hash == head.hash && same_transactions,
                None => {
                    let claimed = oldest.gas_and_receipts_root();
                    match block.and_then(|b| Some((b.gas_used?, b.receipts_root?))) {
                        Some(canonical) => same_transactions && claimed == Some(canonical),
                        None => {
                            events.push(OverlayEvent::Passed { number: oldest.number });
                            self.drop_oldest(&mut next);
                            continue;
                        }
                    }
                }
            };
            if same {
                events.push(OverlayEvent::Confirmed { number: head.number, hash: head.hash });
                self.drop_oldest(&mut next);
            } else {
                let dropped_transactions = transactions.map_or_else(Vec::new, |txs| {
                    let canonical: std::collections::HashSet<&TxHash> = txs.iter().collect();
                    oldest.listed_hashes().filter(|h| !canonical.contains(h)).collect()
                });
                events.push(OverlayEvent::BrokenPreconfirmation {
                    number: head.number,
                    preconfirmed,
                    canonical: head.hash,
                    dropped_transactions,
                });
                self.drop_all(&mut next);
            }
        }
        if let Some(lowest) = next.blocks.first() {
            if lowest.number == head.number.saturating_add(1)
                && lowest.base.parent_hash != head.hash
            {
                events.push(OverlayEvent::Reorg {
                    canonical: head,
                    dropped_from: Some(lowest.number),
                });
                self.drop_all(&mut next);
            }
        }
        if next.required_canonical.is_some_and(|n| head.number >= n) {
            next.required_canonical = None;
        }
        self.publish(next);
        events
    }

    /// Drops every pending block (the caller resets, e.g. after it reset the validator).
    pub fn reset(&mut self) {
        let mut next = (*self.current).clone();
        self.drop_all(&mut next);
        next.required_canonical = None;
        self.publish(next);
    }

    fn drop_all(&mut self, next: &mut Snapshot) {
        next.clear();
        self.before_newest = Index::default();
        self.retired_in_block = 0;
    }

    fn drop_oldest(&mut self, next: &mut Snapshot) {
        if next.blocks.len() <= 1 {
            self.drop_all(next);
            return;
        }
        let oldest = next.blocks.remove(0);
        remove_block(&mut next.index, &oldest);
        remove_block(&mut self.before_newest, &oldest);
    }
}

/// The newest pending block's hash, if unknown, is `parent_hash`: the next block's
/// `base.parent_hash` names it.
fn learn_newest_hash(next: &mut Snapshot, parent_hash: B256) {
    let Some(newest) = next.blocks.last_mut() else { return };
    if newest.block_hash().is_none() {
        let mut block = BlockLayer::clone(newest);
        block.learned_hash = Some(parent_hash);
        *newest = Arc::new(block);
    }
}

/// The frames held and named of block `newest` when `accepted`'s Base link says it is
/// incomplete.
fn incomplete(accepted: &AcceptedFlashblock, newest: u64) -> Option<(u64, u64)> {
    match accepted.prev_block_link() {
        Some(PrevBlockLink::Incomplete { block_number, held, named }) if block_number == newest => {
            Some((held, named))
        }
        _ => None,
    }
}
