//! `eth_call` / `eth_estimateGas` on the executed pending state.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::state::{AccountOverride, StateOverride};
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan, LOG_TOPIC},
    CallRequest, ExecuteError, Executor, InMemoryStates,
};
use revm::DatabaseRef;

/// A receiver that executed a block deploying the test contract; the contract.
fn pending() -> (ExecutingBuilder, Executor<InMemoryStates>, Address) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[vec![TxPlan::Deploy], vec![TxPlan::Transfer]]);
    let contract = block[1].executed.receipts[0].contract_address.unwrap();
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    for built in &block {
        let fb = built.json_stripped();
        let execution = receiver.execute(&fb, fb.index() == 0).unwrap();
        receiver.commit(execution);
    }
    (builder, receiver, contract)
}

fn word(v: u64) -> Bytes {
    Bytes::from(U256::from(v).to_be_bytes::<32>().to_vec())
}

#[test]
fn calls_see_the_pending_contract() {
    let (builder, receiver, contract) = pending();
    let from = builder.dev_accounts()[0];
    let request =
        CallRequest { from: Some(from), to: Some(contract), input: word(5), ..Default::default() };
    let outcome = receiver.call(&request, None).unwrap();
    assert!(outcome.success);
    assert_eq!(outcome.logs.len(), 1);
    assert_eq!(outcome.logs[0].topics(), &[LOG_TOPIC]);
    // Zero reverts.
    let outcome = receiver.call(&CallRequest { input: word(0), ..request.clone() }, None).unwrap();
    assert!(!outcome.success && outcome.logs.is_empty());
    // Nothing was kept: the slot the call wrote is still unwritten in the pending state.
    let state = receiver.pending_state().unwrap();
    assert_eq!(state.storage_ref(contract, U256::from(1)).unwrap(), U256::ZERO);
}

#[test]
fn estimates_are_the_least_gas_that_succeeds() {
    let (builder, receiver, contract) = pending();
    let from = builder.dev_accounts()[0];
    let transfer = CallRequest {
        from: Some(from),
        to: Some(builder.dev_accounts()[1]),
        value: U256::from(1),
        gas_price: Some(2_000_000),
        ..Default::default()
    };
    assert_eq!(receiver.estimate_gas(&transfer, None).unwrap(), 21_000);
    let call =
        CallRequest { from: Some(from), to: Some(contract), input: word(7), ..Default::default() };
    let estimate = receiver.estimate_gas(&call, None).unwrap();
    assert!(
        receiver.call(&CallRequest { gas: Some(estimate), ..call.clone() }, None).unwrap().success
    );
    assert!(
        !receiver
            .call(&CallRequest { gas: Some(estimate - 1), ..call.clone() }, None)
            .unwrap()
            .success
    );
    // A call that always reverts has no estimate.
    let err = receiver.estimate_gas(&CallRequest { input: word(0), ..call }, None).unwrap_err();
    assert!(matches!(err, ExecuteError::CallFailed(_)));
}

#[test]
fn overrides_apply_before_the_call() {
    let (_, receiver, _) = pending();
    let poor = Address::repeat_byte(0x77);
    let transfer = CallRequest {
        from: Some(poor),
        to: Some(Address::repeat_byte(0x78)),
        value: U256::from(10u64).pow(U256::from(18)),
        ..Default::default()
    };
    assert!(matches!(receiver.call(&transfer, None), Err(ExecuteError::CallRejected(_))));
    let mut overrides = StateOverride::default();
    overrides.insert(
        poor,
        AccountOverride {
            balance: Some(U256::from(10u64).pow(U256::from(19))),
            ..Default::default()
        },
    );
    assert!(receiver.call(&transfer, Some(&overrides)).unwrap().success);
}

#[test]
fn without_a_pending_block_there_is_nothing_to_call() {
    let builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    assert!(matches!(
        receiver.call(&CallRequest::default(), None),
        Err(ExecuteError::NoPendingBlock)
    ));
    assert!(receiver.pending_state().is_none());
}

#[test]
fn snapshots_answer_calls_while_the_executor_moves_on() {
    use flashblocks_execute::{ExecutionCheck, PendingSnapshots};
    use flashblocks_overlay::{CanonicalHead, OverlayEvent};
    use flashblocks_validate::{Validator, ValidatorConfig};

    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let snapshots: PendingSnapshots<_> = check.pending_snapshots();
    assert!(snapshots.latest().is_none(), "no block in progress yet");
    let from = builder.dev_accounts()[0];
    let mut validator = Validator::new(ValidatorConfig::json()).with_check(Box::new(check));
    let block = builder.next_block(&[vec![TxPlan::Deploy], vec![TxPlan::Transfer]]);
    let contract = block[1].executed.receipts[0].contract_address.unwrap();
    let call =
        CallRequest { from: Some(from), to: Some(contract), input: word(5), ..Default::default() };
    let mut taken = Vec::new();
    for built in &block {
        validator.validate(built.json_stripped()).unwrap();
        taken.push(snapshots.latest().expect("published after the commit"));
    }
    // After index 0 (the deposit only) the contract does not exist yet; after index 1 it
    // answers; the first snapshot still answers as it did (it is a copy).
    let (first, second) = (&taken[0], &taken[1]);
    assert_eq!(first.flashblock_index(), Some(0));
    assert_eq!(second.flashblock_index(), Some(1));
    assert_eq!(second.base().block_number, block[0].flashblock.base().unwrap().block_number);
    assert!(first.call(&call, None).unwrap().logs.is_empty(), "no code at the address yet");
    let outcome = second.call(&call, None).unwrap();
    assert!(outcome.success && outcome.logs.len() == 1);
    assert!(second.estimate_gas(&call, None).unwrap() > 21_000);
    // The transfer (index 2) moved balances in the newest snapshot only; the earlier
    // ones keep theirs.
    let third = &taken[2];
    let balance = |snapshot: &flashblocks_execute::PendingSnapshot<_>, address| {
        snapshot.state().basic_ref(address).unwrap().map(|a| a.balance).unwrap_or_default()
    };
    let mut moved = 0;
    for address in builder.dev_accounts() {
        assert_eq!(balance(third, address), builder.balance(&address));
        moved += usize::from(balance(third, address) != balance(second, address));
    }
    assert!(moved >= 2, "sender and recipient moved");
    // A reorg reaching the check drops the pending state it publishes.
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let snapshots = check.pending_snapshots();
    let fb = block[0].json_stripped();
    let execution = check.executor().execute(&fb, true).unwrap();
    check.executor_mut().commit(execution);
    let snapshots_after_commit = check.pending_snapshots();
    assert!(snapshots_after_commit.latest().is_some() && snapshots.latest().is_some());
    let head = CanonicalHead { number: 5, hash: Default::default() };
    check.on_overlay_event(&OverlayEvent::Reorg { canonical: head, dropped_from: None });
    assert!(snapshots.latest().is_none());
}

#[test]
fn an_estimate_below_the_calldata_floor_searches_up_to_it() {
    // Isthmus has EIP-7623: 32 non-zero calldata bytes to an account without code cost
    // 21 000 + 32 x 16 = 21 512 in execution, but the floor is 21 000 + 32 x 4 x 10 =
    // 22 280; a limit below the floor is refused by the EVM, which the search reads as
    // "fails" (geth's), not as an error.
    let (builder, receiver, _) = pending();
    let request = CallRequest {
        from: Some(builder.dev_accounts()[0]),
        to: Some(Address::repeat_byte(0x77)),
        input: Bytes::from(vec![0xff; 32]),
        ..Default::default()
    };
    assert_eq!(receiver.estimate_gas(&request, None).unwrap(), 22_280);
}

#[test]
fn canonical_calls_run_in_the_blocks_state_and_environment() {
    use flashblocks_execute::CanonicalCall;
    use flashblocks_types::ExecutionPayloadStaticV1;
    let builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let base = ExecutionPayloadStaticV1 {
        block_number: 41,
        gas_limit: 30_000_000,
        timestamp: 1_700_000_000,
        ..Default::default()
    };
    let at = CanonicalCall::new(builder.config().clone(), base, builder.genesis());
    // NUMBER is the block's; BALANCE reads the given state.
    let number = CallRequest {
        input: Bytes::from_static(&[0x43, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]),
        ..Default::default()
    };
    assert_eq!(U256::from_be_slice(&at.call(&number, None).unwrap().output), U256::from(41));
    let alice = builder.dev_accounts()[0];
    let mut code = vec![0x73];
    code.extend_from_slice(alice.as_slice());
    code.extend_from_slice(&[0x31, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    let balance = CallRequest { input: Bytes::from(code), ..Default::default() };
    assert_eq!(
        U256::from_be_slice(&at.call(&balance, None).unwrap().output),
        builder.genesis_balance(alice)
    );
    let transfer = CallRequest {
        from: Some(alice),
        to: Some(builder.dev_accounts()[1]),
        value: U256::from(1),
        ..Default::default()
    };
    assert_eq!(at.estimate_gas(&transfer, None).unwrap(), 21_000);
}
