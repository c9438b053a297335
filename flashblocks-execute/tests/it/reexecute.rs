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
        // op-reth's deposit receipts: the block's L1 fields, with a zero L1 fee.
        assert_eq!(r.l1_block_info.l1_fee, Some(0));
        assert!(r.l1_block_info.l1_gas_price.is_some_and(|p| p > 0));
    }
    // The deployment: a contract address whose code is the runtime, and an L1 fee.
    let deploy = &block[1].executed.receipts[0];
    let contract = deploy.contract_address.expect("a contract was created");
    assert!(deploy.status());
    assert!(deploy.l1_block_info.l1_fee.is_some_and(|f| f > 0));
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
    // Every flashblock's block hash verifies over the block so far: the validator's
    // block-hash check accepts each one.
    let mut validator =
        flashblocks_validate::Validator::new(flashblocks_validate::ValidatorConfig::v1())
            .with_check(Box::new(flashblocks_assemble::BlockHashCheck::new()));
    for built in &block {
        let outcome = validator.validate(built.flashblock.clone()).unwrap();
        let token = outcome.into_accepted().unwrap();
        assert_eq!(token.header().unwrap().hash(), built.flashblock.diff().block_hash);
    }
}

/// A random mix of planned transactions: blocks of flashblocks of transactions.
pub(crate) fn plans() -> impl proptest::strategy::Strategy<Value = Vec<Vec<Vec<TxPlan>>>> {
    use proptest::prelude::*;
    let tx = prop_oneof![
        Just(TxPlan::Transfer),
        Just(TxPlan::LegacyTransfer),
        Just(TxPlan::Deploy),
        Just(TxPlan::Call),
        Just(TxPlan::RevertingCall),
        Just(TxPlan::Delegate),
    ];
    let flashblock = proptest::collection::vec(tx, 0..4);
    let block = proptest::collection::vec(flashblock, 1..4);
    proptest::collection::vec(block, 1..3)
}

/// Runs `plans` on a builder of `hardfork`; a receiver re-executes each flashblock
/// from its stripped JSON (and, before Jovian, from its SSZ frame with the builder's
/// metadata) and must get the builder's facts and prove every claim.
fn reexecute(hardfork: OpHardfork, plans: &[Vec<Vec<TxPlan>>]) {
    reexecute_on(ExecutingBuilder::new(hardfork), plans);
}

/// As [`reexecute`], on `builder` (a Lagoon builder's subblocks carry refunds).
pub(crate) fn reexecute_on(mut builder: ExecutingBuilder, plans: &[Vec<Vec<TxPlan>>]) {
    let hardfork = builder.hardfork();
    let lagoon = builder.config().lagoon_time().is_some();
    let mut json_receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    let mut ssz_receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    for plan in plans {
        for built in builder.next_block(plan) {
            let stripped = built.json_stripped();
            let starts = stripped.index() == 0;
            let execution = json_receiver.execute(&stripped, starts).expect("executes");
            assert_eq!(execution.proof(), Ok(()));
            assert_eq!(execution.metadata(), &built.executed);
            assert_eq!(execution.receipts_root(), built.flashblock.diff().receipts_root);
            assert_eq!(execution.logs_bloom(), built.flashblock.diff().logs_bloom);
            json_receiver.commit(execution);
            if hardfork == OpHardfork::Isthmus && !lagoon {
                let frame =
                    built.flashblock.clone().into_sealed_v1().unwrap().into_inner().encode_ssz();
                let v1 = flashblocks_types::Flashblock::decode_v1(&frame).unwrap();
                let execution = ssz_receiver.execute(&v1, starts).expect("executes");
                assert_eq!(execution.proof(), Ok(()));
                assert_eq!(execution.metadata(), &built.executed);
                ssz_receiver.commit(execution);
            } else if hardfork != OpHardfork::Isthmus {
                assert_eq!(stripped.blob_gas_used(), Some(execution_blob_gas(&built)));
            }
        }
    }
}

/// The cumulative `blob_gas_used` a Jovian builder's JSON diff carries.
fn execution_blob_gas(built: &flashblocks_execute::builder::BuiltFlashblock) -> u64 {
    built.json.diff.blob_gas_used.expect("a Jovian diff carries blob_gas_used")
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 8, ..Default::default() })]

    #[test]
    fn random_isthmus_mixes_reexecute(plans in plans()) {
        reexecute(OpHardfork::Isthmus, &plans);
    }
}

#[test]
fn jovian_json_carries_and_proves_blob_gas_used() {
    let plan = vec![vec![vec![TxPlan::Transfer, TxPlan::Deploy], vec![TxPlan::Call]]; 2];
    reexecute(OpHardfork::Jovian, &plan);
    // The footprint is not zero once user transactions are in, and a wrong one is named.
    let mut builder = ExecutingBuilder::new(OpHardfork::Jovian);
    let block = builder.next_block(&plan[0]);
    let blob_gas = execution_blob_gas(block.last().unwrap());
    assert!(blob_gas > 0);
    let mut receiver = Executor::new(builder.config().clone(), builder.genesis_states());
    for (i, built) in block.iter().enumerate() {
        let mut json = built.json.clone();
        let last = i + 1 == block.len();
        if last {
            json.diff.blob_gas_used = Some(blob_gas + 1);
        }
        let execution =
            receiver.execute(&flashblocks_types::Flashblock::from_json(json), i == 0).unwrap();
        match execution.proof() {
            Ok(()) => assert!(!last),
            Err(m) => {
                assert!(last);
                assert_eq!(m.fact, flashblocks_validate::ExecutedFact::BlobGasUsed);
            }
        }
        receiver.commit(execution);
    }
}
