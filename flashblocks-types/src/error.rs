//! The crate's error type.

use crate::JsonError;
use alloy_primitives::{Address, FixedBytes, B256};
use core::fmt;

/// Why bytes or a value could not be read as, written as, or converted into a flashblock.
///
/// The [spec page](crate::spec)'s rule ids map onto it as: [`FrameTooShort`](Self::FrameTooShort) and
/// [`Ssz`](Self::Ssz) are `malformed`; [`UnknownVersion`](Self::UnknownVersion) is
/// `unknown_version` (see [`is_malformed`](Self::is_malformed)).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// A `diff.post_exec_tx` that is not a post-exec transaction (the validator's
    /// `post_exec_invalid`).
    #[error("post_exec_tx: {0}")]
    PostExecTx(crate::PostExecTxError),
    /// The frame is shorter than the 4-byte version prefix.
    #[error("frame of {len} bytes is shorter than the 4-byte version")]
    FrameTooShort {
        /// The frame's length.
        len: usize,
    },
    /// The frame's first 4 bytes name no version this crate knows.
    #[error("unknown flashblock version {version}")]
    UnknownVersion {
        /// The version bytes read.
        version: FixedBytes<4>,
    },
    /// The bytes carry a known version but do not decode as its container. (The
    /// `ethereum_ssz` error is in the text and the field, not repeated as a `source`.)
    #[error("malformed SSZ: {0}")]
    Ssz(SszError),
    /// Text that is not a JSON flashblock (syntax, a missing or mistyped field, a bad
    /// quantity, a receipt in neither style).
    #[error("malformed JSON flashblock: {0}")]
    Json(JsonError),
    /// JSON text longer than the reader's cap (for a brotli frame: it decompresses to
    /// more than the cap, and decompression stopped there).
    #[error("JSON text longer than the cap of {limit} bytes")]
    JsonTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// A frame that is not plain JSON (first byte other than `{`) and not a valid brotli
    /// stream either.
    #[error("neither plain JSON nor a valid brotli stream (failed after {decompressed} bytes)")]
    Brotli {
        /// How many bytes decompressed before the stream turned out invalid.
        decompressed: usize,
    },
    /// Conversion to JSON: a `parent_flash_hash`, which JSON has no place for.
    #[error("parent_flash_hash {parent_flash_hash} has no place in JSON")]
    ParentFlashHashNotInJson {
        /// The hash that would be dropped.
        parent_flash_hash: B256,
    },
    /// Conversion to JSON: account metadata (nonce, code, storage), which JSON has no
    /// place for.
    #[error("account {address}: nonce, code and storage have no place in JSON")]
    AccountStateNotInJson {
        /// The first account that would lose state.
        address: Address,
    },
    /// Conversion to JSON: per-transaction metadata, which JSON could only carry as
    /// receipts (with logs and cumulative gas V1 does not have).
    #[error("{count} transaction metadata entries have no place in JSON")]
    TransactionMetadataNotInJson {
        /// How many entries would be dropped.
        count: usize,
    },
    /// Conversion to JSON: a V1 flashblock without `base` does not say its block number,
    /// which the JSON metadata needs.
    #[error("V1 flashblock {index} has no base to take the block number from")]
    BlockNumberUnknown {
        /// The flashblock's index.
        index: u64,
    },
    /// Conversion to op-alloy's model: a metadata map absent here (the Azul shape), which
    /// op-alloy's metadata requires.
    #[error("metadata.{field} is absent, and op-alloy's model requires it")]
    MetadataMapAbsent {
        /// The absent map's key.
        field: &'static str,
    },
    /// Conversion to V1: a Jovian `blob_gas_used`, which V1 has no place for ([spec page](crate::spec),
    /// decision 8).
    #[error("blob_gas_used {blob_gas_used} has no place in V1")]
    BlobGasUsedNotInV1 {
        /// The value that would be dropped.
        blob_gas_used: u64,
    },
    /// Conversion to V1: a JSON dialect's own field (named) has no place in V1.
    #[error("{field} has no place in V1")]
    DialectFieldNotInV1 {
        /// The field, as `metadata.prev_flashblock_id`, `diff.access_list_data`, ...
        field: &'static str,
    },
    /// Conversion to op-alloy's model: a JSON dialect's own field (named), or an absent
    /// `metadata.block_number`, has no place there.
    #[error("{field} has no place in op-alloy's model")]
    DialectFieldNotInOpAlloy {
        /// The field, as `metadata.prev_flashblock_id`, `diff.access_list_data`, ...
        field: &'static str,
    },
    /// Conversion to V1: a balance without the nonce V1 account metadata needs.
    #[error("no nonce for account {address}, which V1 account metadata needs")]
    NonceUnknown {
        /// The first account without a nonce.
        address: Address,
    },
    /// Conversion to V1: a transaction without a receipt to give its
    /// [`TransactionMetadata`](crate::TransactionMetadata).
    #[error("transaction {index} ({tx_hash}) has no receipt")]
    ReceiptMissing {
        /// The transaction's position in `diff.transactions`.
        index: usize,
        /// The transaction's hash, the receipts' key.
        tx_hash: B256,
    },
    /// Conversion to V1: a receipt that does not give its transaction's
    /// [`TransactionMetadata`](crate::TransactionMetadata).
    #[error("receipt of transaction {index}: {reason}")]
    ReceiptNotConvertible {
        /// The transaction's position in `diff.transactions`.
        index: usize,
        /// What is missing.
        reason: ReceiptIssue,
    },
}

impl CodecError {
    /// Whether this is the [spec page](crate::spec)'s `malformed` (a short frame or bytes that do not
    /// decode).
    pub const fn is_malformed(&self) -> bool {
        matches!(self, Self::FrameTooShort { .. } | Self::Ssz(_))
    }

    /// Whether this is the [spec page](crate::spec)'s `unknown_version`.
    pub const fn is_unknown_version(&self) -> bool {
        matches!(self, Self::UnknownVersion { .. })
    }

    /// Whether a JSON frame could not be read (bad JSON, over the cap, bad brotli): the
    /// JSON stream's `malformed`.
    pub const fn is_malformed_json(&self) -> bool {
        matches!(self, Self::Json(_) | Self::JsonTooLarge { .. } | Self::Brotli { .. })
    }

    /// Whether this is a conversion between JSON and V1 that would lose a fact.
    pub const fn is_unrepresentable(&self) -> bool {
        matches!(
            self,
            Self::ParentFlashHashNotInJson { .. }
                | Self::AccountStateNotInJson { .. }
                | Self::TransactionMetadataNotInJson { .. }
                | Self::BlockNumberUnknown { .. }
                | Self::BlobGasUsedNotInV1 { .. }
                | Self::NonceUnknown { .. }
                | Self::ReceiptMissing { .. }
                | Self::ReceiptNotConvertible { .. }
                | Self::MetadataMapAbsent { .. }
                | Self::DialectFieldNotInV1 { .. }
                | Self::DialectFieldNotInOpAlloy { .. }
        )
    }
}

/// Why a receipt does not give a [`TransactionMetadata`](crate::TransactionMetadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptIssue {
    /// A pre-Byzantium state root where a status belongs.
    #[error("a state root instead of a status")]
    PostStateRoot,
    /// Cumulative gas below the previous transaction's (or the flashblock's start).
    #[error("cumulative gas {cumulative} below the previous {previous}")]
    CumulativeGasDecreased {
        /// The cumulative gas before this transaction.
        previous: u64,
        /// This receipt's cumulative gas.
        cumulative: u64,
    },
    /// The transaction creates a contract, whose address no receipt names.
    #[error("the transaction creates a contract, whose address the receipt does not name")]
    ContractCreation,
    /// The transaction does not decode, so whether it creates a contract is unknown.
    #[error("the transaction does not decode")]
    UndecodableTransaction,
}

/// An SSZ decoding failure: [`ssz::DecodeError`] with `Display` and `Error`, which it
/// lacks.
#[derive(Clone, Debug, PartialEq)]
pub struct SszError(pub ssz::DecodeError);

impl SszError {
    /// The underlying `ethereum_ssz` error.
    pub const fn inner(&self) -> &ssz::DecodeError {
        &self.0
    }
}

impl From<ssz::DecodeError> for SszError {
    fn from(e: ssz::DecodeError) -> Self {
        Self(e)
    }
}

impl From<SszError> for CodecError {
    fn from(e: SszError) -> Self {
        Self::Ssz(e)
    }
}

impl From<ssz::DecodeError> for CodecError {
    fn from(e: ssz::DecodeError) -> Self {
        Self::Ssz(SszError(e))
    }
}

impl fmt::Display for SszError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ssz::DecodeError as E;
        match &self.0 {
            E::InvalidByteLength { len, expected } => {
                write!(f, "{len} bytes where {expected} were expected")
            }
            E::InvalidLengthPrefix { len, expected } => {
                write!(f, "length prefix of {len} bytes, expected {expected}")
            }
            E::OutOfBoundsByte { i } => write!(f, "offset points out of bounds, at byte {i}"),
            E::OffsetIntoFixedPortion(o) => write!(f, "offset {o} points into the fixed part"),
            E::OffsetSkipsVariableBytes(o) => {
                write!(f, "first offset {o} does not point right after the fixed part")
            }
            E::OffsetsAreDecreasing(o) => write!(f, "offsets decrease, at offset {o}"),
            E::OffsetOutOfBounds(o) => write!(f, "offset {o} is past the end"),
            E::InvalidListFixedBytesLen(n) => {
                write!(f, "list offset table of {n} bytes is not a multiple of 4")
            }
            E::ZeroLengthItem => f.write_str("zero-length item"),
            E::BytesInvalid(why) => f.write_str(why),
            E::UnionSelectorInvalid(s) => write!(f, "union selector {s} does not exist"),
            E::NoMatchingVariant => f.write_str("no matching variant"),
        }
    }
}

impl std::error::Error for SszError {}
