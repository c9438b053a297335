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
//! ## Memory and the global allocator
//!
//! The program sets [`GlobalAllocator`] (jemalloc, the default feature `jemalloc`) as
//! its global allocator; the library sets none, so a program that mounts the node's
//! parts chooses its own (and should: see below). Under a stream of large frames (V1
//! index-0 frames of 6.4 MB, each holding 100,000 storage slots, ever-new blocks, no
//! canonical head: the overlay evicting one block for each it takes) glibc's `malloc`
//! does not hold the overlay's bound: it raises its mmap threshold to the first large
//! buffer freed, so every later frame and slot list comes from the main heap between
//! the overlay index's small entries, and the holes left when they are freed are
//! neither reused nor returned. The process grew about 6.9 MB a block (1,221 MiB at 150
//! blocks with a 256 MiB bound) while the overlay held at most 235 MiB.
//!
//! Measured by the process (`VmHWM`) with the `storage_flood_ws` example, which serves
//! the flood on loopback to a program it starts (baseline: the program's peak after it
//! connected and took one small frame; goal: a peak within 1.5 × the overlay's bound +
//! the baseline):
//!
//! | allocator (the node's binary, debug, test `tests/flood.rs`: 60 frames of 5,000 slots, 0.31 MiB, a reconnect after 40; bound 8 MiB / 4 blocks) | baseline | peak | peak − baseline (limit 12 MiB) |
//! | --- | --- | --- | --- |
//! | glibc, defaults (kept payloads still holding their frames) | 24.2 MiB | 51.5 MiB | 27.3 MiB |
//! | glibc, `MALLOC_MMAP_THRESHOLD_=131072` | 26.0 MiB | 35.6 MiB | 9.6 MiB |
//! | mimalloc 0.1.52 (v3) | 35.8 MiB | 57.5 MiB | 21.7 MiB |
//! | jemalloc (`tikv-jemallocator` 0.7) | 28.4 MiB | 40.2 MiB | 11.8 MiB |
//! | jemalloc, with the overlay's per-block storage maps | 28.1 MiB | 37.4 MiB | 9.3 MiB |
//!
//! (Load average 10-13 on the 2-core machine when taken; the peaks are the process's
//! own and do not depend on it.)
//!
//! Why jemalloc: at this scale, where the allocator's own retention counts, it held the
//! bound and mimalloc did not; it returns freed pages over time (its decay), and it is
//! the allocator reth's and op-reth's binaries run on, kept up by the `TiKV` project.
//! Its cost is the C build of jemalloc (configure and make) in a cold build, once: a
//! release build of `tikv-jemallocator` alone took 144 s of user and 23 s of system CPU
//! time (measured at load average 10-13; a quiet 2-core machine was not had).
//!
//! Two more holds were found on the way and bounded: finished payloads kept for
//! [`flashblocks::Receiver::payloads`] shared their transactions' bytes with the V1
//! frames they came from, so that each kept the whole frame alive (the receiver now
//! copies a finished block's transactions out); and the writer's queue held up to 128
//! frames whatever their size (now also at most 16 MiB of frames, or a sixteenth of
//! `--max-overlay-bytes`: [`writer::DEFAULT_QUEUE_BYTES`]).
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
//! `raw_value` to forward requests without re-serializing them. With the default feature
//! `jemalloc`, `tikv-jemallocator` (MIT/Apache-2.0; jemalloc, built from C with the
//! system's C compiler, as reth's binaries use it): the program's allocator, chosen for
//! the memory bound above.
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

/// The allocator the `flashblocks-node` program runs on (jemalloc): a program built on
/// this crate sets it with
/// `#[global_allocator] static GLOBAL: GlobalAllocator = GlobalAllocator;` (safe code).
/// Why: see the crate docs, "Memory and the global allocator".
#[cfg(feature = "jemalloc")]
#[cfg_attr(docsrs, doc(cfg(feature = "jemalloc")))]
pub use tikv_jemallocator::Jemalloc as GlobalAllocator;
