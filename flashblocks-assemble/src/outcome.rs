//! [`BlockHashOutcome`]: what the block-hash check says of the block so far.

use alloy_primitives::B256;
use core::fmt;
use flashblocks_types::DiffBlockHash;

/// What the block-hash check says of the block so far, per the [spec page](
/// flashblocks_types::spec)'s table "The block's hash in each dialect": where
/// `diff.block_hash` is the header hash, the rebuilt header hashes to it (`ok`) or not
/// (`mismatch`, with both hashes); elsewhere there is nothing to check against
/// (`unavailable` in OP Subblocks, whose `diff.block_hash` is zero; `not_a_header_hash`
/// in Base, whose `diff.block_hash` is a per-frame identity).
///
/// Its [`Display`](fmt::Display) is what reports print after `block_hash=`.
///
/// ```
/// use alloy_primitives::B256;
/// use flashblocks_assemble::BlockHashOutcome;
/// use flashblocks_types::DiffBlockHash;
///
/// assert_eq!(BlockHashOutcome::Ok(B256::ZERO).to_string(), "ok");
/// assert_eq!(BlockHashOutcome::unchecked(DiffBlockHash::Unavailable), Some(BlockHashOutcome::Unavailable));
/// assert_eq!(BlockHashOutcome::Unavailable.to_string(), "unavailable");
/// assert_eq!(BlockHashOutcome::NotAHeaderHash.label(), "not_a_header_hash");
/// // Only a header hash is checked.
/// assert_eq!(BlockHashOutcome::unchecked(DiffBlockHash::HeaderHash), None);
/// let mismatch = BlockHashOutcome::Mismatch { computed: B256::repeat_byte(1), claimed: B256::ZERO };
/// assert!(mismatch.to_string().starts_with("mismatch computed=0x0101"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockHashOutcome {
    /// The header rebuilt from the block so far hashes to `diff.block_hash` (this hash,
    /// the block's hash so far).
    Ok(B256),
    /// It does not (rule `block_hash_mismatch` when enforced).
    Mismatch {
        /// The keccak of the rebuilt header.
        computed: B256,
        /// The flashblock's `diff.block_hash`.
        claimed: B256,
    },
    /// The dialect's `diff.block_hash` is zero, unavailable (OP Subblocks): nothing to
    /// check; the block's hash is unknown until learned.
    Unavailable,
    /// The dialect's `diff.block_hash` is not the header hash (Base: a per-frame
    /// identity): nothing to check; the block's hash is unknown until learned.
    NotAHeaderHash,
}

impl BlockHashOutcome {
    /// The outcome without a check, for a dialect whose `diff.block_hash` is not the
    /// header hash; `None` for one whose is (then the header must be rebuilt and hashed).
    pub const fn unchecked(diff_block_hash: DiffBlockHash) -> Option<Self> {
        match diff_block_hash {
            DiffBlockHash::HeaderHash => None,
            DiffBlockHash::Unavailable => Some(Self::Unavailable),
            DiffBlockHash::NotAHeaderHash => Some(Self::NotAHeaderHash),
        }
    }

    /// `ok`, `mismatch`, `unavailable` or `not_a_header_hash`: the outcome's name, as
    /// metrics label it.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::Ok(_) => "ok",
            Self::Mismatch { .. } => "mismatch",
            Self::Unavailable => "unavailable",
            Self::NotAHeaderHash => "not_a_header_hash",
        }
    }

    /// Whether the hash was checked and verified.
    pub const fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    /// Whether the hash was checked and differs.
    pub const fn is_mismatch(&self) -> bool {
        matches!(self, Self::Mismatch { .. })
    }

    /// The block's hash so far, when verified.
    pub const fn hash(&self) -> Option<B256> {
        match self {
            Self::Ok(hash) => Some(*hash),
            _ => None,
        }
    }
}

impl fmt::Display for BlockHashOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch { computed, claimed } => {
                write!(f, "mismatch computed={computed} claimed={claimed}")
            }
            other => f.write_str(other.label()),
        }
    }
}
