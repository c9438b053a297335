//! `eth_getLogs` over the preconfirmed blocks.

use alloy_consensus::TxReceipt as _;
use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use flashblocks_overlay::View;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};

/// The most logs one call returns (as providers cap `eth_getLogs`).
pub(super) const MAX_LOGS: usize = 10_000;

/// The logs of the preconfirmed blocks the filter's range reaches, in block and log
/// order. A range ends at `latest` by default, which the preconfirmed blocks are above:
/// `toBlock: "pending"` (or a number) reaches them. A `blockHash` filter reads that
/// preconfirmed block.
pub(super) fn preconfirmed_logs(
    view: &View<'_>,
    filter: &Filter,
) -> Result<Vec<Log>, ErrorObjectOwned> {
    let snapshot = view.snapshot();
    let numbers: Vec<u64> = snapshot.pending_block_numbers().collect();
    let (Some(&lowest), Some(&newest)) = (numbers.first(), numbers.last()) else {
        return Ok(Vec::new());
    };
    let canonical = snapshot.canonical_head().map(|h| h.number);
    let blocks = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            match view.block_by_hash(hash, false).into_value() {
                Some(block) => vec![block.header.number],
                None => Vec::new(),
            }
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let bound = |tag: Option<BlockNumberOrTag>, default: Option<u64>| match tag {
                None | Some(BlockNumberOrTag::Latest) => default,
                Some(BlockNumberOrTag::Pending) => Some(newest),
                Some(BlockNumberOrTag::Number(n)) => Some(n),
                Some(BlockNumberOrTag::Earliest) => Some(0),
                // Safe and finalized are canonical: below every preconfirmed block.
                Some(_) => canonical,
            };
            let from = bound(from_block, canonical.or(Some(lowest))).unwrap_or(lowest);
            let Some(to) = bound(to_block, canonical) else { return Ok(Vec::new()) };
            if from > to {
                return Err(ErrorObject::owned(
                    -32602,
                    format!("invalid block range: from {from} after to {to}"),
                    None::<()>,
                ));
            }
            numbers.into_iter().filter(|n| (from..=to).contains(n)).collect()
        }
    };
    let mut logs = Vec::new();
    for number in blocks {
        let Some(block) = view.block_by_number(number, false).into_value() else { continue };
        for hash in block.transactions.hashes() {
            let Some(receipt) = view.rpc_receipt(hash).into_value() else { continue };
            for log in receipt.inner.inner.logs() {
                if filter.matches(&log.inner) {
                    if logs.len() == MAX_LOGS {
                        return Err(ErrorObject::owned(
                            -32005,
                            format!("query returned more than {MAX_LOGS} results"),
                            None::<()>,
                        ));
                    }
                    logs.push(log.clone());
                }
            }
        }
    }
    Ok(logs)
}

/// The part of `filter` the canonical chain answers: `None` when it reaches only
/// preconfirmed blocks (a hash the overlay holds, or a range from `pending` or from a
/// preconfirmed number), else the filter with its end brought down to `latest` when it
/// reached into the preconfirmed blocks.
pub(super) fn canonical_filter(view: &View<'_>, filter: &Filter) -> Option<Filter> {
    let lowest = view.snapshot().pending_block_numbers().next();
    let preconfirmed = |tag: &BlockNumberOrTag| match tag {
        BlockNumberOrTag::Pending => true,
        BlockNumberOrTag::Number(n) => lowest.is_some_and(|l| *n >= l),
        _ => false,
    };
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            view.block_by_hash(hash, false).into_value().is_none().then(|| filter.clone())
        }
        FilterBlockOption::Range { from_block, to_block } => {
            if from_block.as_ref().is_some_and(preconfirmed) {
                return None;
            }
            let to_block = match to_block {
                Some(to) if preconfirmed(&to) => Some(BlockNumberOrTag::Latest),
                to => to,
            };
            let mut canonical = filter.clone();
            canonical.block_option = FilterBlockOption::Range { from_block, to_block };
            Some(canonical)
        }
    }
}
