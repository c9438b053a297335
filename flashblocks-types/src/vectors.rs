//! The conformance vectors' neutral JSON form of a [`FlashblocksPayloadV1`].
//!
//! The project's vectors (`testdata/vectors/ssz/valid/*.json`, made with `remerkleable`)
//! write a payload as JSON with the schema's field names, byte strings as `0x`-hex,
//! `uint8`/`uint64` as JSON numbers, `uint256` as a decimal string and an Optional as
//! `null` or its value. This module reads and writes that form, so that other
//! implementations' tools and ours speak the same vectors. It is not the deployed JSON.

use crate::{
    AccountMetadata, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1,
    FlashblockMetadata, FlashblocksPayloadV1, StorageSlot, TransactionMetadata, Withdrawal,
};
use alloy_primitives::{hex, Address, Bloom, Bytes, FixedBytes, B256, U256};
use alloy_rpc_types_engine::PayloadId;
use serde_json::{json, Map, Value};

/// A conformance vector's neutral JSON has a field missing or of the wrong type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("vector field `{field}` is missing or invalid")]
pub struct InvalidVectorField {
    /// The field's name.
    pub field: String,
}

fn bad(field: &str) -> InvalidVectorField {
    InvalidVectorField { field: field.to_owned() }
}

fn get<'a>(obj: &'a Value, field: &'static str) -> Result<&'a Value, InvalidVectorField> {
    obj.get(field).ok_or_else(|| bad(field))
}

fn bytes(obj: &Value, field: &'static str) -> Result<Vec<u8>, InvalidVectorField> {
    get(obj, field)?.as_str().and_then(|s| hex::decode(s).ok()).ok_or_else(|| bad(field))
}

fn fixed<const N: usize>(
    obj: &Value,
    field: &'static str,
) -> Result<FixedBytes<N>, InvalidVectorField> {
    let raw = bytes(obj, field)?;
    FixedBytes::<N>::try_from(raw.as_slice()).map_err(|_| bad(field))
}

fn uint(obj: &Value, field: &'static str) -> Result<u64, InvalidVectorField> {
    get(obj, field)?.as_u64().ok_or_else(|| bad(field))
}

fn u256_value(v: &Value, field: &'static str) -> Result<U256, InvalidVectorField> {
    v.as_str().and_then(|s| U256::from_str_radix(s, 10).ok()).ok_or_else(|| bad(field))
}

fn list<'a>(obj: &'a Value, field: &'static str) -> Result<&'a Vec<Value>, InvalidVectorField> {
    get(obj, field)?.as_array().ok_or_else(|| bad(field))
}

fn optional<'a>(
    obj: &'a Value,
    field: &'static str,
) -> Result<Option<&'a Value>, InvalidVectorField> {
    let v = get(obj, field)?;
    Ok((!v.is_null()).then_some(v))
}

fn base(v: &Value) -> Result<ExecutionPayloadStaticV1, InvalidVectorField> {
    Ok(ExecutionPayloadStaticV1 {
        parent_beacon_block_root: fixed(v, "parent_beacon_block_root")?,
        parent_hash: fixed(v, "parent_hash")?,
        fee_recipient: Address(fixed(v, "fee_recipient")?),
        prev_randao: fixed(v, "prev_randao")?,
        block_number: uint(v, "block_number")?,
        gas_limit: uint(v, "gas_limit")?,
        timestamp: uint(v, "timestamp")?,
        extra_data: Bytes::from(bytes(v, "extra_data")?),
        base_fee_per_gas: u256_value(get(v, "base_fee_per_gas")?, "base_fee_per_gas")?,
    })
}

fn diff(v: &Value) -> Result<ExecutionPayloadFlashblockDeltaV1, InvalidVectorField> {
    let transactions = list(v, "transactions")?
        .iter()
        .map(|tx| tx.as_str().and_then(|s| hex::decode(s).ok()).map(Bytes::from))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("transactions"))?;
    let withdrawals = list(v, "withdrawals")?
        .iter()
        .map(|w| {
            Ok(Withdrawal {
                index: uint(w, "index")?,
                validator_index: uint(w, "validator_index")?,
                address: Address(fixed(w, "address")?),
                amount: uint(w, "amount")?,
            })
        })
        .collect::<Result<Vec<_>, InvalidVectorField>>()?;
    Ok(ExecutionPayloadFlashblockDeltaV1 {
        state_root: fixed(v, "state_root")?,
        receipts_root: fixed(v, "receipts_root")?,
        logs_bloom: Bloom(fixed(v, "logs_bloom")?),
        gas_used: uint(v, "gas_used")?,
        block_hash: fixed(v, "block_hash")?,
        transactions,
        withdrawals,
        withdrawals_root: fixed(v, "withdrawals_root")?,
    })
}

fn account(v: &Value) -> Result<AccountMetadata, InvalidVectorField> {
    let storage_slots = list(v, "storage_slots")?
        .iter()
        .map(|s| Ok(StorageSlot { key: fixed(s, "key")?, value: fixed(s, "value")? }))
        .collect::<Result<Vec<_>, InvalidVectorField>>()?;
    Ok(AccountMetadata {
        address: Address(fixed(v, "address")?),
        balance: optional(v, "balance")?.map(|b| u256_value(b, "balance")).transpose()?,
        nonce: uint(v, "nonce")?,
        code: optional(v, "code")?
            .map(|c| c.as_str().and_then(|s| hex::decode(s).ok()).map(Bytes::from))
            .map(|c| c.ok_or_else(|| bad("code")))
            .transpose()?,
        storage_slots,
    })
}

fn transaction_metadata(v: &Value) -> Result<TransactionMetadata, InvalidVectorField> {
    Ok(TransactionMetadata {
        status: u8::try_from(uint(v, "status")?).map_err(|_| bad("status"))?,
        gas_used: uint(v, "gas_used")?,
        contract_address: optional(v, "contract_address")?
            .map(|a| {
                a.as_str()
                    .and_then(|s| hex::decode(s).ok())
                    .and_then(|raw| Address::try_from(raw.as_slice()).ok())
                    .ok_or_else(|| bad("contract_address"))
            })
            .transpose()?,
    })
}

/// Reads a payload from the vectors' neutral JSON form.
///
/// # Errors
///
/// [`InvalidVectorField`] naming the first field that is missing or not of
/// its type.
pub fn payload_from_value(v: &Value) -> Result<FlashblocksPayloadV1, InvalidVectorField> {
    let metadata = get(v, "metadata")?;
    Ok(FlashblocksPayloadV1 {
        version: fixed(v, "version")?,
        payload_id: PayloadId(fixed(v, "payload_id")?),
        parent_flash_hash: optional(v, "parent_flash_hash")?
            .map(|p| {
                p.as_str()
                    .and_then(|s| s.parse::<B256>().ok())
                    .ok_or_else(|| bad("parent_flash_hash"))
            })
            .transpose()?,
        index: uint(v, "index")?,
        base: optional(v, "base")?.map(base).transpose()?,
        diff: diff(get(v, "diff")?)?,
        metadata: FlashblockMetadata {
            accounts: list(metadata, "accounts")?.iter().map(account).collect::<Result<_, _>>()?,
            transactions: list(metadata, "transactions")?
                .iter()
                .map(transaction_metadata)
                .collect::<Result<_, _>>()?,
        },
    })
}

fn hex0x(b: impl AsRef<[u8]>) -> Value {
    Value::String(hex::encode_prefixed(b))
}

/// Writes a payload in the vectors' neutral JSON form (the inverse of
/// [`payload_from_value`]).
pub fn payload_to_value(p: &FlashblocksPayloadV1) -> Value {
    let base = p.base.as_ref().map(|b| {
        json!({
            "parent_beacon_block_root": hex0x(b.parent_beacon_block_root),
            "parent_hash": hex0x(b.parent_hash),
            "fee_recipient": hex0x(b.fee_recipient),
            "prev_randao": hex0x(b.prev_randao),
            "block_number": b.block_number,
            "gas_limit": b.gas_limit,
            "timestamp": b.timestamp,
            "extra_data": hex0x(&b.extra_data),
            "base_fee_per_gas": b.base_fee_per_gas.to_string(),
        })
    });
    let d = &p.diff;
    let diff = json!({
        "state_root": hex0x(d.state_root),
        "receipts_root": hex0x(d.receipts_root),
        "logs_bloom": hex0x(d.logs_bloom),
        "gas_used": d.gas_used,
        "block_hash": hex0x(d.block_hash),
        "transactions": d.transactions.iter().map(hex0x).collect::<Vec<_>>(),
        "withdrawals": d.withdrawals.iter().map(|w| json!({
            "index": w.index,
            "validator_index": w.validator_index,
            "address": hex0x(w.address),
            "amount": w.amount,
        })).collect::<Vec<_>>(),
        "withdrawals_root": hex0x(d.withdrawals_root),
    });
    let accounts: Vec<Value> = p
        .metadata
        .accounts
        .iter()
        .map(|a| {
            json!({
                "address": hex0x(a.address),
                "balance": a.balance.map(|b| Value::String(b.to_string())),
                "nonce": a.nonce,
                "code": a.code.as_ref().map(hex0x),
                "storage_slots": a.storage_slots.iter().map(|s| json!({
                    "key": hex0x(s.key),
                    "value": hex0x(s.value),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let transactions: Vec<Value> = p
        .metadata
        .transactions
        .iter()
        .map(|t| {
            json!({
                "status": t.status,
                "gas_used": t.gas_used,
                "contract_address": t.contract_address.map(hex0x),
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("version".into(), hex0x(p.version));
    out.insert("payload_id".into(), hex0x(p.payload_id.0));
    out.insert("parent_flash_hash".into(), p.parent_flash_hash.map(hex0x).unwrap_or(Value::Null));
    out.insert("index".into(), p.index.into());
    out.insert("base".into(), base.unwrap_or(Value::Null));
    out.insert("diff".into(), diff);
    out.insert("metadata".into(), json!({ "accounts": accounts, "transactions": transactions }));
    Value::Object(out)
}
