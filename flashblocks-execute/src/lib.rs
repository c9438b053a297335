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
//! use flashblocks_execute::{builder::{ExecutingBuilder, TxPlan}, CallRequest, Executor};
//! use alloy_op_hardforks::OpHardfork;
//!
//! // A builder (test support, feature `test-utils`) that executes what it sends ...
//! let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
//! let block = builder.next_block(&[vec![TxPlan::Deploy], vec![TxPlan::Call, TxPlan::Transfer]]);
//! // ... and a receiver holding the canonical state at the block's parent (genesis).
//! let mut executor = Executor::new(builder.config().clone(), builder.genesis_states());
//! for built in &block {
//!     // The stream as Base's Azul shape sends it: no balances, no receipts.
//!     let flashblock = built.json_stripped();
//!     let execution = executor.execute(&flashblock, flashblock.index() == 0)?;
//!     execution.proof().expect("gas, receipts root and logs bloom as claimed");
//!     assert_eq!(execution.metadata(), &built.executed); // the builder's exact facts
//!     executor.commit(execution);
//! }
//! // The pending state answers calls.
//! let contract = block[1].executed.receipts[0].contract_address.expect("deployed");
//! let call = CallRequest { to: Some(contract), input: vec![1; 32].into(), ..Default::default() };
//! assert!(executor.call(&call, None)?.success);
//! # Ok::<(), flashblocks_execute::ExecuteError>(())
//! ```
//!
//! **Lagoon.** An OP Subblocks stream carries, from Lagoon, the block so far's
//! post-exec transaction (`diff.post_exec_tx`, type `0x7D`; a subblock that omits it
//! leaves the last one). Each new transaction it names with a Sequencer-Defined
//! Metering refund is settled as part of its own state change ([`Settlement`]: gas
//! used = EVM gas − refund, `opGasRefund` on its receipt, the sender credited, the fee
//! recipient and the base fee and operator fee vaults debited); a refund that cannot
//! be settled is an execution mismatch (fact `GasRefund`). The receipts root proved is
//! that of the block as the builder would seal it now: its receipts, then the post-exec
//! transaction's (status 1, no logs, the cumulative gas before it). The block gas
//! limit bounds the gas before refunds (a transaction is admitted against the EVM's
//! total, as the optimism monorepo's executor does). The post-exec transaction itself
//! is never executed.
//!
//! Index 0 of a block whose parent is held nowhere answers
//! [`ExecuteError::ParentStateUnavailable`], never the state of a moving `latest`.
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
pub mod benchmark;
#[cfg(feature = "test-utils")]
pub mod builder;
mod cache;
mod call;
mod check;
mod config;
mod error;
mod executor;
mod fees;
#[cfg(feature = "test-utils")]
pub mod fuzz;
mod memory;
mod proof;
mod run;
mod settle;
mod state;

pub use cache::{StateCacheStats, DEFAULT_STATE_CACHE_BYTES};
pub use call::{CallOutcome, CallRequest, CanonicalCall};
pub use check::{
    Enforcement, ExecutionCheck, ExecutionReport, PendingSnapshots, StateRootHook, MAX_REPORTS,
};
pub use config::{evm_env, spec_at};
pub use error::ExecuteError;
pub use executor::{
    Dropped, Execution, Executor, PendingSnapshot, PendingState, DEFAULT_MAX_BLOCK_GAS_LIMIT,
    DEFAULT_MAX_LAYERS,
};
pub use flashblocks_types::ChainConfig;
pub use memory::{InMemoryAccount, InMemoryState, InMemoryStates};
pub use settle::{operator_fee_charge, Move, Settlement};
pub use state::{CanonicalStates, Prefetch};
