//! The development chain the test-support builders share (feature `test-utils`): its
//! id, its funded keys and the OP predeploys and system accounts they use. Both the
//! executing builder (`flashblocks-execute`'s `builder`) and the examples' simulated
//! builder take these from here.

use alloy_primitives::{address, b256, Address, B256, U256};

/// The private keys of the first four accounts of the `test test test test test test
/// test test test test test junk` mnemonic (anvil, hardhat and the OP devnet fund them).
/// Public test keys: never use them for anything of value.
pub const DEV_KEYS: [B256; 4] = [
    b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    b256!("7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
];
/// The account that sends L1-info deposits.
pub const L1_INFO_DEPOSITOR: Address = address!("deaddeaddeaddeaddeaddeaddeaddeaddead0001");
/// The `L1Block` predeploy the L1-info deposit writes to.
pub const L1_BLOCK: Address = address!("4200000000000000000000000000000000000015");
/// The sequencer fee vault: the blocks' fee recipient, paid the priority fees.
pub const SEQUENCER_FEE_VAULT: Address = address!("4200000000000000000000000000000000000011");
/// The development chain's id.
pub const CHAIN_ID: u64 = 901;
/// Every development account's balance at genesis: 10 000 ether.
pub const INITIAL_BALANCE: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);
