//! [`ValidationError`]: one variant per rule id of the [spec page](flashblocks_types::spec).

use crate::{CheckFailure, ExecutionMismatch, RuleSet, Tip};
use alloy_primitives::{Address, FixedBytes, B256};
use flashblocks_types::{CodecError, ExecutionPayloadStaticV1, FlashblockSource, PayloadId};

/// The rule ids of the [spec page](flashblocks_types::spec) ("Validity rules"), in the order they are checked, as
/// the conformance vectors name them; then the optional checks' ids.
pub const RULE_IDS: [&str; 36] = [
    "malformed",
    "unknown_version",
    "equivocation",
    "missing_base",
    "unexpected_parent_hash",
    "missing_parent_hash",
    "metadata_count_mismatch",
    "duplicate_account",
    "storage_keys_unsorted",
    "invalid_status",
    "empty_transaction",
    "missing_l1_info_deposit",
    "deposit_misplaced",
    "withdrawals_not_empty",
    "stale_block",
    "too_far_ahead",
    "not_started",
    "payload_id_mismatch",
    "block_number_mismatch",
    "payload_ended",
    "index_gap",
    "prev_flash_id_mismatch",
    "parent_hash_mismatch",
    "unexpected_base",
    "too_many_flashblocks",
    "gas_decreased",
    "gas_over_limit",
    "gas_accounting_mismatch",
    "post_exec_in_transactions",
    "post_exec_inactive",
    "post_exec_invalid",
    "sdm_invalid",
    "sdm_restated",
    "head_mismatch",
    "block_hash_mismatch",
    "execution_invalid",
];

/// The rules a JSON stream does not run ([spec page](flashblocks_types::spec), "JSON-stream rule set").
pub(crate) const JSON_OFF_RULES: [&str; 9] = [
    "unknown_version",
    "unexpected_parent_hash",
    "missing_parent_hash",
    "parent_hash_mismatch",
    "metadata_count_mismatch",
    "duplicate_account",
    "storage_keys_unsorted",
    "invalid_status",
    "gas_accounting_mismatch",
];

/// The rules only the JSON dialects run ([spec page](flashblocks_types::spec),
/// "Subblocks and the deployed dialects"): the SSZ V1 stream is unaffected.
pub(crate) const JSON_ONLY_RULES: [&str; 8] = [
    "block_number_mismatch",
    "payload_ended",
    "prev_flash_id_mismatch",
    "post_exec_in_transactions",
    "post_exec_inactive",
    "post_exec_invalid",
    "sdm_invalid",
    "sdm_restated",
];

/// Why a flashblock was rejected: the first rule it breaks, in the [spec page](flashblocks_types::spec)'s order.
///
/// Each variant is one rule id (see [`rule_id`](Self::rule_id)) and carries the facts.
/// [`SourceMismatch`](Self::SourceMismatch) is this crate's addition: a flashblock of
/// the other format than the stream is configured for (`source_mismatch`), checked
/// before any rule.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// `source_mismatch`: the flashblock's format is not the stream's.
    #[error("a {received} flashblock on a stream configured for the {expected} rule set")]
    SourceMismatch {
        /// The stream's rule set.
        expected: RuleSet,
        /// Where the flashblock came from.
        received: FlashblockSource,
    },
    /// `malformed`: fewer than 4 bytes, or V1 bytes that do not decode; on a JSON
    /// stream, a frame that is not a JSON flashblock (plain or brotli) within the cap.
    #[error("malformed flashblock: {0}")]
    Malformed(CodecError),
    /// `unknown_version`: the frame's first 4 bytes are not `0x00000001`.
    #[error("unknown flashblock version {version}")]
    UnknownVersion {
        /// The version bytes read.
        version: FixedBytes<4>,
    },
    /// `equivocation`: a different flashblock for an index of the current block that
    /// was already accepted.
    #[error("equivocation at index {index}: accepted {accepted}, received {received}")]
    Equivocation {
        /// The index.
        index: u64,
        /// The identity of the accepted flashblock.
        accepted: B256,
        /// The identity of the conflicting one.
        received: B256,
    },
    /// `missing_base`: index 0 without `base`.
    #[error("index 0 of payload {payload_id} has no base")]
    MissingBase {
        /// The flashblock's payload id.
        payload_id: PayloadId,
    },
    /// `unexpected_parent_hash`: index 0 with a `parent_flash_hash`.
    #[error("index 0 carries parent_flash_hash {parent_flash_hash}")]
    UnexpectedParentHash {
        /// The hash it carries.
        parent_flash_hash: B256,
    },
    /// `missing_parent_hash`: an index above 0 without `parent_flash_hash`.
    #[error("index {index} has no parent_flash_hash")]
    MissingParentHash {
        /// The index.
        index: u64,
    },
    /// `metadata_count_mismatch`: not one `TransactionMetadata` per transaction.
    #[error("{transactions} transactions but {metadata} transaction metadata entries")]
    MetadataCountMismatch {
        /// The number of transactions.
        transactions: usize,
        /// The number of `TransactionMetadata` entries.
        metadata: usize,
    },
    /// `duplicate_account`: an address twice in `metadata.accounts`.
    #[error("account {address} appears twice in the metadata")]
    DuplicateAccount {
        /// The repeated address.
        address: Address,
    },
    /// `storage_keys_unsorted`: storage keys not strictly ascending (bytewise).
    #[error("storage keys of {address} not strictly ascending: {key} after {previous}")]
    StorageKeysUnsorted {
        /// The account.
        address: Address,
        /// The key before the offending one.
        previous: B256,
        /// The offending key (equal to or below `previous`).
        key: B256,
    },
    /// `invalid_status`: a transaction status other than 0 or 1.
    #[error("transaction {position} has status {status}")]
    InvalidStatus {
        /// The transaction's position in this flashblock.
        position: usize,
        /// The status.
        status: u8,
    },
    /// `empty_transaction`: a zero-length transaction.
    #[error("transaction {position} is empty")]
    EmptyTransaction {
        /// The transaction's position in this flashblock.
        position: usize,
    },
    /// `missing_l1_info_deposit`: index 0 does not start with a deposit (`0x7E`).
    #[error("index 0 does not start with the L1-info deposit ({})", first_type_text(*.first_type))]
    MissingL1InfoDeposit {
        /// The first byte of the first transaction; `None` when there is none.
        first_type: Option<u8>,
    },
    /// `deposit_misplaced`: a deposit after a non-deposit at index 0, or any deposit at
    /// index above 0.
    #[error("deposit at position {position} of index {index}")]
    DepositMisplaced {
        /// The flashblock's index.
        index: u64,
        /// The deposit's position in this flashblock.
        position: usize,
    },
    /// `withdrawals_not_empty`: OP Stack blocks carry no withdrawals.
    #[error("{count} withdrawals on an OP Stack flashblock")]
    WithdrawalsNotEmpty {
        /// The number of withdrawals.
        count: usize,
    },
    /// `stale_block`: a block start at or below the canonical head the caller keeps, or
    /// an old index 0 replayed (at most `max_replay_distance` below the newest block
    /// seen since the last restart).
    #[error("stale block {received}: {by}")]
    StaleBlock {
        /// The flashblock's `base.block_number`.
        received: u64,
        /// What it is stale against.
        by: StaleBy,
    },
    /// `too_far_ahead`: a block start more than `max_blocks_ahead` above the canonical
    /// head the caller keeps.
    #[error(
        "block {received} is more than {max_blocks_ahead} above the canonical head {canonical}"
    )]
    TooFarAhead {
        /// The flashblock's `base.block_number`.
        received: u64,
        /// The canonical head's number.
        canonical: u64,
        /// The configured distance.
        max_blocks_ahead: u64,
    },
    /// `not_started`: an index above 0 while no block is current.
    #[error("index {index} of payload {payload_id} before any index 0")]
    NotStarted {
        /// The flashblock's payload id.
        payload_id: PayloadId,
        /// Its index.
        index: u64,
    },
    /// `payload_id_mismatch`: an index above 0 of another payload than the current one.
    #[error("payload id {received}, the current block is {expected}")]
    PayloadIdMismatch {
        /// The current block's payload id.
        expected: PayloadId,
        /// The flashblock's.
        received: PayloadId,
    },
    /// `block_number_mismatch` (JSON dialects): a `metadata.block_number` other than the
    /// block's (at index 0, its own `base.block_number`).
    #[error("metadata.block_number {received}, the block is {expected}")]
    BlockNumberMismatch {
        /// The block's number.
        expected: u64,
        /// The flashblock's `metadata.block_number`.
        received: u64,
    },
    /// `payload_ended` (X Layer): an index of a payload whose `PayloadEnd` was received.
    #[error(
        "index {index} of payload {payload_id}, whose sequence ended at {ended_at} flashblocks"
    )]
    PayloadEnded {
        /// The payload.
        payload_id: PayloadId,
        /// The flashblock's index.
        index: u64,
        /// The flashblocks the payload had when it ended.
        ended_at: u64,
    },
    /// `prev_flash_id_mismatch` (Base): at index > 0, a `metadata.prev_flashblock_id`
    /// other than `"<block>-<index - 1>"`.
    #[error("prev_flashblock_id {received}, expected {expected}")]
    PrevFlashIdMismatch {
        /// `"<block>-<index - 1>"`.
        expected: flashblocks_types::FlashblockId,
        /// What the flashblock names.
        received: flashblocks_types::FlashblockId,
    },
    /// `index_gap`: an index other than the next one.
    #[error("index {received}, expected {expected}")]
    IndexGap {
        /// The next index.
        expected: u64,
        /// The flashblock's index.
        received: u64,
    },
    /// `parent_hash_mismatch`: `parent_flash_hash` is not the root of the last accepted
    /// flashblock.
    #[error("parent_flash_hash {received}, expected {expected}")]
    ParentHashMismatch {
        /// The root of the last accepted flashblock.
        expected: B256,
        /// The flashblock's `parent_flash_hash`.
        received: B256,
    },
    /// `unexpected_base`: an index above 0 with a `base` other than the block's.
    #[error("index {index} carries a base that differs from the block's")]
    UnexpectedBase {
        /// The index.
        index: u64,
        /// The block's base.
        expected: Box<ExecutionPayloadStaticV1>,
        /// The flashblock's.
        received: Box<ExecutionPayloadStaticV1>,
    },
    /// `too_many_flashblocks`: an index at or above the configured bound.
    #[error("index {index} is at or above the bound of {max} flashblocks per block")]
    TooManyFlashblocks {
        /// The index.
        index: u64,
        /// The configured bound.
        max: u64,
    },
    /// `gas_decreased`: the cumulative `gas_used` went down.
    #[error("gas_used {received} is below the previous {previous}")]
    GasDecreased {
        /// The previous cumulative gas (0 at index 0).
        previous: u64,
        /// The flashblock's `gas_used`.
        received: u64,
    },
    /// `gas_over_limit`: the cumulative `gas_used` is above `base.gas_limit`.
    #[error("gas_used {gas_used} is above the gas limit {gas_limit}")]
    GasOverLimit {
        /// The flashblock's `gas_used`.
        gas_used: u64,
        /// The block's gas limit.
        gas_limit: u64,
    },
    /// `gas_accounting_mismatch`: the increase of `gas_used` is not the sum of the
    /// transactions' `gas_used`.
    #[error("gas_used rose by {increase}, the transactions' gas sums to {}", sum_text(*.metadata_sum))]
    GasAccountingMismatch {
        /// The increase of the cumulative gas.
        increase: u64,
        /// The sum over this flashblock's `TransactionMetadata`, `None` when it
        /// overflows.
        metadata_sum: Option<u64>,
    },
    /// `head_mismatch`: the new block does not extend the caller's tip.
    #[error("block {number} (parent {parent_hash}, time {timestamp}) does not extend tip {tip}")]
    HeadMismatch {
        /// The tip it must extend.
        tip: Tip,
        /// The new block's `base.parent_hash`.
        parent_hash: B256,
        /// Its `base.block_number`.
        number: u64,
        /// Its `base.timestamp`.
        timestamp: u64,
    },
    /// `block_hash_mismatch`: an extra check rebuilt the header and its hash differs.
    #[error("block hash mismatch: computed {computed}, claimed {claimed}")]
    BlockHashMismatch {
        /// The hash of the rebuilt header.
        computed: B256,
        /// The flashblock's `diff.block_hash`.
        claimed: B256,
    },
    /// `malformed`: a list longer than its limit in the spec page's containers (a JSON
    /// flashblock, whose decoder does not bound its lists as SSZ decoding does: more than
    /// 2^20 transactions, 16 withdrawals or 2^20 balances).
    #[error("{len} {list}, above the limit {max}")]
    ListTooLong {
        /// Which list.
        list: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `payload_list_too_long` (this crate's addition): the block's transactions or
    /// withdrawals with this flashblock's would exceed the execution payload's list
    /// limits (2^20 transactions, 16 withdrawals), which no assembled payload can hold.
    #[error("{count} {list} in the block, above the payload's limit {max}")]
    PayloadListTooLong {
        /// Which list.
        list: &'static str,
        /// The block's count with this flashblock's.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// `receipt_without_transaction` (this crate's addition, JSON streams): a receipt in
    /// `metadata.receipts` under the hash of no transaction of the flashblock, which no
    /// later stage could use or would keep.
    #[error("receipt for {hash}, a transaction this flashblock does not carry")]
    ReceiptWithoutTransaction {
        /// The receipt's transaction hash.
        hash: B256,
    },
    /// `post_exec_in_transactions` (JSON dialects): a post-exec transaction (type
    /// `0x7D`) in `diff.transactions`; it travels in `diff.post_exec_tx` only.
    #[error("transaction {position} of diff.transactions is a post-exec transaction (0x7d)")]
    PostExecInTransactions {
        /// Its position in `diff.transactions`.
        position: usize,
    },
    /// `post_exec_inactive` (JSON dialects): a `diff.post_exec_tx` in a block before the
    /// configured Lagoon time.
    #[error("post_exec_tx in a block at time {timestamp}, before Lagoon ({lagoon_time})")]
    PostExecInactive {
        /// The block's timestamp.
        timestamp: u64,
        /// The configured Lagoon time.
        lagoon_time: u64,
    },
    /// `post_exec_invalid` (JSON dialects): a `diff.post_exec_tx` that does not decode,
    /// has a version other than 1, or is anchored to another block.
    #[error("invalid post_exec_tx: {0}")]
    PostExecInvalid(crate::PostExecInvalid),
    /// `sdm_invalid` (JSON dialects): the SDM refund list is empty, has a zero refund,
    /// indices not strictly increasing, or an index that is not a non-deposit
    /// transaction of the block so far.
    #[error("invalid SDM refund list: {0}")]
    SdmInvalid(crate::SdmInvalid),
    /// `sdm_restated` (JSON dialects): the restatement changes or removes an entry of an
    /// earlier subblock, or a new entry names a transaction of an earlier subblock.
    #[error("SDM refunds restated: {0}")]
    SdmRestated(crate::SdmRestated),
    /// `execution_invalid`: executing the flashblock gave another value than it claims
    /// for the fact named.
    #[error("execution invalid: {0}")]
    ExecutionInvalid(Box<ExecutionMismatch>),
}

impl ValidationError {
    /// The [spec page](flashblocks_types::spec)'s id of the rule this error enforces (one of [`RULE_IDS`]), or
    /// one of this crate's additions: `source_mismatch`, `payload_list_too_long`,
    /// `receipt_without_transaction`.
    ///
    /// ```
    /// use flashblocks_validate::ValidationError;
    ///
    /// let e = ValidationError::IndexGap { expected: 3, received: 5 };
    /// assert_eq!(e.rule_id(), "index_gap");
    /// ```
    pub const fn rule_id(&self) -> &'static str {
        match self {
            Self::SourceMismatch { .. } => "source_mismatch",
            Self::Malformed(_) | Self::ListTooLong { .. } => "malformed",
            Self::UnknownVersion { .. } => "unknown_version",
            Self::Equivocation { .. } => "equivocation",
            Self::MissingBase { .. } => "missing_base",
            Self::UnexpectedParentHash { .. } => "unexpected_parent_hash",
            Self::MissingParentHash { .. } => "missing_parent_hash",
            Self::MetadataCountMismatch { .. } => "metadata_count_mismatch",
            Self::DuplicateAccount { .. } => "duplicate_account",
            Self::StorageKeysUnsorted { .. } => "storage_keys_unsorted",
            Self::InvalidStatus { .. } => "invalid_status",
            Self::EmptyTransaction { .. } => "empty_transaction",
            Self::MissingL1InfoDeposit { .. } => "missing_l1_info_deposit",
            Self::DepositMisplaced { .. } => "deposit_misplaced",
            Self::WithdrawalsNotEmpty { .. } => "withdrawals_not_empty",
            Self::StaleBlock { .. } => "stale_block",
            Self::TooFarAhead { .. } => "too_far_ahead",
            Self::NotStarted { .. } => "not_started",
            Self::PayloadIdMismatch { .. } => "payload_id_mismatch",
            Self::BlockNumberMismatch { .. } => "block_number_mismatch",
            Self::PayloadEnded { .. } => "payload_ended",
            Self::IndexGap { .. } => "index_gap",
            Self::PrevFlashIdMismatch { .. } => "prev_flash_id_mismatch",
            Self::ParentHashMismatch { .. } => "parent_hash_mismatch",
            Self::UnexpectedBase { .. } => "unexpected_base",
            Self::TooManyFlashblocks { .. } => "too_many_flashblocks",
            Self::GasDecreased { .. } => "gas_decreased",
            Self::GasOverLimit { .. } => "gas_over_limit",
            Self::GasAccountingMismatch { .. } => "gas_accounting_mismatch",
            Self::PostExecInTransactions { .. } => "post_exec_in_transactions",
            Self::PostExecInactive { .. } => "post_exec_inactive",
            Self::PostExecInvalid(_) => "post_exec_invalid",
            Self::SdmInvalid(_) => "sdm_invalid",
            Self::SdmRestated(_) => "sdm_restated",
            Self::HeadMismatch { .. } => "head_mismatch",
            Self::BlockHashMismatch { .. } => "block_hash_mismatch",
            Self::ExecutionInvalid(_) => "execution_invalid",
            Self::PayloadListTooLong { .. } => "payload_list_too_long",
            Self::ReceiptWithoutTransaction { .. } => "receipt_without_transaction",
        }
    }

    /// Whether the frame itself was at fault (`malformed` or `unknown_version`): the
    /// bytes never became a flashblock.
    pub const fn is_frame_error(&self) -> bool {
        matches!(self, Self::Malformed(_) | Self::UnknownVersion { .. })
    }

    /// Whether this is `equivocation`: a builder sent two different flashblocks for the
    /// same index, which a caller may want to report.
    pub const fn is_equivocation(&self) -> bool {
        matches!(self, Self::Equivocation { .. })
    }

    /// Whether an optional check (`head_mismatch`, `block_hash_mismatch`,
    /// `execution_invalid`) rejected the flashblock.
    pub const fn is_optional_check(&self) -> bool {
        matches!(
            self,
            Self::HeadMismatch { .. } | Self::BlockHashMismatch { .. } | Self::ExecutionInvalid(_)
        )
    }
}

impl From<CodecError> for ValidationError {
    /// The **Frame** rule: [`CodecError::UnknownVersion`] is `unknown_version`, any other
    /// codec error `malformed`.
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::UnknownVersion { version } => Self::UnknownVersion { version },
            other => Self::Malformed(other),
        }
    }
}

impl From<CheckFailure> for ValidationError {
    fn from(f: CheckFailure) -> Self {
        match f {
            CheckFailure::BlockHashMismatch { computed, claimed } => {
                Self::BlockHashMismatch { computed, claimed }
            }
            CheckFailure::ExecutionInvalid(mismatch) => Self::ExecutionInvalid(mismatch),
        }
    }
}

/// What a [`ValidationError::StaleBlock`] is stale against (rule 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StaleBy {
    /// The block is at or below the canonical head the caller keeps.
    CanonicalHead {
        /// The canonical head's number.
        head: u64,
    },
    /// An old index 0 replayed: below the newest block seen since the last restart, by
    /// at most the configured `max_replay_distance`.
    Replay {
        /// The newest block number seen since the last restart.
        newest: u64,
    },
}

impl core::fmt::Display for StaleBy {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::CanonicalHead { head } => write!(f, "at or below the canonical head {head}"),
            Self::Replay { newest } => write!(f, "replayed below the newest block {newest}"),
        }
    }
}

/// The text of [`ValidationError::MissingL1InfoDeposit`]'s first type byte.
fn first_type_text(first_type: Option<u8>) -> String {
    first_type.map_or_else(|| "no transactions".to_owned(), |t| format!("first type byte {t:#04x}"))
}

/// The text of [`ValidationError::GasAccountingMismatch`]'s sum.
fn sum_text(sum: Option<u64>) -> String {
    sum.map_or_else(|| "more than 2^64".to_owned(), |s| s.to_string())
}
