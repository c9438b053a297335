//! [`ChainConfig`]: the chain id and the hardfork schedule execution follows.

use alloy_consensus::Header;
use alloy_evm::EvmEnv;
use alloy_op_evm::{evm_env_for_op_block, spec_by_timestamp_after_bedrock};
use alloy_op_hardforks::{ForkCondition, OpChainHardforks, OpHardfork, OpHardforks};
use alloy_primitives::{B256, U256};
use flashblocks_types::ExecutionPayloadStaticV1;
use op_revm::OpSpecId;

/// The chain a stream belongs to: its id and its hardforks (from `alloy-op-hardforks`),
/// which decide the OP rules at each block's `base.timestamp`.
///
/// ```
/// use flashblocks_execute::ChainConfig;
/// use alloy_op_hardforks::OpHardfork;
///
/// let base_sepolia = ChainConfig::base_sepolia();
/// assert_eq!(base_sepolia.chain_id(), 84_532);
/// let dev = ChainConfig::dev(901, OpHardfork::Isthmus);
/// assert_eq!(dev.hardfork_at(0), OpHardfork::Isthmus);
/// ```
#[derive(Clone, Debug)]
pub struct ChainConfig {
    chain_id: u64,
    hardforks: OpChainHardforks,
}

/// The OP hardforks in activation order, up to Jovian (what this crate's schedules name).
const FORKS: [OpHardfork; 9] = [
    OpHardfork::Bedrock,
    OpHardfork::Regolith,
    OpHardfork::Canyon,
    OpHardfork::Ecotone,
    OpHardfork::Fjord,
    OpHardfork::Granite,
    OpHardfork::Holocene,
    OpHardfork::Isthmus,
    OpHardfork::Jovian,
];

impl ChainConfig {
    /// A chain with the given id and hardfork schedule.
    pub const fn new(chain_id: u64, hardforks: OpChainHardforks) -> Self {
        Self { chain_id, hardforks }
    }

    /// A development chain with every hardfork up to and including `last` active from
    /// genesis and the later ones never.
    pub fn dev(chain_id: u64, last: OpHardfork) -> Self {
        let forks = FORKS.iter().map(|&fork| {
            let on = fork.idx() <= last.idx();
            (fork, if on { ForkCondition::Timestamp(0) } else { ForkCondition::Never })
        });
        Self::new(chain_id, OpChainHardforks::new(forks))
    }

    /// OP Mainnet.
    pub fn op_mainnet() -> Self {
        Self::new(10, OpChainHardforks::op_mainnet())
    }

    /// Base Sepolia.
    pub fn base_sepolia() -> Self {
        Self::new(84_532, OpChainHardforks::base_sepolia())
    }

    /// Base Mainnet.
    pub fn base_mainnet() -> Self {
        Self::new(8453, OpChainHardforks::base_mainnet())
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The hardfork schedule.
    pub const fn hardforks(&self) -> &OpChainHardforks {
        &self.hardforks
    }

    /// The latest OP hardfork active at `timestamp` (Bedrock at the earliest).
    pub fn hardfork_at(&self, timestamp: u64) -> OpHardfork {
        FORKS
            .iter()
            .rev()
            .copied()
            .find(|&fork| self.hardforks.op_fork_activation(fork).active_at_timestamp(timestamp))
            .unwrap_or(OpHardfork::Bedrock)
    }

    /// The revm spec at `timestamp`.
    pub fn spec_at(&self, timestamp: u64) -> OpSpecId {
        spec_by_timestamp_after_bedrock(&self.hardforks, timestamp)
    }

    /// The EVM environment of the block a flashblock `base` starts: `number`,
    /// `timestamp`, `gas_limit`, `fee_recipient` as coinbase, `prev_randao`,
    /// `base_fee_per_gas` (saturated to 64 bits, as op-alloy's payload conversion does).
    pub fn evm_env(&self, base: &ExecutionPayloadStaticV1) -> EvmEnv<OpSpecId> {
        evm_env_for_op_block(block_header(base), &self.hardforks, self.chain_id)
    }
}

/// The header fields of the block `base` starts that the EVM environment reads.
fn block_header(base: &ExecutionPayloadStaticV1) -> Header {
    Header {
        parent_hash: base.parent_hash,
        beneficiary: base.fee_recipient,
        number: base.block_number,
        gas_limit: base.gas_limit,
        timestamp: base.timestamp,
        mix_hash: base.prev_randao,
        base_fee_per_gas: Some(base.base_fee_per_gas.saturating_to()),
        parent_beacon_block_root: Some(base.parent_beacon_block_root),
        difficulty: U256::ZERO,
        excess_blob_gas: Some(0),
        extra_data: base.extra_data.clone(),
        ommers_hash: B256::ZERO,
        ..Default::default()
    }
}
