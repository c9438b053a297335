//! `ExecutionPayloadStaticV1`: the block properties fixed at index 0.

use crate::codec::extra_data;
use alloy_primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};
#[cfg(feature = "test-utils")]
use ssz_derive::Decode;
use ssz_derive::Encode;

/// The part of the execution payload that is known when the block starts and stays the
/// same for all its flashblocks. Sent as `base` at index 0 only.
///
/// Upstream calls this field `static` in its schema and `base` in its prose; this crate
/// follows the deployed JSON and the project's [spec page](crate::spec) (decision 2): `base`.
///
/// Its serde form is the deployed JSON's `base` object: the same field names,
/// `block_number`, `gas_limit`, `timestamp` and `base_fee_per_gas` as `0x`-hex
/// quantities, byte strings as `0x`-hex; unknown fields (e.g. `slot_number`) are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Encode, Serialize, Deserialize)]
#[cfg_attr(feature = "test-utils", derive(Decode))]
pub struct ExecutionPayloadStaticV1 {
    /// The parent beacon block root (EIP-4788).
    pub parent_beacon_block_root: B256,
    /// The hash of the parent L2 block.
    pub parent_hash: B256,
    /// The fee recipient (the header's `beneficiary`).
    pub fee_recipient: Address,
    /// `prev_randao` (the header's `mix_hash`).
    pub prev_randao: B256,
    /// The block number.
    #[serde(with = "alloy_serde::quantity")]
    pub block_number: u64,
    /// The block gas limit.
    #[serde(with = "alloy_serde::quantity")]
    pub gas_limit: u64,
    /// The block timestamp, in seconds.
    #[serde(with = "alloy_serde::quantity")]
    pub timestamp: u64,
    /// Extra data, at most [`MAX_EXTRA_DATA_BYTES`](crate::MAX_EXTRA_DATA_BYTES) bytes.
    #[ssz(with = "extra_data")]
    pub extra_data: Bytes,
    /// The base fee per gas.
    pub base_fee_per_gas: U256,
}
