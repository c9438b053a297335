//! # flashblocks-assemble
//!
//! The block of OP Stack **Flashblocks** from its deltas: an incremental [`Assembler`]
//! that gives the block so far as OP's `engine_getPayloadV4` returns it
//! ([`AssembledPayload`]), the OP header rebuilt from the block so far
//! ([`rebuild_header`]), and the block-hash check (rule `block_hash_mismatch`) as a
//! function ([`verify_block_hash_slow`], [`Assembler::verify_block_hash`]) and as the
//! validator's extra check ([`BlockHashCheck`]). On the builder side,
//! [`BlockHashChainMaker`] makes flashblocks whose block hashes verify.
//!
//! The contract is the project's [spec page](flashblocks_types::spec) ("Reassembly" and
//! "Header rebuild"); where it differs from the upstream specification it wins. In
//! particular the transactions and withdrawals of the diffs are concatenated in index
//! order, the cumulative fields (`state_root`, `receipts_root`, `logs_bloom`,
//! `gas_used`, `block_hash`, `withdrawals_root`) come from the latest flashblock, and
//! `blob_gas_used` is 0 before Jovian and the diff's from Jovian on.
//!
//! ```
//! use alloy_primitives::Bytes;
//! use flashblocks_assemble::{Assembler, BlockHashChainMaker};
//! use flashblocks_types::{ExecutionPayloadStaticV1, Flashblock, FlashblockStep, PayloadId};
//!
//! // A builder makes two flashblocks whose block hashes commit to the block so far ...
//! let mut maker = BlockHashChainMaker::new(PayloadId::new([9; 8]), ExecutionPayloadStaticV1::default())?;
//! let tx = |b: u8| Bytes::from(vec![b, 1, 2, 3]);
//! let first = Flashblock::from(maker.push(FlashblockStep { transactions: vec![tx(0x7e)], ..Default::default() }));
//! let second = Flashblock::from(maker.push(FlashblockStep { transactions: vec![tx(2), tx(2)], ..Default::default() }));
//!
//! // ... and a receiver reassembles the block and checks its hash at each flashblock.
//! let mut assembler = Assembler::new(&first)?;
//! assembler.verify_block_hash()?;
//! assembler.push(&second)?;
//! assert_eq!(assembler.verify_block_hash()?, second.diff().block_hash);
//! let payload = assembler.payload();
//! assert_eq!(payload.transactions(), &[tx(0x7e), tx(2), tx(2)]);
//! assert_eq!(payload.block_hash(), second.diff().block_hash);
//! # Ok::<(), flashblocks_assemble::AssembleError>(())
//! ```
//!
//! ## Cost
//!
//! Appending a flashblock costs what it carries. The transactions root is the ordered
//! trie root of `alloy-trie`; [`TransactionTrie`] keeps the hash of every complete
//! group of 16 transactions (a branch node that no later transaction changes), so the
//! check at each flashblock hashes the new transactions' leaves and about `n / 16`
//! cached nodes, not the whole block again.
//!
//! ## Features
//!
//! - `op-alloy`: [`AssembledPayload`] converts into op-alloy's `OpExecutionPayloadV4`
//!   and `OpExecutionPayloadEnvelopeV4`.
//!
//! ## Dependencies
//!
//! The header and the trie come from `alloy-consensus` and `alloy-trie` (with
//! `alloy-rlp` for the trie keys and `alloy-eips` for the empty requests hash), the
//! payload types from `alloy-rpc-types-engine` (and `op-alloy-rpc-types-engine` behind
//! the feature), the check trait from `flashblocks-validate`.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assembler;
mod check;
mod error;
#[cfg(feature = "test-utils")]
pub mod fuzz;
mod header;
mod maker;
mod payload;
mod trie;

pub use assembler::Assembler;
pub use check::BlockHashCheck;
pub use error::AssembleError;
pub use header::{rebuild_header, results_of, verify_block_hash_slow};
pub use maker::{with_block_hashes, BlockHashChainMaker};
pub use payload::AssembledPayload;
pub use trie::{GroupHashes, TransactionTrie};
