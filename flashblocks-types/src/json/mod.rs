//! The JSON format deployed today, and brotli frames.
//!
//! The [spec page](crate::spec)'s JSON section is the contract: `snake_case` keys; `index` and
//! `metadata.block_number` JSON numbers; `0x`-hex quantities and byte strings; `base`
//! missing or `null` after index 0; `metadata.new_account_balances` and
//! `metadata.receipts` present, empty or absent (Base's Azul shape); receipts
//! externally (`{"Eip1559": {...}}`) or internally (`{"type": "0x2", ...}`) tagged;
//! Jovian's optional `diff.blob_gas_used`; unknown fields ignored.
//!
//! - [`FlashblockJson`] is the model, read and written with serde (alloy's serde
//!   helpers for quantities, op-alloy's [`OpReceipt`](op_alloy_consensus::OpReceipt) for
//!   receipts) and hashed into its identity ([`FlashblockJson::identity`]);
//! - [`JsonFrameReader`] reads frames, plain or brotli, with a cap on the text's size;
//!   its decode gives what `serde_json`'s derive decode of [`FlashblockJson`] gives (the
//!   value or the error), with the transactions and balances read by a scanner of its
//!   own when they are plain (`splice`), about 2.7× the speed of op-alloy's model;
//! - receipts are written internally tagged (op-alloy's form), or externally tagged on
//!   request ([`ReceiptStyle`], [`FlashblockJson::to_vec_with`]);
//! - the conversions to and from [`FlashblocksPayloadV1`](crate::FlashblocksPayloadV1)
//!   are strict (typed errors) or named lossy;
//! - [`Flashblock::from_json`](crate::Flashblock::from_json) and
//!   [`Flashblock::to_json`](crate::Flashblock::to_json) connect it to the input model;
//! - with the `op-alloy` feature, conversions to and from op-alloy's
//!   `OpFlashblockPayload` (`From<OpFlashblockPayload>` for [`FlashblockJson`] and
//!   [`Flashblock`](crate::Flashblock); `FlashblockJson::try_into_op_alloy`,
//!   `into_op_alloy_lossy`, `Flashblock::to_op_alloy`).
//!
//! One place where the [spec page](crate::spec) and op-alloy part: a withdrawal's validator index is
//! written `validator_index`, as the [spec page](crate::spec) says, where alloy's `Withdrawal` writes
//! `validatorIndex`; both are read. OP Stack blocks carry no withdrawals (the rule
//! `withdrawals_not_empty`), so deployed streams never show the difference.

mod convert;
mod dialect;
mod error;
mod frame;
mod model;
#[cfg(feature = "op-alloy")]
#[cfg_attr(docsrs, doc(cfg(feature = "op-alloy")))]
mod op_alloy;
mod receipts;
mod splice;
mod txs;
mod write;

pub use convert::V1Link;
pub use dialect::{
    FlashblockAccessList, FlashblockAccessListData, FlashblockId, InvalidFlashblockId, JsonMessage,
    PayloadEnd,
};
pub use error::{JsonError, JsonErrorKind};
pub use frame::{JsonFrameEncoding, JsonFrameReader, DEFAULT_MAX_JSON_LEN};
pub use model::{FlashblockJson, JsonDiff, JsonMetadata};
pub use write::ReceiptStyle;

/// Reads plain JSON text (no cap: [`JsonFrameReader::decode`] caps frames): the value
/// and the error of `serde_json`'s derive decode of [`FlashblockJson`], with the
/// transactions read by a scanner of our own when the text allows (see `splice`).
pub(crate) fn from_text(text: &[u8]) -> Result<FlashblockJson, crate::CodecError> {
    splice::from_text(text).map_err(|e| crate::CodecError::Json(e.into()))
}

/// Reads plain JSON text into the JSON model: the decode [`JsonFrameReader::decode`]
/// runs before it builds the input model, without its cap (feature `test-utils`, for the
/// bench and the tests that hold it to `serde_json`'s derive decode of
/// [`FlashblockJson`], whose values and errors it gives).
#[cfg(feature = "test-utils")]
pub fn decode_json_text(text: &[u8]) -> Result<FlashblockJson, crate::CodecError> {
    from_text(text)
}
