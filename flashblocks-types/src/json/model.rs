//! The deployed JSON model: [`FlashblockJson`] and its parts.

use super::{receipts, write::View, FlashblockAccessListData, FlashblockId};
use crate::{ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, Withdrawal};
use alloy_primitives::{Address, Bloom, Bytes, B256, U256};
use alloy_rpc_types_engine::PayloadId;
use op_alloy_consensus::OpReceipt;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::BTreeMap;

/// One flashblock in the JSON format deployed today (rollup-boost, op-rbuilder, reth,
/// Base), as the [spec page](crate::spec)'s JSON section describes it.
///
/// Reading accepts `base` missing or `null`, `metadata.new_account_balances` and
/// `metadata.receipts` present, empty or absent, receipts in both tag styles, and ignores
/// unknown fields. Writing (`serde_json::to_vec`, or [`to_vec`](Self::to_vec)) omits
/// `base` when `None` (as op-alloy does), writes the metadata maps only when present, and
/// writes receipts internally tagged (`{"type": "0x2", ...}`, op-alloy's form, which
/// every current consumer parses).
///
/// ```
/// use flashblocks_types::FlashblockJson;
///
/// let (h, bloom) = (format!("0x{}", "11".repeat(32)), format!("0x{}", "00".repeat(256)));
/// let text = format!(r#"{{
///   "payload_id": "0x03c446f063e3735a", "index": 1, "base": null,
///   "diff": {{
///     "state_root": "{h}", "receipts_root": "{h}", "logs_bloom": "{bloom}",
///     "gas_used": "0x5208", "block_hash": "{h}", "transactions": ["0x02c0"],
///     "withdrawals": [], "withdrawals_root": "{h}", "excess_blob_gas": "0x0"
///   }},
///   "metadata": {{ "block_number": 35535698, "access_list": {{}} }}
/// }}"#);
/// let fb: FlashblockJson = serde_json::from_str(&text)?;
/// assert_eq!(fb.index, 1);
/// assert_eq!(fb.diff.gas_used, 21_000);
/// assert_eq!(fb.metadata.block_number, Some(35_535_698));
/// assert!(fb.base.is_none() && fb.metadata.receipts.is_none()); // the Azul shape
/// // What it writes reads back to the same value.
/// let again: FlashblockJson = serde_json::from_slice(&fb.to_vec())?;
/// assert_eq!(again, fb);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashblockJson {
    /// The payload id of the block (8 bytes, `0x`-hex).
    pub payload_id: PayloadId,
    /// The position of this flashblock in its block (a JSON number).
    pub index: u64,
    /// The block properties fixed at the start; missing or `null` after index 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<ExecutionPayloadStaticV1>,
    /// What this flashblock adds, and the cumulative results.
    pub diff: JsonDiff,
    /// The deployed metadata shape.
    pub metadata: JsonMetadata,
    /// X Layer: the index the builder means to build the block up to (a JSON number; 0
    /// before it is known, at index 0). Absent in the other dialects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_index: Option<u64>,
}

/// The deployed JSON `diff`: the fields of [`ExecutionPayloadFlashblockDeltaV1`] (same
/// names, `gas_used` a `0x`-hex quantity) plus Jovian's optional `blob_gas_used`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonDiff {
    /// The state root after this flashblock (cumulative).
    pub state_root: B256,
    /// The receipts root of the block so far (cumulative).
    pub receipts_root: B256,
    /// The logs bloom of the block so far (cumulative).
    pub logs_bloom: Bloom,
    /// The gas used by the block so far (cumulative).
    #[serde(with = "alloy_serde::quantity")]
    pub gas_used: u64,
    /// The hash of the block so far (cumulative).
    pub block_hash: B256,
    /// The EIP-2718 encoded transactions this flashblock adds (read into one buffer
    /// they all share).
    #[serde(deserialize_with = "super::txs::deserialize")]
    pub transactions: Vec<Bytes>,
    /// The withdrawals this flashblock adds.
    #[serde(default)]
    pub withdrawals: Vec<Withdrawal>,
    /// The withdrawals root of the block so far.
    pub withdrawals_root: B256,
    /// Jovian: the block's cumulative data-availability footprint (the header's
    /// `blob_gas_used`); absent before Jovian. V1 has no such field.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "alloy_serde::quantity::opt")]
    pub blob_gas_used: Option<u64>,
    /// World Chain: the flashblock's access list (WIP-1007) and its hash; absent (or
    /// `null`) otherwise. V1 has no such field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_list_data: Option<Box<FlashblockAccessListData>>,
    /// OP Subblocks from Lagoon: the block so far's post-exec transaction
    /// (`0x7D || rlp(payload)`, [`PostExecTx`](crate::PostExecTx) decodes it), as sent;
    /// absent (or `null`) otherwise. Not one of `transactions`. V1 has no such field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_exec_tx: Option<Bytes>,
}

impl JsonDiff {
    /// Splits into the SSZ delta container, the Jovian `blob_gas_used`, World Chain's
    /// access list and Lagoon's `post_exec_tx`.
    #[allow(clippy::type_complexity)] // the four parts, named in the docs
    pub fn into_parts(
        self,
    ) -> (
        ExecutionPayloadFlashblockDeltaV1,
        Option<u64>,
        Option<Box<FlashblockAccessListData>>,
        Option<Bytes>,
    ) {
        let Self {
            state_root,
            receipts_root,
            logs_bloom,
            gas_used,
            block_hash,
            transactions,
            withdrawals,
            withdrawals_root,
            blob_gas_used,
            access_list_data,
            post_exec_tx,
        } = self;
        (
            ExecutionPayloadFlashblockDeltaV1 {
                state_root,
                receipts_root,
                logs_bloom,
                gas_used,
                block_hash,
                transactions,
                withdrawals,
                withdrawals_root,
            },
            blob_gas_used,
            access_list_data,
            post_exec_tx,
        )
    }

    /// Joins the SSZ delta container and a Jovian `blob_gas_used` (no access list, no
    /// post-exec transaction).
    pub fn from_parts(diff: ExecutionPayloadFlashblockDeltaV1, blob_gas_used: Option<u64>) -> Self {
        let ExecutionPayloadFlashblockDeltaV1 {
            state_root,
            receipts_root,
            logs_bloom,
            gas_used,
            block_hash,
            transactions,
            withdrawals,
            withdrawals_root,
        } = diff;
        Self {
            state_root,
            receipts_root,
            logs_bloom,
            gas_used,
            block_hash,
            transactions,
            withdrawals,
            withdrawals_root,
            blob_gas_used,
            access_list_data: None,
            post_exec_tx: None,
        }
    }
}

/// The deployed JSON metadata of a flashblock: `block_number` (a JSON number) and, when
/// the stream carries them, `new_account_balances` and `receipts`, and the dialects'
/// own keys: Base's `prev_flashblock_id`, World Chain's `fees` and
/// `flashblock_timestamp`.
///
/// `None` means the key was absent (Base's Azul shape, which removed both maps; World
/// Chain, which has no `block_number`); `Some` of an empty map means it was present and
/// empty. Writing keeps that difference. Other keys (`access_list`, `inclusion_fee`,
/// ...) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonMetadata {
    /// The block number (a JSON number on the wire); absent in World Chain's metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_number: Option<u64>,
    /// Balances after the flashblock, when the stream carries them (absent after Base's
    /// Azul upgrade).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_account_balances: Option<BTreeMap<Address, U256>>,
    /// Receipts by transaction hash, when the stream carries them. Read in both the
    /// externally tagged (`{"Eip1559": {...}}`) and the internally tagged
    /// (`{"type": "0x2", ...}`) style; written internally tagged.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "receipts::opt")]
    pub receipts: Option<BTreeMap<B256, OpReceipt>>,
    /// Base: the frame before this one, `"<block>-<index>"` (`"0-0"`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_flashblock_id: Option<FlashblockId>,
    /// World Chain: the fees the block so far pays its proposer (a `0x` quantity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<U256>,
    /// World Chain: when the builder made the flashblock, in nanoseconds since the Unix
    /// epoch (a JSON number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flashblock_timestamp: Option<i64>,
}

impl FlashblockJson {
    /// The compact JSON text of this flashblock: what [`identity`](Self::identity) hashes
    /// and what today's consumers parse.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint());
        self.write_to(&mut out);
        out
    }

    /// The identity the [spec page](crate::spec) gives a JSON flashblock (its decoded value), as a
    /// digest: SHA-256 of its canonical encoding, which is
    ///
    /// 1. the compact JSON [`to_vec`](Self::to_vec) writes for this flashblock with
    ///    `diff.transactions` empty (`[]`), then
    /// 2. for each transaction in order, its length as 8 bytes big-endian and its bytes.
    ///
    /// The JSON part depends only on the decoded value (fields in declaration order, maps
    /// ordered by key, minimal `0x` quantities, lowercase hex, receipts internally
    /// tagged) and ends where its object closes, and the transactions are
    /// length-prefixed, so two JSON flashblocks with equal decoded fields have the same
    /// identity, whatever their key order, whitespace, hex case, receipt style or unknown
    /// extra fields, and different decoded values have different encodings. The
    /// transactions are hashed raw rather than as hex, which halves the bytes hashed.
    /// SHA-256 rather than `keccak256`: the identity never leaves the process, and SHA-256
    /// runs on the CPU's SHA extensions (`sha2`), about four times `keccak256`'s speed in
    /// software, over the 200 KB of a large flashblock's transactions.
    ///
    /// ```
    /// use flashblocks_types::{FlashblockJson, GeneratorConfig, SequenceGenerator};
    /// use sha2::{Digest, Sha256};
    ///
    /// let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
    /// let a = FlashblockJson::from_v1_lossy(&block[1], 7);
    /// // The canonical encoding, spelled out.
    /// let mut without_txs = a.clone();
    /// without_txs.diff.transactions.clear();
    /// let mut encoding = without_txs.to_vec();
    /// for tx in &a.diff.transactions {
    ///     encoding.extend_from_slice(&(tx.len() as u64).to_be_bytes());
    ///     encoding.extend_from_slice(tx);
    /// }
    /// assert_eq!(a.identity().0, <[u8; 32]>::from(Sha256::digest(&encoding)));
    /// // Same value, other whitespace and key order, an unknown field: same identity.
    /// let mut value: serde_json::Value = serde_json::from_slice(&a.to_vec())?;
    /// value["extra"] = serde_json::json!({"anything": [1, 2]});
    /// let b: FlashblockJson = serde_json::from_str(&serde_json::to_string_pretty(&value)?)?;
    /// assert_eq!(a.identity(), b.identity());
    /// // Another value: another identity.
    /// let c = FlashblockJson { index: a.index + 1, ..a.clone() };
    /// assert_ne!(a.identity(), c.identity());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn identity(&self) -> B256 {
        let mut hasher = HashWriter(sha2::Sha256::new());
        {
            let writer = std::io::BufWriter::with_capacity(8192, &mut hasher);
            // Writing into a hasher cannot fail, and every part of the model serializes.
            let _ = serde_json::to_writer(writer, &View::canonical_without_transactions(self));
        } // dropping the BufWriter flushes it into the hasher
        for tx in &self.diff.transactions {
            hasher.0.update((tx.len() as u64).to_be_bytes());
            hasher.0.update(tx);
        }
        B256::from(<[u8; 32]>::from(hasher.0.finalize()))
    }

    /// Writes the compact JSON text into `out`.
    fn write_to(&self, out: &mut Vec<u8>) {
        // Serializing into a `Vec` cannot fail, and every part of the model serializes
        // (all map keys are strings).
        let _ = serde_json::to_writer(out, self);
    }

    /// A capacity guess for the JSON text, so that writing rarely reallocates.
    pub(super) fn size_hint(&self) -> usize {
        let txs: usize = self.diff.transactions.iter().map(|t| 2 * t.len() + 4).sum();
        2048 + txs
    }
}

/// An [`std::io::Write`] that feeds the identity's hasher.
struct HashWriter(sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
