//! The JSON dialects' own fields, in the shapes their builders write: Base's
//! `metadata {block_number, prev_flashblock_id}` (and Azul's `{block_number,
//! access_list}`), World Chain's `diff.access_list_data` and `metadata {fees,
//! flashblock_timestamp}` (no `block_number`), X Layer's `target_index` and `PayloadEnd`.
//! Each reads typed, writes back to the same value (both receipt styles, brotli), and the
//! fast path gives what the derive decode gives.

use alloy_eips::eip7928::{
    AccountChanges, BalanceChange, BlockAccessIndex, NonceChange, SlotChanges, StorageChange,
};
use alloy_primitives::{Address, B256, U256};
use flashblocks_types::{
    decode_json_text, CodecError, FlashblockAccessList, FlashblockAccessListData, FlashblockId,
    FlashblockJson, GeneratorConfig, JsonFrameReader, JsonMessage, PayloadEnd, PayloadId,
    ReceiptStyle, SequenceGenerator,
};
use serde_json::{json, Value};

/// A generated flashblock (index `index` of its block) as a JSON value.
fn sample(index: usize) -> Value {
    let config = GeneratorConfig { transactions_per_flashblock: 3, ..GeneratorConfig::default() };
    let block = SequenceGenerator::new(5, config).next_block();
    let number = block[0].base.as_ref().expect("base").block_number;
    serde_json::from_slice(&FlashblockJson::from_v1_lossy(&block[index], number).to_vec())
        .expect("JSON")
}

/// Reads `value`'s text every way: the fast path and the derive decode agree, the frame
/// reader (plain and brotli) gives the same flashblock, and what it writes (both receipt
/// styles) reads back to it with the same identity.
fn read(value: &Value) -> FlashblockJson {
    let text = serde_json::to_vec(value).expect("encode");
    let derive: Result<FlashblockJson, CodecError> =
        serde_json::from_slice(&text).map_err(|e| CodecError::Json(e.into()));
    let json = decode_json_text(&text);
    assert_eq!(json, derive, "fast path and derive decode differ");
    let json = json.expect("reads");
    let reader = JsonFrameReader::default();
    let fb = reader.decode(&text).expect("frame");
    assert_eq!(reader.decode(&JsonFrameReader::encode_brotli(&text)), Ok(fb.clone()));
    assert_eq!(fb.to_json(), Ok(json.clone()));
    for style in [ReceiptStyle::InternallyTagged, ReceiptStyle::ExternallyTagged] {
        let written = json.to_vec_with(style);
        assert_eq!(decode_json_text(&written), Ok(json.clone()), "{style:?}");
        assert_eq!(reader.decode(&written).map(|f| f.identity()), Ok(fb.identity()));
    }
    json
}

#[test]
fn base_prev_flashblock_id_reads_typed() {
    let mut value = sample(1);
    value["metadata"] = json!({"block_number": 1_000_001, "prev_flashblock_id": "1000001-0"});
    let json = read(&value);
    assert_eq!(json.metadata.block_number, Some(1_000_001));
    assert_eq!(
        json.metadata.prev_flashblock_id,
        Some(FlashblockId { block_number: 1_000_001, index: 0 })
    );
    assert!(json.metadata.receipts.is_none() && json.metadata.new_account_balances.is_none());
    // Another link is another value (and identity).
    let mut other = value.clone();
    other["metadata"]["prev_flashblock_id"] = json!("1000000-9");
    let other = read(&other);
    assert_ne!(FlashblockJson::identity(&other), FlashblockJson::identity(&json));
    // "0-0" (no previous frame) reads as itself.
    value["metadata"]["prev_flashblock_id"] = json!("0-0");
    assert!(read(&value).metadata.prev_flashblock_id.is_some_and(|id| id.is_none()));
    // A link that is not "<number>-<number>" is malformed, in both decodes alike.
    for bad in [json!("1000001"), json!("a-1"), json!("1--1"), json!(7), json!("-1"), json!("1-")] {
        value["metadata"]["prev_flashblock_id"] = bad.clone();
        let text = serde_json::to_vec(&value).expect("encode");
        assert!(decode_json_text(&text).is_err(), "{bad}");
        assert_eq!(
            decode_json_text(&text),
            serde_json::from_slice::<FlashblockJson>(&text).map_err(|e| CodecError::Json(e.into()))
        );
    }
}

#[test]
fn base_azul_metadata_reads_with_its_access_list_ignored() {
    let mut value = sample(1);
    value["metadata"] = json!({"block_number": 42, "access_list": {"0x01": []}});
    let json = read(&value);
    assert_eq!(json.metadata.block_number, Some(42));
    assert!(json.metadata.prev_flashblock_id.is_none());
}

/// An access list as World Chain's builder writes it (EIP-7928 account changes).
fn access_list() -> FlashblockAccessListData {
    let mut changes = AccountChanges::new(Address::repeat_byte(0x42));
    changes.storage_changes.push(SlotChanges::new(
        U256::from(1),
        vec![StorageChange::new(BlockAccessIndex(1), U256::from(7))],
    ));
    changes.storage_reads.push(U256::from(2));
    changes.balance_changes.push(BalanceChange::new(BlockAccessIndex(1), U256::from(1_000)));
    changes.nonce_changes.push(NonceChange::new(BlockAccessIndex(1), 3));
    let access_list =
        FlashblockAccessList { changes: vec![changes], min_tx_index: 1, max_tx_index: 4 };
    let access_list_hash = access_list.hash_slow();
    FlashblockAccessListData { access_list, access_list_hash }
}

#[test]
fn world_chain_access_list_and_metadata_read_typed() {
    let mut value = sample(1);
    let data = access_list();
    assert!(data.hash_matches_slow());
    value["diff"]["access_list_data"] = serde_json::to_value(&data).expect("encode");
    // World Chain's metadata: fees (a quantity) and the builder's clock; no block number.
    value["metadata"] =
        json!({"fees": "0x2386f26fc10000", "flashblock_timestamp": 1_787_000_000_123_456_789_i64});
    let text = serde_json::to_string(&value).expect("encode");
    // The JSON names are World Chain's: snake_case around EIP-7928's camelCase changes.
    for name in [
        "\"access_list\":",
        "\"min_tx_index\":1",
        "\"access_list_hash\":",
        "\"storageChanges\":",
        "\"balanceChanges\":",
    ] {
        assert!(text.contains(name), "{name}");
    }
    let json = read(&value);
    assert_eq!(json.diff.access_list_data.as_deref(), Some(&data));
    assert_eq!(json.metadata.block_number, None);
    assert_eq!(json.metadata.fees, Some(U256::from(10_000_000_000_000_000_u64)));
    assert_eq!(json.metadata.flashblock_timestamp, Some(1_787_000_000_123_456_789));
    let fb = JsonFrameReader::default().decode(&json.to_vec()).expect("frame");
    assert_eq!(fb.access_list_data(), Some(&data));
    // `null` (World Chain writes it when there is none) reads as absent.
    value["diff"]["access_list_data"] = Value::Null;
    assert!(read(&value).diff.access_list_data.is_none());
    // A hash that is not the list's is carried as sent, and can be told.
    let mut wrong = data;
    wrong.access_list_hash = B256::repeat_byte(1);
    assert!(!wrong.hash_matches_slow());
}

#[test]
fn x_layer_target_index_and_payload_end() {
    let mut value = sample(0);
    value["target_index"] = json!(0);
    assert_eq!(read(&value).target_index, Some(0));
    let mut later = sample(2);
    later["target_index"] = json!(9);
    let json = read(&later);
    assert_eq!(json.target_index, Some(9));
    let reader = JsonFrameReader::default();
    let fb = reader.decode(&json.to_vec()).expect("frame");
    assert_eq!(fb.target_index(), Some(9));
    assert_eq!(reader.decode_message(&json.to_vec()), Ok(JsonMessage::Flashblock(fb)));
    // The end of a sequence: not a flashblock, read as a message (plain or brotli).
    let end = br#"{"payload_id":"0x0a0b0c0d0e0f1011"}"#;
    let expected = JsonMessage::PayloadEnd(PayloadEnd {
        payload_id: PayloadId::new([0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11]),
    });
    assert_eq!(reader.decode_message(end), Ok(expected.clone()));
    assert_eq!(reader.decode_message(&JsonFrameReader::encode_brotli(end)), Ok(expected));
    assert!(reader.decode(end).is_err(), "a PayloadEnd is not a flashblock");
    // Anything beside the payload id makes it neither.
    assert!(reader.decode_message(br#"{"payload_id":"0x0a0b0c0d0e0f1011","x":1}"#).is_err());
}

#[test]
fn dialect_fields_have_no_place_in_v1_or_op_alloy() {
    let mut value = sample(1);
    value["target_index"] = json!(3);
    let json = read(&value);
    assert_eq!(
        json.clone().try_into_v1(Default::default()),
        Err(CodecError::DialectFieldNotInV1 { field: "target_index" })
    );
    // The lossy V1 conversion drops them, as it says.
    assert_eq!(json.clone().into_v1_without_metadata(None).index, 1);
}
