//! [`AssembledPayload`]: the block so far, shaped as OP's `engine_getPayloadV4` returns it.

use crate::AssembleError;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_engine::ExecutionPayloadV3;
use flashblocks_types::{CumulativeResults, DiffBlockHash};

/// The commitments of the block so far as the stream gives them, each `None` where the
/// stream's dialect says it is unavailable ([spec page](flashblocks_types::spec),
/// "Subblocks and the deployed dialects"): OP Subblocks send zero `state_root`,
/// `block_hash` and `withdrawals_root`, and Base's `diff.block_hash` is not the header
/// hash. A `None` never reaches a consumer as if it were a root.
///
/// ```
/// use alloy_primitives::B256;
/// use flashblocks_assemble::Commitments;
/// use flashblocks_types::{CumulativeResults, DiffBlockHash};
///
/// let results = CumulativeResults { state_root: B256::repeat_byte(1), ..Default::default() };
/// let subblock = Commitments::of(DiffBlockHash::Unavailable, &results);
/// assert_eq!((subblock.state_root, subblock.block_hash, subblock.withdrawals_root), (None, None, None));
/// let base = Commitments::of(DiffBlockHash::NotAHeaderHash, &results);
/// assert_eq!((base.state_root, base.block_hash), (Some(B256::repeat_byte(1)), None));
/// assert!(Commitments::of(DiffBlockHash::HeaderHash, &results).is_complete());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Commitments {
    /// The latest `diff.state_root`; `None` in OP Subblocks (zero: unavailable).
    pub state_root: Option<B256>,
    /// The latest `diff.block_hash` where it is the header hash; `None` where it is
    /// unavailable (OP Subblocks) or not a header hash (Base).
    pub block_hash: Option<B256>,
    /// The latest `diff.withdrawals_root` (Isthmus: the L2-to-L1 message passer's
    /// storage root); `None` in OP Subblocks (zero: unavailable).
    pub withdrawals_root: Option<B256>,
}

impl Commitments {
    /// The commitments of `results` in a stream whose `diff.block_hash` is
    /// `diff_block_hash`.
    pub const fn of(diff_block_hash: DiffBlockHash, results: &CumulativeResults) -> Self {
        match diff_block_hash {
            DiffBlockHash::HeaderHash => Self {
                state_root: Some(results.state_root),
                block_hash: Some(results.block_hash),
                withdrawals_root: Some(results.withdrawals_root),
            },
            DiffBlockHash::Unavailable => {
                Self { state_root: None, block_hash: None, withdrawals_root: None }
            }
            DiffBlockHash::NotAHeaderHash => Self {
                state_root: Some(results.state_root),
                block_hash: None,
                withdrawals_root: Some(results.withdrawals_root),
            },
        }
    }

    /// Whether every commitment is available (the payload converts into the Engine
    /// API's types).
    pub const fn is_complete(&self) -> bool {
        self.state_root.is_some() && self.block_hash.is_some() && self.withdrawals_root.is_some()
    }
}

/// The block reassembled from its flashblocks ([spec page](flashblocks_types::spec), "Reassembly"): the execution
/// payload (alloy's [`ExecutionPayloadV3`] fields plus the Isthmus `withdrawals_root`,
/// what op-alloy calls `OpExecutionPayloadV4`) in an envelope with
/// `parent_beacon_block_root` and `block_value`.
///
/// alloy's `ExecutionPayloadV3` has no place for the last three fields, hence this type.
/// Its commitments are [`Commitments`]: where the stream's dialect makes one
/// unavailable, the payload's field is zero and the commitment `None`, and the payload
/// does not convert into alloy's payload ([`try_into_parts`](Self::try_into_parts),
/// `TryFrom`) nor, with the `op-alloy` feature, into op-alloy's `OpExecutionPayloadV4`
/// and `OpExecutionPayloadEnvelopeV4` ([`AssembleError::CommitmentsUnavailable`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssembledPayload {
    /// The execution payload: `base`, the concatenated transactions and withdrawals, the
    /// latest cumulative fields; `blob_gas_used` 0 before Jovian and the diff's from
    /// Jovian on, `excess_blob_gas` 0. Its `state_root` and `block_hash` are zero where
    /// [`commitments`](Self::commitments) has none: read them there.
    pub execution_payload: ExecutionPayloadV3,
    /// The state root, block hash and withdrawals root, each `None` where unavailable.
    pub commitments: Commitments,
    /// The parent beacon block root, from `base`.
    pub parent_beacon_block_root: B256,
    /// The value paid to the fee recipient. Flashblocks do not carry it: the assembler
    /// sets 0 unless its caller says otherwise
    /// ([`Assembler::set_block_value`](crate::Assembler::set_block_value)).
    pub block_value: U256,
}

impl AssembledPayload {
    /// The hash of the block, where the stream's `diff.block_hash` is the header hash
    /// (the latest flashblock's); `None` where it is unavailable or not a header hash.
    pub const fn block_hash(&self) -> Option<B256> {
        self.commitments.block_hash
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
    ///
    /// # Errors
    ///
    /// [`AssembleError::CommitmentsUnavailable`] when a commitment is unavailable: an
    /// Engine API payload with a zero root would pass it on as real.
    pub fn try_into_parts(self) -> Result<(ExecutionPayloadV3, B256, B256, U256), AssembleError> {
        match self.commitments {
            Commitments {
                state_root: Some(_),
                block_hash: Some(_),
                withdrawals_root: Some(withdrawals_root),
            } => Ok((
                self.execution_payload,
                withdrawals_root,
                self.parent_beacon_block_root,
                self.block_value,
            )),
            commitments => Err(AssembleError::CommitmentsUnavailable(commitments)),
        }
    }
}

impl TryFrom<AssembledPayload> for ExecutionPayloadV3 {
    type Error = AssembleError;

    fn try_from(payload: AssembledPayload) -> Result<Self, AssembleError> {
        payload.try_into_parts().map(|(payload, ..)| payload)
    }
}

#[cfg(feature = "op-alloy")]
mod op {
    use super::AssembledPayload;
    use crate::AssembleError;
    use alloy_rpc_types_engine::BlobsBundleV1;
    use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelopeV4, OpExecutionPayloadV4};

    impl TryFrom<AssembledPayload> for OpExecutionPayloadV4 {
        type Error = AssembleError;

        fn try_from(payload: AssembledPayload) -> Result<Self, AssembleError> {
            let (payload, withdrawals_root, ..) = payload.try_into_parts()?;
            Ok(Self::from_v3_with_withdrawals_root(payload, withdrawals_root))
        }
    }

    /// The envelope `engine_getPayloadV4` returns on OP: no blobs, no execution requests
    /// (Isthmus has none), `should_override_builder` false.
    impl TryFrom<AssembledPayload> for OpExecutionPayloadEnvelopeV4 {
        type Error = AssembleError;

        fn try_from(payload: AssembledPayload) -> Result<Self, AssembleError> {
            let (payload, withdrawals_root, parent_beacon_block_root, block_value) =
                payload.try_into_parts()?;
            Ok(Self {
                execution_payload: OpExecutionPayloadV4::from_v3_with_withdrawals_root(
                    payload,
                    withdrawals_root,
                ),
                block_value,
                blobs_bundle: BlobsBundleV1::empty(),
                should_override_builder: false,
                parent_beacon_block_root,
                execution_requests: Vec::new(),
            })
        }
    }
}
