//! The overlay's error type: why a flashblock was not applied.

use flashblocks_types::PayloadId;

/// Why [`Overlay::apply`](crate::Overlay::apply) refused a flashblock. A refused
/// flashblock changes no state.
///
/// The overlay takes the validator's tokens and does not check the sequence again; these
/// are what it cannot place: a block the canonical chain already has, a block it no
/// longer holds, and its byte bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OverlayError {
    /// A flashblock of a block the canonical chain already has.
    #[error("block {number} is not above the canonical head {canonical}")]
    AlreadyCanonical {
        /// The flashblock's block number.
        number: u64,
        /// The canonical head's number.
        canonical: u64,
    },
    /// A flashblock that continues a block the overlay no longer holds as its newest
    /// (dropped by a canonical event or a reset, or an earlier flashblock of it was
    /// refused).
    #[error("flashblock {index} of payload {payload_id} continues a block that is not pending")]
    NotPending {
        /// The flashblock's payload id.
        payload_id: PayloadId,
        /// The flashblock's index.
        index: u64,
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
