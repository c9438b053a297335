//! `FlashblocksPayloadV1`: the top-level container.

use super::{ExecutionPayloadFlashblockDeltaV1, ExecutionPayloadStaticV1, FlashblockMetadata};
use crate::codec::payload_id;
use alloy_primitives::{FixedBytes, B256};
use alloy_rpc_types_engine::PayloadId;
#[cfg(feature = "test-utils")]
use ssz_derive::Decode;
use ssz_derive::Encode;

/// One flashblock, version 1.
///
/// The SSZ layout is the schema's `FlashblocksPayloadV1`; its first field is the 4-byte
/// version ([`VERSION_V1`](crate::VERSION_V1)), which is how
/// [`Flashblock::decode_v1`](crate::Flashblock::decode_v1) tells the container.
///
/// The fixed part is 4 (version) + 8 (`payload_id`) + 4 (offset of `parent_flash_hash`) +
/// 8 (`index`) + 3 × 4 (offsets of `base`, `diff`, `metadata`) = 36 bytes:
///
/// ```
/// use flashblocks_types::FlashblocksPayloadV1;
/// use ssz::Encode;
///
/// let fb = FlashblocksPayloadV1::default();
/// let bytes = fb.as_ssz_bytes();
/// assert_eq!(&bytes[..4], &[0, 0, 0, 1]); // version V1
/// assert_eq!(&bytes[12..16], &36u32.to_le_bytes()); // parent_flash_hash starts after the fixed part
/// assert_eq!(bytes[36], 0); // ... and is a None union: one selector byte
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct FlashblocksPayloadV1 {
    /// The version bytes, [`VERSION_V1`](crate::VERSION_V1) for this container.
    pub version: FixedBytes<4>,
    /// The payload id the engine assigned to the block this flashblock belongs to.
    #[ssz(with = "payload_id")]
    pub payload_id: PayloadId,
    /// The `hash_tree_root` of the previous flashblock of the same block; `None` at index 0.
    pub parent_flash_hash: Option<B256>,
    /// The position of this flashblock in its block, from 0.
    pub index: u64,
    /// The block properties fixed at the start, `Some` at index 0 only.
    pub base: Option<ExecutionPayloadStaticV1>,
    /// What this flashblock adds, and the cumulative execution results.
    pub diff: ExecutionPayloadFlashblockDeltaV1,
    /// The post-state of what this flashblock touched.
    pub metadata: FlashblockMetadata,
}

impl Default for FlashblocksPayloadV1 {
    fn default() -> Self {
        Self {
            version: FixedBytes(crate::VERSION_V1),
            payload_id: PayloadId::default(),
            parent_flash_hash: None,
            index: 0,
            base: None,
            diff: ExecutionPayloadFlashblockDeltaV1::default(),
            metadata: FlashblockMetadata::default(),
        }
    }
}

impl FlashblocksPayloadV1 {
    /// The `hash_tree_root` of this flashblock: what the next flashblock of the same block
    /// carries as its `parent_flash_hash` ([spec page](crate::spec), decision 5).
    ///
    /// Computed with the fast hasher (the straightforward merkleizer of the `test-utils`
    /// feature is the reference it is tested against). This hashes the whole value each
    /// time, hence `_slow`: keep the result, as [`SealedFlashblock`](crate::SealedFlashblock)
    /// and [`Flashblock::identity`](crate::Flashblock::identity) do.
    pub fn hash_tree_root_slow(&self) -> B256 {
        crate::hash::payload_root(self)
    }

    /// As [`hash_tree_root_slow`](Self::hash_tree_root_slow), with the transactions' and
    /// the accounts' roots computed on rayon's thread pool.
    ///
    /// ```
    /// # #[cfg(feature = "test-utils")] {
    /// use flashblocks_types::{GeneratorConfig, SequenceGenerator};
    ///
    /// let block = SequenceGenerator::new(5, GeneratorConfig::default()).next_block();
    /// let payload = block[0].inner();
    /// assert_eq!(payload.hash_tree_root_parallel_slow(), payload.hash_tree_root_slow());
    /// # }
    /// ```
    #[cfg(feature = "parallel")]
    #[cfg_attr(docsrs, doc(cfg(feature = "parallel")))]
    pub fn hash_tree_root_parallel_slow(&self) -> B256 {
        crate::hash::payload_root_parallel(self)
    }

    /// Whether this flashblock starts its block (index 0).
    pub const fn is_first(&self) -> bool {
        self.index == 0
    }

    /// The SSZ encoding of this flashblock, version bytes first: one frame.
    pub fn encode_ssz(&self) -> Vec<u8> {
        ssz::Encode::as_ssz_bytes(self)
    }
}
