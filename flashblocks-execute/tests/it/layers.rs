//! Layers: preconfirmed blocks kept above the canonical chain, dropped on confirmation,
//! broken preconfirmation, reorg and failover; a pending transfer's effect.

use alloy_consensus::Transaction;
use alloy_eips::Decodable2718;
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{B256, U256};
use flashblocks_execute::{
    builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
    Dropped, Executor, InMemoryStates,
};
use op_alloy_consensus::OpTxEnvelope;

fn feed(receiver: &mut Executor<InMemoryStates>, built: &[BuiltFlashblock]) {
    for b in built {
        let fb = b.json_stripped();
        let execution = receiver.execute(&fb, fb.index() == 0).unwrap();
        assert_eq!(execution.proof(), Ok(()));
        assert_eq!(execution.metadata(), &b.executed);
        receiver.commit(execution);
    }
}

fn plan() -> Vec<Vec<TxPlan>> {
    vec![vec![TxPlan::Transfer], vec![TxPlan::Deploy]]
}

#[test]
fn a_pending_transfer_raises_the_recipients_balance_by_its_value() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[vec![TxPlan::Transfer]]);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    feed(&mut receiver, &block[..1]);
    let fb = block[1].json_stripped();
    let tx = OpTxEnvelope::decode_2718(&mut fb.transactions()[0].as_ref()).unwrap();
    let (to, value) = (tx.to().unwrap(), tx.value());
    assert!(value > U256::ZERO);
    // Canonical (genesis) balance of the recipient, plus what index 0's deposit gave it.
    let before = block[0]
        .executed
        .account(&to)
        .and_then(|a| a.balance)
        .unwrap_or_else(|| builder.genesis_balance(to));
    let execution = receiver.execute(&fb, false).unwrap();
    let after = execution.metadata().account(&to).and_then(|a| a.balance).unwrap();
    assert_eq!(after - before, value);
}

#[test]
fn blocks_stay_preconfirmed_until_canonical() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let b1 = builder.next_block(&plan());
    let b2 = builder.next_block(&plan());
    let b3 = builder.next_block(&plan());
    feed(&mut receiver, &b1);
    feed(&mut receiver, &b2);
    feed(&mut receiver, &b3);
    let hash = |b: &[BuiltFlashblock]| b.last().unwrap().flashblock.diff().block_hash;
    // Blocks 1 and 2 are complete and preconfirmed; 3 is in progress on them.
    assert_eq!(receiver.preconfirmed(), vec![(1, Some(hash(&b1))), (2, Some(hash(&b2)))]);
    assert_eq!(receiver.current(), Some((3, 3)));
    // Block 1 becomes canonical as preconfirmed: its layer goes, the rest stays.
    assert_eq!(receiver.canonical(1, hash(&b1)), Dropped { blocks: vec![1], current: false });
    assert_eq!(receiver.preconfirmed(), vec![(2, Some(hash(&b2)))]);
    // Block 4 still executes on block 3's layer (over 2's, over genesis).
    feed(&mut receiver, &builder.next_block(&plan()));
    // Block 2 becomes canonical with another hash: a broken preconfirmation drops it
    // and everything built on it (3, and 4 in progress).
    let dropped = receiver.canonical(2, B256::repeat_byte(0xbb));
    assert_eq!(dropped, Dropped { blocks: vec![2, 3], current: true });
    assert!(receiver.preconfirmed().is_empty() && receiver.current().is_none());
}

#[test]
fn a_reorg_drops_every_layer() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    feed(&mut receiver, &builder.next_block(&plan()));
    feed(&mut receiver, &builder.next_block(&plan()));
    assert_eq!(receiver.reset(), Dropped { blocks: vec![1], current: true });
    // Block 3 now has no parent state anywhere.
    let b3 = builder.next_block(&plan());
    assert!(receiver
        .execute(&b3[0].json_stripped(), true)
        .unwrap_err()
        .is_parent_state_unavailable());
}

#[test]
fn a_failover_replaces_the_block_in_progress() {
    let mut a = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut b = ExecutingBuilder::new(OpHardfork::Isthmus).with_payload_salt(1);
    let mut receiver = Executor::new(a.config().clone(), a.genesis_states());
    let a1 = a.next_block(&plan());
    let b1 = b.next_block(&plan());
    // Same block, other payload id: the same hash.
    assert_eq!(
        a1.last().unwrap().flashblock.diff().block_hash,
        b1.last().unwrap().flashblock.diff().block_hash
    );
    feed(&mut receiver, &a1);
    let a2 = a.next_block(&[vec![TxPlan::Transfer]]);
    let b2 = b.next_block(&[vec![TxPlan::Deploy, TxPlan::Call]]);
    feed(&mut receiver, &a2[..1]);
    // Builder b takes over at height 2: its index 0 replaces a's block 2.
    feed(&mut receiver, &b2);
    assert_eq!(receiver.current(), Some((2, 2)));
    assert_eq!(receiver.preconfirmed().len(), 1);
    // a's later flashblock of block 2 has no block to go on.
    let err = receiver.execute(&a2[1].json_stripped(), false).unwrap_err();
    assert!(matches!(err, flashblocks_execute::ExecuteError::BlockNotStarted { .. }));
    // Block 3 of b executes on b's block 2.
    feed(&mut receiver, &b.next_block(&plan()));
}

#[test]
fn overlay_events_drop_the_same_layers() {
    use flashblocks_overlay::OverlayEvent;
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let b1 = builder.next_block(&plan());
    let b2 = builder.next_block(&plan());
    let b3 = builder.next_block(&plan());
    for b in [&b1, &b2, &b3] {
        feed(&mut receiver, b);
    }
    let hash = |b: &[BuiltFlashblock]| b.last().unwrap().flashblock.diff().block_hash;
    let confirmed = OverlayEvent::Confirmed { number: 1, hash: hash(&b1) };
    assert_eq!(receiver.on_overlay_event(&confirmed), Dropped { blocks: vec![1], current: false });
    let passed = OverlayEvent::Passed { number: 2 };
    assert_eq!(receiver.on_overlay_event(&passed), Dropped { blocks: vec![2], current: false });
    // Block 3 goes on executing on its own layer chain.
    feed(&mut receiver, &builder.next_block(&plan()));
    let broken = OverlayEvent::BrokenPreconfirmation {
        number: 3,
        preconfirmed: Some(hash(&b3)),
        canonical: B256::repeat_byte(3),
        dropped_transactions: Vec::new(),
    };
    assert_eq!(receiver.on_overlay_event(&broken), Dropped { blocks: vec![3], current: true });
    assert!(receiver.preconfirmed().is_empty());
}

/// The value flashblock `built` wrote to `contract`'s slot 1, if it wrote it.
fn slot_1_written(built: &BuiltFlashblock, contract: alloy_primitives::Address) -> Option<U256> {
    let account = built.executed.accounts.iter().find(|a| a.address == contract)?;
    account
        .storage_slots
        .iter()
        .find(|s| U256::from_be_bytes(s.key.0) == U256::from(1))
        .map(|s| U256::from_be_bytes(s.value.0))
}

#[test]
fn newer_flashblocks_shadow_older_ones_and_untouched_keys_read_through() {
    use revm::DatabaseRef;
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    // #1 deploys and writes slot 1; #2 creates an account; #3 overwrites slot 1; #4
    // touches neither.
    let block = builder.next_block(&[
        vec![TxPlan::Deploy, TxPlan::Call],
        vec![TxPlan::TransferToNew],
        vec![TxPlan::Call],
        vec![TxPlan::Transfer],
    ]);
    let contract = block[1].executed.receipts[0].contract_address.unwrap();
    let first = slot_1_written(&block[1], contract).unwrap();
    let third = slot_1_written(&block[3], contract).unwrap();
    assert_ne!(first, third);
    assert_eq!(slot_1_written(&block[2], contract), None);
    assert_eq!(slot_1_written(&block[4], contract), None);
    let fb2 = block[2].json_stripped();
    let new_account = OpTxEnvelope::decode_2718(&mut fb2.transactions()[0].as_ref()).unwrap();
    let new_account = new_account.to().unwrap();
    assert!(!builder.dev_accounts().contains(&new_account));

    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let mut snapshots = Vec::new();
    for b in &block {
        feed(&mut receiver, std::slice::from_ref(b));
        snapshots.push(receiver.pending_snapshot().unwrap());
    }
    let slot = |s: &flashblocks_execute::PendingSnapshot<_>| {
        s.state().storage_ref(contract, U256::from(1)).unwrap()
    };
    // Each snapshot keeps the state after its own flashblock.
    assert_eq!(slot(&snapshots[0]), U256::ZERO);
    assert_eq!(slot(&snapshots[1]), first);
    assert_eq!(slot(&snapshots[2]), first);
    assert_eq!(slot(&snapshots[3]), third);
    assert_eq!(slot(&snapshots[4]), third);
    assert_eq!(snapshots[1].state().basic_ref(new_account).unwrap(), None);
    // After #4: the contract's code (#1), the new account (#2) and every account the
    // block touched read through the newer layers to the builder's values.
    let state = receiver.pending_state().unwrap();
    let info = state.basic_ref(contract).unwrap().unwrap();
    let code = state.code_by_hash_ref(info.code_hash).unwrap();
    assert_eq!(code.original_bytes(), flashblocks_execute::builder::contract_runtime());
    for b in &block {
        for a in &b.executed.accounts {
            let info = state.basic_ref(a.address).unwrap().unwrap_or_default();
            assert_eq!(info.balance, builder.balance(&a.address), "{}", a.address);
        }
    }
    assert!(state.basic_ref(new_account).unwrap().unwrap().balance > U256::ZERO);

    // The next block starts on the block merged into one layer: the same reads.
    let next = builder.next_block(&[vec![TxPlan::Transfer]]);
    feed(&mut receiver, &next);
    let state = receiver.pending_state().unwrap();
    assert_eq!(state.storage_ref(contract, U256::from(1)).unwrap(), third);
    assert_eq!(
        state.basic_ref(new_account).unwrap().unwrap().balance,
        builder.balance(&new_account)
    );
    // The old snapshots still read their own state.
    assert_eq!(slot(&snapshots[1]), first);
}
