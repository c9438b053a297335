//! The JSON dialects' own fields: Base's frame link ([`FlashblockId`]), World Chain's
//! flashblock access list ([`FlashblockAccessListData`]) and X Layer's end of a sequence
//! ([`PayloadEnd`], read with the flashblocks as a [`JsonMessage`]).
//!
//! The shapes are those the builders write ([spec page](crate::spec), "Subblocks and the
//! deployed dialects"): base/base `crates/common/flashblocks/src/metadata.rs`,
//! worldcoin/world-chain `crates/primitives/src/access_list.rs` and
//! `crates/primitives/src/primitives.rs`, okx/xlayer-reth
//! `crates/builder/src/broadcast/payload.rs`.

use crate::Flashblock;
use alloy_eips::eip7928::AccountChanges;
use alloy_primitives::{keccak256, B256};
use alloy_rlp::Encodable;
use alloy_rpc_types_engine::PayloadId;
use core::{fmt, str::FromStr};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Base's name of one frame: its block number and its index, written
/// `"<block_number>-<index>"` (decimal). `metadata.prev_flashblock_id` names the frame
/// before; `"0-0"` ([`NONE`](Self::NONE)) says there is none (the first frame after the
/// builder started).
///
/// ```
/// use flashblocks_types::FlashblockId;
///
/// let id: FlashblockId = "43000123-4".parse()?;
/// assert_eq!((id.block_number, id.index), (43_000_123, 4));
/// assert_eq!(id.to_string(), "43000123-4");
/// assert!("0-0".parse::<FlashblockId>()?.is_none());
/// assert!("43000123".parse::<FlashblockId>().is_err());
/// assert!("-4".parse::<FlashblockId>().is_err());
/// # Ok::<(), flashblocks_types::InvalidFlashblockId>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlashblockId {
    /// The block the frame belongs to.
    pub block_number: u64,
    /// The frame's index in its block.
    pub index: u64,
}

impl FlashblockId {
    /// `"0-0"`: no frame before (Base's builder sends it after it starts).
    pub const NONE: Self = Self { block_number: 0, index: 0 };

    /// Whether this is [`NONE`](Self::NONE).
    pub const fn is_none(&self) -> bool {
        self.block_number == 0 && self.index == 0
    }
}

impl fmt::Display for FlashblockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.block_number, self.index)
    }
}

/// A `prev_flashblock_id` that is not two decimal numbers joined by `-`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("flashblock id {0:?} is not \"<block_number>-<index>\" in decimal")]
pub struct InvalidFlashblockId(pub String);

impl FromStr for FlashblockId {
    type Err = InvalidFlashblockId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| {
            (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u64>().ok())
                .flatten()
        };
        text.split_once('-')
            .and_then(|(block, index)| {
                Some(Self { block_number: number(block)?, index: number(index)? })
            })
            .ok_or_else(|| InvalidFlashblockId(text.to_owned()))
    }
}

impl Serialize for FlashblockId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FlashblockId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = FlashblockId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string \"<block_number>-<index>\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<FlashblockId, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// World Chain's `diff.access_list_data`: the flashblock's access list (WIP-1007, the
/// account changes of EIP-7928 for the transactions of this flashblock) and the
/// builder's hash of it.
///
/// Carried as typed; nothing checks it (its hash can be, with
/// [`hash_matches_slow`](Self::hash_matches_slow)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashblockAccessListData {
    /// The access list.
    pub access_list: FlashblockAccessList,
    /// `keccak256` of the access list's RLP encoding, as the builder computed it.
    pub access_list_hash: B256,
}

/// The account changes of the transactions `min_tx_index..=max_tx_index` of the block
/// (World Chain, WIP-1007).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashblockAccessList {
    /// Every account's changes (EIP-7928's `AccountChanges`, camelCase in JSON).
    pub changes: Vec<AccountChanges>,
    /// The first transaction index (in the whole block) the changes cover.
    pub min_tx_index: u64,
    /// The last transaction index the changes cover.
    pub max_tx_index: u64,
}

impl FlashblockAccessList {
    /// `keccak256` of the RLP encoding `[changes, min_tx_index, max_tx_index]` (what
    /// World Chain's builder hashes); `_slow` because it encodes the whole list.
    pub fn hash_slow(&self) -> B256 {
        let payload_length =
            self.changes.length() + self.min_tx_index.length() + self.max_tx_index.length();
        let mut out = Vec::with_capacity(payload_length + 9);
        alloy_rlp::Header { list: true, payload_length }.encode(&mut out);
        self.changes.encode(&mut out);
        self.min_tx_index.encode(&mut out);
        self.max_tx_index.encode(&mut out);
        keccak256(out)
    }
}

impl FlashblockAccessListData {
    /// Whether `access_list_hash` is the hash of `access_list`
    /// ([`FlashblockAccessList::hash_slow`]).
    pub fn hash_matches_slow(&self) -> bool {
        self.access_list.hash_slow() == self.access_list_hash
    }
}

/// X Layer's end of a sequence: `{"payload_id": "0x…"}`, sent after the last flashblock
/// of a block. It is not a flashblock: it completes its payload's sequence, and a later
/// index of that payload is `payload_ended`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadEnd {
    /// The payload whose sequence ended.
    pub payload_id: PayloadId,
}

/// One message of a JSON stream: a flashblock, or (X Layer) the end of a payload's
/// sequence. Read with [`JsonFrameReader::decode_message`](crate::JsonFrameReader::decode_message).
#[derive(Clone, Debug, PartialEq, Eq)]
// A message is moved once, from the reader to the validator; the flashblock is the
// common case, and boxing it would allocate for every frame.
#[allow(clippy::large_enum_variant)]
pub enum JsonMessage {
    /// A flashblock.
    Flashblock(Flashblock),
    /// X Layer's [`PayloadEnd`].
    PayloadEnd(PayloadEnd),
}
