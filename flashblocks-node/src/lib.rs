//! # flashblocks-node
//!
//! The operator's OP Stack Flashblocks node, as a program (`flashblocks-node`, see the
//! README) and as a library: a websocket consumer ([`ws`]) feeding the receiving side
//! ([`pipeline`], over [`flashblocks::Receiver`]), a canonical upstream ([`upstream`]),
//! and a JSON-RPC module answering the `pending` tag ([`rpc`]), put together with flags,
//! logs, metrics and health by [`node`].
//!
//! The RPC module is a plain [`jsonrpsee::RpcModule`]: an integrator mounts it in its
//! own server (see [`rpc`] for a node built on reth), or calls it directly. The real
//! Unichain Sepolia block 35535698's five flashblocks, answered over JSON-RPC:
//!
//! ```
//! use flashblocks_node::{
//!     pipeline::{Pipeline, Verdict},
//!     rpc::{module, Backend, ServerConfig},
//! };
//! use flashblocks::validate::RuleSet;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let mut pipeline = Pipeline::new(RuleSet::Json);
//! for frame in include_str!("../testdata/unichain-sepolia-35535698.jsonl").lines() {
//!     assert_eq!(pipeline.process(frame.as_bytes()).verdict, Verdict::Accept);
//! }
//! let rpc = module(Backend::new(pipeline.reader()), &ServerConfig::default())?;
//! let block: serde_json::Value =
//!     rpc.call("eth_getBlockByNumber", ("pending", false)).await?;
//! assert_eq!(block["number"], "0x21e3b52"); // 35_535_698
//! assert_eq!(block["transactions"].as_array().map(Vec::len), Some(6));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Dependencies
//!
//! The IO crates the workspace chose: `tokio`, `jsonrpsee` (server and HTTP client),
//! `tokio-tungstenite` with `futures-util`, and `rustls` (ring provider, webpki roots) for
//! `wss://`; for the program's operations `clap` (flags with environment variables),
//! `tracing` with `tracing-subscriber`, `metrics` with `metrics-exporter-prometheus`
//! (its HTTP listener only), and `tower`'s timeout layer (the per-request time bound);
//! for `--upstream` `alloy-provider` (HTTP through `reqwest` with rustls on the ring
//! provider installed above, websocket through `alloy-transport-ws`; `alloy-rpc-client`,
//! its client, for the JSON-RPC batches of state read ahead of a flashblock), and `revm`'s
//! database trait for the EVM's reads of the upstream's state; `serde_json` with
//! `raw_value` to forward requests without re-serializing them.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod node;
pub mod pipeline;
pub mod rpc;
pub mod upstream;
pub mod writer;
pub mod ws;

pub use error::Error;
