//! # flashblocks-overlay
//!
//! The preconfirmed state an RPC node serves under the `pending` tag, built from
//! flashblocks the validator accepted (the [spec page](flashblocks_types::spec)'s "Preconfirmed state overlay").
//!
//! - [`Overlay`] is the one writer: [`apply`](Overlay::apply) a flashblock the
//!   validator accepted (its [`AcceptedFlashblock`](flashblocks_validate::AcceptedFlashblock)
//!   token; it costs what the flashblock carries), [`advance_canonical`](Overlay::advance_canonical)
//!   when the canonical chain moves. Pending blocks are kept as layers above the
//!   canonical head, oldest first, and dropped when the canonical chain reaches them; a
//!   canonical block other than the preconfirmed one, a reorg, a builder failover, a
//!   gap and an eviction are reported as [`OverlayEvent`]s. Memory is bounded by
//!   [`OverlayConfig`].
//! - [`OverlayReader`] hands [`Snapshot`]s to any number of reader threads: each is
//!   immutable, whole flashblocks only, and a reader never waits for the writer (an
//!   [`arc_swap::ArcSwap`] store); [`CachedReader`] is the per-thread handle for hot
//!   reads.
//! - [`View`] (a snapshot at the caller's clock) answers the `pending` queries, each a
//!   [`Lookup`]: the value with the [`SnapshotId`] it came from, or [`NotHere`] and
//!   why, so the caller falls back. [`Pending`] does the falling back to a caller's
//!   [`CanonicalState`] and gives the final answer in alloy's and op-alloy's RPC types.
//! - [`View::state_override`] exports the pending state as alloy's `StateOverride`
//!   for `eth_call` / `eth_estimateGas` on top of latest; [`Applied::changes`] is what a
//!   server pushes to `newFlashblocks` and pending-logs subscribers; [`View::logs`]
//!   filters pending logs like `eth_getLogs`.
//!
//! ```
//! use flashblocks_overlay::{Lookup, NotHere, Overlay, OverlayConfig};
//! use flashblocks_types::{Flashblock, GeneratorConfig, SequenceGenerator};
//! use flashblocks_validate::Validator;
//!
//! let mut validator = Validator::default();
//! let mut overlay = Overlay::new(OverlayConfig { max_age_ms: Some(1_000), ..Default::default() });
//! let reader = overlay.reader(); // give clones of this to the query threads
//!
//! let block = SequenceGenerator::new(1, GeneratorConfig::default()).next_block();
//! let account = block[2].metadata.accounts[0].clone();
//! for fb in block {
//!     let outcome = validator.validate(Flashblock::from_sealed_v1(fb)).expect("valid");
//!     let accepted = outcome.accepted().expect("not a resend");
//!     overlay.apply(accepted, 10_000)?; // the caller's clock, in ms
//! }
//!
//! let snapshot = reader.snapshot();
//! let view = snapshot.at(10_050);
//! match view.transaction_count(account.address) {
//!     Lookup::Found(found) => {
//!         assert_eq!(found.snapshot.flashblock_index, 4); // consistent reads: same id
//!         assert!(found.value == account.nonce || found.snapshot.flashblock_index > 2);
//!     }
//!     Lookup::NotHere(why) => unreachable!("{why:?}"),
//! }
//! // Five seconds later, with a one-second staleness bound, the overlay steps aside.
//! assert!(matches!(snapshot.at(15_000).balance(account.address), Lookup::NotHere(NotHere::Stale { .. })));
//! # Ok::<(), flashblocks_overlay::OverlayError>(())
//! ```
//!
//! ## Design
//!
//! A [`Snapshot`] is the list of pending blocks (each a persistent vector of immutable
//! per-flashblock layers behind `Arc`s, holding the flashblock itself, never copied, a
//! table of the block's transactions by hash, and a persistent map of the storage slots
//! the block set) and one merged index of the accounts: persistent hash maps (the
//! crate's own hash array mapped trie) of balances, nonces, codes and, for sources
//! without nonces, the senders' next nonces, each value stamped with the block that set
//! it. Applying a flashblock clones the block's layer list, its storage map and the
//! index in O(1), inserts the accounts and slots the flashblock carries, copying only
//! the trie nodes on those paths that the previous snapshot shares, and appends its
//! transactions to the block's table in place (a block only grows: every snapshot of
//! the block shares the one table and reads the positions below its own transaction
//! count); so an apply costs what the flashblock carries at any flashblock index and
//! any fill. The slots are kept per block, not merged, because a block may set 100,000
//! of them where it touches a few accounts: inserted into a merged map, they copied
//! most of its nodes (shared with the previous snapshot) for each such block, and
//! dropping the block walked them again, in the live index and in the one kept for a
//! failover, so that the apply's cost grew with what the pending blocks held (1.72×
//! at block 120 of the storage flood). Dropping the oldest block removes the account
//! values it set that no later block overrode (work in proportion to the accounts it
//! listed, done once) and drops its table and its slots whole; a failover restores the
//! index kept from before the replaced block and drops that block. A point read of an
//! account hashes its key once and
//! walks a few trie nodes, however many blocks are pending; a storage read starts at the
//! newest block that listed the account (its nonce's stamp: one lookup when no pending
//! block touched it) and probes the blocks' maps down from there; a transaction by hash
//! probes each pending block's table, newest first (one or two blocks while the
//! canonical chain keeps up, at most [`OverlayConfig::max_pending_blocks`]). The overlay
//! decodes nothing itself: each transaction's hash, decoded form and sender come from the
//! flashblock's preparation ([`Flashblock::prepared`](flashblocks_types::Flashblock::prepared),
//! done once when the validator let it through); where the source carries no nonces
//! (deployed JSON), the senders' pending nonces are indexed when the flashblock is
//! applied, so that the pending nonce is one lookup for every reader.
//!
//! ### Memory
//!
//! [`Snapshot::bytes_held`] is a computed upper bound of the heap memory the overlay
//! holds, checked against [`OverlayConfig::max_bytes`] after each apply (the oldest
//! blocks are evicted to stay under it): every decoded flashblock with all it carries,
//! each layer with its receipt facts, logs and room for its transactions' decoded forms,
//! each block's transaction table (at most 32 bytes a transaction) and storage map, and
//! the index node by node, allocator overhead included, with what the index kept for a
//! failover holds beyond it. The trie's nodes hold pointers only and have exactly the
//! capacity they use, so the maps' memory follows their entries, and each version counts
//! what it stopped sharing with older ones. The writer keeps no retired snapshot: a
//! replaced snapshot is freed when its last reader lets it go, and until then it keeps
//! what it held. The hostile-stream suite (`tests/it/hostile.rs`) checks the count
//! against the process's own peak memory; the `hostile` and `storage_flood` examples
//! run the full-size floods.
//!
//! What the process holds also depends on its allocator, which this crate leaves to the
//! program. Under the storage flood (V1 index-0 frames of 6.4 MB, 100,000 slots each,
//! ever-new blocks, no canonical head: one block evicted for each one taken) glibc's
//! `malloc` with its default settings did not hold the bound: it raises its mmap
//! threshold to the size of the first large buffer freed, so that every later frame and
//! slot list comes from the main heap between small allocations of the index, and the
//! holes they leave are neither reused nor returned. The process grew about 6.9 MB a
//! block (1,221 MiB at block 150 with the default 256 MiB bound) while
//! [`Snapshot::bytes_held`] read at most 235 MiB; with a fixed threshold
//! (`MALLOC_MMAP_THRESHOLD_=131072`) it stayed at 220 MiB. A program that takes a
//! stream from a peer should set a global allocator that returns freed memory, as
//! `flashblocks-node` does (jemalloc, its default feature `jemalloc`), or fix glibc's
//! threshold in its environment. The `storage_flood` example (with jemalloc) measures
//! it in process; `flashblocks-node`'s `storage_flood_ws` example measures a consumer
//! program over a websocket.
//!
//! ## Spec decisions
//!
//! As the [spec page](flashblocks_types::spec) decides (where upstream differs, the page wins): the pending block's
//! `hash` is the latest flashblock's `diff.block_hash` where the stream's dialect makes
//! it the header hash, else `null` until the next block's `base.parent_hash` names it
//! (upstream writes a `0x0` placeholder; lookups by hash find only known hashes), and
//! its `nonce` the latest flashblock index; a receipt's status, gas and
//! contract address come from `TransactionMetadata` and its cumulative gas is the sum
//! over the block so far; `op_supportedCapabilities` is [`SUPPORTED_CAPABILITIES`].
//!
//! ## Sources
//!
//! V1 metadata gives everything: post-state balance (when changed), nonce, code and
//! slots, and per transaction status, gas and contract address (no logs). Deployed JSON
//! gives balances (`new_account_balances`) and receipts (status, cumulative gas, logs)
//! when present: no nonces, code or storage, which answer [`NotHere::NotCarried`]; the
//! nonce fallback is [`View::nonce_from_transactions`].
//!
//! ## Performance
//!
//! `cargo bench -p flashblocks-overlay --bench overlay` (criterion medians of one run,
//! 30 Nov 2026, each against a baseline of the same run; fixture: one flashblock with
//! 1000 transactions of 200 bytes and 500 accounts with 4 slots each; a 2-core machine
//! shared with other builds at load 4–5, so expect ±20 % and more for the cache-bound
//! rows):
//!
//! | what | median | ratio (goal) |
//! | --- | --- | --- |
//! | apply into an empty overlay | 1.79 ms | (apply − keccak) / plain `HashMap` inserts = 0.98× (≤ 2×) |
//! | apply on top of a block of the same size | 1.91 ms | 1.15× (≤ 2×) |
//! | the 1000 transaction hashes (keccak, in every apply) | 1.10 ms | beside |
//! | the same inserts into plain `HashMap`s | 0.70 ms | baseline |
//! | decode + rules + assemble + apply | 7.91 ms | 1.17× `hash_tree_root` + keccak (≤ 1.2×) |
//! | block-hash check (beside) | 1.47 ms | 0.22× that hashing |
//! | apply flashblock #10,001–#10,100 of one block (10 transactions each) | 16.1 µs | 1.67× #1–#100 of the same block, 9.65 µs; as the median of 200 interleaved runs 1.24× (≤ 1.2×; five other runs: 1.08–1.22× interleaved, 0.95–1.45× by the medians, the lower at the lower load; before the per-block transaction tables 1.93–1.96× interleaved, 2.1× by the medians: 31.7 against 14.9 µs) |
//! | apply #1–#100 of a block above a block of 10,000 flashblocks | 10.2 µs | 1.05× #1–#100 into an empty overlay |
//! | point read through a [`CachedReader`] | 46.0 ns | 1.58× a `HashMap` lookup, 29.0 ns (≤ 2×; ✗ in five other runs, 2.1–2.9×: at load 2 the `HashMap` lookup took 19.8 ns and this read 48.3 ns, 2.44×; unchanged by the per-block transaction tables, the same binary before them measured the same) |
//! | the same while a writer applies ~30,000 flashblocks/s | 107 ns | 3.42× the `HashMap` under the same load (✗: on two cores the writer and the reader share the caches) |
//! | point read through [`OverlayReader::with`] | 47.8 ns | 1.65× (one `ArcSwap` load more) |
//!
//! Readers never block: a read is a lock-free `ArcSwap` load of an immutable snapshot.
//!
//! ## Dependencies
//!
//! Beyond the project's set: `imbl` (MPL-2.0; the maintained fork of `im`) for the
//! persistent vector of a block's layers (appending and cloning in O(1) whatever the
//! number of flashblocks), and `foldhash`, a fast seeded hasher for the index's maps
//! (the keys are addresses and hashes a builder chooses, so the seed matters).
//!
//! ## Features
//!
//! None. A JSON stream carries no nonces: the senders the overlay indexes come from the
//! flashblock's preparation (`flashblocks_types::PreparedTransactions`), whose features
//! `secp256k1` (libsecp256k1 instead of the pure-Rust `k256`) and `parallel` (rayon)
//! set the speed of the recovery.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]

mod build;
mod canonical;
mod changes;
mod config;
mod error;
#[cfg(feature = "test-utils")]
pub mod fuzz;
mod index;
mod layer;
mod memory;
mod overlay;
mod pmap;
mod positions;
mod rpc;
mod snapshot;

pub use canonical::{Answer, CanonicalState, Pending, PendingError, Source};
pub use changes::ChangeSet;
pub use config::OverlayConfig;
pub use error::OverlayError;
pub use flashblocks_types::RecoveredTransaction;
pub use layer::{transaction_hash, ReceiptFacts};
pub use overlay::{Applied, CachedReader, Overlay, OverlayEvent, OverlayReader};
pub use rpc::{PendingBlock, PendingHeader, SUPPORTED_CAPABILITIES};
pub use snapshot::{
    CanonicalBlock, CanonicalHead, Lookup, NotHere, Preconfirmed, PreconfirmedReceipt,
    PreconfirmedTransaction, Snapshot, SnapshotId, View,
};
