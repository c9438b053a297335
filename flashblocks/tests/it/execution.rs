//! The receiver with execution: a stripped JSON stream serves executed balances; a
//! tampered claim is reported (and the block's executed facts answer not known) or, in
//! enforce mode, rejected as `execution_invalid` with nothing changed.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Address, U256};
use flashblocks::{
    execute::{
        builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
        Enforcement, ExecutionCheck, ExecutionReport, Executor,
    },
    overlay::{Lookup, NotHere},
    validate::ExecutedFact,
    Receiver, ReceiverConfig,
};
use std::collections::BTreeMap;

const NOW: u64 = 1_000;

/// Two blocks from the executing builder, and a receiver executing over its genesis.
fn setup(enforcement: Enforcement) -> (Vec<BuiltFlashblock>, Vec<BuiltFlashblock>, Receiver) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Deploy, TxPlan::Transfer], vec![TxPlan::Call, TxPlan::Transfer]];
    let first = builder.next_block(&plan);
    let second = builder.next_block(&plan);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()))
            .with_enforcement(enforcement);
    (first, second, Receiver::with_execution(ReceiverConfig::json(), check))
}

/// The JSON frame with neither balances nor receipts, optionally with one more gas
/// claimed than used.
fn frame(built: &BuiltFlashblock, extra_gas: u64) -> Vec<u8> {
    let mut json = built.json.clone();
    json.metadata.new_account_balances = None;
    json.metadata.receipts = None;
    json.diff.gas_used += extra_gas;
    serde_json::to_vec(&json).unwrap()
}

fn feed(receiver: &mut Receiver, built: &BuiltFlashblock) {
    let received = receiver.receive(&frame(built, 0), NOW).unwrap();
    assert!(received.outcome.accepted().is_some());
    assert!(received.execution.is_empty(), "{:?}", received.execution);
    assert!(matches!(received.applied, Some(Ok(_))));
}

/// The newest executed balance of every account the flashblocks changed.
fn balances<'a>(blocks: impl IntoIterator<Item = &'a BuiltFlashblock>) -> BTreeMap<Address, U256> {
    let mut balances = BTreeMap::new();
    for built in blocks {
        for account in &built.executed.accounts {
            if let Some(balance) = account.balance {
                balances.insert(account.address, balance);
            }
        }
    }
    balances
}

#[test]
fn a_stripped_json_stream_serves_executed_balances() {
    let (first, second, mut receiver) = setup(Enforcement::Report);
    for built in first.iter().chain(&second) {
        feed(&mut receiver, built);
    }
    let expected = balances(first.iter().chain(&second));
    assert!(expected.len() >= 3);
    let snapshot = receiver.reader().snapshot();
    let view = snapshot.at(NOW);
    for (address, balance) in &expected {
        match view.balance(*address) {
            Lookup::Found(found) => assert_eq!(found.value, *balance, "{address}"),
            other => panic!("{address}: {other:?}"),
        }
    }
}

#[test]
fn a_tampered_claim_is_reported_and_the_blocks_executed_facts_answer_not_known() {
    let (first, second, mut receiver) = setup(Enforcement::Report);
    for built in first.iter().chain(&second[..2]) {
        feed(&mut receiver, built);
    }
    let snapshot = receiver.reader().snapshot();
    let some = *balances(&second[..2]).keys().next().unwrap();
    assert!(matches!(snapshot.at(NOW).balance(some), Lookup::Found(_)));

    let tampered = &second[2];
    let received = receiver.receive(&frame(tampered, 1), NOW).unwrap();
    assert!(received.outcome.accepted().is_some());
    match received.execution.as_slice() {
        [ExecutionReport::Mismatch { block_number, index, mismatch }] => {
            assert_eq!((*block_number, *index), (2, 2));
            assert_eq!(mismatch.fact, ExecutedFact::GasUsed);
        }
        other => panic!("{other:?}"),
    }
    let snapshot = receiver.reader().snapshot();
    let view = snapshot.at(NOW);
    assert_eq!(snapshot.id().map(|id| (id.block_number, id.flashblock_index)), Some((2, 2)));
    // None of block 2's executed balances serve, not even its earlier flashblocks' ...
    for address in balances(&second).keys() {
        assert!(
            matches!(view.balance(*address), Lookup::NotHere(NotHere::NotCarried)),
            "{address}: {:?}",
            view.balance(*address)
        );
    }
    // ... while its transactions still do.
    for receipt in &tampered.executed.receipts {
        assert!(matches!(view.transaction(receipt.transaction_hash), Lookup::Found(_)));
    }
}

#[test]
fn enforced_a_tampered_claim_is_rejected_and_changes_nothing() {
    let (first, second, mut receiver) = setup(Enforcement::Enforce);
    for built in first.iter().chain(&second[..2]) {
        feed(&mut receiver, built);
    }
    let before = receiver.reader().snapshot();
    let expected = balances(first.iter().chain(&second[..2]));

    let error = receiver.receive(&frame(&second[2], 1), NOW).unwrap_err();
    assert_eq!(error.rule_id(), "execution_invalid");
    let after = receiver.reader().snapshot();
    assert_eq!(after.id(), before.id());
    let view = after.at(NOW);
    for (address, balance) in &expected {
        match view.balance(*address) {
            Lookup::Found(found) => assert_eq!(found.value, *balance, "{address}"),
            other => panic!("{address}: {other:?}"),
        }
    }
    // The honest flashblock still follows, and its balances serve.
    feed(&mut receiver, &second[2]);
    let snapshot = receiver.reader().snapshot();
    let view = snapshot.at(NOW);
    for (address, balance) in &balances(first.iter().chain(&second)) {
        match view.balance(*address) {
            Lookup::Found(found) => assert_eq!(found.value, *balance, "{address}"),
            other => panic!("{address}: {other:?}"),
        }
    }
}
