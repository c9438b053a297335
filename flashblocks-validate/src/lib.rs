//! # flashblocks-validate
//!
//! The validity rules of OP Stack **Flashblocks** as a sequence state machine: every
//! rule of the project's [spec page](flashblocks_types::spec) ("Validity rules"), each its
//! own [`ValidationError`] variant carrying the facts, checked in the page's order (a
//! flashblock that breaks several rules is rejected with the first).
//!
//! A [`Validator`] holds one block at a time. Fed one flashblock at a time (the
//! [`Flashblock`](flashblocks_types::Flashblock) input model, or a raw SSZ frame), it
//! answers [`Outcome::Accepted`] with an [`AcceptedFlashblock`], the token the later
//! stages take (the flashblock, whether it started a block, what the extra checks produced),
//! [`Outcome::Duplicate`] (a resend with the same identity: harmless) or a rejection,
//! which leaves the validator and its extra checks exactly as before, so the correct
//! next flashblock is still accepted.
//!
//! ```
//! use flashblocks_types::{GeneratorConfig, SequenceGenerator};
//! use flashblocks_validate::{Validator, ValidatorConfig};
//!
//! let mut generator = SequenceGenerator::new(1, GeneratorConfig::default());
//! let mut validator = Validator::new(ValidatorConfig::default().with_max_flashblocks_per_block(8));
//! for _ in 0..3 {
//!     for fb in generator.next_block() {
//!         let validated = validator.validate_frame(&fb.encode_ssz())?;
//!         assert!(validated.outcome.is_accepted());
//!     }
//! }
//! // A replayed frame of an older block is a typed rejection, not a reset.
//! let mut old = SequenceGenerator::new(1, GeneratorConfig::default());
//! let err = validator.validate_frame(&old.next_block()[0].encode_ssz()).unwrap_err();
//! assert_eq!(err.rule_id(), "stale_block");
//! # Ok::<(), flashblocks_validate::ValidationError>(())
//! ```
//!
//! ## Rules, in the order they are checked
//!
//! | layer ([spec page](flashblocks_types::spec) step) | needs | rule ids ([`ValidationError`] variant) |
//! | --- | --- | --- |
//! | 1. frame | the bytes | `malformed` ([`Malformed`](ValidationError::Malformed)), `unknown_version` ([`UnknownVersion`](ValidationError::UnknownVersion)) |
//! | 2. resend | the accepted roots | `equivocation` ([`Equivocation`](ValidationError::Equivocation)); a same-identity resend is [`Outcome::Duplicate`] |
//! | 3. the flashblock alone | nothing (stateless) | `missing_base`, `unexpected_parent_hash`, `missing_parent_hash`, `metadata_count_mismatch`, `duplicate_account`, `storage_keys_unsorted`, `invalid_status`, `empty_transaction`, then the OP rules `missing_l1_info_deposit`, `deposit_misplaced`, `withdrawals_not_empty` |
//! | 4. block start | the canonical head the caller keeps, the newest block seen since the last restart | `stale_block`, `too_far_ahead`; far below the newest: a restart ([`BlockStart::Restart`]) |
//! | 5. along the block | the current block | `not_started`, `payload_id_mismatch`, `index_gap`, `parent_hash_mismatch`, `unexpected_base`, `too_many_flashblocks` |
//! | 6. gas | the previous cumulative gas | `gas_decreased`, `gas_over_limit`, `gas_accounting_mismatch` |
//! | 6b. Lagoon (JSON dialects) | the block so far: its transactions, deposits and latest post-exec transaction; the Lagoon time ([`ValidatorConfig::lagoon_time`]) | `post_exec_in_transactions`, `post_exec_inactive`, `post_exec_invalid` ([`PostExecInvalid`]), `sdm_invalid` ([`SdmInvalid`]), `sdm_restated` ([`SdmRestated`]); the accepted one travels in the token ([`AcceptedFlashblock::post_exec_tx`]) |
//! | 7. optional | the tip; the block so far (kept by the check) | `head_mismatch`, `block_hash_mismatch`, `execution_invalid` |
//!
//! [`ValidationError::rule_id`] gives each variant's id ([`RULE_IDS`] lists them in
//! this order); each variant is named after its id in `UpperCamelCase`.
//!
//! ## Decisions beyond upstream
//!
//! As the [spec page](flashblocks_types::spec) decides (and it wins over the upstream text): a new
//! `payload_id` at the same height is a builder failover that replaces the block
//! ([`BlockStart::Failover`]); a higher one starts the next block ([`BlockStart::Next`]);
//! after a reorg the caller calls [`Validator::reset`]. Rule 4's window keeps a stream
//! from being locked out by a replay, a pause or one far-off frame: with B the new
//! block's number, H the canonical head the caller keeps
//! ([`Validator::set_canonical_head`]) and C the newest block seen since the last restart
//! or [`reset`](Validator::reset) (kept across [`reset_stream`](Validator::reset_stream),
//! since mirrors replay after a reconnect):
//!
//! | B | outcome |
//! | --- | --- |
//! | B ≤ H | `stale_block` |
//! | B > H + [`max_blocks_ahead`](ValidatorConfig::max_blocks_ahead) (64) | `too_far_ahead` |
//! | C - [`max_replay_distance`](ValidatorConfig::max_replay_distance) (4) ≤ B < C | `stale_block` (an old index 0 replayed) |
//! | B < C - `max_replay_distance` | accepted as a restart ([`BlockStart::Restart`]): the validator and its checks start afresh, and the caller resets its later stages |
//! | B ≥ C | a new block, as usual (a gap when B > C + 1) |
//! Two flashblocks are the same when their
//! [`identity`](flashblocks_types::Flashblock::identity) is (the `hash_tree_root` for V1).
//!
//! Two choices of this crate where the page is silent: a configured bound of 0 rejects
//! even an index 0 (`too_many_flashblocks`, checked where step 5 would check it); and a
//! decoded flashblock whose source is not the stream's is rejected before any rule as
//! `source_mismatch` ([`ValidationError::SourceMismatch`]).
//!
//! ## Rule sets
//!
//! A stream is configured as V1 or JSON ([`RuleSet`]), never guessed; a flashblock of
//! the other source is rejected (`source_mismatch`). The JSON rule set drops the hash
//! chain and the metadata rules; [`Validator::rule_set`] says which one runs.
//!
//! ## Optional checks
//!
//! Off by default. The head check runs while a [`Tip`] is set ([`Validator::set_tip`]);
//! extra checks (the assembler's block-hash check, a caller's execution check) implement
//! [`FlashblockCheck`] and are added with [`Validator::with_check`].
//!
//! ## Memory
//!
//! The validator keeps the current block's `base`, its cumulative gas and one 32-byte
//! root per accepted flashblock, at most the configured bound; nothing grows with the
//! number of blocks seen.
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
// Input reaches the library code: no unwrap, no unchecked indexing there.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::indexing_slicing))]

mod check;
mod config;
mod dialect;
mod error;
mod execution;
#[cfg(feature = "test-utils")]
pub mod fixture;
#[cfg(feature = "test-utils")]
pub mod fuzz;
#[cfg(feature = "test-utils")]
pub mod fuzz_post_exec;
mod post_exec;
mod rules;
mod validator;

pub use check::{CheckFailure, CheckOutput, FlashblockCheck};
pub use config::{
    max_flashblocks_per_block, RuleSet, Tip, ValidatorConfig, DEFAULT_MAX_BLOCKS_AHEAD,
    DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK, DEFAULT_MAX_REPLAY_DISTANCE,
};
pub use dialect::{PayloadEnded, PrevBlockLink};
pub use error::{StaleBy, ValidationError, RULE_IDS};
pub use execution::{
    ExecutedFact, ExecutionMismatch, FactSubject, FactValue, TransactionRejection,
};
pub use post_exec::{PostExecInvalid, SdmInvalid, SdmRestated};
pub use validator::{AcceptedFlashblock, BlockStart, CurrentBlock, Outcome, Validated, Validator};
