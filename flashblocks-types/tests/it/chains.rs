//! The chain configurations: every name reads back, and where `alloy-op-hardforks` has a
//! chain (OP and Base, Mainnet and Sepolia, through Jovian) the two schedules agree at
//! every fork boundary.

use alloy_op_hardforks::{OpChainHardforks, OpHardfork, OpHardforks};
use flashblocks_types::ChainConfig;

#[test]
fn every_name_reads_back_with_its_id() {
    let ids = [901, 10, 11_155_420, 8453, 84_532, 130, 1301, 480, 57_073, 1868];
    for (name, id) in ChainConfig::NAMES.iter().zip(ids) {
        let chain = ChainConfig::by_name(name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!((chain.name(), chain.chain_id()), (*name, id));
        assert_eq!(chain.flashblock_interval_ms(), 200);
        assert!(chain.lagoon_time().is_none(), "no Lagoon time in the registry yet");
    }
    let block_time = |name| ChainConfig::by_name(name).expect("known").block_time_ms();
    assert_eq!(block_time("unichain-mainnet"), 1_000);
    assert_eq!(block_time("ink-mainnet"), 1_000);
    assert_eq!(block_time("base-mainnet"), 2_000);
}

#[test]
fn the_schedules_agree_with_alloy_op_hardforks_through_jovian() {
    let pairs = [
        (ChainConfig::op_mainnet(), OpChainHardforks::op_mainnet()),
        (ChainConfig::op_sepolia(), OpChainHardforks::op_sepolia()),
        (ChainConfig::base_mainnet(), OpChainHardforks::base_mainnet()),
        (ChainConfig::base_sepolia(), OpChainHardforks::base_sepolia()),
    ];
    let forks = [
        OpHardfork::Regolith,
        OpHardfork::Canyon,
        OpHardfork::Ecotone,
        OpHardfork::Fjord,
        OpHardfork::Granite,
        OpHardfork::Holocene,
        OpHardfork::Isthmus,
        OpHardfork::Jovian,
    ];
    for (ours, alloy) in &pairs {
        for fork in forks {
            assert_eq!(
                ours.hardforks().op_fork_activation(fork),
                alloy.op_fork_activation(fork),
                "{} {fork:?}",
                ours.name()
            );
        }
        assert_eq!(
            ours.hardforks().op_fork_activation(OpHardfork::Bedrock),
            alloy.op_fork_activation(OpHardfork::Bedrock),
        );
    }
}

#[test]
fn karst_and_the_chains_own_times() {
    let op = ChainConfig::op_mainnet();
    let karst = op.hardfork_times().karst.expect("scheduled");
    assert_eq!(karst, 1_783_526_401);
    assert_eq!(op.hardfork_at(karst - 1), OpHardfork::Jovian);
    assert_eq!(op.hardfork_at(karst), OpHardfork::Karst);
    assert!(op.hardforks().is_karst_active_at_timestamp(karst));
    // Base left the registry before Karst was scheduled; World Chain has none either.
    assert_eq!(ChainConfig::base_mainnet().hardfork_times().karst, None);
    assert!(!ChainConfig::base_mainnet().hardforks().is_karst_active_at_timestamp(u64::MAX));
    let world = ChainConfig::worldchain_mainnet();
    assert_eq!(world.hardfork_times().isthmus, Some(1_764_072_000));
    assert_eq!(world.hardfork_at(1_777_593_600), OpHardfork::Jovian);
    // Unichain: Granite at genesis, its own Holocene, the Superchain's Isthmus on.
    let uni = ChainConfig::unichain_mainnet();
    assert_eq!(uni.hardfork_at(0), OpHardfork::Granite);
    assert_eq!(uni.hardfork_at(1_746_806_401), OpHardfork::Isthmus);
    assert_eq!(ChainConfig::unichain_sepolia().hardfork_times().karst, Some(1_781_712_001));
    // The Lagoon override.
    let set = op.clone().with_lagoon_time(Some(karst + 1));
    assert_eq!(set.lagoon_time(), Some(karst + 1));
    assert_eq!(set.with_lagoon_time(None).lagoon_time(), None);
    // The dev chain: through Isthmus from genesis, nothing later.
    let dev = ChainConfig::dev(901, OpHardfork::Isthmus);
    assert_eq!(dev.hardfork_at(u64::MAX), OpHardfork::Isthmus);
    assert!(!dev.hardforks().is_jovian_active_at_timestamp(u64::MAX));
}
