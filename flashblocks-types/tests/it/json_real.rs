//! The real JSON capture in the shared vectors (Unichain Sepolia block 35535698): it
//! reads, round-trips, converts, and gives the facts the vectors' README lists.

use crate::vectors_dir;
use alloy_primitives::{b256, keccak256};
use flashblocks_types::reference::{decode_frame, VersionedFlashblock};
use flashblocks_types::{CodecError, FlashblockJson, FlashblockSource, JsonFrameReader, V1Link};

fn capture_text() -> String {
    let path = vectors_dir().join("real/unichain-sepolia-35535698-full-sequence.json");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The capture's elements as raw JSON values, as they were on the wire.
fn capture_values() -> Vec<serde_json::Value> {
    serde_json::from_str(&capture_text()).expect("capture is a JSON array")
}

fn capture() -> Vec<FlashblockJson> {
    serde_json::from_str(&capture_text()).expect("capture reads as FlashblockJson")
}

#[test]
fn capture_reads_with_the_readme_facts() {
    let stream = capture();
    assert_eq!(stream.len(), 5);
    let indexes: Vec<u64> = stream.iter().map(|fb| fb.index).collect();
    assert_eq!(indexes, [0, 1, 2, 3, 4]);
    let per_fb: Vec<usize> = stream.iter().map(|fb| fb.diff.transactions.len()).collect();
    assert_eq!(per_fb, [2, 1, 1, 1, 1]);

    let base = stream[0].base.as_ref().expect("index 0 has base");
    assert_eq!(base.block_number, 0x21e3b52);
    assert_eq!(base.timestamp, 0x690be89e);
    assert_eq!(base.gas_limit, 0x3938700);
    assert_eq!(base.base_fee_per_gas, alloy_primitives::U256::from(0x33));
    assert_eq!(base.extra_data.as_ref(), &[0, 0, 0, 0, 0x32, 0, 0, 0, 0x0c]);
    assert!(stream[1..].iter().all(|fb| fb.base.is_none()), "later frames carry base: null");

    let last = &stream[4];
    assert_eq!(last.diff.gas_used, 0x32138);
    assert_eq!(
        last.diff.block_hash,
        b256!("c463a3120c35268f610d969f5608b479332ef10953af77c7a6be806195831196")
    );
    assert_eq!(last.diff.blob_gas_used, None);
    for fb in &stream {
        assert_eq!(fb.metadata.block_number, Some(35_535_698));
        assert_eq!(fb.metadata.new_account_balances.as_ref().map(|m| m.len()), Some(0));
        assert_eq!(fb.metadata.receipts.as_ref().map(|m| m.len()), Some(0));
        assert_eq!(fb.payload_id, stream[0].payload_id);
    }
    // The first transaction is the L1-info deposit.
    assert_eq!(stream[0].diff.transactions[0].first(), Some(&0x7e));
}

#[test]
fn capture_round_trips_through_our_writer() {
    for (fb, raw) in capture().iter().zip(capture_values()) {
        let written = fb.to_vec();
        let again = crate::json_from_slice(&written).expect("our output reads");
        assert_eq!(&again, fb);
        assert_eq!(again.identity(), fb.identity());
        // Writing is deterministic: the same value gives the same bytes.
        assert_eq!(again.to_vec(), written);
        // And what we write is the wire JSON, field for field (the capture has no field
        // we drop; `base: null` becomes a missing key, which readers treat the same).
        let mut expected = raw.clone();
        if expected["base"].is_null() {
            expected.as_object_mut().expect("object").remove("base");
        }
        let ours: serde_json::Value = serde_json::from_slice(&written).expect("JSON");
        assert_eq!(ours, expected, "flashblock {}", fb.index);
    }
}

#[test]
fn capture_elements_decode_into_the_input_model() {
    for (raw, fb) in capture_values().iter().zip(capture()) {
        let text = serde_json::to_vec(raw).expect("re-encode element");
        let model = crate::decode_json(&text).expect("element decodes");
        assert_eq!(model.source(), FlashblockSource::Json);
        assert_eq!(model.index(), fb.index);
        assert_eq!(model.payload_id(), fb.payload_id);
        assert_eq!(model.parent_flash_hash(), None);
        assert_eq!(model.base(), fb.base.as_ref());
        assert_eq!(model.transactions(), fb.diff.transactions.as_slice());
        assert_eq!(model.blob_gas_used(), None);
        assert_eq!(model.json_metadata(), Some(&fb.metadata));
        assert_eq!(model.identity(), fb.identity());
        assert_eq!(model.to_json().as_ref(), Ok(&fb));

        // Pretty-printed (other whitespace) and as a brotli frame: the same flashblock.
        let pretty = serde_json::to_vec_pretty(raw).expect("pretty");
        assert_eq!(crate::decode_json(&pretty).as_ref(), Ok(&model));
        let frame = JsonFrameReader::encode_brotli(&text);
        assert!(frame.len() < text.len());
        assert_eq!(JsonFrameReader::default().decode(&frame).as_ref(), Ok(&model));
    }
    // Distinct flashblocks have distinct identities.
    let ids: std::collections::BTreeSet<_> =
        capture().into_iter().map(|fb| fb.identity()).collect();
    assert_eq!(ids.len(), 5);
}

#[test]
fn capture_converts_to_v1_and_back() {
    let stream = capture();
    let mut parent = None;
    for fb in &stream {
        // Strictly: the capture's receipts were trimmed, so the first transaction has none.
        let link = V1Link { parent_flash_hash: parent, gas_used_before: 0 };
        assert_eq!(
            fb.clone().try_into_v1(link),
            Err(CodecError::ReceiptMissing {
                index: 0,
                tx_hash: keccak256(&fb.diff.transactions[0])
            })
        );
        let v1 = fb.clone().into_v1_without_metadata(parent);
        assert_eq!(v1.parent_flash_hash, parent);
        assert_eq!(v1.index, fb.index);
        assert_eq!(v1.base, fb.base);
        assert_eq!(v1.diff.transactions, fb.diff.transactions);
        assert_eq!(v1.diff.block_hash, fb.diff.block_hash);
        assert!(v1.metadata.transactions.is_empty() && v1.metadata.accounts.is_empty());

        // The V1 form is a valid SSZ frame.
        let frame = v1.encode_ssz();
        let VersionedFlashblock::V1(decoded) = decode_frame(&frame).expect("decodes") else {
            panic!("not V1")
        };
        assert_eq!(decoded, v1);

        // And back to JSON: the same flashblock, since the capture has no balances or
        // receipts to lose.
        let back =
            FlashblockJson::from_v1_lossy(&v1, fb.metadata.block_number.expect("a block number"));
        assert_eq!(&back, fb);
        if fb.index == 0 {
            assert_eq!(
                FlashblockJson::try_from_v1(&v1, fb.metadata.block_number.expect("a block number")),
                Ok(back)
            );
        } else {
            assert_eq!(
                FlashblockJson::try_from_v1(&v1, fb.metadata.block_number.expect("a block number")),
                Err(CodecError::ParentFlashHashNotInJson {
                    parent_flash_hash: parent.expect("set after index 0")
                })
            );
        }
        parent = Some(v1.hash_tree_root_slow());
    }
}

/// The capture with its receipts restored (status 1, cumulative gas reaching each
/// flashblock's `gas_used`): the strict conversion to V1 gives each transaction's gas.
#[test]
fn capture_with_receipts_converts_strictly() {
    use alloy_consensus::{Eip658Value, Receipt};
    use flashblocks_types::TransactionMetadata;
    use op_alloy_consensus::{OpDepositReceipt, OpReceipt};

    let stream = capture();
    let mut link = V1Link::default();
    // The deposit's gas in flashblock 0 (any split below the total would do).
    let deposit_gas = 0xb1e3;
    for fb in stream {
        let mut json = fb.clone();
        let mut receipts = std::collections::BTreeMap::new();
        let n = json.diff.transactions.len() as u64;
        let mut expected = Vec::new();
        let mut cumulative = link.gas_used_before;
        for (i, tx) in json.diff.transactions.iter().enumerate() {
            let gas = if fb.index == 0 && i == 0 {
                deposit_gas
            } else if i as u64 + 1 == n {
                fb.diff.gas_used - cumulative
            } else {
                21_000
            };
            cumulative += gas;
            let inner = Receipt {
                status: Eip658Value::Eip658(true),
                cumulative_gas_used: cumulative,
                logs: vec![],
            };
            let receipt = if tx.first() == Some(&0x7e) {
                OpReceipt::Deposit(OpDepositReceipt {
                    inner,
                    deposit_nonce: Some(7),
                    deposit_receipt_version: Some(1),
                })
            } else {
                OpReceipt::Eip1559(inner)
            };
            receipts.insert(keccak256(tx), receipt);
            expected.push(TransactionMetadata { status: 1, gas_used: gas, contract_address: None });
        }
        assert_eq!(cumulative, fb.diff.gas_used);
        json.metadata.receipts = Some(receipts);
        json.metadata.new_account_balances = None;

        let v1 = json.clone().try_into_v1(link).expect("receipts give the metadata");
        assert_eq!(v1.metadata.transactions, expected, "flashblock {}", fb.index);
        assert!(v1.metadata.accounts.is_empty());
        assert_eq!(v1.parent_flash_hash, link.parent_flash_hash);
        assert_eq!(v1.diff.transactions, fb.diff.transactions);
        // The per-transaction gas adds up to the flashblock's step, as V1's gas rule wants.
        let sum: u64 = v1.metadata.transactions.iter().map(|t| t.gas_used).sum();
        assert_eq!(sum, fb.diff.gas_used - link.gas_used_before);

        // A wrong starting point makes the first receipt's step negative.
        let wrong = V1Link { gas_used_before: fb.diff.gas_used + 1, ..link };
        assert!(matches!(
            json.try_into_v1(wrong),
            Err(CodecError::ReceiptNotConvertible { index: 0, .. })
        ));
        link = V1Link {
            parent_flash_hash: Some(v1.hash_tree_root_slow()),
            gas_used_before: fb.diff.gas_used,
        };
    }
}
