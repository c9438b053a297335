//! # flashblocks-assemble
//!
//! Skeleton: filled by its own issue.
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
