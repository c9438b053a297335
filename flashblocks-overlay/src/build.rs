//! Building a flashblock's layer (hashing its transactions, collecting its receipt
//! facts, counting its bytes) and recording it in, or removing its block from, the index.

use crate::{
    index::Index,
    layer::{BlockLayer, FlashblockLayer, ReceiptFacts, TxEntry},
    memory::layer_bytes,
};
use alloy_consensus::{Transaction as _, TxReceipt};
use alloy_primitives::Address;
use flashblocks_types::{Flashblock, Metadata};
use op_alloy_consensus::OpReceipt;
use std::sync::Arc;

/// Takes a flashblock's transactions as prepared ([`Flashblock::prepared`]: hashes,
/// decoded forms and senders, done once for every stage), collects its receipt facts
/// and counts its bytes. Where the source carries no nonces (deployed JSON), the
/// senders' pending nonces come from the decoded transactions ([`index_layer`]).
pub(crate) fn build_layer(
    block: &BlockLayer,
    flashblock: Arc<Flashblock>,
    now_ms: u64,
) -> FlashblockLayer {
    let prepared = Arc::clone(flashblock.prepared());
    let mut cumulative = block.cumulative_gas;
    let mut log_index = block.log_count;
    let mut transactions = Vec::with_capacity(prepared.len());
    for (i, tx) in prepared.iter().enumerate() {
        let hash = tx.hash();
        let receipt = match flashblock.metadata() {
            Metadata::V1(m) => m.transactions.get(i).map(|meta| {
                cumulative = cumulative.saturating_add(meta.gas_used);
                ReceiptFacts {
                    success: meta.status == 1,
                    gas_used: meta.gas_used,
                    cumulative_gas_used: cumulative,
                    contract_address: meta.contract_address,
                    logs: None,
                    first_log_index: log_index,
                    deposit_nonce: None,
                    deposit_receipt_version: None,
                }
            }),
            Metadata::Executed { executed, .. } => {
                executed.receipts.get(i).filter(|r| r.transaction_hash == hash).map(|r| {
                    let logs = r.receipt.logs();
                    let (deposit_nonce, deposit_receipt_version) = match &r.receipt {
                        OpReceipt::Deposit(d) => (d.deposit_nonce, d.deposit_receipt_version),
                        _ => (None, None),
                    };
                    let facts = ReceiptFacts {
                        success: r.status(),
                        gas_used: r.gas_used,
                        cumulative_gas_used: r.cumulative_gas_used(),
                        contract_address: r.contract_address,
                        logs: Some(logs.to_vec()),
                        first_log_index: log_index,
                        deposit_nonce,
                        deposit_receipt_version,
                    };
                    cumulative = facts.cumulative_gas_used;
                    log_index = log_index.saturating_add(logs.len() as u64);
                    facts
                })
            }
            Metadata::Json(m) => m.receipts.as_ref().and_then(|r| r.get(&hash)).map(|receipt| {
                let facts = json_receipt(receipt, cumulative, log_index);
                cumulative = facts.cumulative_gas_used;
                log_index =
                    log_index.saturating_add(facts.logs.as_ref().map_or(0, |l| l.len() as u64));
                facts
            }),
            _ => None,
        };
        transactions.push(TxEntry::new(hash, receipt, tx.decoded().ok().cloned()));
    }
    let mut layer = FlashblockLayer {
        flashblock,
        first_tx: block.tx_count,
        transactions,
        received_at_ms: now_ms,
        bytes: 0,
        log_end: log_index,
        cumulative_gas_end: cumulative,
        transactions_root: std::sync::OnceLock::new(),
    };
    layer.bytes = layer_bytes(&layer);
    layer
}

/// The receipt facts of a deployed JSON receipt.
fn json_receipt(
    receipt: &OpReceipt,
    previous_cumulative: u64,
    first_log_index: u64,
) -> ReceiptFacts {
    let cumulative = receipt.cumulative_gas_used();
    let (deposit_nonce, deposit_receipt_version) = match receipt {
        OpReceipt::Deposit(d) => (d.deposit_nonce, d.deposit_receipt_version),
        _ => (None, None),
    };
    ReceiptFacts {
        success: receipt.status(),
        gas_used: cumulative.saturating_sub(previous_cumulative),
        cumulative_gas_used: cumulative,
        contract_address: None,
        logs: Some(receipt.logs().to_vec()),
        first_log_index,
        deposit_nonce,
        deposit_receipt_version,
    }
}

/// Records a layer in the index (the block records its transactions' positions).
pub(crate) fn index_layer(index: &mut Index, number: u64, layer: &FlashblockLayer) {
    for tx in nonces_from_transactions(layer) {
        if let Some((sender, nonce)) = signed_nonce(tx) {
            index.apply_sender_nonce(number, sender, nonce);
        }
    }
    match layer.flashblock.metadata() {
        Metadata::Executed { executed, .. } => index.apply_accounts(number, &executed.accounts),
        Metadata::V1(m) => index.apply_accounts(number, &m.accounts),
        Metadata::Json(m) => {
            if let Some(balances) = &m.new_account_balances {
                index.apply_balances(number, balances);
            }
        }
        _ => {}
    }
}

/// Removes from `index` what `block` set and no later block overrode: work in
/// proportion to the accounts and senders it lists, not to its storage slots.
pub(crate) fn remove_block(index: &mut Index, block: &BlockLayer) {
    let flashblocks = || block.flashblocks.iter().map(|l| &l.flashblock);
    let accounts: Vec<&Address> = flashblocks()
        .flat_map(|fb| match fb.metadata() {
            Metadata::Executed { executed, .. } => {
                executed.accounts.iter().map(|a| &a.address).collect::<Vec<_>>()
            }
            Metadata::V1(m) => m.accounts.iter().map(|a| &a.address).collect::<Vec<_>>(),
            Metadata::Json(m) => {
                m.new_account_balances.iter().flat_map(|b| b.keys()).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        })
        .collect();
    let senders = block
        .flashblocks
        .iter()
        .flat_map(|l| nonces_from_transactions(l).iter().filter_map(signed_nonce));
    // The block's storage slots go with it (its own map).
    index.remove_block(block.number, accounts, senders.map(|(sender, _)| sender));
}

/// The transactions whose senders' nonces the layer sets: all of them where the source
/// carries no nonces (deployed JSON, not executed), none otherwise (the V1 metadata and
/// the executed facts carry the post-state nonces).
fn nonces_from_transactions(layer: &FlashblockLayer) -> &[TxEntry] {
    match layer.flashblock.metadata() {
        Metadata::Json(_) => &layer.transactions,
        _ => &[],
    }
}

/// The sender and nonce of a decoded transaction, unless it is a deposit (which carries
/// no nonce).
fn signed_nonce(entry: &TxEntry) -> Option<(Address, u64)> {
    let tx = entry.decoded()?;
    (!tx.inner().is_deposit()).then(|| (tx.signer(), tx.inner().nonce()))
}

/// The account post-states a flashblock's layer applies: the executed ones when it was
/// executed, else the V1 metadata's.
pub(crate) fn state_accounts(fb: &Flashblock) -> &[flashblocks_types::AccountMetadata] {
    match fb.executed() {
        Some(executed) => &executed.accounts,
        None => fb.accounts().unwrap_or_default(),
    }
}
