//! A deployed-JSON stream that carries receipts and balances (the Unichain block with
//! receipts and balances added): receipts with logs, pending logs filtered like
//! `eth_getLogs`, change sets with logs, balances, and the nonce fallback.

use crate::common::{Fed, UNICHAIN};
use alloy_consensus::{Transaction as _, TxReceipt as _};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::Filter;
use flashblocks_overlay::{
    transaction_hash, CanonicalState, Lookup, NotHere, Pending, PendingBlock, Source,
};
use flashblocks_types::{Flashblock, JsonFrameReader};
use op_alloy_rpc_types::{OpTransactionReceipt, Transaction};
use serde_json::{json, Value};
use std::sync::Arc;

const EMITTER: Address = Address::with_last_byte(0xee);
const RICH: Address = Address::with_last_byte(0x42);

fn topic(n: u8) -> B256 {
    B256::with_last_byte(n)
}

/// The Unichain frames with receipts (cumulative gas from the diffs, one log per
/// non-deposit transaction, topic = its position) and a balance per flashblock.
fn frames_with_receipts() -> Vec<Arc<Flashblock>> {
    decode(&json_frames())
}

fn decode(frames: &[Value]) -> Vec<Arc<Flashblock>> {
    frames
        .iter()
        .map(|f| {
            let bytes = serde_json::to_vec(f).expect("encode");
            Arc::new(JsonFrameReader::default().decode(&bytes).expect("decodes"))
        })
        .collect()
}

/// The JSON values of [`frames_with_receipts`].
fn json_frames() -> Vec<Value> {
    let text = std::fs::read(UNICHAIN).expect("vector");
    let mut frames: Vec<Value> = serde_json::from_slice(&text).expect("array");
    let mut position = 0u8;
    let mut cumulative = 0u64;
    for (i, frame) in frames.iter_mut().enumerate() {
        let txs: Vec<String> = frame["diff"]["transactions"]
            .as_array()
            .expect("txs")
            .iter()
            .map(|t| t.as_str().expect("hex").to_owned())
            .collect();
        let mut receipts = serde_json::Map::new();
        for tx in &txs {
            let raw = alloy_primitives::hex::decode(tx).expect("hex");
            let hash = transaction_hash(&raw);
            cumulative += 21_000 + u64::from(position);
            let receipt = if raw[0] == 0x7e {
                json!({"type": "0x7e", "status": "0x1", "cumulativeGasUsed": format!("{cumulative:#x}"),
                       "logs": [], "depositNonce": "0x5", "depositReceiptVersion": "0x1"})
            } else {
                json!({"type": "0x2", "status": if position == 3 { "0x0" } else { "0x1" },
                       "cumulativeGasUsed": format!("{cumulative:#x}"),
                       "logs": [{"address": EMITTER, "topics": [topic(position)], "data": "0x01"}]})
            };
            receipts.insert(hash.to_string(), receipt);
            position += 1;
        }
        frame["metadata"]["receipts"] = Value::Object(receipts);
        frame["metadata"]["new_account_balances"] =
            json!({ RICH.to_string(): format!("{:#x}", 1000 + i) });
    }
    frames
}

#[test]
fn log_indices_continue_past_a_transaction_without_receipt() {
    // Flashblock 0: the deposit gets a log, the next transaction loses its receipt.
    let mut frames = json_frames();
    let receipts = frames[0]["metadata"]["receipts"].as_object_mut().expect("receipts");
    let keys: Vec<String> = receipts.keys().cloned().collect();
    for key in keys {
        if receipts[&key]["type"] == "0x7e" {
            receipts[&key]["logs"] = json!([{"address": EMITTER, "topics": [], "data": "0x"}]);
        } else {
            receipts.remove(&key);
        }
    }
    let mut overlay = Fed::json(Default::default());
    for fb in decode(&frames) {
        overlay.apply(fb, 0).expect("accepted");
    }
    let snapshot = overlay.snapshot();
    let logs = snapshot.at(0).logs(&Filter::new()).into_value().expect("logs");
    let indices: Vec<_> = logs.iter().map(|l| l.log_index).collect();
    assert_eq!(
        indices,
        (0..5).map(Some).collect::<Vec<_>>(),
        "one log per known receipt, no index twice"
    );
    assert_eq!(logs[1].transaction_index, Some(2));
}

#[test]
fn receipts_logs_and_balances_from_json() {
    let frames = frames_with_receipts();
    let txs: Vec<_> = frames.iter().flat_map(|f| f.transactions().to_vec()).collect();
    let mut overlay = Fed::json(Default::default());
    let mut all_logs = Vec::new();
    for fb in &frames {
        let applied = overlay.apply(fb.clone(), 0).expect("accepted");
        assert_eq!(applied.changes.touched_accounts, vec![RICH]);
        all_logs.extend(applied.changes.logs);
    }
    // Five logs pushed, one per non-deposit transaction, indexed across the block.
    assert_eq!(all_logs.len(), 5);
    for (i, log) in all_logs.iter().enumerate() {
        assert_eq!(log.log_index, Some(i as u64));
        assert_eq!(log.transaction_index, Some(i as u64 + 1));
        assert_eq!(log.inner.topics(), &[topic(i as u8 + 1)]);
        assert_eq!(log.block_number, Some(0x21e3b52));
    }
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    assert_eq!(view.balance(RICH).into_value(), Some(U256::from(1004)));

    // Receipts: status, cumulative gas, gas used as the difference, logs.
    let facts = view.receipt(transaction_hash(&txs[3])).into_value().expect("receipt").facts;
    assert!(!facts.success);
    assert_eq!(facts.cumulative_gas_used, 4 * 21_000 + 6);
    assert_eq!(facts.gas_used, 21_003);
    assert_eq!(facts.logs.as_ref().map(Vec::len), Some(1));
    let rpc = view.rpc_receipt(transaction_hash(&txs[3])).into_value().expect("rpc receipt");
    let logs = rpc.inner.inner.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].log_index, Some(2));
    assert_eq!(logs[0].transaction_hash, Some(transaction_hash(&txs[3])));
    assert!(rpc
        .inner
        .inner
        .logs_bloom
        .contains_input(alloy_primitives::BloomInput::Raw(EMITTER.as_slice())));
    let deposit = view.rpc_transaction(transaction_hash(&txs[0])).into_value().expect("deposit");
    assert_eq!(deposit.deposit_nonce, Some(5));

    // Pending logs, filtered like eth_getLogs.
    let by_topic = view.logs(&Filter::new().event_signature(topic(2))).into_value().expect("logs");
    assert_eq!(by_topic.len(), 1);
    assert_eq!(by_topic[0].transaction_index, Some(2));
    assert_eq!(view.logs(&Filter::new().address(EMITTER)).into_value().map(|l| l.len()), Some(5));
    assert_eq!(view.logs(&Filter::new().address(RICH)).into_value().map(|l| l.len()), Some(0));
    let range = Filter::new().from_block(0x21e3b53u64).to_block(0x21e3b60u64);
    assert_eq!(view.logs(&range).into_value().map(|l| l.len()), Some(0));
}

struct Latest;

impl CanonicalState for Latest {
    type Error = std::convert::Infallible;
    fn balance(&self, _: Address, _: alloy_eips::BlockId) -> Result<U256, Self::Error> {
        Ok(U256::ZERO)
    }
    fn transaction_count(&self, _: Address, _: alloy_eips::BlockId) -> Result<u64, Self::Error> {
        Ok(1)
    }
    fn code(
        &self,
        _: Address,
        _: alloy_eips::BlockId,
    ) -> Result<alloy_primitives::Bytes, Self::Error> {
        Ok(Default::default())
    }
    fn storage_at(&self, _: Address, _: B256, _: alloy_eips::BlockId) -> Result<B256, Self::Error> {
        Ok(B256::ZERO)
    }
    fn transaction_by_hash(&self, _: B256) -> Result<Option<Transaction>, Self::Error> {
        Ok(None)
    }
    fn receipt(&self, _: B256) -> Result<Option<OpTransactionReceipt>, Self::Error> {
        Ok(None)
    }
    fn block(&self, _: alloy_eips::BlockId, _: bool) -> Result<Option<PendingBlock>, Self::Error> {
        Ok(None)
    }
}

#[test]
fn json_nonce_falls_back_to_the_pending_transactions(
) -> Result<(), flashblocks_overlay::PendingError<std::convert::Infallible>> {
    let frames = frames_with_receipts();
    let txs: Vec<_> = frames.iter().flat_map(|f| f.transactions().to_vec()).collect();
    let mut overlay = Fed::json(Default::default());
    for fb in frames {
        overlay.apply(fb, 0).expect("accepted");
    }
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    let last = flashblocks_types::PreparedTransaction::prepare(&txs[5])
        .decoded()
        .ok()
        .cloned()
        .expect("decodes");
    assert_eq!(view.transaction_count(last.signer()).not_here(), Some(NotHere::NotCarried));
    let pending = Pending::new(view, &Latest);
    let answer = pending.transaction_count(last.signer())?;
    assert!(matches!(answer.source, Source::Preconfirmed(_)));
    assert!(answer.value > last.inner().nonce());
    // An address that sent nothing pending: the canonical nonce, saying why.
    let answer = pending.transaction_count(Address::with_last_byte(1))?;
    assert_eq!((answer.value, answer.source), (1, Source::Canonical(NotHere::NotCarried)));
    assert!(matches!(
        view.nonce_from_transactions(Address::with_last_byte(1)),
        Lookup::NotHere(NotHere::Untouched)
    ));
    Ok(())
}
