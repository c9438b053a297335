//! The overlay's error type: why a flashblock was not applied.

use flashblocks_types::PayloadId;

/// Why [`Overlay::apply`](crate::Overlay::apply) refused a flashblock. A refused
/// flashblock changes no state.
///
/// The overlay expects flashblocks the validator accepted; these are the checks it needs
/// for its own consistency (one block at a time, contiguous indices, bounds), not the
/// spec's validity rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OverlayError {
    /// Index 0 without `base`.
    #[error("flashblock 0 of payload {payload_id} has no base")]
    MissingBase {
        /// The flashblock's payload id.
        payload_id: PayloadId,
    },
    /// Index 0 of a block the canonical chain already has.
    #[error("block {number} is not above the canonical head {canonical}")]
    AlreadyCanonical {
        /// The flashblock's block number.
        number: u64,
        /// The canonical head's number.
        canonical: u64,
    },
    /// Index 0 of a block below the newest pending block.
    #[error("block {number} is below the newest pending block {newest}")]
    StaleBlock {
        /// The flashblock's block number.
        number: u64,
        /// The newest pending block's number.
        newest: u64,
    },
    /// Index 0 of the newest pending block's own payload again.
    #[error("payload {payload_id} already started block {number}")]
    AlreadyStarted {
        /// The payload id.
        payload_id: PayloadId,
        /// The block number.
        number: u64,
    },
    /// A later flashblock whose payload is not the newest pending block's.
    #[error("payload {got} is not the current block's ({expected:?})")]
    UnknownPayload {
        /// The newest pending block's payload id, if any.
        expected: Option<PayloadId>,
        /// The flashblock's payload id.
        got: PayloadId,
    },
    /// A later flashblock whose index is not the next one.
    #[error("expected flashblock index {expected}, got {got}")]
    IndexGap {
        /// The next index.
        expected: u64,
        /// The flashblock's index.
        got: u64,
    },
    /// A flashblock index at or above the configured bound.
    #[error("flashblock index {index} is at or above the bound {max}")]
    TooManyFlashblocks {
        /// The flashblock's index.
        index: u64,
        /// The bound.
        max: u64,
    },
    /// A block whose bytes alone exceed the byte bound.
    #[error("block {number} would hold {bytes} bytes, above the bound {max}")]
    BlockTooLarge {
        /// The block number.
        number: u64,
        /// The bytes the block would hold with this flashblock.
        bytes: usize,
        /// The bound.
        max: usize,
    },
}
