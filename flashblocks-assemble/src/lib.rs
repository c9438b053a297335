//! # flashblocks-assemble
//!
//! The block of OP Stack **Flashblocks** from its deltas: an incremental [`Assembler`]
//! that gives the block so far as OP's `engine_getPayloadV4` returns it
//! ([`AssembledPayload`]) from the validator's tokens
//! ([`AcceptedFlashblock`](flashblocks_validate::AcceptedFlashblock)), the OP header
//! rebuilt from the block so far ([`rebuild_header`]), and the block-hash check (rule
//! `block_hash_mismatch`) as the validator's extra check ([`BlockHashCheck`], whose
//! rebuilt header the token carries to the assembler), besides the from-scratch function
//! [`verify_block_hash_slow`]. On the builder side,
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
//! use flashblocks_assemble::{with_block_hashes, Assembler, BlockHashCheck};
//! use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
//! use flashblocks_validate::Validator;
//!
//! // A builder's block whose block hashes commit to the block so far ...
//! let block = with_block_hashes(SequenceGenerator::new(9, GeneratorConfig::default()).next_block())?;
//!
//! // ... checked by a validator with the block-hash check, and reassembled from its
//! // tokens: the assembler keeps the header the check rebuilt.
//! let mut validator = Validator::default().with_check(Box::new(BlockHashCheck::new()));
//! let mut assembler = None;
//! for fb in block {
//!     let token = validator.validate(Flashblock::from(fb)).expect("valid").into_accepted().expect("new");
//!     assert_eq!(token.header().unwrap().hash(), token.flashblock().diff().block_hash);
//!     match assembler.as_mut() {
//!         None => assembler = Some(Assembler::new(&token)?),
//!         Some(assembler) => assembler.append(&token)?,
//!     }
//! }
//! let mut assembler = assembler.unwrap();
//! let payload = assembler.payload();
//! assert_eq!(payload.transactions().len(), 1 + 5 * 3);
//! assert_eq!(Some(assembler.verify_block_hash()?), payload.block_hash());
//! # Ok::<(), flashblocks_assemble::AssembleError>(())
//! ```
//!
//! ## Cost
//!
//! Appending a flashblock costs what it carries. The transactions root is the ordered
//! trie root of `alloy-trie`; [`TransactionTrie`] keeps the hash of every complete
//! aligned block of `16^L` transactions (a node that no later transaction changes, at
//! six levels at most), so the check at each flashblock hashes the new transactions'
//! leaves, the subtrees they complete, and at most 15 cached nodes a level: it costs
//! what the flashblock adds, whatever the block holds.
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
mod outcome;
mod payload;
mod trie;

pub use assembler::Assembler;
pub use check::BlockHashCheck;
pub use error::AssembleError;
pub use header::{rebuild_header, results_of, verify_block_hash_slow};
pub use maker::{with_block_hashes, BlockHashChainMaker};
pub use outcome::BlockHashOutcome;
pub use payload::{AssembledPayload, Commitments};
pub use trie::{GroupHashes, TransactionTrie};
