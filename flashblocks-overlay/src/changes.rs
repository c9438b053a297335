//! What one flashblock changed, for `newFlashblocks` and pending-logs subscriptions, and
//! the pending logs filtered like `eth_getLogs`.

use crate::{
    layer::{BlockLayer, FlashblockLayer, ReceiptFacts},
    snapshot::{Lookup, SnapshotId, View},
};
use alloy_eips::BlockNumHash;
use alloy_primitives::{Address, TxHash, B256};
use alloy_rpc_types_eth::{Filter, Log};
use flashblocks_types::Metadata;

/// What one applied flashblock added: a server pushes it to its subscribers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSet {
    /// The snapshot the flashblock made.
    pub snapshot: SnapshotId,
    /// The hash of the block so far, when known (`None` where the stream's
    /// `diff.block_hash` is not the header hash: the hash is learned later).
    pub block_hash: Option<B256>,
    /// The transactions it added, in order.
    pub transactions: Vec<TxHash>,
    /// Their receipts, one per transaction, in order (`None` where the source has none).
    pub receipts: Vec<Option<ReceiptFacts>>,
    /// The logs it added (only from sources that carry logs: deployed JSON receipts).
    pub logs: Vec<Log>,
    /// The accounts whose balance, nonce, code or storage it set.
    pub touched_accounts: Vec<Address>,
}

impl ChangeSet {
    /// The change set of `layer`, about to be appended to `block`.
    pub(crate) fn of(block: &BlockLayer, layer: &FlashblockLayer) -> Self {
        let fb = &layer.flashblock;
        let snapshot = SnapshotId { block_number: block.number, flashblock_index: fb.index() };
        let block_hash = block.hash_with(fb);
        let touched_accounts = match fb.metadata() {
            Metadata::Executed { executed, .. } => {
                executed.accounts.iter().map(|a| a.address).collect()
            }
            Metadata::V1(m) => m.accounts.iter().map(|a| a.address).collect(),
            Metadata::Json(m) => {
                m.new_account_balances.iter().flat_map(|b| b.keys().copied()).collect()
            }
            _ => Vec::new(),
        };
        let mut logs = Vec::new();
        push_logs(&mut logs, block, layer, block_hash, |_| true);
        Self {
            snapshot,
            block_hash,
            transactions: layer.transactions.iter().map(|t| t.hash).collect(),
            receipts: layer.transactions.iter().map(|t| t.receipt.clone()).collect(),
            logs,
            touched_accounts,
        }
    }
}

/// Appends the RPC logs of `layer`'s transactions, stamped with `block_hash` (null while
/// unknown).
fn push_logs(
    out: &mut Vec<Log>,
    block: &BlockLayer,
    layer: &FlashblockLayer,
    block_hash: Option<B256>,
    keep: impl Fn(&alloy_primitives::Log) -> bool,
) {
    for (offset, tx) in layer.transactions.iter().enumerate() {
        let Some(facts) = &tx.receipt else { continue };
        let Some(logs) = &facts.logs else { continue };
        for (i, log) in logs.iter().enumerate().filter(|(_, log)| keep(log)) {
            out.push(Log {
                inner: log.clone(),
                block_hash,
                block_number: Some(block.number),
                block_timestamp: Some(block.base.timestamp),
                transaction_hash: Some(tx.hash),
                transaction_index: Some(u64::from(layer.first_tx) + offset as u64),
                log_index: Some(facts.first_log_index + i as u64),
                removed: false,
            });
        }
    }
}

impl View<'_> {
    /// The pending logs matching `filter` (address, topics, and its block range or hash
    /// unless it asks for `pending`), oldest first, over every pending block.
    pub fn logs(&self, filter: &Filter) -> Lookup<Vec<Log>> {
        let snapshot = match self.ready() {
            Ok(id) => id,
            Err(reason) => return Lookup::NotHere(reason),
        };
        let mut out = Vec::new();
        for block in &self.snapshot().blocks {
            let hash = block.block_hash();
            if !filter.is_pending_block_filter() {
                // A filter by block hash matches only a known hash.
                let matches = match (hash, filter.get_block_hash()) {
                    (None, Some(_)) => false,
                    (hash, _) => filter.matches_block(&BlockNumHash {
                        number: block.number,
                        hash: hash.unwrap_or_default(),
                    }),
                };
                if !matches {
                    continue;
                }
            }
            for layer in &block.flashblocks {
                push_logs(&mut out, block, layer, hash, |log| filter.matches(log));
            }
        }
        Lookup::Found(crate::Preconfirmed { value: out, snapshot })
    }
}
