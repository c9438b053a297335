//! # flashblocks-validate
//!
//! Skeleton: filled by its own issue. The extra-check trait below is fixed early because
//! the assembler's block-hash check implements it.
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]

mod check;

pub use check::{CheckFailure, FlashblockCheck};
