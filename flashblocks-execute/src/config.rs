//! The chain's EVM settings: [`ChainConfig`] (one definition, in `flashblocks-types`:
//! ids, block times, hardfork times) read as revm's spec and EVM environment.

use alloy_consensus::Header;
use alloy_evm::EvmEnv;
use alloy_op_evm::{evm_env_for_op_block, spec_by_timestamp_after_bedrock};
use alloy_primitives::{B256, U256};
use flashblocks_types::{ChainConfig, ExecutionPayloadStaticV1};
use op_revm::OpSpecId;

/// The revm spec of `config`'s chain at `timestamp`.
pub fn spec_at(config: &ChainConfig, timestamp: u64) -> OpSpecId {
    spec_by_timestamp_after_bedrock(config.hardforks(), timestamp)
}

/// The EVM environment of the block a flashblock `base` starts on `config`'s chain:
/// `number`, `timestamp`, `gas_limit`, `fee_recipient` as coinbase, `prev_randao`,
/// `base_fee_per_gas` (saturated to 64 bits, as op-alloy's payload conversion does).
pub fn evm_env(config: &ChainConfig, base: &ExecutionPayloadStaticV1) -> EvmEnv<OpSpecId> {
    evm_env_for_op_block(block_header(base), config.hardforks(), config.chain_id())
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
