//! [`AssembledPayload`]: the block so far, shaped as OP's `engine_getPayloadV4` returns it.

use alloy_primitives::{B256, U256};
use alloy_rpc_types_engine::ExecutionPayloadV3;

/// The block reassembled from its flashblocks ([spec page](flashblocks_types::spec), "Reassembly"): the execution
/// payload (alloy's [`ExecutionPayloadV3`] fields plus the Isthmus `withdrawals_root`,
/// what op-alloy calls `OpExecutionPayloadV4`) in an envelope with
/// `parent_beacon_block_root` and `block_value`.
///
/// alloy's `ExecutionPayloadV3` has no place for the last three fields, hence this type;
/// it converts into alloy's payload ([`into_parts`](Self::into_parts), `From`) and, with
/// the `op-alloy` feature, into op-alloy's `OpExecutionPayloadV4` and
/// `OpExecutionPayloadEnvelopeV4`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssembledPayload {
    /// The execution payload: `base`, the concatenated transactions and withdrawals, the
    /// latest cumulative fields; `blob_gas_used` 0 before Jovian and the diff's from
    /// Jovian on, `excess_blob_gas` 0.
    pub execution_payload: ExecutionPayloadV3,
    /// The Isthmus withdrawals root (the L2-to-L1 message passer's storage root), from
    /// the latest flashblock.
    pub withdrawals_root: B256,
    /// The parent beacon block root, from `base`.
    pub parent_beacon_block_root: B256,
    /// The value paid to the fee recipient. Flashblocks do not carry it: the assembler
    /// sets 0 unless its caller says otherwise
    /// ([`Assembler::set_block_value`](crate::Assembler::set_block_value)).
    pub block_value: U256,
}

impl AssembledPayload {
    /// The hash of the block (the latest flashblock's `diff.block_hash`).
    pub const fn block_hash(&self) -> B256 {
        self.execution_payload.payload_inner.payload_inner.block_hash
    }

    /// The block number.
    pub const fn block_number(&self) -> u64 {
        self.execution_payload.payload_inner.payload_inner.block_number
    }

    /// The transactions, in order.
    pub fn transactions(&self) -> &[alloy_primitives::Bytes] {
        &self.execution_payload.payload_inner.payload_inner.transactions
    }

    /// Splits into alloy's payload, the `withdrawals_root`, the
    /// `parent_beacon_block_root` and the `block_value`.
    pub fn into_parts(self) -> (ExecutionPayloadV3, B256, B256, U256) {
        (
            self.execution_payload,
            self.withdrawals_root,
            self.parent_beacon_block_root,
            self.block_value,
        )
    }
}

impl From<AssembledPayload> for ExecutionPayloadV3 {
    fn from(payload: AssembledPayload) -> Self {
        payload.execution_payload
    }
}

#[cfg(feature = "op-alloy")]
mod op {
    use super::AssembledPayload;
    use alloy_rpc_types_engine::BlobsBundleV1;
    use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelopeV4, OpExecutionPayloadV4};

    impl From<AssembledPayload> for OpExecutionPayloadV4 {
        fn from(payload: AssembledPayload) -> Self {
            Self::from_v3_with_withdrawals_root(payload.execution_payload, payload.withdrawals_root)
        }
    }

    /// The envelope `engine_getPayloadV4` returns on OP: no blobs, no execution requests
    /// (Isthmus has none), `should_override_builder` false.
    impl From<AssembledPayload> for OpExecutionPayloadEnvelopeV4 {
        fn from(payload: AssembledPayload) -> Self {
            let parent_beacon_block_root = payload.parent_beacon_block_root;
            let block_value = payload.block_value;
            Self {
                execution_payload: payload.into(),
                block_value,
                blobs_bundle: BlobsBundleV1::empty(),
                should_override_builder: false,
                parent_beacon_block_root,
                execution_requests: Vec::new(),
            }
        }
    }
}
