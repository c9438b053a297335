//! The validator's configuration: the rule set, the bound, OP rules, the tip.

use alloy_primitives::B256;
use flashblocks_types::{Dialect, DialectChoice, FlashblockSource, DEFAULT_MAX_JSON_LEN};

/// The [spec page](flashblocks_types::spec)'s default bound on flashblocks per block: twice the expected count
/// for a 2 s block of 200 ms flashblocks, `2 × ceil(2000 / 200)` = 20.
pub const DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK: u64 = 20;

/// The [spec page](flashblocks_types::spec)'s default for how far above the canonical head a
/// block may start (rule 4, `too_far_ahead`).
pub const DEFAULT_MAX_BLOCKS_AHEAD: u64 = 64;

/// The [spec page](flashblocks_types::spec)'s default for how far below the newest block
/// seen an index 0 is an old one replayed (rule 4, `stale_block`) rather than a restart.
pub const DEFAULT_MAX_REPLAY_DISTANCE: u64 = 4;

/// The [spec page](flashblocks_types::spec)'s bound for other timings: `2 × ceil(block_time / flashblock_time)`.
///
/// A zero `flashblock_time_ms` is read as 1 ms (the bound stays finite).
///
/// ```
/// use flashblocks_validate::{max_flashblocks_per_block, DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK};
///
/// assert_eq!(max_flashblocks_per_block(2_000, 200), DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK);
/// assert_eq!(max_flashblocks_per_block(1_000, 300), 8); // 2 × ceil(3.33)
/// ```
pub const fn max_flashblocks_per_block(block_time_ms: u64, flashblock_time_ms: u64) -> u64 {
    let per = if flashblock_time_ms == 0 { 1 } else { flashblock_time_ms };
    block_time_ms.div_ceil(per).saturating_mul(2)
}

/// Which of the [spec page](flashblocks_types::spec)'s rule sets a validator runs. A stream is configured as one or
/// the other, never guessed from its input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RuleSet {
    /// SSZ `FlashblocksPayloadV1` frames: every rule.
    #[default]
    V1,
    /// The deployed JSON format: every rule except the hash chain
    /// (`missing_parent_hash`, `unexpected_parent_hash`, `parent_hash_mismatch`) and the
    /// metadata rules (`metadata_count_mismatch`, `duplicate_account`,
    /// `storage_keys_unsorted`, `invalid_status`, `gas_accounting_mismatch`).
    Json,
}

impl RuleSet {
    /// The source a flashblock must come from to be validated under this rule set.
    pub const fn source(self) -> FlashblockSource {
        match self {
            Self::V1 => FlashblockSource::V1,
            Self::Json => FlashblockSource::Json,
        }
    }

    /// Whether the `parent_flash_hash` chain and the metadata rules apply.
    pub const fn checks_chain_and_metadata(self) -> bool {
        matches!(self, Self::V1)
    }

    /// The rule ids this rule set runs, in the [spec page](flashblocks_types::spec)'s order (the optional checks
    /// excluded).
    pub fn rule_ids(self) -> impl Iterator<Item = &'static str> {
        crate::RULE_IDS.iter().copied().filter(move |id| match self {
            Self::V1 => !crate::error::JSON_ONLY_RULES.contains(id),
            Self::Json => !crate::error::JSON_OFF_RULES.contains(id),
        })
    }
}

impl core::fmt::Display for RuleSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::V1 => "V1",
            Self::Json => "JSON",
        })
    }
}

impl From<FlashblockSource> for RuleSet {
    fn from(source: FlashblockSource) -> Self {
        match source {
            FlashblockSource::V1 => Self::V1,
            FlashblockSource::Json => Self::Json,
        }
    }
}

/// The block a new block must extend, for the optional `head_mismatch` check: the
/// canonical head, or the last block the caller preconfirmed when flashblocks run ahead
/// of the canonical chain. The caller keeps it current with
/// [`Validator::set_tip`](crate::Validator::set_tip).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Tip {
    /// The tip's block hash: a new block's `base.parent_hash` must equal it.
    pub hash: B256,
    /// The tip's number: a new block's `base.block_number` must be one above it.
    pub number: u64,
    /// The tip's timestamp: a new block's `base.timestamp` must be above it.
    pub timestamp: u64,
}

impl core::fmt::Display for Tip {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({}, time {})", self.number, self.hash, self.timestamp)
    }
}

/// How a [`Validator`](crate::Validator) checks its stream.
///
/// The stream's [`DialectChoice`] decides the rule set ([`rule_set`](Self::rule_set)):
/// the SSZ V1 stream runs the V1 rule set, every JSON dialect (and `auto`) the JSON one.
///
/// Defaults: the SSZ V1 dialect (so the V1 rule set), a bound of [`DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK`], OP rules
/// on, JSON frames capped at [`DEFAULT_MAX_JSON_LEN`], the block-start window of rule 4
/// ([`DEFAULT_MAX_BLOCKS_AHEAD`], [`DEFAULT_MAX_REPLAY_DISTANCE`]). The optional checks are off by default: the head check is on while a
/// [`Tip`] is set, and extra checks are added with
/// [`Validator::with_check`](crate::Validator::with_check).
///
/// ```
/// use flashblocks_validate::{RuleSet, ValidatorConfig};
///
/// use flashblocks_types::{Dialect, DialectChoice};
///
/// let config = ValidatorConfig::json().with_max_flashblocks_per_block(12);
/// assert_eq!(config.rule_set(), RuleSet::Json);
/// assert_eq!(config.dialect, DialectChoice::Fixed(Dialect::RollupBoost));
/// assert!(config.op_rules);
/// assert_eq!(ValidatorConfig::default().max_flashblocks_per_block, 20);
/// assert_eq!((config.max_blocks_ahead, config.max_replay_distance), (64, 4));
/// let auto = ValidatorConfig::v1().with_dialect(DialectChoice::Auto);
/// assert_eq!(auto.rule_set(), RuleSet::Json);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValidatorConfig {
    /// The stream's dialect, or `auto` (decided from the first accepted index 0); it
    /// fixes the rule set ([`rule_set`](Self::rule_set)).
    pub dialect: DialectChoice,
    /// The bound on flashblocks per block: an index at or above it is
    /// `too_many_flashblocks`.
    pub max_flashblocks_per_block: u64,
    /// The OP Stack rules (`missing_l1_info_deposit`, `deposit_misplaced`,
    /// `withdrawals_not_empty`).
    pub op_rules: bool,
    /// JSON streams: the cap on a frame's JSON text after brotli decompression
    /// (default [`DEFAULT_MAX_JSON_LEN`]); a longer one is `malformed`.
    pub max_json_len: usize,
    /// Rule 4: a block start more than this many blocks above the canonical head the
    /// caller keeps ([`Validator::set_canonical_head`](crate::Validator::set_canonical_head))
    /// is `too_far_ahead` (default [`DEFAULT_MAX_BLOCKS_AHEAD`]). Without a canonical
    /// head no block start is too far ahead.
    pub max_blocks_ahead: u64,
    /// Rule 4: an index 0 at most this many blocks below the newest block seen since the
    /// last restart is an old one replayed, `stale_block`; further below, it restarts the
    /// sequence (default [`DEFAULT_MAX_REPLAY_DISTANCE`]).
    pub max_replay_distance: u64,
    /// The configured chain's Lagoon time (unix seconds), when known: a
    /// `diff.post_exec_tx` in a block before it is `post_exec_inactive`. `None` (the
    /// default): that rule is off; the other Lagoon rules run whether or not it is set.
    pub lagoon_time: Option<u64>,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        Self::v1()
    }
}

impl ValidatorConfig {
    /// The defaults for a V1 (SSZ) stream.
    pub const fn v1() -> Self {
        Self {
            dialect: DialectChoice::Fixed(Dialect::SszV1),
            max_flashblocks_per_block: DEFAULT_MAX_FLASHBLOCKS_PER_BLOCK,
            op_rules: true,
            max_json_len: DEFAULT_MAX_JSON_LEN,
            max_blocks_ahead: DEFAULT_MAX_BLOCKS_AHEAD,
            max_replay_distance: DEFAULT_MAX_REPLAY_DISTANCE,
            lagoon_time: None,
        }
    }

    /// The defaults for a JSON stream of rollup-boost's dialect (`diff.block_hash` the
    /// header hash).
    pub const fn json() -> Self {
        Self::v1().with_dialect(DialectChoice::Fixed(Dialect::RollupBoost))
    }

    /// The rule set the dialect runs: V1 for the SSZ stream, JSON for every JSON
    /// dialect and `auto`.
    pub const fn rule_set(&self) -> RuleSet {
        match self.dialect.source() {
            FlashblockSource::V1 => RuleSet::V1,
            FlashblockSource::Json => RuleSet::Json,
        }
    }

    /// Sets the stream's dialect (and with it the rule set).
    pub const fn with_dialect(mut self, dialect: DialectChoice) -> Self {
        self.dialect = dialect;
        self
    }

    /// Sets the bound on flashblocks per block.
    pub const fn with_max_flashblocks_per_block(mut self, max: u64) -> Self {
        self.max_flashblocks_per_block = max;
        self
    }

    /// Sets the cap on a JSON frame's text (JSON streams).
    pub const fn with_max_json_len(mut self, max: usize) -> Self {
        self.max_json_len = max;
        self
    }

    /// Sets how far above the canonical head a block may start (rule 4).
    pub const fn with_max_blocks_ahead(mut self, max: u64) -> Self {
        self.max_blocks_ahead = max;
        self
    }

    /// Sets how far below the newest block seen an index 0 is a replay (rule 4).
    pub const fn with_max_replay_distance(mut self, max: u64) -> Self {
        self.max_replay_distance = max;
        self
    }

    /// Sets (or, with `None`, clears) the Lagoon time `post_exec_inactive` holds blocks
    /// to.
    pub const fn with_lagoon_time(mut self, time: Option<u64>) -> Self {
        self.lagoon_time = time;
        self
    }

    /// Turns the OP Stack rules on or off.
    pub const fn with_op_rules(mut self, on: bool) -> Self {
        self.op_rules = on;
        self
    }
}
