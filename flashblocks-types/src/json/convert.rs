//! Conversions between the JSON model and the V1 containers.
//!
//! JSON and V1 do not carry the same facts. V1 has `parent_flash_hash`, account nonces,
//! code and storage, and one [`TransactionMetadata`](crate::TransactionMetadata) per
//! transaction; JSON has Jovian's `blob_gas_used`, balances without nonces, and receipts
//! (often trimmed or absent). The strict conversions ([`FlashblockJson::try_from_v1`],
//! [`FlashblockJson::try_into_v1`]) return a typed [`CodecError`] naming the first fact
//! the other side cannot hold; the lossy ones say in their name and docs what they drop
//! and what they fill in.

use super::{FlashblockJson, JsonDiff, JsonMetadata};
use crate::{
    CodecError, FlashblockMetadata, FlashblocksPayloadV1, ReceiptIssue, TransactionMetadata,
    VERSION_V1,
};
use alloy_consensus::{Eip658Value, Transaction, TxReceipt};
use alloy_eips::Decodable2718;
use alloy_primitives::{keccak256, FixedBytes, B256};
use op_alloy_consensus::OpTxEnvelope;
use std::collections::BTreeMap;

/// What a JSON flashblock does not say but its V1 form needs, from the caller following
/// the stream (see [`FlashblockJson::try_into_v1`]). The default is index 0's link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V1Link {
    /// The root of the previous converted flashblock of the block; `None` at index 0.
    pub parent_flash_hash: Option<B256>,
    /// The block's cumulative gas before this flashblock: the previous flashblock's
    /// `diff.gas_used`, 0 at index 0.
    pub gas_used_before: u64,
}

impl FlashblockJson {
    /// The JSON form of a V1 flashblock, when JSON can hold all of it.
    ///
    /// `block_number` is the JSON metadata's `block_number`, which a V1 flashblock
    /// carries only in its `base` (index 0); pass the block's number.
    ///
    /// # Errors
    ///
    /// - [`CodecError::ParentFlashHashNotInJson`]: a `parent_flash_hash` (every V1
    ///   flashblock after index 0 has one);
    /// - [`CodecError::AccountStateNotInJson`]: account metadata (each account carries
    ///   its nonce, which JSON has no place for);
    /// - [`CodecError::TransactionMetadataNotInJson`]: per-transaction metadata (JSON
    ///   receipts would need logs and cumulative gas V1 does not carry).
    ///
    /// [`from_v1_lossy`](Self::from_v1_lossy) drops those instead.
    pub fn try_from_v1(
        payload: &FlashblocksPayloadV1,
        block_number: u64,
    ) -> Result<Self, CodecError> {
        if let Some(parent_flash_hash) = payload.parent_flash_hash {
            return Err(CodecError::ParentFlashHashNotInJson { parent_flash_hash });
        }
        if let Some(account) = payload.metadata.accounts.first() {
            return Err(CodecError::AccountStateNotInJson { address: account.address });
        }
        if !payload.metadata.transactions.is_empty() {
            return Err(CodecError::TransactionMetadataNotInJson {
                count: payload.metadata.transactions.len(),
            });
        }
        Ok(Self::from_v1_lossy(payload, block_number))
    }

    /// The JSON form of a V1 flashblock carrying the same transactions and the balances,
    /// with no receipts: what a JSON stream of the same chain would carry after its
    /// receipts were trimmed. This is the fixture for comparing JSON and SSZ decoding.
    ///
    /// Kept: `payload_id`, `index`, `base`, every `diff` field, and each account's
    /// balance when the flashblock set it (`new_account_balances`). Dropped:
    /// `parent_flash_hash`, nonces, code, storage and the per-transaction metadata.
    /// Filled in: `metadata.block_number` from the argument, `receipts` present and
    /// empty (`{}`, so that readers requiring the key parse it), no `blob_gas_used`.
    ///
    /// ```
    /// use flashblocks_types::{FlashblockJson, GeneratorConfig, SequenceGenerator};
    ///
    /// let block = SequenceGenerator::new(7, GeneratorConfig::default()).next_block();
    /// let number = block[0].base.as_ref().map_or(0, |b| b.block_number);
    /// for fb in &block {
    ///     let json = FlashblockJson::from_v1_lossy(fb, number);
    ///     assert_eq!(json.diff.transactions, fb.diff.transactions);
    ///     assert_eq!(json.metadata.receipts.as_ref().map(|r| r.len()), Some(0));
    /// }
    /// ```
    pub fn from_v1_lossy(payload: &FlashblocksPayloadV1, block_number: u64) -> Self {
        let balances: BTreeMap<_, _> = payload
            .metadata
            .accounts
            .iter()
            .filter_map(|a| a.balance.map(|balance| (a.address, balance)))
            .collect();
        Self {
            payload_id: payload.payload_id,
            index: payload.index,
            base: payload.base.clone(),
            diff: JsonDiff::from_parts(payload.diff.clone(), None),
            metadata: JsonMetadata {
                block_number: Some(block_number),
                new_account_balances: Some(balances),
                receipts: Some(BTreeMap::new()),
                ..JsonMetadata::default()
            },
            target_index: None,
        }
    }

    /// The V1 form of this flashblock, when V1 can hold all of it.
    ///
    /// JSON does not say what `link` gives: the `parent_flash_hash` (the root of the
    /// previous converted flashblock) and the block's cumulative gas before this
    /// flashblock (to turn receipts' cumulative gas into each transaction's gas).
    ///
    /// Each transaction's [`TransactionMetadata`] comes from its receipt, found by
    /// transaction hash: `status` from the receipt's status, `gas_used` the step in
    /// cumulative gas, `contract_address` `None` (a transaction that creates a contract
    /// is an error: no receipt names the address). V1 has no room for the receipts'
    /// logs; they are not carried over.
    ///
    /// # Errors
    ///
    /// - [`CodecError::BlobGasUsedNotInV1`]: a Jovian `blob_gas_used`;
    /// - [`CodecError::DialectFieldNotInV1`]: a dialect's own field (Base's
    ///   `prev_flashblock_id`, World Chain's `access_list_data`, `fees` or
    ///   `flashblock_timestamp`, X Layer's `target_index`);
    /// - [`CodecError::NonceUnknown`]: a balance (V1 account metadata needs the
    ///   account's nonce, which JSON does not carry);
    /// - [`CodecError::ReceiptMissing`]: a transaction without a receipt;
    /// - [`CodecError::ReceiptNotConvertible`]: a receipt with a pre-Byzantium state root
    ///   instead of a status, cumulative gas below the previous one, or a transaction that
    ///   creates a contract or does not decode.
    ///
    /// [`into_v1_without_metadata`](Self::into_v1_without_metadata) drops the metadata
    /// instead.
    ///
    /// ```
    /// use flashblocks_types::{CodecError, FlashblockJson, GeneratorConfig, SequenceGenerator, V1Link};
    ///
    /// let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
    /// let json = FlashblockJson::from_v1_lossy(&block[0], 1);
    /// // The generator's transactions have no receipts here.
    /// let err = json.try_into_v1(V1Link::default()).unwrap_err();
    /// assert!(matches!(err, CodecError::ReceiptMissing { index: 0, .. } | CodecError::NonceUnknown { .. }));
    /// ```
    pub fn try_into_v1(self, link: V1Link) -> Result<FlashblocksPayloadV1, CodecError> {
        if let Some(blob_gas_used) = self.diff.blob_gas_used {
            return Err(CodecError::BlobGasUsedNotInV1 { blob_gas_used });
        }
        if let Some(field) = self.dialect_field() {
            return Err(CodecError::DialectFieldNotInV1 { field });
        }
        if let Some(address) =
            self.metadata.new_account_balances.as_ref().and_then(|b| b.keys().next().copied())
        {
            return Err(CodecError::NonceUnknown { address });
        }
        let transactions = self.transaction_metadata(link.gas_used_before)?;
        let mut payload = self.into_v1_without_metadata(link.parent_flash_hash);
        payload.metadata.transactions = transactions;
        Ok(payload)
    }

    /// One [`TransactionMetadata`] per transaction, from the receipts.
    fn transaction_metadata(
        &self,
        gas_used_before: u64,
    ) -> Result<Vec<TransactionMetadata>, CodecError> {
        let empty = BTreeMap::new();
        let receipts = self.metadata.receipts.as_ref().unwrap_or(&empty);
        let mut previous = gas_used_before;
        let mut out = Vec::with_capacity(self.diff.transactions.len());
        for (index, tx) in self.diff.transactions.iter().enumerate() {
            let tx_hash = keccak256(tx);
            let receipt =
                receipts.get(&tx_hash).ok_or(CodecError::ReceiptMissing { index, tx_hash })?;
            let not_convertible = |reason| CodecError::ReceiptNotConvertible { index, reason };
            let status = match receipt.status_or_post_state() {
                Eip658Value::Eip658(ok) => u8::from(ok),
                Eip658Value::PostState(_) => {
                    return Err(not_convertible(ReceiptIssue::PostStateRoot));
                }
            };
            let cumulative = receipt.cumulative_gas_used();
            let gas_used = cumulative.checked_sub(previous).ok_or_else(|| {
                not_convertible(ReceiptIssue::CumulativeGasDecreased { previous, cumulative })
            })?;
            previous = cumulative;
            match OpTxEnvelope::decode_2718_exact(tx) {
                Ok(envelope) if envelope.is_create() => {
                    return Err(not_convertible(ReceiptIssue::ContractCreation));
                }
                Ok(_) => {}
                Err(_) => return Err(not_convertible(ReceiptIssue::UndecodableTransaction)),
            }
            out.push(TransactionMetadata { status, gas_used, contract_address: None });
        }
        Ok(out)
    }

    /// The name of the first dialect field this flashblock carries, if any: what neither
    /// V1 nor op-alloy's model has room for.
    pub(super) const fn dialect_field(&self) -> Option<&'static str> {
        let m = &self.metadata;
        if m.prev_flashblock_id.is_some() {
            Some("metadata.prev_flashblock_id")
        } else if self.diff.access_list_data.is_some() {
            Some("diff.access_list_data")
        } else if m.fees.is_some() {
            Some("metadata.fees")
        } else if m.flashblock_timestamp.is_some() {
            Some("metadata.flashblock_timestamp")
        } else if self.target_index.is_some() {
            Some("target_index")
        } else if self.diff.post_exec_tx.is_some() {
            Some("diff.post_exec_tx")
        } else {
            None
        }
    }

    /// The V1 form of this flashblock with empty metadata.
    ///
    /// Kept: `payload_id`, `index`, `base`, and the `diff` fields V1 has. Dropped:
    /// `blob_gas_used`, the block number, balances and receipts, and the dialects' own
    /// fields (see [`try_into_v1`](Self::try_into_v1)). Filled in: the version
    /// [`VERSION_V1`], the given `parent_flash_hash`, and an empty
    /// [`FlashblockMetadata`] (no accounts and no per-transaction metadata, so a V1
    /// validator's metadata rules reject it when it has transactions).
    pub fn into_v1_without_metadata(self, parent_flash_hash: Option<B256>) -> FlashblocksPayloadV1 {
        let (diff, _blob_gas_used, _access_list_data, _post_exec_tx) = self.diff.into_parts();
        FlashblocksPayloadV1 {
            version: FixedBytes(VERSION_V1),
            payload_id: self.payload_id,
            parent_flash_hash,
            index: self.index,
            base: self.base,
            diff,
            metadata: FlashblockMetadata::default(),
        }
    }
}
