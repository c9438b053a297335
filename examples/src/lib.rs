//! # flashblocks-examples
//!
//! The library behind the runnable examples, where the IO of a flashblocks integration
//! lives, so that tests can call it:
//!
//! - [`simulate`]: a deterministic simulated builder (real signed EIP-1559 transfers
//!   from development keys, an OP L1-info deposit first, consistent metadata and gas,
//!   block hashes that verify);
//! - [`capture`]: reading a capture whose format is detected from its content (a JSON
//!   array of flashblocks, one flashblock object, JSON lines, or length-prefixed frames,
//!   each SSZ, JSON or brotli-compressed JSON);
//! - [`pipeline`]: the whole receiving side, frame by frame: decode → validate →
//!   assemble with the block-hash check → overlay, with the time each stage took;
//! - [`replay`]: the main job, over the simulated builder or a capture, as a table;
//! - [`conformance`]: the conformance runner over vector directories and captures;
//! - [`rpc`]: a JSON-RPC server answering the `pending` tag from the overlay, with
//!   per-request time and size bounds and a health check;
//! - [`upstream`]: a canonical upstream node through alloy's provider (forwarding,
//!   the overlay's fallbacks, new heads);
//! - [`node`]: the `pending_rpc` program (flags and environment, the stream consumer,
//!   logs and Prometheus metrics);
//! - [`ws`]: a websocket consumer of a flashblocks stream that bounds what a server can
//!   make it hold and reconnects after every failure (and a loopback test server);
//! - [`sequencer`]: the `sequencer` program, a local flashblocks chain (an executing
//!   builder streaming over a websocket, a JSON-RPC endpoint taking transactions and
//!   answering canonical queries): a test double for op-rbuilder + rollup-boost + the L2
//!   node;
//! - [`fuzz`]: the body of the `replay` fuzz target (any bytes as a capture, through the
//!   pipeline).
//!
//! `rpc`, `ws`, `node` and `sequencer` are behind the default feature `io` (tokio, jsonrpsee,
//! tokio-tungstenite); without it the crate is the pure part, which the fuzz project
//! builds.
//!
//! ```
//! use flashblocks_examples::{pipeline::{Pipeline, Verdict}, simulate::{simulate, SimulationConfig}};
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
//! The IO crates the workspace chose: `tokio`, `jsonrpsee` (server and HTTP client),
//! `tokio-tungstenite` with `futures-util`, and `rustls` (ring provider, webpki roots) for
//! `wss://`; for `pending_rpc`'s operations `clap` (flags with environment variables),
//! `tracing` with `tracing-subscriber`, `metrics` with `metrics-exporter-prometheus`
//! (its HTTP listener only), and `tower`'s timeout layer (the per-request time bound);
//! for `--upstream` `alloy-provider` (HTTP through `reqwest` with rustls on the ring
//! provider installed above, websocket through `alloy-transport-ws`); `alloy-signer-local` / `alloy-network` /
//! `alloy-signer` to sign the simulated transactions, `op-alloy-consensus` for the
//! deposit and the envelope; `serde_json` with `raw_value` to split JSON arrays into
//! frames without re-serializing them.
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
pub mod node;
pub mod output;
pub mod pipeline;
pub mod replay;
#[cfg(feature = "io")]
pub mod rpc;
#[cfg(feature = "io")]
pub mod sequencer;
pub mod simulate;
#[cfg(feature = "io")]
pub mod upstream;
#[cfg(feature = "io")]
pub mod ws;

pub use error::Error;
