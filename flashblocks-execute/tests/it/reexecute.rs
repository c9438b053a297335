//! The builder's flashblocks, turned into JSON with the metadata stripped and executed
//! by a receiver, give back exactly the builder's metadata, receipts and roots.

use alloy_op_hardforks::OpHardfork;
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    Executor,
};

#[test]
fn stripped_json_reexecutes_to_the_builders_facts() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let plan = vec![
        vec![TxPlan::Transfer, TxPlan::Deploy],
        vec![TxPlan::Call, TxPlan::RevertingCall, TxPlan::LegacyTransfer],
        vec![TxPlan::Delegate, TxPlan::Call],
    ];
    for _ in 0..2 {
        for built in builder.next_block(&plan) {
            let stripped = built.json_stripped();
            let starts = stripped.index() == 0;
            let execution = receiver.execute(&stripped, starts).expect("executes");
            assert_eq!(execution.proof(), Ok(()));
            assert_eq!(execution.metadata(), &built.executed);
            receiver.commit(execution);
        }
    }
}

#[test]
fn builder_blocks_hold_what_was_planned() {
    use alloy_consensus::TxReceipt;
    use flashblocks_execute::builder::{contract_runtime, LOG_TOPIC};

    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let block = builder.next_block(&[
        vec![TxPlan::Deploy],
        vec![TxPlan::Call, TxPlan::RevertingCall],
        vec![TxPlan::Delegate],
    ]);
    // Index 0: the L1-info deposit and a user deposit, with deposit receipts.
    let deposits = &block[0].executed.receipts;
    assert_eq!(deposits.len(), 2);
    for r in deposits {
        match &r.receipt {
            op_alloy_consensus::OpReceipt::Deposit(d) => {
                assert!(d.deposit_nonce.is_some());
                assert_eq!(d.deposit_receipt_version, Some(1));
            }
            other => panic!("a deposit receipt, got {other:?}"),
        }
        assert!(r.l1_fee.is_none());
    }
    // The deployment: a contract address whose code is the runtime, and an L1 fee.
    let deploy = &block[1].executed.receipts[0];
    let contract = deploy.contract_address.expect("a contract was created");
    assert!(deploy.status());
    assert!(deploy.l1_fee.is_some_and(|f| f.l1_fee > 0));
    let account = block[1].executed.account(&contract).expect("the contract changed");
    assert_eq!(account.code.as_ref(), Some(&contract_runtime()));
    // The call writes slot 1 and emits one log; the reverting call fails with none.
    let call = &block[2].executed.receipts[0];
    assert!(call.status());
    assert_eq!(call.receipt.logs().len(), 1);
    assert_eq!(call.receipt.logs()[0].topics(), &[LOG_TOPIC]);
    let slots = &block[2].executed.account(&contract).expect("storage written").storage_slots;
    assert_eq!(slots.len(), 1);
    let revert = &block[2].executed.receipts[1];
    assert!(!revert.status() && revert.receipt.logs().is_empty());
    // The EIP-7702 authorisation: the authority's code is the delegation designator.
    let delegated = block[3]
        .executed
        .accounts
        .iter()
        .find(|a| a.code.as_ref().is_some_and(|c| c.starts_with(&[0xef, 0x01, 0x00])))
        .expect("an authority was delegated");
    assert_eq!(&delegated.code.as_ref().unwrap()[3..], contract.as_slice());
    // Every flashblock's block hash verifies over the block so far.
    let mut assembler = flashblocks_assemble::Assembler::new(&block[0].flashblock).unwrap();
    assert_eq!(assembler.verify_block_hash().unwrap(), block[0].flashblock.diff().block_hash);
    for built in &block[1..] {
        assembler.push(&built.flashblock).unwrap();
        assert_eq!(assembler.verify_block_hash().unwrap(), built.flashblock.diff().block_hash);
    }
}
