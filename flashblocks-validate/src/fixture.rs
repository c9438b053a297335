//! The crate's own fixtures of rule 4's block-start window (feature `test-utils`): short
//! stream scripts whose steps the shared vectors have no room for (a canonical head, a
//! reconnect, an expected restart), and the flashblocks they name.
//!
//! One step a line; `#` starts a comment:
//!
//! ```text
//! fb 1000 0 accept              # index 0 of block 1000 (payload 0): accepted
//! fb 1000/1 0 accept            # index 0 of block 1000, another payload (a failover)
//! fb 990 0 restart 1000         # a restart; 1000 was the newest block seen
//! fb 999 0 reject stale_block   # a rejection, with its rule id
//! fb 1000 1 duplicate           # a resend
//! head 1000                     # the canonical head is now block 1000
//! reset_stream                  # the stream reconnected
//! pending 1001 1002             # (receiver) the overlay's pending blocks
//! pending                       # (receiver) none
//! state found                   # (receiver) a state read of the pending chain answers
//! state incomplete              # (receiver) state reads wait for the canonical chain
//! tx 1000 1 found               # (receiver) the transaction of `fb 1000 1` is preconfirmed
//! tx 1000/1 0 absent            # (receiver) that of `fb 1000/1 0` is not
//! payloads 2                    # (receiver) the finished payloads kept, then the current
//! ```
//!
//! The flashblocks are made by [`flashblock`]: valid V1 flashblocks with the OP rules'
//! deposit, one transaction each, and one account ([`ACCOUNT`]) whose balance is
//! `number * 100 + index`; block `n`'s parent hash is [`block_hash`]`(n - 1)` and its
//! `diff.block_hash` is [`block_hash`]`(n)`, so a canonical head `head n` reported with
//! that hash confirms or extends the pending chain.

use alloy_primitives::{Address, Bytes, B256, U256};
use flashblocks_types::{
    ChainMaker, CumulativeResults, ExecutionPayloadStaticV1, Flashblock, FlashblockMetadata,
    FlashblockStep, FlashblocksPayloadV1, PayloadId, SealedFlashblock, StorageSlot,
    TransactionMetadata, DEPOSIT_TX_TYPE,
};

/// The account every fixture flashblock sets.
pub const ACCOUNT: Address = Address::repeat_byte(0xaa);

/// What a frame step must answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Accepted (not a restart).
    Accept,
    /// A harmless resend.
    Duplicate,
    /// Accepted as rule 4's restart; the newest block seen before it.
    Restart(u64),
    /// Rejected with this rule id.
    Reject(String),
}

/// What a state read of the pending chain answers (receiver steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateRead {
    /// The preconfirmed value.
    Found,
    /// Waiting for the canonical chain (a gap or a missing block below).
    Incomplete,
}

/// One step of a fixture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Flashblock `index` of block `number`, payload `payload`, and its answer.
    Frame {
        /// The block number.
        number: u64,
        /// Which payload of that block (0, or another for a failover).
        payload: u8,
        /// The index.
        index: u64,
        /// The answer.
        expect: Expect,
    },
    /// The canonical head moved to block `0` (hash [`block_hash`]).
    Head(u64),
    /// The stream reconnected.
    ResetStream,
    /// (Receiver) the overlay's pending block numbers, oldest first.
    Pending(Vec<u64>),
    /// (Receiver) how a state read of the pending chain answers.
    State(StateRead),
    /// (Receiver) how many payloads the receiver holds (kept and current).
    Payloads(usize),
    /// (Receiver) whether the transaction of flashblock `index` of block `number`,
    /// payload `payload`, is preconfirmed.
    Transaction {
        /// The block number.
        number: u64,
        /// The payload.
        payload: u8,
        /// The index.
        index: u64,
        /// Found (true) or absent.
        found: bool,
    },
}

/// A fixture: its name and steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixture {
    /// The file's name without extension.
    pub name: String,
    /// The steps, with their line numbers.
    pub steps: Vec<(usize, Step)>,
}

/// Why a fixture line does not parse: its line number and text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: cannot read {text:?}")]
pub struct FixtureError {
    /// The line number (from 1).
    pub line: usize,
    /// The line.
    pub text: String,
}

/// Parses a fixture's text.
///
/// # Errors
///
/// [`FixtureError`] for the first line that is not a step.
pub fn parse(name: &str, text: &str) -> Result<Fixture, FixtureError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let error = || FixtureError { line: i + 1, text: raw.to_owned() };
        let words: Vec<&str> = line.split_whitespace().collect();
        let number_of = |word: &str| word.parse::<u64>().map_err(|_| error());
        let step = match words.as_slice() {
            ["head", n] => Step::Head(number_of(n)?),
            ["reset_stream"] => Step::ResetStream,
            ["pending", numbers @ ..] => {
                Step::Pending(numbers.iter().map(|n| number_of(n)).collect::<Result<_, _>>()?)
            }
            ["state", "found"] => Step::State(StateRead::Found),
            ["state", "incomplete"] => Step::State(StateRead::Incomplete),
            ["payloads", n] => Step::Payloads(n.parse().map_err(|_| error())?),
            ["tx", block, index, found @ ("found" | "absent")] => {
                let (number, payload) = block_and_payload(block).ok_or_else(error)?;
                Step::Transaction {
                    number,
                    payload,
                    index: number_of(index)?,
                    found: *found == "found",
                }
            }
            ["fb", block, index, rest @ ..] => {
                let (number, payload) = block_and_payload(block).ok_or_else(error)?;
                let expect = match rest {
                    ["accept"] => Expect::Accept,
                    ["duplicate"] => Expect::Duplicate,
                    ["restart", newest] => Expect::Restart(number_of(newest)?),
                    ["reject", rule] => Expect::Reject((*rule).to_owned()),
                    _ => return Err(error()),
                };
                Step::Frame { number, payload, index: number_of(index)?, expect }
            }
            _ => return Err(error()),
        };
        steps.push((i + 1, step));
    }
    Ok(Fixture { name: name.to_owned(), steps })
}

/// `1000` or `1000/1`: a block number and a payload.
fn block_and_payload(word: &str) -> Option<(u64, u8)> {
    match word.split_once('/') {
        Some((number, payload)) => Some((number.parse().ok()?, payload.parse().ok()?)),
        None => Some((word.parse().ok()?, 0)),
    }
}

/// The hash fixture block `number` is known by (its `diff.block_hash`, and its
/// successor's `base.parent_hash`).
pub fn block_hash(number: u64) -> B256 {
    B256::from(U256::from(number) | (U256::from(0xb10c_u64) << 200))
}

/// Flashblock `index` of fixture block `number`, payload `payload` (the flashblocks
/// before it in the same block are made too, for the `parent_flash_hash` chain).
pub fn flashblock(number: u64, payload: u8, index: u64) -> Flashblock {
    Flashblock::from_sealed_v1(sealed(number, payload, index))
}

/// As [`flashblock`], the V1 payload (to change before it is sealed).
pub fn payload(number: u64, payload: u8, index: u64) -> FlashblocksPayloadV1 {
    sealed(number, payload, index).into_inner()
}

fn sealed(number: u64, payload: u8, index: u64) -> SealedFlashblock {
    let mut id = number.to_be_bytes();
    id[0] ^= payload;
    let base = ExecutionPayloadStaticV1 {
        parent_hash: block_hash(number.saturating_sub(1)),
        block_number: number,
        gas_limit: 30_000_000,
        timestamp: 1_700_000_000 + number * 2,
        base_fee_per_gas: U256::from(7),
        ..Default::default()
    };
    let mut maker = ChainMaker::new(PayloadId::new(id), base);
    let mut made = None;
    for i in 0..=index {
        let mut tx = vec![if i == 0 { DEPOSIT_TX_TYPE } else { 0x02 }, payload];
        tx.extend_from_slice(&number.to_be_bytes());
        tx.extend_from_slice(&i.to_be_bytes());
        let step = FlashblockStep {
            transactions: vec![Bytes::from(tx)],
            withdrawals: Vec::new(),
            results: CumulativeResults {
                gas_used: 21_000 * (i + 1),
                block_hash: block_hash(number),
                ..Default::default()
            },
            metadata: FlashblockMetadata {
                accounts: vec![flashblocks_types::AccountMetadata {
                    address: ACCOUNT,
                    balance: Some(U256::from(number * 100 + i)),
                    nonce: number,
                    code: None,
                    storage_slots: vec![StorageSlot {
                        key: B256::with_last_byte(1),
                        value: B256::from(U256::from(number)),
                    }],
                }],
                transactions: vec![TransactionMetadata {
                    status: 1,
                    gas_used: 21_000,
                    contract_address: None,
                }],
            },
        };
        made = Some(maker.push(step));
    }
    made.unwrap_or_else(|| unreachable!("index 0 is made"))
}

/// The fixtures of rule 4 in this crate's `tests/fixtures/rule4/` directory, by name.
///
/// # Panics
///
/// When the directory or a file cannot be read or parsed (a broken fixture).
#[allow(clippy::unwrap_used)] // a broken fixture is a test failure
pub fn rule4_fixtures() -> Vec<Fixture> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rule4");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy();
            let text = std::fs::read_to_string(p).unwrap();
            parse(&name, &text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}
