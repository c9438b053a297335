//! The SSZ containers of `schema.py` (see the [spec page](crate::spec)), one module each.

mod base;
mod delta;
mod metadata;
mod payload;
mod withdrawal;

pub use base::ExecutionPayloadStaticV1;
pub use delta::ExecutionPayloadFlashblockDeltaV1;
pub use metadata::{AccountMetadata, FlashblockMetadata, StorageSlot, TransactionMetadata};
pub use payload::FlashblocksPayloadV1;
pub use withdrawal::Withdrawal;
