//! [`ChainConfig`]: the chains a stream can belong to, with their ids, block times,
//! flashblock intervals and OP hardfork times — the one definition the validator and
//! the executor share.
//!
//! The times are ethereum-optimism/superchain-registry's
//! `superchain/configs/{mainnet,sepolia}/<chain>.toml` at commit
//! `8336d2aedd19b87a57b01ae36ba4afef8ea377d0` (2026-08-04); Base left the registry in
//! `0d9aefc4` (2026-04-27), so Base Mainnet and Base Sepolia are read at its parent
//! `5b055be4d294ce43814a44c8839d89b2436dc8aa` (no Karst time there). Where
//! `alloy-op-hardforks` 0.5 has a chain (OP and Base, Mainnet and Sepolia, through
//! Jovian) a test holds the two to each other. No chain has a Lagoon time in the
//! registry yet: [`ChainConfig::with_lagoon_time`] sets one.

use alloy_op_hardforks::{ForkCondition, OpChainHardforks, OpHardfork};

/// The OP hardforks with a time in the registry, in activation order (Delta changes only
/// the consensus layer, so `alloy-op-hardforks` has no variant for it).
const FORKS: [OpHardfork; 8] = [
    OpHardfork::Canyon,
    OpHardfork::Ecotone,
    OpHardfork::Fjord,
    OpHardfork::Granite,
    OpHardfork::Holocene,
    OpHardfork::Isthmus,
    OpHardfork::Jovian,
    OpHardfork::Karst,
];

/// The hardfork times of a chain (seconds since the Unix epoch; `None`: not scheduled).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HardforkTimes {
    /// Canyon.
    pub canyon: Option<u64>,
    /// Delta (consensus layer only).
    pub delta: Option<u64>,
    /// Ecotone.
    pub ecotone: Option<u64>,
    /// Fjord.
    pub fjord: Option<u64>,
    /// Granite.
    pub granite: Option<u64>,
    /// Holocene.
    pub holocene: Option<u64>,
    /// Isthmus.
    pub isthmus: Option<u64>,
    /// Jovian.
    pub jovian: Option<u64>,
    /// Karst.
    pub karst: Option<u64>,
}

impl HardforkTimes {
    /// Every fork from genesis through Karst.
    const GENESIS: Self = Self::all(0);

    const fn all(t: u64) -> Self {
        Self {
            canyon: Some(t),
            delta: Some(t),
            ecotone: Some(t),
            fjord: Some(t),
            granite: Some(t),
            holocene: Some(t),
            isthmus: Some(t),
            jovian: Some(t),
            karst: Some(t),
        }
    }

    /// The time of `fork` (Bedrock and Regolith: 0; a fork this table has no time for:
    /// `None`).
    pub const fn time(&self, fork: OpHardfork) -> Option<u64> {
        match fork {
            OpHardfork::Bedrock | OpHardfork::Regolith => Some(0),
            OpHardfork::Canyon => self.canyon,
            OpHardfork::Ecotone => self.ecotone,
            OpHardfork::Fjord => self.fjord,
            OpHardfork::Granite => self.granite,
            OpHardfork::Holocene => self.holocene,
            OpHardfork::Isthmus => self.isthmus,
            OpHardfork::Jovian => self.jovian,
            OpHardfork::Karst => self.karst,
            _ => None,
        }
    }
}

/// A chain a flashblock stream belongs to: its name (as `--chain` takes it), id, block
/// time, flashblock interval, OP hardfork times through Karst and, when known or set,
/// the Lagoon time; and the `alloy-op-hardforks` schedule built from them, which the
/// executor follows.
///
/// ```
/// use flashblocks_types::ChainConfig;
/// use alloy_op_hardforks::OpHardfork;
///
/// let op = ChainConfig::by_name("op-mainnet").unwrap();
/// assert_eq!((op.chain_id(), op.block_time_ms()), (10, 2_000));
/// assert_eq!(op.hardfork_at(1_783_526_401), OpHardfork::Karst);
/// assert_eq!(op.lagoon_time(), None);
/// assert_eq!(op.with_lagoon_time(Some(1_800_000_000)).lagoon_time(), Some(1_800_000_000));
/// let dev = ChainConfig::dev(901, OpHardfork::Isthmus);
/// assert_eq!(dev.hardfork_at(0), OpHardfork::Isthmus);
/// assert!(ChainConfig::by_name("nowhere").is_none());
/// ```
#[derive(Clone, Debug)]
pub struct ChainConfig {
    name: &'static str,
    chain_id: u64,
    block_time_ms: u64,
    flashblock_interval_ms: u64,
    forks: HardforkTimes,
    bedrock_block: u64,
    lagoon: Option<u64>,
    hardforks: OpChainHardforks,
}

/// The flashblock (subblock) interval the deployed streams use: 200 ms (OP's subblocks
/// page names it for OP Mainnet; Base's and Unichain's streams run at it). Chains whose
/// interval is not published are given the same.
const INTERVAL_MS: u64 = 200;

impl ChainConfig {
    /// The names [`by_name`](Self::by_name) knows, as `--chain` takes them.
    pub const NAMES: [&'static str; 10] = [
        "dev",
        "op-mainnet",
        "op-sepolia",
        "base-mainnet",
        "base-sepolia",
        "unichain-mainnet",
        "unichain-sepolia",
        "worldchain-mainnet",
        "ink-mainnet",
        "soneium-mainnet",
    ];

    #[allow(clippy::too_many_arguments)] // the table's columns, once each
    fn new(
        name: &'static str,
        chain_id: u64,
        block_time_ms: u64,
        bedrock_block: u64,
        forks: HardforkTimes,
    ) -> Self {
        let mut config = Self {
            name,
            chain_id,
            block_time_ms,
            flashblock_interval_ms: INTERVAL_MS,
            forks,
            bedrock_block,
            lagoon: None,
            hardforks: OpChainHardforks::new([]),
        };
        config.hardforks = config.schedule();
        config
    }

    fn schedule(&self) -> OpChainHardforks {
        let mut forks = vec![
            (OpHardfork::Bedrock, ForkCondition::Block(self.bedrock_block)),
            (OpHardfork::Regolith, ForkCondition::Timestamp(0)),
        ];
        forks.extend(FORKS.iter().map(|&fork| {
            (fork, self.forks.time(fork).map_or(ForkCondition::Never, ForkCondition::Timestamp))
        }));
        OpChainHardforks::new(forks)
    }

    /// The chain named `name` ([`NAMES`](Self::NAMES)); `dev` is
    /// [`dev`](Self::dev)`(901, Isthmus)`, the examples' sequencer.
    pub fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "dev" => Self::dev(901, OpHardfork::Isthmus),
            "op-mainnet" => Self::op_mainnet(),
            "op-sepolia" => Self::op_sepolia(),
            "base-mainnet" => Self::base_mainnet(),
            "base-sepolia" => Self::base_sepolia(),
            "unichain-mainnet" => Self::unichain_mainnet(),
            "unichain-sepolia" => Self::unichain_sepolia(),
            "worldchain-mainnet" => Self::worldchain_mainnet(),
            "ink-mainnet" => Self::ink_mainnet(),
            "soneium-mainnet" => Self::soneium_mainnet(),
            _ => return None,
        })
    }

    /// A development chain (2 s blocks) with every hardfork up to and including `last`
    /// active from genesis and the later ones never.
    pub fn dev(chain_id: u64, last: OpHardfork) -> Self {
        let mut forks = HardforkTimes::GENESIS;
        let on = |fork: OpHardfork| (fork.idx() <= last.idx()).then_some(0);
        forks.canyon = on(OpHardfork::Canyon);
        forks.delta = on(OpHardfork::Canyon);
        forks.ecotone = on(OpHardfork::Ecotone);
        forks.fjord = on(OpHardfork::Fjord);
        forks.granite = on(OpHardfork::Granite);
        forks.holocene = on(OpHardfork::Holocene);
        forks.isthmus = on(OpHardfork::Isthmus);
        forks.jovian = on(OpHardfork::Jovian);
        forks.karst = on(OpHardfork::Karst);
        Self::new("dev", chain_id, 2_000, 0, forks)
    }

    /// OP Mainnet (10): `mainnet/op.toml`.
    pub fn op_mainnet() -> Self {
        Self::new("op-mainnet", 10, 2_000, 105_235_063, MAINNET)
    }

    /// OP Sepolia (11155420): `sepolia/op.toml`.
    pub fn op_sepolia() -> Self {
        Self::new("op-sepolia", 11_155_420, 2_000, 0, SEPOLIA)
    }

    /// Base Mainnet (8453): `mainnet/base.toml` before Base left the registry (no
    /// Karst time).
    pub fn base_mainnet() -> Self {
        Self::new("base-mainnet", 8453, 2_000, 0, HardforkTimes { karst: None, ..MAINNET })
    }

    /// Base Sepolia (84532): `sepolia/base.toml` before Base left the registry (no
    /// Karst time).
    pub fn base_sepolia() -> Self {
        Self::new("base-sepolia", 84_532, 2_000, 0, HardforkTimes { karst: None, ..SEPOLIA })
    }

    /// Unichain (130), 1 s blocks: `mainnet/unichain.toml`.
    pub fn unichain_mainnet() -> Self {
        let forks = HardforkTimes { holocene: Some(1_736_445_601), ..MAINNET_FROM_GENESIS };
        Self::new("unichain-mainnet", 130, 1_000, 0, forks)
    }

    /// Unichain Sepolia (1301), 1 s blocks: `sepolia/unichain.toml`.
    pub fn unichain_sepolia() -> Self {
        let forks = HardforkTimes { holocene: Some(1_734_559_200), ..SEPOLIA_FROM_GENESIS };
        Self::new("unichain-sepolia", 1301, 1_000, 0, forks)
    }

    /// World Chain (480): `mainnet/worldchain.toml` (its own Isthmus and Jovian times,
    /// no Karst time).
    pub fn worldchain_mainnet() -> Self {
        let forks = HardforkTimes {
            canyon: Some(0),
            delta: Some(0),
            ecotone: Some(0),
            fjord: Some(1_721_826_000),
            granite: Some(1_727_780_400),
            holocene: Some(1_738_238_400),
            isthmus: Some(1_764_072_000),
            jovian: Some(1_777_593_600),
            karst: None,
        };
        Self::new("worldchain-mainnet", 480, 2_000, 0, forks)
    }

    /// Ink (57073), 1 s blocks: `mainnet/ink.toml`.
    pub fn ink_mainnet() -> Self {
        let forks = HardforkTimes { holocene: Some(1_742_396_400), ..MAINNET_FROM_GENESIS };
        Self::new("ink-mainnet", 57_073, 1_000, 0, forks)
    }

    /// Soneium (1868): `mainnet/soneium.toml`.
    pub fn soneium_mainnet() -> Self {
        let forks = HardforkTimes { holocene: Some(1_738_573_200), ..MAINNET_FROM_GENESIS };
        Self::new("soneium-mainnet", 1868, 2_000, 0, forks)
    }

    /// The same chain with its Lagoon time set (or cleared): the operator's override
    /// (`--lagoon-time`) until the registry has one.
    pub const fn with_lagoon_time(mut self, time: Option<u64>) -> Self {
        self.lagoon = time;
        self
    }

    /// The chain's name, as `--chain` takes it.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The L2 block time, in milliseconds.
    pub const fn block_time_ms(&self) -> u64 {
        self.block_time_ms
    }

    /// The flashblock (subblock) interval, in milliseconds.
    pub const fn flashblock_interval_ms(&self) -> u64 {
        self.flashblock_interval_ms
    }

    /// The hardfork times through Karst.
    pub const fn hardfork_times(&self) -> &HardforkTimes {
        &self.forks
    }

    /// The Lagoon time, when known or set (`None`: the rules gated on it are off).
    pub const fn lagoon_time(&self) -> Option<u64> {
        self.lagoon
    }

    /// The hardfork schedule in `alloy-op-hardforks`' form (Bedrock through Karst).
    pub const fn hardforks(&self) -> &OpChainHardforks {
        &self.hardforks
    }

    /// The latest OP hardfork active at `timestamp` (Bedrock at the earliest).
    pub fn hardfork_at(&self, timestamp: u64) -> OpHardfork {
        FORKS
            .iter()
            .rev()
            .copied()
            .find(|&fork| self.forks.time(fork).is_some_and(|t| t <= timestamp))
            .unwrap_or(OpHardfork::Regolith)
    }
}

/// The Superchain Mainnet times (`mainnet/op.toml`, shared by Base through Jovian).
const MAINNET: HardforkTimes = HardforkTimes {
    canyon: Some(1_704_992_401),
    delta: Some(1_708_560_000),
    ecotone: Some(1_710_374_401),
    fjord: Some(1_720_627_201),
    granite: Some(1_726_070_401),
    holocene: Some(1_736_445_601),
    isthmus: Some(1_746_806_401),
    jovian: Some(1_764_691_201),
    karst: Some(1_783_526_401),
};

/// The Superchain Sepolia times (`sepolia/op.toml`).
const SEPOLIA: HardforkTimes = HardforkTimes {
    canyon: Some(1_699_981_200),
    delta: Some(1_703_203_200),
    ecotone: Some(1_708_534_800),
    fjord: Some(1_716_998_400),
    granite: Some(1_723_478_400),
    holocene: Some(1_732_633_200),
    isthmus: Some(1_744_905_600),
    jovian: Some(1_763_568_001),
    karst: Some(1_781_712_001),
};

/// Chains that started after Granite and follow the Mainnet times from Isthmus (Unichain,
/// Ink, Soneium): Canyon through Granite at genesis, Holocene their own.
const MAINNET_FROM_GENESIS: HardforkTimes = HardforkTimes {
    canyon: Some(0),
    delta: Some(0),
    ecotone: Some(0),
    fjord: Some(0),
    granite: Some(0),
    ..MAINNET
};

/// Unichain Sepolia: Canyon through Granite at genesis, the Sepolia times from Isthmus.
const SEPOLIA_FROM_GENESIS: HardforkTimes = HardforkTimes {
    canyon: Some(0),
    delta: Some(0),
    ecotone: Some(0),
    fjord: Some(0),
    granite: Some(0),
    ..SEPOLIA
};
