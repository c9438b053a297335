//! The state root, checked only through the caller's hook: here a hook holding the
//! whole state (genesis plus every executed post-state) through alloy-trie, which must
//! agree with the builder's `diff.state_root`; a wrong root is named.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_trie::{root, TrieAccount, KECCAK_EMPTY};
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    Enforcement, ExecutionCheck, Executor,
};
use flashblocks_types::{Dialect, ExecutedMetadata, Flashblock};
use flashblocks_validate::{CheckFailure, ExecutedFact, FlashblockCheck};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

/// The caller's state trie, as a test keeps it: every account with its slots.
#[derive(Default)]
struct World(BTreeMap<Address, (U256, u64, Bytes, BTreeMap<B256, U256>)>);

impl World {
    fn apply(&mut self, executed: &ExecutedMetadata) {
        for a in &executed.accounts {
            let entry = self.0.entry(a.address).or_default();
            if let Some(balance) = a.balance {
                entry.0 = balance;
            }
            entry.1 = a.nonce;
            if let Some(code) = &a.code {
                entry.2 = code.clone();
            }
            for slot in &a.storage_slots {
                entry.3.insert(slot.key, U256::from_be_bytes(slot.value.0));
            }
        }
    }

    fn root(&self) -> B256 {
        let live = self.0.iter().filter(|(_, a)| !(a.0.is_zero() && a.1 == 0 && a.2.is_empty()));
        root::state_root_unhashed(live.map(|(address, (balance, nonce, code, storage))| {
            let storage_root = root::storage_root_unhashed(
                storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (*k, *v)),
            );
            let code_hash = if code.is_empty() { KECCAK_EMPTY } else { keccak256(code) };
            (*address, TrieAccount { nonce: *nonce, balance: *balance, storage_root, code_hash })
        }))
    }
}

/// The genesis accounts the builder starts from, as the caller's trie holds them.
fn genesis_world(builder: &ExecutingBuilder) -> World {
    use revm::DatabaseRef;
    let genesis = builder.genesis();
    let mut world = World::default();
    let l1_block = flashblocks_execute::builder::L1_BLOCK;
    for address in builder.dev_accounts().into_iter().chain([l1_block]) {
        let info = genesis.basic_ref(address).unwrap().unwrap();
        let code = info.code.map(|c| c.original_bytes()).unwrap_or_default();
        let mut storage = BTreeMap::new();
        for slot in 0..16u64 {
            let value = genesis.storage_ref(address, U256::from(slot)).unwrap();
            if !value.is_zero() {
                storage.insert(B256::from(U256::from(slot)), value);
            }
        }
        world.0.insert(address, (info.balance, info.nonce, code, storage));
    }
    world
}

#[test]
fn the_hook_checks_the_state_root() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let world = Arc::new(Mutex::new(genesis_world(&builder)));
    let hook_world = Arc::clone(&world);
    let hook = Box::new(move |_: &Flashblock, executed: &ExecutedMetadata| {
        let mut world = hook_world.lock().unwrap();
        world.apply(executed);
        Some(world.root())
    });
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()))
            .with_enforcement(Enforcement::Enforce)
            .with_state_root(hook);
    let block = builder.next_block(&[
        vec![TxPlan::Deploy, TxPlan::Transfer],
        vec![TxPlan::Call, TxPlan::Delegate],
    ]);
    for built in &block {
        let fb = built.json_stripped();
        let starts = fb.index() == 0;
        assert!(
            check.check(&fb, starts, Dialect::RollupBoost).is_ok(),
            "state root as the builder's at {}",
            fb.index()
        );
        check.commit(&fb, starts);
    }
    // The next block's index 0 with a wrong state root is named.
    let next = builder.next_block(&[]);
    let mut json = next[0].json.clone();
    json.diff.state_root = B256::repeat_byte(0x5a);
    match check.check(&Flashblock::from_json(json), true, Dialect::RollupBoost) {
        Err(CheckFailure::ExecutionInvalid(m)) => {
            assert_eq!(m.fact, ExecutedFact::StateRoot);
            assert_eq!(m.claimed, flashblocks_validate::FactValue::Hash(B256::repeat_byte(0x5a)));
        }
        other => panic!("expected a state root mismatch, got {other:?}"),
    }
}
