//! The real Unichain Sepolia block 35535698: its header rebuilt at each of its 5
//! flashblocks hashes to that flashblock's `diff.block_hash`.

use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use alloy_trie::root::ordered_trie_root_encoded;
use flashblocks_assemble::rebuild_header;
use flashblocks_types::{CumulativeResults, ExecutionPayloadStaticV1};
use serde_json::Value;
use std::str::FromStr;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/vectors/real/unichain-sepolia-35535698-full-sequence.json"
);

fn load() -> Vec<Value> {
    let text = std::fs::read_to_string(PATH).expect("vector present");
    serde_json::from_str(&text).expect("vector is JSON")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is a string"))
}

fn quantity(v: &Value, key: &str) -> u64 {
    u64::from_str_radix(str_of(v, key).trim_start_matches("0x"), 16).expect("hex quantity")
}

fn b256(v: &Value, key: &str) -> B256 {
    B256::from_str(str_of(v, key)).expect("32 bytes")
}

fn base_of(v: &Value) -> ExecutionPayloadStaticV1 {
    ExecutionPayloadStaticV1 {
        parent_beacon_block_root: b256(v, "parent_beacon_block_root"),
        parent_hash: b256(v, "parent_hash"),
        fee_recipient: Address::from_str(str_of(v, "fee_recipient")).expect("address"),
        prev_randao: b256(v, "prev_randao"),
        block_number: quantity(v, "block_number"),
        gas_limit: quantity(v, "gas_limit"),
        timestamp: quantity(v, "timestamp"),
        extra_data: Bytes::from_str(str_of(v, "extra_data")).expect("hex"),
        base_fee_per_gas: U256::from(quantity(v, "base_fee_per_gas")),
    }
}

fn results_of(diff: &Value) -> CumulativeResults {
    CumulativeResults {
        state_root: b256(diff, "state_root"),
        receipts_root: b256(diff, "receipts_root"),
        logs_bloom: Bloom::from_str(str_of(diff, "logs_bloom")).expect("bloom"),
        gas_used: quantity(diff, "gas_used"),
        block_hash: b256(diff, "block_hash"),
        withdrawals_root: b256(diff, "withdrawals_root"),
    }
}

fn transactions_of(diff: &Value) -> Vec<Bytes> {
    diff["transactions"]
        .as_array()
        .expect("transactions")
        .iter()
        .map(|tx| Bytes::from_str(tx.as_str().expect("hex")).expect("hex"))
        .collect()
}

#[test]
fn header_rebuilt_at_every_flashblock_hashes_to_its_block_hash() {
    let frames = load();
    assert_eq!(frames.len(), 5);
    let base = base_of(&frames[0]["base"]);
    let mut transactions = Vec::new();
    for (index, frame) in frames.iter().enumerate() {
        let diff = &frame["diff"];
        transactions.extend(transactions_of(diff));
        let results = results_of(diff);
        let root = ordered_trie_root_encoded(&transactions);
        let header = rebuild_header(&base, &results, None, root).expect("base fee fits");
        assert_eq!(header.hash_slow(), results.block_hash, "flashblock {index}");
    }
    assert_eq!(transactions.len(), 6);
    let last = results_of(&frames[4]["diff"]);
    assert_eq!(last.gas_used, 0x32138);
    assert_eq!(base.block_number, 0x21e3b52);
    assert_eq!(base.timestamp, 0x690be89e);
    assert_eq!(
        last.block_hash,
        B256::from_str("0xc463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196")
            .expect("hash")
    );
}

#[test]
fn a_changed_field_breaks_the_hash() {
    let frames = load();
    let base = base_of(&frames[0]["base"]);
    let diff = &frames[0]["diff"];
    let mut results = results_of(diff);
    let root = ordered_trie_root_encoded(&transactions_of(diff));
    results.gas_used += 1;
    let header = rebuild_header(&base, &results, None, root).expect("base fee fits");
    assert_ne!(header.hash_slow(), results.block_hash);
    // Jovian blob gas is part of the header: a stream that carries it hashes otherwise.
    let results = results_of(diff);
    let header = rebuild_header(&base, &results, Some(1), root).expect("base fee fits");
    assert_ne!(header.hash_slow(), results.block_hash);
}
