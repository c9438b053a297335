//! # flashblocks-examples
//!
//! The library behind the runnable examples and the test doubles. The node itself (the
//! websocket consumer, the upstream, the JSON-RPC module, the program) is the published
//! crate `flashblocks-node`; what stays here shows it in use and tests it:
//!
//! - [`simulate`]: a deterministic simulated builder (real signed EIP-1559 transfers
//!   from development keys, an OP L1-info deposit first, consistent metadata and gas,
//!   block hashes that verify);
//! - [`capture`]: reading a capture whose format is detected from its content (a JSON
//!   array of flashblocks, one flashblock object, JSON lines, or length-prefixed frames,
//!   each SSZ, JSON or brotli-compressed JSON);
//! - [`replay`]: the main job, over the simulated builder or a capture, as a table,
//!   through the node's timed pipeline (`flashblocks_node::pipeline`);
//! - [`conformance`]: the conformance runner over vector directories and captures;
//! - [`executed`]: the main job's executed part (stripped JSON executed and proved);
//! - [`pending_rpc`]: the `pending_rpc` program: `flashblocks-node` over a live stream,
//!   or the replay (a capture, or the simulated builder) served without one;
//! - [`sequencer`]: the `sequencer` program, a local flashblocks chain (an executing
//!   builder streaming over a websocket, a JSON-RPC endpoint taking transactions and
//!   answering canonical queries): a test double for op-rbuilder + rollup-boost + the L2
//!   node;
//! - [`loadgen`]: the `loadgen` program, signed transfers and contract calls sent to a
//!   local chain at a set rate (the load the node's soak runs under);
//! - [`fuzz`]: the body of the `replay` fuzz target (any bytes as a capture, through the
//!   pipeline).
//!
//! `executed`, `pending_rpc` and `sequencer` are behind the default feature `io` (tokio,
//! jsonrpsee, tokio-tungstenite, the executing builder).
//!
//! ```
//! use flashblocks_examples::simulate::{simulate, SimulationConfig};
//! use flashblocks_node::pipeline::{Pipeline, Verdict};
//! use flashblocks_validate::RuleSet;
//!
//! let sim = simulate(&SimulationConfig::default())?;
//! let mut pipeline = Pipeline::new(RuleSet::V1);
//! for frame in sim.ssz_frames() {
//!     let report = pipeline.process(&frame);
//!     assert_eq!(report.verdict, Verdict::Accept);
//!     assert!(report.block_hash.is_ok());
//! }
//! assert_eq!(pipeline.payloads().len(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Dependencies
//!
//! `flashblocks-node` (the node), and for the sequencer and the programs `tokio`,
//! `jsonrpsee`, `tokio-tungstenite` with `futures-util`, `clap`, `tracing` with
//! `tracing-subscriber`; `alloy-signer-local` / `alloy-network` / `alloy-signer` to sign
//! the simulated transactions, `op-alloy-consensus` for the deposit and the envelope;
//! `serde_json` with `raw_value` to split JSON arrays into frames without re-serializing
//! them.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod capture;
pub mod conformance;
mod error;
#[cfg(feature = "io")]
pub mod executed;
pub mod frames;
pub mod fuzz;
#[cfg(feature = "io")]
pub mod loadgen;
pub mod output;
#[cfg(feature = "io")]
pub mod pending_rpc;
pub mod replay;
#[cfg(feature = "io")]
pub mod sequencer;
pub mod simulate;

pub use error::Error;
