//! [`Dialect`]: which of the deployed flashblock streams a stream speaks, and what its
//! `diff.block_hash` is ([spec page](crate::spec), "Subblocks and the deployed dialects").

use crate::{Flashblock, FlashblockSource};
use core::{fmt, str::FromStr};

/// The dialect of a flashblock stream: the SSZ V1 stream of the project's schema, or one
/// of the deployed JSON dialects.
///
/// Every JSON dialect reads the same JSON shape (the [spec page](crate::spec)'s JSON
/// section) and runs the JSON-stream rule set plus the dialect rules; they differ in
/// extra fields and in what `diff.block_hash` is ([`block_hash`](Self::block_hash)).
/// A stream is configured with one ([`DialectChoice::Fixed`]) or lets the receiver
/// decide from the first accepted index 0 ([`DialectChoice::Auto`]).
///
/// ```
/// use flashblocks_types::{DiffBlockHash, Dialect, FlashblockSource};
///
/// assert_eq!(Dialect::RollupBoost.block_hash(), DiffBlockHash::HeaderHash);
/// assert_eq!(Dialect::Subblocks.block_hash(), DiffBlockHash::Unavailable);
/// assert_eq!(Dialect::Base.block_hash(), DiffBlockHash::NotAHeaderHash);
/// assert_eq!(Dialect::SszV1.source(), FlashblockSource::V1);
/// assert_eq!("base".parse::<Dialect>(), Ok(Dialect::Base));
/// assert_eq!(Dialect::XLayer.to_string(), "xlayer");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Dialect {
    /// SSZ `FlashblocksPayloadV1` frames (the project's schema): every rule, the
    /// `parent_flash_hash` chain; `diff.block_hash` is the header hash.
    SszV1,
    /// The JSON of rollup-boost and op-rbuilder (Unichain streams it):
    /// `diff.block_hash` is the header hash of the block so far.
    RollupBoost,
    /// OP Stack Subblocks (ethereum-optimism/specs `specs/protocol/subblocks.md`):
    /// `diff.state_root`, `diff.block_hash` and `diff.withdrawals_root` are zero
    /// (unavailable), `diff.withdrawals` is `[]`, a subblock may carry no transactions.
    Subblocks,
    /// Base's builder: `metadata.prev_flashblock_id` links each frame to the one before,
    /// and `diff.block_hash` is a per-frame identity, not the header hash.
    Base,
    /// World Chain: `diff.access_list_data` (WIP-1007) and `metadata {fees,
    /// flashblock_timestamp}`.
    WorldChain,
    /// X Layer: frames carry `target_index`, and a `PayloadEnd {payload_id}` message
    /// completes a block's sequence.
    XLayer,
}

/// What a dialect's `diff.block_hash` is, which decides what the block-hash check can
/// answer and how the block's hash becomes known ([spec page](crate::spec), the table
/// "The block's hash in each dialect").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiffBlockHash {
    /// The hash of the header of the block so far: the block-hash check answers `ok`
    /// or `mismatch`, and the block's hash is `diff.block_hash`.
    HeaderHash,
    /// Zero, and any value is ignored: the check answers `unavailable`; the block's hash
    /// is unknown until learned (the next block's `base.parent_hash`, or the canonical
    /// head at its number).
    Unavailable,
    /// A value that is not the header hash (Base: a per-frame identity): the check
    /// answers `not_a_header_hash`; the block's hash is unknown until learned.
    NotAHeaderHash,
}

impl DiffBlockHash {
    /// Whether `diff.block_hash` is the block's header hash (the only case where it may
    /// serve as the block's hash or be checked against the rebuilt header).
    pub const fn is_header_hash(self) -> bool {
        matches!(self, Self::HeaderHash)
    }
}

impl Dialect {
    /// Every dialect, the SSZ stream first, then the JSON dialects in the order `auto`
    /// looks for them, rollup-boost JSON (its fallback) before them.
    pub const ALL: [Self; 6] = [
        Self::SszV1,
        Self::RollupBoost,
        Self::Base,
        Self::Subblocks,
        Self::WorldChain,
        Self::XLayer,
    ];

    /// The dialect's name, as `--dialect` takes it and reports print it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SszV1 => "ssz",
            Self::RollupBoost => "rollup-boost",
            Self::Subblocks => "subblocks",
            Self::Base => "base",
            Self::WorldChain => "worldchain",
            Self::XLayer => "xlayer",
        }
    }

    /// The wire format its frames decode from: SSZ for [`SszV1`](Self::SszV1), JSON
    /// (plain or brotli) for the others.
    pub const fn source(self) -> FlashblockSource {
        match self {
            Self::SszV1 => FlashblockSource::V1,
            _ => FlashblockSource::Json,
        }
    }

    /// Whether it is one of the deployed JSON dialects.
    pub const fn is_json(self) -> bool {
        !matches!(self, Self::SszV1)
    }

    /// What `diff.block_hash` is in this dialect (the [spec page](crate::spec)'s table):
    /// the header hash (SSZ V1, rollup-boost JSON, World Chain, X Layer), unavailable
    /// (OP Subblocks), or not a header hash (Base).
    ///
    /// World Chain and X Layer are read as rollup-boost JSON here, as the page says
    /// unless their builders' code shows otherwise.
    pub const fn block_hash(self) -> DiffBlockHash {
        match self {
            Self::SszV1 | Self::RollupBoost | Self::WorldChain | Self::XLayer => {
                DiffBlockHash::HeaderHash
            }
            Self::Subblocks => DiffBlockHash::Unavailable,
            Self::Base => DiffBlockHash::NotAHeaderHash,
        }
    }
}

impl Dialect {
    /// The dialect `auto` decides from a flashblock (the first accepted index 0 of a
    /// JSON stream), looking in the [spec page](crate::spec)'s order of precedence:
    /// `metadata.prev_flashblock_id` (Base); zero `diff.block_hash` and
    /// `diff.state_root` (OP Subblocks); `diff.access_list_data` or World Chain's
    /// metadata (`fees`, `flashblock_timestamp`; World Chain writes
    /// `"access_list_data": null` when it has no list) (World Chain); `target_index`
    /// (X Layer); otherwise rollup-boost JSON. It reads fields only, never a hash
    /// check's result. An SSZ flashblock is [`SszV1`](Self::SszV1).
    ///
    /// ```
    /// use flashblocks_types::{Dialect, FlashblockJson, Flashblock, FlashblockId};
    ///
    /// let mut json = FlashblockJson::default();
    /// json.diff.block_hash = [1; 32].into();
    /// assert_eq!(Dialect::detect(&Flashblock::from_json(json.clone())), Dialect::RollupBoost);
    /// json.target_index = Some(0);
    /// assert_eq!(Dialect::detect(&Flashblock::from_json(json.clone())), Dialect::XLayer);
    /// // Base's link comes first, whatever else the frame carries.
    /// json.metadata.prev_flashblock_id = Some(FlashblockId { block_number: 9, index: 3 });
    /// assert_eq!(Dialect::detect(&Flashblock::from_json(json)), Dialect::Base);
    /// ```
    pub fn detect(fb: &Flashblock) -> Self {
        let Some(metadata) = fb.json_metadata() else { return Self::SszV1 };
        let diff = fb.diff();
        if metadata.prev_flashblock_id.is_some() {
            Self::Base
        } else if diff.block_hash.is_zero() && diff.state_root.is_zero() {
            Self::Subblocks
        } else if fb.access_list_data().is_some()
            || metadata.fees.is_some()
            || metadata.flashblock_timestamp.is_some()
        {
            Self::WorldChain
        } else if fb.target_index().is_some() {
            Self::XLayer
        } else {
            Self::RollupBoost
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dialect name that is not one of [`Dialect::name`]'s (or `auto`, for
/// [`DialectChoice`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect {name:?} (expected auto, ssz, rollup-boost, subblocks, base, worldchain or xlayer)")]
pub struct UnknownDialect {
    /// The name given.
    pub name: String,
}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| UnknownDialect { name: name.to_owned() })
    }
}

/// How a stream's dialect is set: fixed by the caller, or decided by `auto` once per
/// receiver (again after a reset) from the first accepted index 0, among the JSON
/// dialects ([spec page](crate::spec), "Subblocks and the deployed dialects").
///
/// ```
/// use flashblocks_types::{Dialect, DialectChoice, FlashblockSource};
///
/// assert_eq!("auto".parse(), Ok(DialectChoice::Auto));
/// assert_eq!("ssz".parse(), Ok(DialectChoice::Fixed(Dialect::SszV1)));
/// // `auto` chooses among the JSON dialects.
/// assert_eq!(DialectChoice::Auto.source(), FlashblockSource::Json);
/// assert_eq!(DialectChoice::Auto.to_string(), "auto");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialectChoice {
    /// Decided from the first accepted index 0 (a JSON stream).
    Auto,
    /// This dialect, whatever the frames carry.
    Fixed(Dialect),
}

impl DialectChoice {
    /// The wire format the stream's frames decode from.
    pub const fn source(self) -> FlashblockSource {
        match self {
            Self::Auto => FlashblockSource::Json,
            Self::Fixed(dialect) => dialect.source(),
        }
    }

    /// The fixed dialect, if not `auto`.
    pub const fn fixed(self) -> Option<Dialect> {
        match self {
            Self::Auto => None,
            Self::Fixed(dialect) => Some(dialect),
        }
    }
}

impl From<Dialect> for DialectChoice {
    fn from(dialect: Dialect) -> Self {
        Self::Fixed(dialect)
    }
}

impl fmt::Display for DialectChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Fixed(dialect) => dialect.fmt(f),
        }
    }
}

impl FromStr for DialectChoice {
    type Err = UnknownDialect;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "auto" => Ok(Self::Auto),
            other => other.parse().map(Self::Fixed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every dialect's name reads back to it, as a dialect and as a choice; names are
    /// distinct from each other and from `auto`; anything else is refused with the name.
    #[test]
    fn names_round_trip() {
        for dialect in Dialect::ALL {
            assert_eq!(dialect.name().parse(), Ok(dialect));
            assert_eq!(dialect.name().parse(), Ok(DialectChoice::Fixed(dialect)));
            assert_eq!(DialectChoice::from(dialect).to_string(), dialect.name());
            assert_ne!(dialect.name(), "auto");
        }
        let mut names: Vec<_> = Dialect::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Dialect::ALL.len());
        assert_eq!("SSZ".parse::<Dialect>(), Err(UnknownDialect { name: "SSZ".into() }));
        assert!("auto".parse::<Dialect>().is_err());
    }

    /// The table of the spec page: only the JSON dialects leave the header hash open.
    #[test]
    fn block_hash_table() {
        for dialect in Dialect::ALL {
            let expected = match dialect {
                Dialect::Subblocks => DiffBlockHash::Unavailable,
                Dialect::Base => DiffBlockHash::NotAHeaderHash,
                _ => DiffBlockHash::HeaderHash,
            };
            assert_eq!(dialect.block_hash(), expected, "{dialect}");
            assert_eq!(dialect.is_json(), dialect.source() == FlashblockSource::Json);
        }
    }
}
