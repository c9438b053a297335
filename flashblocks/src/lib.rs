//! # flashblocks
//!
//! OP Stack **Flashblocks** for a node, from one crate (published as `flashblocks-rs`):
//! a [`Receiver`] that takes a stream's frames and the canonical chain's events and
//! keeps the preconfirmed state that answers `pending`-tag queries, IO-free. The bytes
//! of the real Unichain Sepolia block 35535698, five deployed-JSON flashblocks, to the
//! pending block:
//!
//! ```
//! use flashblocks::{overlay::{NotHere, SUPPORTED_CAPABILITIES}, Receiver, ReceiverConfig};
//!
//! let mut receiver = Receiver::new(ReceiverConfig::json().with_block_hash_check(true));
//! let reader = receiver.reader(); // clones of it go to the RPC threads
//! for frame in include_str!("../testdata/unichain-sepolia-35535698.jsonl").lines() {
//!     receiver.receive(frame.as_bytes(), 1_000)?; // the caller's clock, in ms
//! }
//! let snapshot = reader.snapshot();
//! let pending = snapshot.at(1_000);
//! let block = pending.pending_block(false).into_value().expect("a pending block");
//! # let sender = pending.rpc_transaction(block.transactions.hashes().nth(1).unwrap()).into_value().unwrap().inner.inner.signer();
//! assert_eq!((block.header.number, block.transactions.len()), (35_535_698, 6));
//! let receipt = pending.rpc_receipt(block.transactions.hashes().next().unwrap());
//! assert_eq!(receipt.not_here(), Some(NotHere::NotCarried)); // this JSON has no receipts
//! // nor balances (`new_account_balances: {}`): not known, and `latest` would be wrong
//! assert_eq!(pending.balance(sender).not_here(), Some(NotHere::NotCarried));
//! assert_eq!(SUPPORTED_CAPABILITIES, ["flashblocksv1"]); // op_supportedCapabilities
//! # Ok::<(), flashblocks::validate::ValidationError>(())
//! ```
//!
//! A query that the overlay cannot answer says why ([`overlay::NotHere`]), so the node
//! falls back to its canonical state ([`overlay::Pending`] does that over the node's
//! [`overlay::CanonicalState`]), except for a fact the stream does not carry and no
//! execution gave ([`NotHere::NotCarried`](overlay::NotHere::NotCarried)): that answers
//! [`overlay::PendingError::NotKnown`], never the `latest` value.
//!
//! ## What is where
//!
//! | module | crate | owns |
//! | --- | --- | --- |
//! | [`types`] | `flashblocks-types` | the SSZ containers, framing, `hash_tree_root`, the deployed JSON |
//! | [`validate`] | `flashblocks-validate` | the validity rules; the [`AcceptedFlashblock`](validate::AcceptedFlashblock) token |
//! | [`assemble`] | `flashblocks-assemble` | the block so far as `engine_getPayload` returns it; the block-hash check |
//! | [`overlay`] | `flashblocks-overlay` | the preconfirmed state and the `pending` answers |
//! | `execute` (feature `execute`) | `flashblocks-execute` | re-execution of the preconfirmed transactions |
//!
//! Features `secp256k1` and `parallel` make the overlay's sender recovery (a JSON stream
//! carries no nonces: each transaction's sender is recovered when it is applied, for the
//! pending nonce) use libsecp256k1, the C library, instead of the pure-Rust k256 (about
//! 3-4x faster), and spread a large flashblock's recoveries over rayon's threads.
//!
//! The alloy and op-alloy crates whose types appear in these APIs are re-exported:
//! [`primitives`] (`alloy-primitives`), [`consensus`], [`eips`] (block ids and tags),
//! [`rpc_types`] (`alloy-rpc-types-eth`), [`engine_types`] (`alloy-rpc-types-engine`)
//! and [`op_rpc_types`] (`op-alloy-rpc-types`, the transactions and receipts the
//! overlay answers with).
//!
//! ## The receiver's lifecycle
//!
//! [`Receiver::receive`] decodes a frame as the stream is configured (V1 SSZ or JSON,
//! never guessed), validates it, appends an accepted flashblock to its block (a block
//! start finishes the previous block, or replaces it on a builder failover) and applies
//! it to the overlay. The same steps are public one by one ([`Receiver::decode`],
//! [`Receiver::validate`], [`Receiver::assemble`], [`Receiver::apply`]) for a caller that
//! times or routes them. [`Receiver::canonical_head`] moves the canonical chain:
//! confirmed blocks leave the overlay; a reorg or a broken preconfirmation drops the
//! pending chain and the block being received. [`Receiver::reset_stream`] (after a
//! reconnect) and [`Receiver::reset`] forget what was being received.
//!
//! ## Features
//!
//! - `execute`: re-exports `flashblocks-execute` as `flashblocks::execute`.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod receiver;

pub use receiver::{Received, Receiver, ReceiverConfig};

pub use flashblocks_assemble as assemble;
#[cfg(feature = "execute")]
pub use flashblocks_execute as execute;
pub use flashblocks_overlay as overlay;
pub use flashblocks_types as types;
pub use flashblocks_validate as validate;

pub use alloy_consensus as consensus;
pub use alloy_eips as eips;
pub use alloy_primitives as primitives;
pub use alloy_rpc_types_engine as engine_types;
pub use alloy_rpc_types_eth as rpc_types;
pub use op_alloy_rpc_types as op_rpc_types;

// The README's example is a doc test too (the front door's: it uses the receiver).
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
