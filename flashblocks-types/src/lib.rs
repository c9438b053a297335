//! # flashblocks-types
//!
//! The data of OP Stack **Flashblocks**: the SSZ containers of the project's schema,
//! versioned framing, `hash_tree_root` (the `parent_flash_hash` chain), the input model
//! every later stage takes, and the builder-side chain maker.
//!
//! The contract is the project's [spec page](crate::spec) (`spec/flashblocks.md` in this
//! crate), its normative reading of the OP Stack Flashblocks specification; where the two
//! differ the spec page wins. In particular: optional fields are SSZ `Union[None, T]`; the field upstream calls
//! `static` is `base`; V1 is `0x00000001`, read from a frame's first 4 bytes; list limits
//! are those of [`constants`](crate#constants); `parent_flash_hash` is the
//! `hash_tree_root` of the whole previous payload.
//!
//! ```
//! use flashblocks_types::{Flashblock, FlashblocksPayloadV1};
//!
//! // A builder makes the flashblocks of a block (here an empty one) ...
//! let first = FlashblocksPayloadV1 { index: 0, base: Some(Default::default()), ..Default::default() };
//! let root = first.hash_tree_root_slow();
//! let second = FlashblocksPayloadV1 { index: 1, parent_flash_hash: Some(root), ..first.clone() };
//! // ... sends each as an SSZ frame ...
//! let frames: Vec<Vec<u8>> = [&first, &second].iter().map(|p| p.encode_ssz()).collect();
//! // ... and a receiver decodes them into the input model and checks the hash chain.
//! let mut parent = None;
//! for frame in frames {
//!     let fb = Flashblock::decode_v1(frame)?;
//!     assert_eq!(fb.parent_flash_hash(), parent);
//!     parent = Some(fb.identity());
//! }
//! # Ok::<(), flashblocks_types::CodecError>(())
//! ```
//!
//! ## JSON
//!
//! The format deployed today (rollup-boost, op-rbuilder, reth, Base), often
//! brotli-compressed, reads into the same input model: [`JsonFrameReader::decode`] is the
//! one decode of a JSON frame (it tells plain from brotli frames by content and caps the
//! decompressed size, [`DEFAULT_MAX_JSON_LEN`]), [`FlashblockJson`] is the JSON model
//! (read and written as the [spec page](crate::spec)'s JSON section says),
//! [`Flashblock::from_json`] gives a flashblock whose
//! [`identity`](Flashblock::identity) is the SHA-256 of the decoded value's canonical
//! JSON, and the conversions to and from V1 are strict (typed [`CodecError`]s) or named
//! lossy. The `op-alloy` feature adds conversions to and from op-alloy's
//! `OpFlashblockPayload`.
//!
//! ```
//! use flashblocks_types::{FlashblockSource, JsonFrameReader};
//!
//! let text = br#"{"payload_id":"0x03c446f063e3735a","index":1,"base":null,"diff":{
//!   "state_root":"0x1111111111111111111111111111111111111111111111111111111111111111",
//!   "receipts_root":"0x1111111111111111111111111111111111111111111111111111111111111111",
//!   "logs_bloom":"0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
//!   "gas_used":"0x5208",
//!   "block_hash":"0x1111111111111111111111111111111111111111111111111111111111111111",
//!   "transactions":["0x02c0"],"withdrawals":[],
//!   "withdrawals_root":"0x1111111111111111111111111111111111111111111111111111111111111111"},
//!   "metadata":{"block_number":35535698,"new_account_balances":{},"receipts":{}}}"#;
//! // A websocket frame, here brotli-compressed as deployed streams send it.
//! let frame = JsonFrameReader::encode_brotli(text);
//! let fb = JsonFrameReader::default().decode(&frame)?;
//! assert_eq!(fb.source(), FlashblockSource::Json);
//! assert_eq!((fb.index(), fb.diff().gas_used), (1, 21_000));
//! // Written back, it is the same flashblock.
//! let written = fb.to_json()?.to_vec();
//! assert_eq!(JsonFrameReader::default().decode(&written)?, fb);
//! # Ok::<(), flashblocks_types::CodecError>(())
//! ```
//!
//! ## Speed
//!
//! [`PayloadViewV1`] is a fully validated, zero-copy view of a V1 frame over
//! `bytes::Bytes`: one pass checks every offset, length and limit (rejecting exactly what
//! `ethereum_ssz`'s derive decoder rejects, with the same error), then transactions are
//! slices of the frame and accounts are read in place. [`Flashblock::decode_v1`], the one
//! decode of an SSZ frame, goes through it: the transactions share the frame's buffer
//! and the root is hashed straight from the frame. `hash_tree_root` is computed by one
//! fast hasher (raw SHA-256 compressions, precomputed zero hashes, no allocation, two
//! hash chains in turn), over the frame ([`PayloadViewV1::hash_tree_root_slow`]) or the
//! owned value ([`FlashblocksPayloadV1::hash_tree_root_slow`]); `_slow` because each call
//! hashes the whole flashblock: [`Flashblock`] and [`SealedFlashblock`] keep the root.
//! The bench `codec` measures it against a straightforward reference merkleizer,
//! `serde_json`, a memcpy and one node hash.
//!
//! ```
//! use flashblocks_types::{FlashblocksPayloadV1, PayloadViewV1};
//!
//! let payload = FlashblocksPayloadV1 { index: 4, ..Default::default() };
//! let view = PayloadViewV1::decode(payload.encode_ssz())?;
//! assert_eq!(view.index(), 4);
//! assert_eq!(view.hash_tree_root_slow(), payload.hash_tree_root_slow());
//! # Ok::<(), flashblocks_types::CodecError>(())
//! ```
//!
//! ## Test helpers
//!
//! The feature `test-utils` (for tests, benches and fuzz targets; not part of the
//! default public API) adds the reference implementations the fast paths are tested
//! against (`reference::decode_frame`, the owned `ethereum_ssz` decoder;
//! `merkle`, the straightforward merkleizer; `Flashblock::decode_v1_slow`, both
//! together), the seeded generator of valid blocks (`SequenceGenerator`,
//! `GeneratorConfig`), the reader of the shared vectors (`vectors`), the fast hasher's
//! internals (`hash`), the JSON text decode without the frame reader's cap and the
//! identity (`decode_json_text`, which the bench times and the tests hold to
//! `serde_json`'s derive decode), a post-exec transaction's bytes of any version
//! (`post_exec_raw`), the benches' reader of criterion's medians (`benchmark`) and the
//! fuzz targets' bodies (`fuzz`).
//!
//! ## Constants
//!
//! [`VERSION_V1`], [`MAX_EXTRA_DATA_BYTES`], [`BYTES_PER_LOGS_BLOOM`],
//! [`MAX_BYTES_PER_TRANSACTION`], [`MAX_TRANSACTIONS_PER_PAYLOAD`],
//! [`MAX_WITHDRAWALS_PER_PAYLOAD`], [`MAX_ACCOUNTS_PER_FLASHBLOCK`],
//! [`MAX_STORAGE_SLOTS_PER_ACCOUNT`], [`MAX_BYTES_PER_CODE`].
//!
//! ## Dependencies
//!
//! Beyond the project's chosen set: with `test-utils` only, `rand` and `rand_chacha`
//! drive the seeded `SequenceGenerator` (`ChaCha8` gives the same stream on every
//! platform and version) and `tree_hash` is the reference merkleizer's hasher.
//! For the chain configurations: `alloy-op-hardforks` (the hardfork schedule type the
//! executor follows; no EVM). For the JSON format: `alloy-serde` (the `0x` quantity helpers alloy's own types use),
//! `alloy-consensus` and `op-alloy-consensus` (the receipt types the deployed JSON
//! carries, and the transaction envelope to tell contract creations when receipts become
//! V1 metadata), `brotli` (the compression deployed streams use; pure Rust, no `unsafe`
//! in its decoder's API) and, behind the `op-alloy` feature, `op-alloy-rpc-types-engine`.
//! For speed: `bytes` (the frame buffer the view slices without copying; alloy's `Bytes`
//! wraps it), `memchr` (the JSON decode's scanner finds string ends with it; `serde_json`
//! depends on it already), `sha2` with its `compress` feature (the raw SHA-256 compression function,
//! run on the CPU's SHA extensions when present) and, behind the `parallel` feature,
//! `rayon` (`FlashblocksPayloadV1::hash_tree_root_parallel_slow` hashes transactions and
//! accounts on its thread pool). The benches use `criterion`, op-alloy's JSON model as the baseline and
//! `rustix` for the thread's CPU clock (the bench machine is shared).
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "test-utils")]
pub mod benchmark;
mod chain;
mod chains;
mod codec;
mod constants;
mod containers;
#[cfg(feature = "test-utils")]
pub mod devnet;
mod dialect;
mod error;
mod executed;
mod flashblock;
mod frame;
#[cfg(feature = "test-utils")]
pub mod fuzz;
#[cfg(feature = "test-utils")]
mod generate;
#[cfg(feature = "test-utils")]
pub mod hash;
#[cfg(not(feature = "test-utils"))]
mod hash;
mod json;
#[cfg(feature = "test-utils")]
pub mod merkle;
mod post_exec;
mod prepared;
#[cfg(feature = "test-utils")]
pub mod reference;
#[cfg(feature = "test-utils")]
pub mod vectors;
mod view;

/// # The spec page
///
/// The contract this workspace implements, copied from the project's shared spec by
/// `scripts/sync-vectors.sh` (a test fails when the copy drifts). Every "spec page" in
/// these crates' docs links here. The normative SSZ schema, `schema.py`, follows it.
///
/// ---
///
#[doc = include_str!("../spec/flashblocks.md")]
///
/// ## `schema.py`
///
/// ```python
#[doc = include_str!("../spec/schema.py")]
/// ```
// The page is plain markdown written for a repository browser, not for rustdoc: its
// bracketed types (`Optional[T]`, which rustdoc reads as links) and unquoted identifiers
// stay as written.
#[allow(rustdoc::broken_intra_doc_links, clippy::doc_markdown)]
pub mod spec {}

pub use chain::{ChainMaker, CumulativeResults, FlashblockStep};
pub use chains::{ChainConfig, HardforkTimes};
pub use constants::{
    BYTES_PER_LOGS_BLOOM, DEPOSIT_TX_TYPE, MAX_ACCOUNTS_PER_FLASHBLOCK, MAX_BYTES_PER_CODE,
    MAX_BYTES_PER_TRANSACTION, MAX_EXTRA_DATA_BYTES, MAX_STORAGE_SLOTS_PER_ACCOUNT,
    MAX_TRANSACTIONS_PER_PAYLOAD, MAX_WITHDRAWALS_PER_PAYLOAD, VERSION_LEN, VERSION_V1,
};
pub use containers::{
    AccountMetadata, ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1,
    FlashblockMetadata, FlashblocksPayloadV1, StorageSlot, TransactionMetadata, Withdrawal,
};
pub use dialect::{Dialect, DialectChoice, DiffBlockHash, UnknownDialect};
pub use error::{CodecError, ReceiptIssue, SszError};
pub use executed::{ExecutedMetadata, ExecutedReceipt};
pub use flashblock::{Flashblock, FlashblockSource, Metadata, SealedFlashblock};
pub use frame::{frame_version, FrameBytes};
#[cfg(feature = "test-utils")]
pub use generate::{GeneratorConfig, SequenceGenerator};
#[cfg(feature = "test-utils")]
pub use json::decode_json_text;
pub use json::{
    FlashblockAccessList, FlashblockAccessListData, FlashblockId, FlashblockJson,
    InvalidFlashblockId, JsonDiff, JsonError, JsonErrorKind, JsonFrameEncoding, JsonFrameReader,
    JsonMessage, JsonMetadata, PayloadEnd, ReceiptStyle, V1Link, DEFAULT_MAX_JSON_LEN,
};
#[cfg(feature = "test-utils")]
pub use post_exec::post_exec_raw;
pub use post_exec::{PostExecTx, PostExecTxError};
#[cfg(feature = "test-utils")]
pub use prepared::recoveries;
pub use prepared::{
    PreparedTransaction, PreparedTransactions, RecoveredTransaction, TransactionDefect,
    PARALLEL_FROM,
};
pub use view::{
    AccountView, AccountsView, BaseView, PayloadViewV1, TransactionMetadataView, TransactionsView,
};

// Re-exported so users name the same versions of these as the public API does.
pub use alloy_rpc_types_engine::PayloadId;
pub use op_alloy_consensus::{
    PostExecPayload, SDMGasEntry, TxPostExec, POST_EXEC_PAYLOAD_VERSION, POST_EXEC_TX_TYPE_ID,
};
