//! The executor as the validator's `execution_invalid` check.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::U256;
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    Enforcement, ExecutionCheck, ExecutionReport, Executor,
};
use flashblocks_types::{Dialect, Flashblock};
use flashblocks_validate::{ExecutedFact, ValidationError, Validator, ValidatorConfig};

fn plan() -> Vec<Vec<TxPlan>> {
    vec![vec![TxPlan::Deploy, TxPlan::Transfer], vec![TxPlan::Call, TxPlan::Delegate]]
}

#[test]
fn v1_frames_pass_the_enforcing_check() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()))
            .with_enforcement(Enforcement::Enforce);
    let mut validator = Validator::new(ValidatorConfig::v1()).with_check(Box::new(check));
    for _ in 0..3 {
        for built in builder.next_block(&plan()) {
            let frame =
                built.flashblock.clone().into_sealed_v1().unwrap().into_inner().encode_ssz();
            let outcome = validator.validate(Flashblock::decode_v1(&frame).unwrap()).unwrap();
            // The token carries the executed facts on (CheckOutput::Executed).
            let executed = outcome.accepted().and_then(|t| t.executed()).expect("executed");
            assert_eq!(**executed, *built.executed);
        }
    }
}

#[test]
fn enforced_mismatch_rejects_and_changes_nothing() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()))
            .with_enforcement(Enforcement::Enforce);
    let mut validator = Validator::new(ValidatorConfig::json()).with_check(Box::new(check));
    let block = builder.next_block(&plan());
    validator.validate(block[0].json_stripped()).unwrap();
    let mut json = block[1].json.clone();
    let balances = json.metadata.new_account_balances.as_mut().unwrap();
    let first = balances.values_mut().next().unwrap();
    *first += U256::from(1);
    let err = validator.validate(Flashblock::from_json(json)).unwrap_err();
    let ValidationError::ExecutionInvalid(m) = &err else { panic!("{err}") };
    assert_eq!(err.rule_id(), "execution_invalid");
    assert_eq!(m.fact, ExecutedFact::Balance);
    // The correct flashblock is still accepted after the rejection.
    for built in &block[1..] {
        assert!(validator.validate(built.json_stripped()).unwrap().is_accepted());
    }
}

#[test]
fn reported_mismatch_accepts_and_stops_executing_the_block() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let block = builder.next_block(&plan());
    use flashblocks_validate::FlashblockCheck;
    let fb0 = block[0].json_stripped();
    check.check(&fb0, true, Dialect::RollupBoost).unwrap();
    assert!(check.last_executed().is_some());
    check.commit(&fb0, true);
    let mut json = block[1].json.clone();
    json.diff.gas_used += 1;
    let bad = Flashblock::from_json(json);
    check.check(&bad, false, Dialect::RollupBoost).unwrap();
    assert!(check.last_executed().is_none());
    check.commit(&bad, false);
    assert!(check.is_broken(bad.payload_id()));
    let reports = check.take_reports();
    assert!(
        matches!(&reports[..], [ExecutionReport::Mismatch { index: 1, mismatch, .. }] if mismatch.fact == ExecutedFact::GasUsed)
    );
    // The rest of the block yields no executed facts.
    let fb2 = block[2].json_stripped();
    check.check(&fb2, false, Dialect::RollupBoost).unwrap();
    assert!(check.last_executed().is_none());
}
