//! # flashblocks-execute
//!
//! The pending state an OP Stack **Flashblocks** stream does not carry, by executing
//! each flashblock, proven against its claims (the
//! [spec page](flashblocks_types::spec)'s "Execution").
//!
//! Deployed streams carry no account state (`new_account_balances: {}`, `receipts: {}`,
//! or, in Base's Azul shape, neither map). An [`Executor`] executes each flashblock's new
//! transactions on the state the previous flashblock left, over the caller's state fixed
//! at a canonical block ([`CanonicalStates`]) or over its own post-state layer of a
//! preconfirmed parent, and yields what the flashblock changed as
//! [`ExecutedMetadata`](flashblocks_types::ExecutedMetadata): every changed account's
//! post-state and one full OP receipt per transaction. Each flashblock's execution is
//! proved against what it claims (cumulative gas, receipts root, logs bloom, carried
//! balances, nonces, code, slots and receipts); [`ExecutionCheck`] plugs this into the
//! validator as the optional check `execution_invalid`.
//!
//! ```
//! use flashblocks_execute::{ChainConfig, Executor, InMemoryStates};
//! use alloy_op_hardforks::OpHardfork;
//! use alloy_primitives::B256;
//!
//! // The caller's canonical states (here: none), and a chain running Isthmus.
//! let executor = Executor::new(ChainConfig::dev(901, OpHardfork::Isthmus), InMemoryStates::default());
//! assert!(executor.current().is_none());
//! # let _ = B256::ZERO;
//! ```
//!
//! ## Dependencies
//!
//! The EVM stack reth uses, pinned so that one stack resolves with alloy 2.5 /
//! op-alloy 2.0: `alloy-op-evm` 0.32 (the OP block executor: deposits, OP fee rules,
//! receipts), `alloy-evm` 0.33, `revm` 38 and `op-revm` 20, with pure-Rust precompiles
//! (no C builds); `alloy-op-hardforks` for the hardfork schedules. Nothing below this
//! crate compiles an EVM: execution reaches the other stages as plain data.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "test-utils")]
pub mod builder;
mod call;
mod check;
mod config;
mod error;
mod executor;
#[cfg(feature = "test-utils")]
pub mod fuzz;
mod memory;
mod proof;
mod run;
mod state;

pub use call::{CallOutcome, CallRequest};
pub use check::{Enforcement, ExecutionCheck, ExecutionReport, StateRootHook, MAX_REPORTS};
pub use config::ChainConfig;
pub use error::ExecuteError;
pub use executor::{Dropped, Execution, Executor, PendingState, DEFAULT_MAX_LAYERS};
pub use memory::{InMemoryAccount, InMemoryState, InMemoryStates};
pub use state::CanonicalStates;
