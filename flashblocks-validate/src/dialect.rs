//! The JSON dialects' rules ([spec page](flashblocks_types::spec), "Subblocks and the
//! deployed dialects"): `block_number_mismatch`, `payload_ended`,
//! `prev_flash_id_mismatch`, and what Base's index 0 says of the block before it. The
//! SSZ V1 stream runs none of them.

use crate::{validator::CurrentBlock, ValidationError};
use flashblocks_types::{Flashblock, FlashblockId, PayloadId};

/// What an index 0's `metadata.prev_flashblock_id` (Base) says of the block the
/// validator held when it arrived. Reported, never a rejection (a lying link cannot lock
/// a stream out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrevBlockLink {
    /// `"0-0"` (no frame before) while a block was held: the builder restarted.
    NoPrevious {
        /// The number of the block held.
        held: u64,
    },
    /// The link names the held block's last frame, and the validator held fewer frames
    /// of it: the block is incomplete, and its preconfirmed state stops serving.
    Incomplete {
        /// The incomplete block's number.
        block_number: u64,
        /// The frames the validator accepted of it.
        held: u64,
        /// The frames the link says it had (`index + 1`).
        named: u64,
    },
}

/// What a [`PayloadEnd`](flashblocks_types::PayloadEnd) (X Layer) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayloadEnded {
    /// It ended the held block's sequence: a later index of that payload is
    /// `payload_ended`.
    Completed {
        /// The payload.
        payload_id: PayloadId,
        /// Its block's number.
        block_number: u64,
        /// The flashblocks it had.
        flashblocks: u64,
    },
    /// It names no block the validator holds: nothing changed.
    Unknown {
        /// The payload it names.
        payload_id: PayloadId,
    },
}

/// `metadata.block_number`, when the flashblock carries one (World Chain's does not).
fn metadata_block_number(fb: &Flashblock) -> Option<u64> {
    fb.json_metadata().and_then(|m| m.block_number)
}

/// `metadata.prev_flashblock_id`, when the flashblock carries one (Base).
fn prev_flashblock_id(fb: &Flashblock) -> Option<FlashblockId> {
    fb.json_metadata().and_then(|m| m.prev_flashblock_id)
}

/// `block_number_mismatch` at an index 0 that starts a block: its metadata against its
/// own `base`.
pub(crate) fn check_start(fb: &Flashblock, number: u64) -> Result<(), ValidationError> {
    match metadata_block_number(fb) {
        Some(received) if received != number => {
            Err(ValidationError::BlockNumberMismatch { expected: number, received })
        }
        _ => Ok(()),
    }
}

/// `block_number_mismatch` and `payload_ended`, which come before `index_gap`.
pub(crate) fn check_before_gap(
    fb: &Flashblock,
    current: &CurrentBlock,
) -> Result<(), ValidationError> {
    check_start(fb, current.block_number())?;
    if let Some(ended_at) = current.ended_at() {
        return Err(ValidationError::PayloadEnded {
            payload_id: current.payload_id(),
            index: fb.index(),
            ended_at,
        });
    }
    Ok(())
}

/// `prev_flash_id_mismatch`, after `index_gap` (so `index` is the next one, above 0).
pub(crate) fn check_after_gap(
    fb: &Flashblock,
    current: &CurrentBlock,
) -> Result<(), ValidationError> {
    let Some(received) = prev_flashblock_id(fb) else { return Ok(()) };
    let expected =
        FlashblockId { block_number: current.block_number(), index: fb.index().saturating_sub(1) };
    if received == expected {
        Ok(())
    } else {
        Err(ValidationError::PrevFlashIdMismatch { expected, received })
    }
}

/// What an index 0 that starts a block says of the block held before it.
pub(crate) fn prev_block_link(
    fb: &Flashblock,
    held: Option<&CurrentBlock>,
) -> Option<PrevBlockLink> {
    let (id, held) = (prev_flashblock_id(fb)?, held?);
    if id.is_none() {
        return Some(PrevBlockLink::NoPrevious { held: held.block_number() });
    }
    let named = id.index.saturating_add(1);
    (id.block_number == held.block_number() && held.next_index() < named).then_some(
        PrevBlockLink::Incomplete {
            block_number: held.block_number(),
            held: held.next_index(),
            named,
        },
    )
}
