//! One wrong claim gives an `ExecutionMismatch` naming it.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Bytes, B256, U256};
use flashblocks_execute::{
    builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
    Executor, InMemoryStates,
};
use flashblocks_types::{Flashblock, FlashblocksPayloadV1, StorageSlot};
use flashblocks_validate::{ExecutedFact, ExecutionMismatch, FactSubject, FactValue};

/// A block whose last flashblock deploys and calls (balances, nonces, code, a slot).
fn block() -> (ExecutingBuilder, Vec<BuiltFlashblock>) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[vec![TxPlan::Deploy], vec![TxPlan::Call, TxPlan::Transfer]]);
    (builder, block)
}

/// Executes the block on a fresh receiver, the last flashblock changed by `tamper`;
/// the proof of the last flashblock.
fn prove_last(
    tamper: impl FnOnce(&mut FlashblocksPayloadV1),
) -> Result<(), Box<ExecutionMismatch>> {
    let (builder, block) = block();
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let (last, earlier) = block.split_last().unwrap();
    for built in earlier {
        let execution = receiver.execute(&built.flashblock, built.flashblock.index() == 0).unwrap();
        assert_eq!(execution.proof(), Ok(()));
        receiver.commit(execution);
    }
    let mut payload = last.flashblock.clone().into_sealed_v1().unwrap().into_inner();
    tamper(&mut payload);
    let execution = receiver.execute(&Flashblock::from_v1(payload), false).unwrap();
    execution.proof().map_err(|m| Box::new(m.clone()))
}

#[test]
fn untampered_flashblocks_prove() {
    assert_eq!(prove_last(|_| {}), Ok(()));
}

#[test]
fn wrong_gas_used_is_named() {
    let m = prove_last(|p| p.diff.gas_used += 1).unwrap_err();
    assert_eq!((m.fact, m.subject), (ExecutedFact::GasUsed, FactSubject::Block));
    let FactValue::Quantity(executed) = m.executed else { panic!("{m}") };
    assert_eq!(m.claimed, FactValue::Quantity(executed + U256::from(1)));
}

#[test]
fn wrong_receipts_root_and_bloom_are_named() {
    let m = prove_last(|p| p.diff.receipts_root = B256::repeat_byte(1)).unwrap_err();
    assert_eq!(m.fact, ExecutedFact::ReceiptsRoot);
    assert_eq!(m.claimed, FactValue::Hash(B256::repeat_byte(1)));
    let m = prove_last(|p| p.diff.logs_bloom = Default::default()).unwrap_err();
    assert_eq!(m.fact, ExecutedFact::LogsBloom);
}

#[test]
fn wrong_receipt_facts_are_named() {
    let m = prove_last(|p| p.metadata.transactions[0].status = 0).unwrap_err();
    assert_eq!(m.fact, ExecutedFact::Status);
    assert!(matches!(m.subject, FactSubject::Transaction { index: 0, .. }));
    assert_eq!(
        (m.executed, m.claimed),
        (FactValue::Quantity(U256::from(1)), FactValue::Quantity(U256::ZERO))
    );
    let m = prove_last(|p| p.metadata.transactions[1].gas_used -= 1).unwrap_err();
    assert_eq!(m.fact, ExecutedFact::TransactionGasUsed);
    assert!(matches!(m.subject, FactSubject::Transaction { index: 1, .. }));
}

#[test]
fn wrong_balance_nonce_code_and_slot_are_named() {
    let (_, block) = block();
    let contract = block[1].executed.receipts[0].contract_address.unwrap();
    let sender = block[2]
        .executed
        .accounts
        .iter()
        .find(|a| a.balance.is_some() && a.nonce > 0)
        .unwrap()
        .address;
    let position = |p: &FlashblocksPayloadV1, a| {
        p.metadata.accounts.iter().position(|x| x.address == a).unwrap()
    };

    let m = prove_last(|p| {
        let i = position(p, sender);
        p.metadata.accounts[i].balance = Some(U256::from(7));
    })
    .unwrap_err();
    assert_eq!((m.fact, m.subject), (ExecutedFact::Balance, FactSubject::Account(sender)));
    assert_eq!(m.claimed, FactValue::Quantity(U256::from(7)));

    let m = prove_last(|p| {
        let i = position(p, sender);
        p.metadata.accounts[i].nonce += 5;
    })
    .unwrap_err();
    assert_eq!((m.fact, m.subject), (ExecutedFact::Nonce, FactSubject::Account(sender)));

    let m = prove_last(|p| {
        let i = position(p, contract);
        p.metadata.accounts[i].code = Some(Bytes::from_static(&[0xfe]));
    })
    .unwrap_err();
    assert_eq!((m.fact, m.subject), (ExecutedFact::Code, FactSubject::Account(contract)));
    assert_eq!(m.claimed, FactValue::Bytes(Bytes::from_static(&[0xfe])));

    let m = prove_last(|p| {
        let i = position(p, contract);
        p.metadata.accounts[i].storage_slots[0].value = B256::repeat_byte(9);
    })
    .unwrap_err();
    assert_eq!(m.fact, ExecutedFact::StorageSlot);
    assert_eq!(m.subject, FactSubject::Slot { address: contract, key: B256::with_last_byte(1) });
    assert_eq!(m.claimed, FactValue::Hash(B256::repeat_byte(9)));

    // A slot the flashblock did not change, claimed with a wrong value.
    let m = prove_last(|p| {
        let i = position(p, contract);
        p.metadata.accounts[i]
            .storage_slots
            .push(StorageSlot { key: B256::with_last_byte(2), value: B256::repeat_byte(3) });
    })
    .unwrap_err();
    assert_eq!(m.subject, FactSubject::Slot { address: contract, key: B256::with_last_byte(2) });
    assert_eq!(m.executed, FactValue::Hash(B256::ZERO));
}

#[test]
fn wrong_json_receipt_and_balance_are_named() {
    let (builder, block) = block();
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    for (i, built) in block.iter().enumerate() {
        let mut json = built.json.clone();
        if i == 2 {
            let receipts = json.metadata.receipts.as_mut().unwrap();
            let with_logs = receipts.values_mut().find_map(|r| match r {
                op_alloy_consensus::OpReceipt::Eip1559(r) if !r.logs.is_empty() => Some(r),
                _ => None,
            });
            with_logs.unwrap().logs.clear();
        }
        let execution = receiver.execute(&Flashblock::from_json(json), i == 0).unwrap();
        if i == 2 {
            let m = execution.proof().unwrap_err();
            assert_eq!(m.fact, ExecutedFact::Logs);
            assert!(matches!(m.claimed, FactValue::Logs { count: 0, .. }));
            assert!(matches!(m.executed, FactValue::Logs { count: 1, .. }));
        } else {
            assert_eq!(execution.proof(), Ok(()));
        }
        receiver.commit(execution);
    }
    // A carried balance that differs.
    let (builder, block) = self::block();
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let execution = receiver.execute(&block[0].flashblock, true).unwrap();
    receiver.commit(execution);
    let mut json = block[1].json.clone();
    let (address, balance) = json
        .metadata
        .new_account_balances
        .as_mut()
        .unwrap()
        .iter_mut()
        .next()
        .map(|(a, b)| (*a, b))
        .unwrap();
    *balance += U256::from(1);
    let m =
        receiver.execute(&Flashblock::from_json(json), false).unwrap().proof().unwrap_err().clone();
    assert_eq!((m.fact, m.subject), (ExecutedFact::Balance, FactSubject::Account(address)));
}

#[test]
fn an_undecodable_transaction_is_rejected_by_index() {
    let (builder, block) = block();
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let execution = receiver.execute(&block[0].flashblock, true).unwrap();
    receiver.commit(execution);
    let mut json = block[1].json.clone();
    json.diff.transactions.push(Bytes::from_static(&[0x02, 0xc0]));
    let err = receiver.execute(&Flashblock::from_json(json), false).unwrap_err();
    assert!(matches!(
        err,
        flashblocks_execute::ExecuteError::TransactionRejected {
            index: 1,
            rejection: flashblocks_validate::TransactionRejection::Undecodable,
            ..
        }
    ));
}

#[test]
fn without_the_parent_state_execution_is_unavailable() {
    let (builder, block) = block();
    let receiver = Executor::new(builder.config().clone(), InMemoryStates::default());
    let err = receiver.execute(&block[0].flashblock, true).unwrap_err();
    assert!(err.is_parent_state_unavailable(), "{err}");
    // And a later flashblock of a block never started is not executed either.
    let err = receiver.execute(&block[1].flashblock, false).unwrap_err();
    assert!(matches!(err, flashblocks_execute::ExecuteError::BlockNotStarted { index: 1 }));
}

#[test]
fn a_block_above_the_gas_bound_is_not_executed() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_gas_limit(2_000_000_000);
    let block = builder.next_block(&[]);
    let receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let err = receiver.execute(&block[0].flashblock, true).unwrap_err();
    assert!(matches!(
        err,
        flashblocks_execute::ExecuteError::GasLimitTooHigh {
            gas_limit: 2_000_000_000,
            max: 1_000_000_000
        }
    ));
    let receiver = receiver.with_max_block_gas_limit(2_000_000_000);
    assert!(receiver.execute(&block[0].flashblock, true).unwrap().proof().is_ok());
}
