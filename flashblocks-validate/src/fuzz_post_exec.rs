//! The body of the cargo-fuzz target `post_exec` (in `fuzz/`): `diff.post_exec_tx`
//! decoding and the Lagoon rules (feature `test-utils`), kept here so that `cargo test`
//! runs it over the checked-in corpus on stable.
//!
//! Two parts, chosen by the input's first byte:
//!
//! - **decode**: the rest is a `post_exec_tx` as sent. [`PostExecTx::decode`] never
//!   panics; what it accepts is version 1, keeps the bytes, hashes them, and is exactly
//!   op-alloy's encoding of the payload it decoded (a round trip);
//! - **rules**: the rest drives a block of OP Subblocks (a generated block as JSON),
//!   each subblock with no `post_exec_tx`, raw bytes from the input, or a refund list
//!   built from the input (often the block's latest one with entries appended, so that
//!   acceptance is reached). The answers are held to the rules restated here, apart
//!   from the validator's code: a rejection changes nothing; an accepted post-exec is
//!   version 1, anchored to the block, its entries non-empty, non-zero, strictly
//!   increasing, each a non-deposit transaction of the block so far, the earlier latest
//!   a prefix of it and every new entry a transaction of its own subblock; an omitted
//!   one leaves the latest as it was.

use crate::{Validator, ValidatorConfig};
use alloy_primitives::{keccak256, Bytes};
use flashblocks_types::{
    Dialect, DialectChoice, Flashblock, FlashblockJson, GeneratorConfig, PostExecTx, SDMGasEntry,
    SequenceGenerator, TxPostExec, DEPOSIT_TX_TYPE, POST_EXEC_PAYLOAD_VERSION,
};
use std::sync::{Arc, OnceLock};

/// What one run reached (for the corpus test: that it reaches every answer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PostExecStats {
    /// Post-exec transactions that decoded.
    pub decoded: u64,
    /// Subblocks accepted with a post-exec transaction.
    pub accepted_with: u64,
    /// Subblocks rejected.
    pub rejected: u64,
}

/// Runs one input.
///
/// # Panics
///
/// When a property does not hold: that is a finding.
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // a panic is the finding
pub fn post_exec(data: &[u8]) -> PostExecStats {
    let Some((&mode, rest)) = data.split_first() else { return PostExecStats::default() };
    if mode & 1 == 0 {
        return decode(rest);
    }
    rules(mode, rest)
}

#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
fn decode(raw: &[u8]) -> PostExecStats {
    let Ok(post) = PostExecTx::decode(Bytes::copy_from_slice(raw)) else {
        return PostExecStats::default();
    };
    assert_eq!(post.raw().as_ref(), raw);
    assert_eq!(post.hash(), keccak256(raw));
    assert_eq!(post.payload().version, POST_EXEC_PAYLOAD_VERSION);
    let again = TxPostExec::new(post.payload().clone());
    assert_eq!(raw.first(), Some(&flashblocks_types::POST_EXEC_TX_TYPE_ID));
    assert_eq!(again.input.as_ref(), &raw[1..], "not op-alloy's encoding of what it decoded");
    assert_eq!(again.tx_hash(), post.hash());
    PostExecStats { decoded: 1, ..PostExecStats::default() }
}

/// The generated block, as OP Subblocks JSON (made once).
fn block() -> &'static [FlashblockJson] {
    static BLOCK: OnceLock<Vec<FlashblockJson>> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let shape = GeneratorConfig {
            flashblocks_per_block: 6,
            transactions_per_flashblock: 3,
            transaction_size: 8,
            accounts_per_flashblock: 1,
            slots_per_account: 1,
            gas_limit: 30_000_000,
        };
        let block = SequenceGenerator::new(21, shape).next_block();
        let number = block.first().and_then(|fb| fb.base.as_ref()).map_or(0, |b| b.block_number);
        block.iter().map(|fb| FlashblockJson::from_v1_lossy(fb, number)).collect()
    })
}

/// Reads the input a byte at a time (0 past its end).
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn bytes(&mut self, len: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        head
    }
}

#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // a panic is the finding
fn rules(mode: u8, rest: &[u8]) -> PostExecStats {
    let block = block();
    let number = block[0].base.as_ref().unwrap().block_number;
    let timestamp = block[0].base.as_ref().unwrap().timestamp;
    let lagoon_time = match mode >> 6 {
        0 => None,
        1 => Some(0),
        2 => Some(timestamp),
        _ => Some(timestamp + 1),
    };
    let mut v = Validator::new(
        ValidatorConfig::json()
            .with_dialect(DialectChoice::Fixed(Dialect::Subblocks))
            .with_lagoon_time(lagoon_time),
    );
    let mut input = Input(rest);
    let mut stats = PostExecStats::default();
    // The model: the block's transactions so far (is each a deposit) and its latest.
    let mut deposits: Vec<bool> = Vec::new();
    let mut latest: Option<Arc<PostExecTx>> = None;
    for json in block {
        let mut taken = false;
        for _attempt in 0..3 {
            let mut json = json.clone();
            let first = deposits.len() as u64;
            let total = first + json.diff.transactions.len() as u64;
            let choice = input.byte();
            json.diff.post_exec_tx = match choice % 5 {
                0 => None,
                1 => {
                    let len = usize::from(input.byte());
                    Some(Bytes::copy_from_slice(input.bytes(len)))
                }
                kind => {
                    let mut entries = if kind == 4 {
                        latest.as_ref().map(|l| l.gas_refund_entries().to_vec()).unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    for _ in 0..input.byte() % 4 {
                        let index = match input.byte() % 3 {
                            0 => first + u64::from(input.byte()) % (total - first + 1),
                            1 => u64::from(input.byte()) % (total + 2),
                            _ => u64::from(input.byte()) << 56,
                        };
                        let gas_refund = u64::from(input.byte() % 8);
                        entries.push(SDMGasEntry { index, gas_refund });
                    }
                    let version = if choice >> 7 == 1 { input.byte() } else { 1 };
                    let anchored = if choice & 0x40 != 0 { number + 1 } else { number };
                    let pairs: Vec<(u64, u64)> =
                        entries.iter().map(|e| (e.index, e.gas_refund)).collect();
                    Some(flashblocks_types::post_exec_raw(version, anchored, &pairs))
                }
            };
            let before = v.current_block().cloned();
            let carried = json.diff.post_exec_tx.clone();
            match v.validate(Flashblock::from_json(json.clone())) {
                Err(_) => {
                    assert_eq!(v.current_block(), before.as_ref(), "a rejection moved the state");
                    stats.rejected += 1;
                }
                Ok(outcome) => {
                    let token = outcome.accepted().expect("no resend here").clone();
                    let got = token.post_exec_tx().cloned();
                    deposits.extend(
                        json.diff
                            .transactions
                            .iter()
                            .map(|tx| tx.first() == Some(&DEPOSIT_TX_TYPE)),
                    );
                    match carried {
                        None => assert_eq!(got, latest, "an omitted post_exec_tx changed it"),
                        Some(raw) => {
                            let post = got.clone().expect("carried, so the token has it");
                            assert_eq!(post.raw(), &raw);
                            check_accepted(&post, latest.as_deref(), number, first, &deposits);
                            assert!(lagoon_time.is_none_or(|t| timestamp >= t), "inactive");
                            stats.accepted_with += 1;
                        }
                    }
                    latest = got;
                    taken = true;
                    break;
                }
            }
        }
        if !taken {
            // Not accepted in three tries: the block ends here.
            break;
        }
    }
    stats
}

/// The rules, restated: what an accepted post-exec transaction must be.
#[allow(clippy::indexing_slicing)] // a panic is the finding
fn check_accepted(
    post: &PostExecTx,
    earlier: Option<&PostExecTx>,
    number: u64,
    first: u64,
    deposits: &[bool],
) {
    assert_eq!(post.payload().version, POST_EXEC_PAYLOAD_VERSION);
    assert_eq!(post.block_number(), number, "anchored to another block");
    let entries = post.gas_refund_entries();
    assert!(!entries.is_empty(), "empty");
    for pair in entries.windows(2) {
        assert!(pair[0].index < pair[1].index, "not strictly increasing");
    }
    for entry in entries {
        assert!(entry.gas_refund > 0, "zero refund");
        let at = usize::try_from(entry.index).expect("small");
        assert!(at < deposits.len(), "past the block so far");
        assert!(!deposits[at], "a deposit");
    }
    let earlier = earlier.map_or(&[][..], PostExecTx::gas_refund_entries);
    assert!(entries.starts_with(earlier), "an earlier entry changed or went");
    assert!(entries[earlier.len()..].iter().all(|e| e.index >= first), "reaches back");
}
