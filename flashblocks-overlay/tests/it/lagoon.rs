//! Lagoon: the pending block lists its latest post-exec transaction last, as the
//! post-exec page's generic object; `eth_getTransactionByHash` finds it (the latest one
//! only); it bumps no nonce; a canonical block confirms the preconfirmed one with it.

use crate::common::{Fed, UNICHAIN};
use alloy_consensus::proofs::ordered_trie_root_with_encoder;
use alloy_primitives::{keccak256, Address, Bytes, TxHash, B256};
use alloy_rpc_types_eth::BlockTransactions;
use flashblocks_overlay::{
    transaction_hash, CanonicalBlock, CanonicalHead, Lookup, NotHere, OverlayConfig, OverlayEvent,
};
use flashblocks_types::{post_exec_raw, Dialect, DialectChoice, Flashblock, JsonFrameReader};
use flashblocks_validate::{Validator, ValidatorConfig};
use serde_json::Value;
use std::sync::Arc;

/// The real Unichain block as OP Subblocks: flashblock 1 carries a post-exec transaction
/// refunding its first transaction, flashblock 3 restates it with one more.
fn frames() -> (Vec<Arc<Flashblock>>, Bytes, Bytes) {
    let text = std::fs::read(UNICHAIN).expect("vector");
    let mut frames: Vec<Value> = serde_json::from_slice(&text).expect("array");
    let number = frames[0]["metadata"]["block_number"].as_u64().expect("number");
    let count = |f: &Value| f["diff"]["transactions"].as_array().expect("txs").len() as u64;
    let at = |i: usize, frames: &[Value]| frames[..i].iter().map(count).sum::<u64>();
    assert!(count(&frames[1]) > 0 && count(&frames[3]) > 0, "the vector's shape");
    let first = post_exec_raw(1, number, &[(at(1, &frames), 500)]);
    let second = post_exec_raw(1, number, &[(at(1, &frames), 500), (at(3, &frames), 7)]);
    frames[1]["diff"]["post_exec_tx"] = Value::String(first.to_string());
    frames[3]["diff"]["post_exec_tx"] = Value::String(second.to_string());
    let decoded = frames
        .iter()
        .map(|f| {
            let bytes = serde_json::to_vec(f).expect("encode");
            Arc::new(JsonFrameReader::default().decode(&bytes).expect("decodes"))
        })
        .collect();
    (decoded, first, second)
}

fn fed() -> Fed {
    let mut fed = Fed::json(OverlayConfig::default());
    fed.validator = Validator::new(
        ValidatorConfig::json().with_dialect(DialectChoice::Fixed(Dialect::Subblocks)),
    );
    fed
}

fn hashes(frames: &[Arc<Flashblock>], upto: usize) -> Vec<TxHash> {
    frames[..upto].iter().flat_map(|fb| fb.transactions().iter().map(keccak256)).collect()
}

#[test]
fn the_pending_block_lists_the_latest_post_exec_transaction_last() {
    let (frames, first, second) = frames();
    let mut fed = fed();
    for (i, fb) in frames.iter().enumerate() {
        fed.apply(Arc::clone(fb), 0).expect("applies");
        let latest = match i {
            0 => None,
            1 | 2 => Some(&first),
            _ => Some(&second),
        };
        let snapshot = fed.snapshot();
        let view = snapshot.at(0);
        let mut want = hashes(&frames, i + 1);
        want.extend(latest.map(keccak256));
        let block = view.pending_block(false).into_value().expect("pending block");
        assert_eq!(block.transactions, BlockTransactions::Hashes(want.clone()), "{i}");
        // The header's transactions root covers it, as the sealed block's will.
        let mut raw: Vec<Bytes> =
            frames[..=i].iter().flat_map(|f| f.transactions().to_vec()).collect();
        raw.extend(latest.cloned());
        let root = ordered_trie_root_with_encoder(&raw, |tx, buf| buf.extend_from_slice(tx));
        assert_eq!(block.header.inner.transactions_root, root, "{i}");
        let full = view.pending_block(true).into_value().expect("full");
        let BlockTransactions::Full(txs) = &full.transactions else { panic!("full") };
        assert_eq!(txs.len(), want.len());
        let Some(post) = latest else { continue };
        let json = serde_json::to_value(txs.last().expect("last")).expect("json");
        assert_eq!(json["type"], "0x7d");
        assert_eq!(json["from"], serde_json::to_value(Address::ZERO).expect("zero"));
        assert_eq!((json["gas"].clone(), json["value"].clone()), ("0x0".into(), "0x0".into()));
        assert_eq!(json["input"], Value::String(Bytes::copy_from_slice(&post[1..]).to_string()));
        assert_eq!(json["hash"], Value::String(keccak256(post).to_string()));
        assert_eq!(json["transactionIndex"], Value::String(format!("{:#x}", want.len() - 1)));
        // eth_getTransactionByHash finds the latest one, the same object.
        let found = view.rpc_transaction(keccak256(post)).into_value().expect("found");
        assert_eq!(serde_json::to_value(found).expect("json"), json);
    }
    // The restated one replaced the first: only the latest is found.
    let view_snapshot = fed.snapshot();
    let view = view_snapshot.at(0);
    assert!(matches!(view.rpc_transaction(keccak256(&first)), Lookup::NotHere(NotHere::Untouched)));
    // No nonce of the zero address comes from it.
    assert!(view.transaction_count(Address::ZERO).into_value().is_none());
    // The block's transactions are served as before.
    let tx = transaction_hash(&frames[1].transactions()[0]);
    assert!(view.rpc_transaction(tx).into_value().is_some());
}

#[test]
fn a_canonical_block_confirms_the_block_with_its_post_exec_transaction() {
    let (frames, _, second) = frames();
    let last = frames.last().expect("frames");
    let (gas, root) = (last.diff().gas_used, last.diff().receipts_root);
    let number = last.json_metadata().and_then(|m| m.block_number).expect("number");
    let head = CanonicalHead { number, hash: B256::repeat_byte(9) };
    let mut with_it = hashes(&frames, frames.len());
    with_it.push(keccak256(&second));
    for (canonical, confirmed) in
        [(with_it.clone(), true), (with_it[..with_it.len() - 1].to_vec(), false)]
    {
        let mut fed = fed();
        for fb in &frames {
            fed.apply(Arc::clone(fb), 0).expect("applies");
        }
        let block = CanonicalBlock::new(canonical).with_gas_used(gas).with_receipts_root(root);
        let events = fed.advance_canonical(head, Some(&block));
        assert_eq!(
            events.iter().any(|e| matches!(e, OverlayEvent::Confirmed { .. })),
            confirmed,
            "{events:?}"
        );
        assert_eq!(
            events.iter().any(|e| matches!(e, OverlayEvent::BrokenPreconfirmation { .. })),
            !confirmed
        );
    }
}

#[test]
fn the_latest_post_exec_transaction_answers_its_provisional_receipt() {
    let (frames, first, second) = frames();
    let mut fed = fed();
    for fb in &frames {
        fed.apply(Arc::clone(fb), 0).expect("applies");
    }
    let snapshot = fed.snapshot();
    let view = snapshot.at(0);
    let receipt = view.rpc_receipt(keccak256(&second)).into_value().expect("its receipt");
    let json = serde_json::to_value(&receipt).expect("json");
    // post-exec.md, "Receipt": status 1, no logs, the cumulative gas of the block so far.
    assert_eq!(json["type"], "0x7d");
    assert_eq!(json["status"], "0x1");
    assert_eq!(json["gasUsed"], "0x0");
    let gas = frames.last().expect("frames").diff().gas_used;
    assert_eq!(json["cumulativeGasUsed"], Value::String(format!("{gas:#x}")));
    assert_eq!(json["logs"], Value::Array(Vec::new()));
    assert_eq!(json["from"], serde_json::to_value(Address::ZERO).expect("zero"));
    let count = hashes(&frames, frames.len()).len();
    assert_eq!(json["transactionIndex"], Value::String(format!("{count:#x}")));
    // The replaced one has none.
    assert!(matches!(view.rpc_receipt(keccak256(&first)), Lookup::NotHere(NotHere::Untouched)));
}

/// The overlay's byte count (what its bound holds it to) covers a post-exec transaction:
/// the same subblocks count at least its bytes twice more with it (as sent, and the
/// block's decoded copy) than without.
#[test]
fn the_byte_count_covers_the_post_exec_transaction() {
    let (frames, first, _) = frames();
    let text = std::fs::read(UNICHAIN).expect("vector");
    let plain: Vec<Value> = serde_json::from_slice(&text).expect("array");
    let decode = |v: &Value| {
        let bytes = serde_json::to_vec(v).expect("encode");
        Arc::new(JsonFrameReader::default().decode(&bytes).expect("decodes"))
    };
    let (mut with, mut without) = (fed(), fed());
    for i in 0..2 {
        with.apply(Arc::clone(&frames[i]), 0).expect("applies");
        without.apply(decode(&plain[i]), 0).expect("applies");
    }
    let (with, without) = (with.snapshot().bytes_held(), without.snapshot().bytes_held());
    assert!(with >= without + 2 * first.len(), "{with} with, {without} without");
}
