//! Interop with op-alloy's flashblock model, [`OpFlashblockPayload`] (feature `op-alloy`).
//!
//! Both model the same deployed JSON, so a node already on op-alloy can adopt this crate
//! one call at a time. The one difference: op-alloy's metadata requires
//! `new_account_balances` and `receipts`, while [`JsonMetadata`] keeps them optional to
//! read Base's Azul shape, which has neither.

use super::{FlashblockJson, JsonDiff, JsonMetadata};
use crate::{CodecError, ExecutionPayloadStaticV1, Flashblock};
use op_alloy_rpc_types_engine::flashblock::{
    OpFlashblockPayload, OpFlashblockPayloadBase, OpFlashblockPayloadDelta,
    OpFlashblockPayloadMetadata,
};

impl From<OpFlashblockPayloadBase> for ExecutionPayloadStaticV1 {
    fn from(b: OpFlashblockPayloadBase) -> Self {
        Self {
            parent_beacon_block_root: b.parent_beacon_block_root,
            parent_hash: b.parent_hash,
            fee_recipient: b.fee_recipient,
            prev_randao: b.prev_randao,
            block_number: b.block_number,
            gas_limit: b.gas_limit,
            timestamp: b.timestamp,
            extra_data: b.extra_data,
            base_fee_per_gas: b.base_fee_per_gas,
        }
    }
}

impl From<ExecutionPayloadStaticV1> for OpFlashblockPayloadBase {
    fn from(b: ExecutionPayloadStaticV1) -> Self {
        Self {
            parent_beacon_block_root: b.parent_beacon_block_root,
            parent_hash: b.parent_hash,
            fee_recipient: b.fee_recipient,
            prev_randao: b.prev_randao,
            block_number: b.block_number,
            gas_limit: b.gas_limit,
            timestamp: b.timestamp,
            extra_data: b.extra_data,
            base_fee_per_gas: b.base_fee_per_gas,
        }
    }
}

impl From<OpFlashblockPayloadDelta> for JsonDiff {
    fn from(d: OpFlashblockPayloadDelta) -> Self {
        Self {
            state_root: d.state_root,
            receipts_root: d.receipts_root,
            logs_bloom: d.logs_bloom,
            gas_used: d.gas_used,
            block_hash: d.block_hash,
            transactions: d.transactions,
            withdrawals: d.withdrawals.into_iter().map(Into::into).collect(),
            withdrawals_root: d.withdrawals_root,
            blob_gas_used: d.blob_gas_used,
            access_list_data: None,
            post_exec_tx: None,
        }
    }
}

impl From<JsonDiff> for OpFlashblockPayloadDelta {
    fn from(d: JsonDiff) -> Self {
        Self {
            state_root: d.state_root,
            receipts_root: d.receipts_root,
            logs_bloom: d.logs_bloom,
            gas_used: d.gas_used,
            block_hash: d.block_hash,
            transactions: d.transactions,
            withdrawals: d.withdrawals.into_iter().map(Into::into).collect(),
            withdrawals_root: d.withdrawals_root,
            blob_gas_used: d.blob_gas_used,
        }
    }
}

impl From<OpFlashblockPayloadMetadata> for JsonMetadata {
    /// Both maps become present (op-alloy always has them).
    fn from(m: OpFlashblockPayloadMetadata) -> Self {
        Self {
            block_number: Some(m.block_number),
            new_account_balances: Some(m.new_account_balances),
            receipts: Some(m.receipts),
            ..Self::default()
        }
    }
}

impl From<OpFlashblockPayload> for FlashblockJson {
    /// Lossless: every field of op-alloy's model has its place here.
    fn from(p: OpFlashblockPayload) -> Self {
        Self {
            payload_id: p.payload_id,
            index: p.index,
            base: p.base.map(Into::into),
            diff: p.diff.into(),
            metadata: p.metadata.into(),
            target_index: None,
        }
    }
}

impl From<OpFlashblockPayload> for Flashblock {
    /// Through [`FlashblockJson`]: source JSON, identity of the decoded value.
    fn from(p: OpFlashblockPayload) -> Self {
        Self::from_json(p.into())
    }
}

impl FlashblockJson {
    /// op-alloy's model of this flashblock.
    ///
    /// Filled in: an absent `new_account_balances` or `receipts` (the Azul shape)
    /// becomes an empty map, since op-alloy's metadata has no absent state; reading the
    /// result back gives present-but-empty maps, a different decoded value; an absent
    /// `metadata.block_number` (World Chain) becomes `base.block_number`, or 0 after
    /// index 0. Dropped: the dialects' own fields (`prev_flashblock_id`,
    /// `access_list_data`, `fees`, `flashblock_timestamp`, `target_index`) and Lagoon's
    /// `diff.post_exec_tx` (op-alloy 2's delta has no such field).
    /// [`try_into_op_alloy`](Self::try_into_op_alloy) refuses instead.
    ///
    /// ```
    /// use flashblocks_types::{FlashblockJson, GeneratorConfig, SequenceGenerator};
    /// use op_alloy_rpc_types_engine::flashblock::OpFlashblockPayload;
    ///
    /// let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
    /// let json = FlashblockJson::from_v1_lossy(&block[0], 1);
    /// let op: OpFlashblockPayload = json.clone().into_op_alloy_lossy();
    /// assert_eq!(op.diff.transactions, json.diff.transactions);
    /// assert_eq!(FlashblockJson::from(op), json);
    /// ```
    pub fn into_op_alloy_lossy(self) -> OpFlashblockPayload {
        let block_number = self
            .metadata
            .block_number
            .or_else(|| self.base.as_ref().map(|b| b.block_number))
            .unwrap_or_default();
        OpFlashblockPayload {
            payload_id: self.payload_id,
            index: self.index,
            base: self.base.map(Into::into),
            diff: self.diff.into(),
            metadata: OpFlashblockPayloadMetadata {
                block_number,
                new_account_balances: self.metadata.new_account_balances.unwrap_or_default(),
                receipts: self.metadata.receipts.unwrap_or_default(),
            },
        }
    }

    /// op-alloy's model of this flashblock, when it holds all of it.
    ///
    /// # Errors
    ///
    /// [`CodecError::MetadataMapAbsent`] when `block_number`, `new_account_balances`
    /// or `receipts` is absent (op-alloy's metadata requires them);
    /// [`CodecError::DialectFieldNotInOpAlloy`] for a dialect's own field.
    pub fn try_into_op_alloy(self) -> Result<OpFlashblockPayload, CodecError> {
        if self.metadata.block_number.is_none() {
            return Err(CodecError::MetadataMapAbsent { field: "block_number" });
        }
        if let Some(field) = self.dialect_field() {
            return Err(CodecError::DialectFieldNotInOpAlloy { field });
        }
        if self.metadata.new_account_balances.is_none() {
            return Err(CodecError::MetadataMapAbsent { field: "new_account_balances" });
        }
        if self.metadata.receipts.is_none() {
            return Err(CodecError::MetadataMapAbsent { field: "receipts" });
        }
        Ok(self.into_op_alloy_lossy())
    }
}

impl Flashblock {
    /// op-alloy's model of this flashblock: [`to_json`](Self::to_json), then
    /// [`FlashblockJson::try_into_op_alloy`].
    ///
    /// # Errors
    ///
    /// As those two.
    pub fn to_op_alloy(&self) -> Result<OpFlashblockPayload, CodecError> {
        self.to_json()?.try_into_op_alloy()
    }
}
