//! Hand-made JSON cases: each receipt style (deposits included), the Azul shape, unknown
//! fields, `base: null` vs missing, Jovian `blob_gas_used`, withdrawals, malformed input.

use alloy_consensus::{Eip658Value, Receipt};
use alloy_primitives::{address, b256, Address, Bytes, Log, B256, U256};
use flashblocks_types::{
    CodecError, Flashblock, FlashblockJson, JsonErrorKind, JsonFrameReader, ReceiptIssue,
    ReceiptStyle, V1Link, Withdrawal,
};
use op_alloy_consensus::{OpDepositReceipt, OpReceipt};
use serde_json::{json, Value};

const TX_HASH_A: B256 = b256!("00000000000000000000000000000000000000000000000000000000000000aa");
const TX_HASH_B: B256 = b256!("00000000000000000000000000000000000000000000000000000000000000bb");
const LOG_ADDRESS: Address = address!("4200000000000000000000000000000000000015");

fn hash_hex(byte: u8) -> String {
    format!("0x{}", hex::encode([byte; 32]))
}

/// A wire flashblock at `index` with the given metadata object.
fn wire(index: u64, metadata: Value) -> Value {
    json!({
        "payload_id": "0x0102030405060708",
        "index": index,
        "diff": {
            "state_root": hash_hex(1),
            "receipts_root": hash_hex(2),
            "logs_bloom": format!("0x{}", "00".repeat(256)),
            "gas_used": "0xb7c7",
            "block_hash": hash_hex(3),
            "transactions": ["0x7e01", "0x02aa"],
            "withdrawals": [],
            "withdrawals_root": hash_hex(4),
        },
        "metadata": metadata,
    })
}

fn wire_base() -> Value {
    json!({
        "parent_beacon_block_root": hash_hex(5),
        "parent_hash": hash_hex(6),
        "fee_recipient": "0x4200000000000000000000000000000000000011",
        "prev_randao": hash_hex(7),
        "block_number": "0x2a",
        "gas_limit": "0x1c9c380",
        "timestamp": "0x690be89e",
        "extra_data": "0x00000000320000000c",
        "base_fee_per_gas": "0x33",
    })
}

fn read(value: &Value) -> FlashblockJson {
    crate::json_from_slice(&serde_json::to_vec(value).expect("encode"))
        .unwrap_or_else(|e| panic!("{e}: {value}"))
}

fn expected_receipts() -> std::collections::BTreeMap<B256, OpReceipt> {
    let log = Log::new_unchecked(LOG_ADDRESS, vec![hash_b256(9)], Bytes::from_static(&[1, 2]));
    [
        (
            TX_HASH_A,
            OpReceipt::Deposit(OpDepositReceipt {
                inner: Receipt {
                    status: Eip658Value::Eip658(true),
                    cumulative_gas_used: 0xb1e3,
                    logs: vec![],
                },
                deposit_nonce: Some(0x12),
                deposit_receipt_version: Some(1),
            }),
        ),
        (
            TX_HASH_B,
            OpReceipt::Eip1559(Receipt {
                status: Eip658Value::Eip658(false),
                cumulative_gas_used: 0xb7c7,
                logs: vec![log],
            }),
        ),
    ]
    .into_iter()
    .collect()
}

fn hash_b256(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

fn log_json() -> Value {
    json!({"address": LOG_ADDRESS, "topics": [hash_hex(9)], "data": "0x0102"})
}

fn deposit_fields() -> Value {
    json!({"status": "0x1", "cumulativeGasUsed": "0xb1e3", "logs": [],
           "depositNonce": "0x12", "depositReceiptVersion": "0x1"})
}

fn eip1559_fields() -> Value {
    json!({"status": "0x0", "cumulativeGasUsed": "0xb7c7", "logs": [log_json()]})
}

fn with_type(mut fields: Value, ty: &str) -> Value {
    fields["type"] = json!(ty);
    fields
}

fn metadata_with_receipts(a: Value, b: Value) -> Value {
    json!({
        "block_number": 42,
        "new_account_balances": {"0x4200000000000000000000000000000000000011": "0x10"},
        "receipts": {format!("{TX_HASH_A}"): a, format!("{TX_HASH_B}"): b},
    })
}

#[test]
fn externally_tagged_receipts_read() {
    let fb = read(&wire(
        1,
        metadata_with_receipts(
            json!({"Deposit": deposit_fields()}),
            json!({"Eip1559": eip1559_fields()}),
        ),
    ));
    assert_eq!(fb.metadata.receipts, Some(expected_receipts()));
    let balances = fb.metadata.new_account_balances.expect("present");
    assert_eq!(
        balances.get(&address!("4200000000000000000000000000000000000011")),
        Some(&U256::from(16))
    );
}

#[test]
fn internally_tagged_receipts_read_to_the_same_value() {
    let external = read(&wire(
        1,
        metadata_with_receipts(
            json!({"Deposit": deposit_fields()}),
            json!({"Eip1559": eip1559_fields()}),
        ),
    ));
    let internal = read(&wire(
        1,
        metadata_with_receipts(
            with_type(deposit_fields(), "0x7e"),
            with_type(eip1559_fields(), "0x2"),
        ),
    ));
    assert_eq!(internal, external);
    assert_eq!(internal.identity(), external.identity(), "identity ignores the receipt style");
}

#[test]
fn receipts_are_written_internally_tagged_and_read_back() {
    let fb = read(&wire(
        1,
        metadata_with_receipts(
            json!({"Deposit": deposit_fields()}),
            json!({"Eip1559": eip1559_fields()}),
        ),
    ));
    let written: Value = serde_json::from_slice(&fb.to_vec()).expect("JSON");
    let receipts = &written["metadata"]["receipts"];
    assert_eq!(receipts[format!("{TX_HASH_A}")], with_type(deposit_fields(), "0x7e"));
    assert_eq!(receipts[format!("{TX_HASH_B}")], with_type(eip1559_fields(), "0x2"));
    assert_eq!(read(&written), fb);
}

#[test]
fn each_externally_tagged_kind_reads() {
    let base = json!({"status": "0x1", "cumulativeGasUsed": "0x5208", "logs": []});
    for (tag, ty) in [("Legacy", 0u8), ("Eip2930", 1), ("Eip1559", 2), ("Eip7702", 4)] {
        let fb = read(&wire(
            1,
            json!({"block_number": 1, "receipts": {format!("{TX_HASH_A}"): {tag: base}}}),
        ));
        let receipt = &fb.metadata.receipts.expect("present")[&TX_HASH_A];
        assert_eq!(receipt.tx_type() as u8, ty, "{tag}");
        let internal = read(&wire(
            1,
            json!({"block_number": 1,
                   "receipts": {format!("{TX_HASH_A}"): with_type(base.clone(), &format!("0x{ty:x}"))}}),
        ));
        assert_eq!(&internal.metadata.receipts.expect("present")[&TX_HASH_A], receipt, "{tag}");
    }
}

#[test]
fn a_receipt_in_neither_style_is_a_data_error() {
    for bad in [
        json!({"Eip1559": eip1559_fields(), "extra": 1}),
        json!({"Unknown": eip1559_fields()}),
        json!({"type": "0x9", "status": "0x1", "cumulativeGasUsed": "0x1", "logs": []}),
        json!({"type": "0x2", "status": "0x1"}),
        json!("0x01"),
    ] {
        let text = serde_json::to_vec(&wire(
            1,
            json!({"block_number": 1, "receipts": {format!("{TX_HASH_A}"): bad}}),
        ))
        .expect("encode");
        match crate::json_from_slice(&text) {
            Err(CodecError::Json(e)) => assert_eq!(e.kind, JsonErrorKind::Data, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn azul_shape_reads_and_writes_without_the_maps() {
    let fb = read(&wire(
        1,
        json!({"block_number": 42, "access_list": {"0x00": []}, "inclusion_fee": "0x1"}),
    ));
    assert_eq!(fb.metadata.block_number, Some(42));
    assert_eq!(fb.metadata.new_account_balances, None);
    assert_eq!(fb.metadata.receipts, None);
    let written: Value = serde_json::from_slice(&fb.to_vec()).expect("JSON");
    assert_eq!(written["metadata"], json!({"block_number": 42}));

    // Absent and present-but-empty are different decoded values, kept apart on write.
    let empty =
        read(&wire(1, json!({"block_number": 42, "new_account_balances": {}, "receipts": {}})));
    assert_eq!(empty.metadata.receipts.as_ref().map(|r| r.len()), Some(0));
    assert_ne!(empty, fb);
    let written: Value = serde_json::from_slice(&empty.to_vec()).expect("JSON");
    assert_eq!(
        written["metadata"],
        json!({"block_number": 42, "new_account_balances": {}, "receipts": {}})
    );
    // `null` maps read as absent.
    let null =
        read(&wire(1, json!({"block_number": 42, "new_account_balances": null, "receipts": null})));
    assert_eq!(null, fb);
}

#[test]
fn unknown_fields_are_ignored_everywhere() {
    let plain = {
        let mut v = wire(0, json!({"block_number": 42}));
        v["base"] = wire_base();
        v
    };
    let mut extra = plain.clone();
    extra["future_field"] = json!({"nested": [1, 2, 3]});
    extra["base"]["slot_number"] = json!("0x10");
    extra["diff"]["excess_blob_gas"] = json!("0x0");
    extra["diff"]["requests"] = json!([]);
    extra["metadata"]["access_list"] = json!({});
    extra["metadata"]["inclusion_fee"] = json!("0x5");
    let (a, b) = (read(&plain), read(&extra));
    assert_eq!(a, b);
    assert_eq!(a.identity(), b.identity());
    assert_eq!(a.identity(), crate::json_props::canonical_identity(&a));
    let base = a.base.expect("base");
    assert_eq!(base.block_number, 42);
    assert_eq!(base.gas_limit, 30_000_000);
    assert_eq!(base.base_fee_per_gas, U256::from(0x33));
}

#[test]
fn base_null_and_base_missing_are_the_same_flashblock() {
    let missing = wire(1, json!({"block_number": 42}));
    let mut null = missing.clone();
    null["base"] = Value::Null;
    let (a, b) = (read(&missing), read(&null));
    assert_eq!(a, b);
    assert_eq!(a.base, None);
    assert_eq!(a.identity(), b.identity());
    // Written as a missing key, as op-alloy does.
    let written: Value = serde_json::from_slice(&a.to_vec()).expect("JSON");
    assert!(written.get("base").is_none());
}

#[test]
fn key_order_whitespace_and_hex_case_do_not_change_identity() {
    let v = wire(1, json!({"block_number": 42}));
    let a = read(&v);
    // serde_json's Value sorts keys: another order than `wire` wrote.
    let pretty = serde_json::to_string_pretty(&v).expect("pretty");
    let upper = pretty.replace("0x02aa", "0x02AA").replace("\"0xb7c7\"", "\"0xB7C7\"");
    assert_ne!(upper, pretty);
    let b = crate::json_from_slice(upper.as_bytes()).expect("reads");
    assert_eq!(a, b);
    assert_eq!(a.identity(), b.identity());
    assert_eq!(crate::decode_json(upper.as_bytes()).map(|f| f.identity()), Ok(a.identity()));
}

#[test]
fn jovian_blob_gas_used_reads_and_blocks_the_v1_conversion() {
    let mut v = wire(1, json!({"block_number": 42}));
    v["diff"]["blob_gas_used"] = json!("0x1f40");
    let fb = read(&v);
    assert_eq!(fb.diff.blob_gas_used, Some(8000));
    assert_eq!(fb.identity(), crate::json_props::canonical_identity(&fb));
    let model = Flashblock::from_json(fb.clone());
    assert_eq!(model.blob_gas_used(), Some(8000));
    assert_eq!(model.to_json(), Ok(fb.clone()));
    let written: Value = serde_json::from_slice(&fb.to_vec()).expect("JSON");
    assert_eq!(written["diff"]["blob_gas_used"], json!("0x1f40"));
    assert_eq!(
        fb.try_into_v1(V1Link::default()),
        Err(CodecError::BlobGasUsedNotInV1 { blob_gas_used: 8000 })
    );
    // Pre-Jovian: no key written.
    let plain = read(&wire(1, json!({"block_number": 42})));
    let written: Value = serde_json::from_slice(&plain.to_vec()).expect("JSON");
    assert!(written["diff"].get("blob_gas_used").is_none());
}

#[test]
fn withdrawals_read_snake_case_and_alloy_camel_case() {
    let mut v = wire(1, json!({"block_number": 42}));
    v["diff"]["withdrawals"] = json!([
        {"index": "0x1", "validator_index": "0x2", "address": LOG_ADDRESS, "amount": "0x3"},
        {"index": "0x4", "validatorIndex": "0x5", "address": LOG_ADDRESS, "amount": "0x6"},
    ]);
    let fb = read(&v);
    assert_eq!(
        fb.diff.withdrawals,
        [
            Withdrawal { index: 1, validator_index: 2, address: LOG_ADDRESS, amount: 3 },
            Withdrawal { index: 4, validator_index: 5, address: LOG_ADDRESS, amount: 6 },
        ]
    );
    let written: Value = serde_json::from_slice(&fb.to_vec()).expect("JSON");
    assert_eq!(
        written["diff"]["withdrawals"][1],
        json!({"index": "0x4", "validator_index": "0x5", "address": LOG_ADDRESS, "amount": "0x6"})
    );
}

#[test]
fn conversions_name_what_cannot_be_represented() {
    let fb = read(&wire(
        1,
        metadata_with_receipts(
            json!({"Deposit": deposit_fields()}),
            json!({"Eip1559": eip1559_fields()}),
        ),
    ));
    // Balances need nonces in V1.
    assert_eq!(
        fb.clone().try_into_v1(V1Link { parent_flash_hash: Some(B256::ZERO), gas_used_before: 0 }),
        Err(CodecError::NonceUnknown {
            address: address!("4200000000000000000000000000000000000011")
        })
    );
    let v1 = fb.clone().into_v1_without_metadata(Some(B256::ZERO));
    assert_eq!(v1.parent_flash_hash, Some(B256::ZERO));
    assert_eq!(v1.diff.transactions, fb.diff.transactions);
    assert!(v1.metadata.accounts.is_empty() && v1.metadata.transactions.is_empty());
    // Back to JSON: the parent hash has no place.
    let err = FlashblockJson::try_from_v1(&v1, 42).unwrap_err();
    assert_eq!(err, CodecError::ParentFlashHashNotInJson { parent_flash_hash: B256::ZERO });
    assert!(err.is_unrepresentable() && !err.is_malformed_json());
    // A V1 flashblock without base gives no block number.
    let model = Flashblock::from_v1(v1);
    assert_eq!(model.to_json(), Err(CodecError::BlockNumberUnknown { index: 1 }));
}

#[test]
fn malformed_json_is_a_typed_error() {
    let good = serde_json::to_vec(&wire(1, json!({"block_number": 42}))).expect("encode");
    let cases: Vec<(Vec<u8>, JsonErrorKind)> = vec![
        (b"{".to_vec(), JsonErrorKind::Eof),
        (good[..good.len() / 2].to_vec(), JsonErrorKind::Eof),
        (b"{\"payload_id\" 1}".to_vec(), JsonErrorKind::Syntax),
        ([&good[..], b"x"].concat(), JsonErrorKind::Syntax),
        (b"{}".to_vec(), JsonErrorKind::Data),
        (b"[]".to_vec(), JsonErrorKind::Data),
        (b"null".to_vec(), JsonErrorKind::Data),
    ];
    let mut mutated = Vec::new();
    for (path, value) in [
        ("index", json!("0x1")),         // a quantity where a number belongs
        ("index", json!(-1)),            // negative
        ("payload_id", json!("0x0102")), // 2 bytes, not 8
        ("payload_id", json!("0xzz02030405060708")),
    ] {
        let mut v = wire(1, json!({"block_number": 42}));
        v[path] = value;
        mutated.push(v);
    }
    for (field, value) in [
        ("gas_used", json!("0x10000000000000000")), // over u64
        ("state_root", json!("0x01")),
        ("logs_bloom", json!("0x00")),
        ("transactions", json!(["0x0"])), // odd hex
        ("transactions", json!("0x00")),
        ("blob_gas_used", json!("0xg1")),
    ] {
        let mut v = wire(1, json!({"block_number": 42}));
        v["diff"][field] = value;
        mutated.push(v);
    }
    let mut v = wire(1, json!({"block_number": "0x2a"}));
    mutated.push(v.clone());
    v["metadata"] = json!({"block_number": 1, "new_account_balances": {"0x42": "0x1"}});
    mutated.push(v);
    let mut v = wire(1, json!({"block_number": 42}));
    v["diff"].as_object_mut().expect("object").remove("block_hash");
    mutated.push(v);

    let all = cases.into_iter().chain(
        mutated.iter().map(|v| (serde_json::to_vec(v).expect("encode"), JsonErrorKind::Data)),
    );
    for (text, kind) in all {
        let shown = String::from_utf8_lossy(&text).into_owned();
        match crate::decode_json(&text) {
            Err(CodecError::Json(e)) => {
                assert_eq!(e.kind, kind, "{shown}: {e}");
                assert!(e.line >= 1 && !e.message.is_empty());
            }
            other => panic!("{shown}: {other:?}"),
        }
        // The frame reader gives the same error for the plain text.
        assert!(JsonFrameReader::default().decode(&text).unwrap_err().is_malformed_json());
    }
}

#[test]
fn receipts_that_do_not_give_transaction_metadata() {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::Encodable2718;
    use alloy_primitives::{keccak256, Signature, TxKind};

    let signed = |to: TxKind| {
        let tx = TxEip1559 { chain_id: 1, gas_limit: 100_000, to, ..Default::default() };
        let mut out = Vec::new();
        op_alloy_consensus::OpTxEnvelope::Eip1559(tx.into_signed(Signature::test_signature()))
            .encode_2718(&mut out);
        Bytes::from(out)
    };
    let ok = |cumulative| {
        OpReceipt::Eip1559(Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: cumulative,
            logs: vec![],
        })
    };
    let convert = |tx: Bytes, receipt: OpReceipt| {
        let mut fb = read(&wire(1, json!({"block_number": 42})));
        fb.metadata.receipts = Some([(keccak256(&tx), receipt)].into_iter().collect());
        fb.diff.transactions = vec![tx];
        fb.try_into_v1(V1Link { parent_flash_hash: Some(B256::ZERO), gas_used_before: 100 })
    };
    let call = signed(TxKind::Call(LOG_ADDRESS));
    let v1 = convert(call.clone(), ok(21_100)).expect("a call with its receipt converts");
    assert_eq!(v1.metadata.transactions[0].gas_used, 21_000);
    assert_eq!(v1.metadata.transactions[0].status, 1);

    let cases = [
        (signed(TxKind::Create), ok(21_100), ReceiptIssue::ContractCreation),
        (Bytes::from_static(&[0x02, 0xaa]), ok(21_100), ReceiptIssue::UndecodableTransaction),
        (
            call.clone(),
            ok(99),
            ReceiptIssue::CumulativeGasDecreased { previous: 100, cumulative: 99 },
        ),
        (
            call.clone(),
            OpReceipt::Eip1559(Receipt {
                status: Eip658Value::PostState(B256::ZERO),
                cumulative_gas_used: 200,
                logs: vec![],
            }),
            ReceiptIssue::PostStateRoot,
        ),
    ];
    for (tx, receipt, reason) in cases {
        assert_eq!(
            convert(tx, receipt),
            Err(CodecError::ReceiptNotConvertible { index: 0, reason })
        );
    }
    // No receipt for the transaction.
    let mut fb = read(&wire(1, json!({"block_number": 42})));
    fb.diff.transactions = vec![call.clone()];
    assert_eq!(
        fb.try_into_v1(V1Link::default()),
        Err(CodecError::ReceiptMissing { index: 0, tx_hash: keccak256(&call) })
    );
}

#[test]
fn receipts_are_written_externally_tagged_on_request() {
    let external_in = metadata_with_receipts(
        json!({"Deposit": deposit_fields()}),
        json!({"Eip1559": eip1559_fields()}),
    );
    let fb = read(&wire(1, external_in.clone()));
    let written = fb.to_vec_with(ReceiptStyle::ExternallyTagged);
    let value: Value = serde_json::from_slice(&written).expect("JSON");
    assert_eq!(value["metadata"], external_in, "the same externally tagged text came out");
    assert_eq!(read(&value), fb);
    assert_eq!(fb.to_vec_with(ReceiptStyle::default()), fb.to_vec());
    // Apart from the receipts, both styles write the same JSON.
    let mut internal: Value = serde_json::from_slice(&fb.to_vec()).expect("JSON");
    let mut external = value;
    internal["metadata"]["receipts"] = Value::Null;
    external["metadata"]["receipts"] = Value::Null;
    assert_eq!(internal, external);
    // Every kind round-trips through the external style, post-exec included.
    let base = json!({"status": "0x1", "cumulativeGasUsed": "0x5208", "logs": []});
    for ty in ["0x0", "0x1", "0x2", "0x4", "0x7d"] {
        let fb = read(&wire(
            1,
            json!({"block_number": 1,
                   "receipts": {format!("{TX_HASH_A}"): with_type(base.clone(), ty)}}),
        ));
        let again = crate::json_from_slice(&fb.to_vec_with(ReceiptStyle::ExternallyTagged));
        assert_eq!(again.as_ref(), Ok(&fb), "{ty}");
    }
}
