//! The Lagoon rules of the JSON dialects ([spec page](flashblocks_types::spec),
//! "Subblocks and the deployed dialects", `post_exec_tx`): `post_exec_in_transactions`,
//! `post_exec_inactive`, `post_exec_invalid`, `sdm_invalid`, `sdm_restated`, checked in
//! this order after the gas rules, against the block so far. The SSZ V1 stream runs none
//! of them (its vectors carry transactions that start with `0x7D`).
//!
//! What the block so far keeps for them ([`PostExecState`]): the latest post-exec
//! transaction (a subblock that omits the field leaves it as it was), the number of its
//! transactions, and where its deposits stand (an SDM entry names a non-deposit
//! transaction).

use crate::{ValidationError, ValidatorConfig};
use flashblocks_types::{
    CodecError, ExecutionPayloadStaticV1, Flashblock, PostExecTx, SDMGasEntry, DEPOSIT_TX_TYPE,
    POST_EXEC_TX_TYPE_ID,
};
use std::{ops::Range, sync::Arc};

/// Why a `diff.post_exec_tx` is `post_exec_invalid`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PostExecInvalid {
    /// It does not decode as a version-1 post-exec transaction (op-alloy's codec).
    Decode(CodecError),
    /// It is anchored to another block number than the block's.
    BlockNumber {
        /// The block's number.
        expected: u64,
        /// The payload's `blockNumber`.
        received: u64,
    },
}

impl core::fmt::Display for PostExecInvalid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Decode(e) => write!(f, "{e}"),
            Self::BlockNumber { expected, received } => {
                write!(f, "anchored to block {received}, not {expected}")
            }
        }
    }
}

/// Why an SDM list is `sdm_invalid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdmInvalid {
    /// No entries.
    Empty,
    /// An entry refunds nothing.
    ZeroRefund {
        /// The entry's transaction index.
        index: u64,
    },
    /// Indices not strictly increasing.
    NotIncreasing {
        /// The index before.
        previous: u64,
        /// The index that does not exceed it.
        index: u64,
    },
    /// An index past the block so far's transactions.
    NoSuchTransaction {
        /// The index.
        index: u64,
        /// The block so far's transaction count.
        transactions: u64,
    },
    /// An index that names a deposit.
    Deposit {
        /// The index.
        index: u64,
    },
}

impl core::fmt::Display for SdmInvalid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Empty => f.write_str("an empty refund list"),
            Self::ZeroRefund { index } => write!(f, "a zero refund for transaction {index}"),
            Self::NotIncreasing { previous, index } => {
                write!(f, "index {index} after {previous}: not strictly increasing")
            }
            Self::NoSuchTransaction { index, transactions } => {
                write!(f, "index {index}, but the block so far has {transactions} transactions")
            }
            Self::Deposit { index } => write!(f, "index {index} is a deposit"),
        }
    }
}

/// Why a restatement is `sdm_restated`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdmRestated {
    /// An entry of the earlier post-exec transaction is missing or changed.
    Changed {
        /// The earlier entry.
        earlier: SDMGasEntry,
        /// What stands in its place (`None`: removed).
        received: Option<SDMGasEntry>,
    },
    /// A new entry names a transaction of an earlier subblock.
    EarlierSubblock {
        /// The entry's transaction index.
        index: u64,
        /// The first transaction index of this subblock.
        first: u64,
    },
}

impl core::fmt::Display for SdmRestated {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Changed { earlier, received: Some(r) } => write!(
                f,
                "entry ({}, {}) of an earlier subblock restated as ({}, {})",
                earlier.index, earlier.gas_refund, r.index, r.gas_refund
            ),
            Self::Changed { earlier, received: None } => write!(
                f,
                "entry ({}, {}) of an earlier subblock removed",
                earlier.index, earlier.gas_refund
            ),
            Self::EarlierSubblock { index, first } => write!(
                f,
                "a new entry for transaction {index}, of an earlier subblock (this one starts at {first})"
            ),
        }
    }
}

/// What the block so far keeps for the Lagoon rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PostExecState {
    /// The latest post-exec transaction of the block.
    pub(crate) latest: Option<Arc<PostExecTx>>,
    /// The block's transactions so far.
    transactions: u64,
    /// Where the block's deposits stand, as ranges of transaction indices (deposits lead
    /// the block, so one range when the OP rules hold).
    deposits: Vec<Range<u64>>,
}

impl PostExecState {
    /// Takes an accepted flashblock in: its transactions, and its post-exec transaction
    /// when it carried one (decoded by [`check`]).
    pub(crate) fn apply(&mut self, fb: &Flashblock, post_exec: Option<Arc<PostExecTx>>) {
        for (i, tx) in fb.transactions().iter().enumerate() {
            if tx.first() == Some(&DEPOSIT_TX_TYPE) {
                let at = self.transactions.saturating_add(i as u64);
                match self.deposits.last_mut() {
                    Some(range) if range.end == at => range.end = at + 1,
                    _ => self.deposits.push(at..at + 1),
                }
            }
        }
        self.transactions = self.transactions.saturating_add(fb.transactions().len() as u64);
        if post_exec.is_some() {
            self.latest = post_exec;
        }
    }

    /// Whether transaction `index` of the block so far, with `fb`'s, is a deposit.
    fn is_deposit(&self, fb: &Flashblock, index: u64) -> bool {
        if index < self.transactions {
            let at = self.deposits.partition_point(|r| r.end <= index);
            return self.deposits.get(at).is_some_and(|r| r.contains(&index));
        }
        usize::try_from(index - self.transactions)
            .ok()
            .and_then(|i| fb.transactions().get(i))
            .is_some_and(|tx| tx.first() == Some(&DEPOSIT_TX_TYPE))
    }
}

/// The Lagoon rules for `fb` against the block so far (`state`; the default for an index
/// 0 that starts a block), `base` the block's. Returns the decoded post-exec transaction
/// `fb` carried, for [`PostExecState::apply`].
///
/// # Errors
///
/// The first rule broken, in the order of the module docs.
pub(crate) fn check(
    fb: &Flashblock,
    base: &ExecutionPayloadStaticV1,
    state: &PostExecState,
    config: &ValidatorConfig,
) -> Result<Option<Arc<PostExecTx>>, ValidationError> {
    if let Some(position) =
        fb.transactions().iter().position(|tx| tx.first() == Some(&POST_EXEC_TX_TYPE_ID))
    {
        return Err(ValidationError::PostExecInTransactions { position });
    }
    let Some(raw) = fb.post_exec_tx() else { return Ok(None) };
    if let Some(lagoon_time) = config.lagoon_time.filter(|t| base.timestamp < *t) {
        return Err(ValidationError::PostExecInactive { timestamp: base.timestamp, lagoon_time });
    }
    let post = PostExecTx::decode(raw.clone())
        .map_err(|e| ValidationError::PostExecInvalid(PostExecInvalid::Decode(e)))?;
    if post.block_number() != base.block_number {
        return Err(ValidationError::PostExecInvalid(PostExecInvalid::BlockNumber {
            expected: base.block_number,
            received: post.block_number(),
        }));
    }
    let entries = post.gas_refund_entries();
    let transactions = state.transactions.saturating_add(fb.transactions().len() as u64);
    check_list(entries, transactions, |index| state.is_deposit(fb, index))
        .map_err(ValidationError::SdmInvalid)?;
    check_restated(entries, state.latest.as_deref(), state.transactions)
        .map_err(ValidationError::SdmRestated)?;
    Ok(Some(Arc::new(post)))
}

/// `sdm_invalid`: a non-empty list of non-zero refunds, strictly increasing, each naming a
/// non-deposit transaction of the block so far (`transactions` of them).
fn check_list(
    entries: &[SDMGasEntry],
    transactions: u64,
    is_deposit: impl Fn(u64) -> bool,
) -> Result<(), SdmInvalid> {
    if entries.is_empty() {
        return Err(SdmInvalid::Empty);
    }
    let mut previous: Option<u64> = None;
    for entry in entries {
        let index = entry.index;
        if entry.gas_refund == 0 {
            return Err(SdmInvalid::ZeroRefund { index });
        }
        if let Some(previous) = previous.filter(|p| index <= *p) {
            return Err(SdmInvalid::NotIncreasing { previous, index });
        }
        if index >= transactions {
            return Err(SdmInvalid::NoSuchTransaction { index, transactions });
        }
        if is_deposit(index) {
            return Err(SdmInvalid::Deposit { index });
        }
        previous = Some(index);
    }
    Ok(())
}

/// `sdm_restated`: the earlier list is kept as it was, and every new entry names a
/// transaction of this subblock (from `first` on).
fn check_restated(
    entries: &[SDMGasEntry],
    earlier: Option<&PostExecTx>,
    first: u64,
) -> Result<(), SdmRestated> {
    let earlier = earlier.map_or(&[][..], PostExecTx::gas_refund_entries);
    for (i, kept) in earlier.iter().enumerate() {
        let received = entries.get(i);
        if received != Some(kept) {
            return Err(SdmRestated::Changed {
                earlier: kept.clone(),
                received: received.cloned(),
            });
        }
    }
    match entries.get(earlier.len()..).unwrap_or_default().iter().find(|e| e.index < first) {
        Some(entry) => Err(SdmRestated::EarlierSubblock { index: entry.index, first }),
        None => Ok(()),
    }
}
