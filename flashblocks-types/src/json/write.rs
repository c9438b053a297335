//! Writing JSON: the receipt style, and the by-reference views the identity and the
//! externally tagged writer serialize.

use super::{
    receipts::ExternallyTaggedRef, FlashblockAccessListData, FlashblockJson, JsonMetadata,
};
use crate::Withdrawal;
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use op_alloy_consensus::OpReceipt;
use serde::{ser::SerializeStruct, Serialize, Serializer};
use std::collections::BTreeMap;

/// How [`FlashblockJson::to_vec_with`] tags receipts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReceiptStyle {
    /// `{"type": "0x2", "status": ...}`: op-alloy's form, which op-alloy-based
    /// consumers (reth, rollup-boost, Base) read; the default, and what
    /// [`FlashblockJson::to_vec`] writes.
    #[default]
    InternallyTagged,
    /// `{"Eip1559": {"status": ...}}`: the form of reth's own `OpReceipt` before op-alloy
    /// had one, for consumers that read only that. Post-exec receipts (`0x7d`), which
    /// that form predates, are written as `{"PostExec": {...}}`.
    ExternallyTagged,
}

impl FlashblockJson {
    /// The compact JSON text with receipts in the given style. Both styles read back to
    /// the same value (and identity).
    ///
    /// ```
    /// use flashblocks_types::{FlashblockJson, ReceiptStyle};
    ///
    /// # let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"),
    /// #     "/tests/corpus/json_frame/valid-receipts-both-styles")).unwrap();
    /// let fb: FlashblockJson = serde_json::from_str(&text)?;
    /// let old_style = fb.to_vec_with(ReceiptStyle::ExternallyTagged);
    /// assert!(String::from_utf8_lossy(&old_style).contains(r#"{"Eip1559":{"#));
    /// assert_eq!(serde_json::from_slice::<FlashblockJson>(&old_style)?, fb);
    /// assert_eq!(fb.to_vec_with(ReceiptStyle::InternallyTagged), fb.to_vec());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn to_vec_with(&self, style: ReceiptStyle) -> Vec<u8> {
        match style {
            ReceiptStyle::InternallyTagged => self.to_vec(),
            ReceiptStyle::ExternallyTagged => {
                let mut out = Vec::with_capacity(self.size_hint());
                // Serializing into a `Vec` cannot fail, and every part serializes.
                let _ =
                    serde_json::to_writer(&mut out, &View { fb: self, transactions: true, style });
                out
            }
        }
    }
}

/// A [`FlashblockJson`] serialized as its derive does, with the transactions left out
/// (written `[]`) or not, and receipts in a chosen style.
pub(super) struct View<'a> {
    fb: &'a FlashblockJson,
    transactions: bool,
    style: ReceiptStyle,
}

impl<'a> View<'a> {
    /// The first part of the canonical encoding ([`FlashblockJson::identity`]).
    pub(super) const fn canonical_without_transactions(fb: &'a FlashblockJson) -> Self {
        Self { fb, transactions: false, style: ReceiptStyle::InternallyTagged }
    }
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fb = self.fb;
        let d = &fb.diff;
        let mut st = s.serialize_struct("FlashblockJson", 6)?;
        st.serialize_field("payload_id", &fb.payload_id)?;
        st.serialize_field("index", &fb.index)?;
        if fb.base.is_some() {
            st.serialize_field("base", &fb.base)?;
        }
        let diff = JsonDiffRef {
            state_root: &d.state_root,
            receipts_root: &d.receipts_root,
            logs_bloom: &d.logs_bloom,
            gas_used: d.gas_used,
            block_hash: &d.block_hash,
            transactions: if self.transactions { &d.transactions } else { &[] },
            withdrawals: &d.withdrawals,
            withdrawals_root: &d.withdrawals_root,
            blob_gas_used: d.blob_gas_used,
            access_list_data: d.access_list_data.as_deref(),
            post_exec_tx: d.post_exec_tx.as_ref(),
        };
        st.serialize_field("diff", &diff)?;
        match self.style {
            ReceiptStyle::InternallyTagged => st.serialize_field("metadata", &fb.metadata)?,
            ReceiptStyle::ExternallyTagged => {
                st.serialize_field("metadata", &ExternalMetadata(&fb.metadata))?;
            }
        }
        if let Some(target_index) = fb.target_index {
            st.serialize_field("target_index", &target_index)?;
        }
        st.end()
    }
}

/// [`JsonDiff`](super::JsonDiff) by reference, serialized with the same names and
/// helpers.
#[derive(Serialize)]
struct JsonDiffRef<'a> {
    state_root: &'a B256,
    receipts_root: &'a B256,
    logs_bloom: &'a Bloom,
    #[serde(with = "alloy_serde::quantity")]
    gas_used: u64,
    block_hash: &'a B256,
    transactions: &'a [Bytes],
    withdrawals: &'a [Withdrawal],
    withdrawals_root: &'a B256,
    #[serde(skip_serializing_if = "Option::is_none", with = "alloy_serde::quantity::opt")]
    blob_gas_used: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_list_data: Option<&'a FlashblockAccessListData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_exec_tx: Option<&'a Bytes>,
}

/// [`JsonMetadata`] with externally tagged receipts.
struct ExternalMetadata<'a>(&'a JsonMetadata);

impl Serialize for ExternalMetadata<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut st = s.serialize_struct("JsonMetadata", 6)?;
        if let Some(block_number) = m.block_number {
            st.serialize_field("block_number", &block_number)?;
        }
        if let Some(balances) = &m.new_account_balances {
            st.serialize_field::<BTreeMap<Address, U256>>("new_account_balances", balances)?;
        }
        if let Some(receipts) = &m.receipts {
            st.serialize_field("receipts", &ExternalReceipts(receipts))?;
        }
        if let Some(id) = &m.prev_flashblock_id {
            st.serialize_field("prev_flashblock_id", id)?;
        }
        if let Some(fees) = &m.fees {
            st.serialize_field("fees", fees)?;
        }
        if let Some(timestamp) = m.flashblock_timestamp {
            st.serialize_field("flashblock_timestamp", &timestamp)?;
        }
        st.end()
    }
}

/// A receipts map, each receipt externally tagged.
struct ExternalReceipts<'a>(&'a BTreeMap<B256, OpReceipt>);

impl Serialize for ExternalReceipts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(hash, r)| (hash, ExternallyTaggedRef::from(r))))
    }
}
