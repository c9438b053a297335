//! After a reported mismatch, none of the block's executed facts serve from the overlay;
//! what the stream carried (transactions, here no state) still does, and the blocks
//! before it keep theirs.

use alloy_op_hardforks::OpHardfork;
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    ExecutionCheck, ExecutionReport, Executor,
};
use flashblocks_overlay::{Lookup, NotHere, Overlay, OverlayConfig};
use flashblocks_types::Flashblock;
use flashblocks_validate::{ExecutedFact, Validator, ValidatorConfig};

#[test]
fn a_reported_mismatch_voids_the_blocks_executed_facts() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Deploy, TxPlan::Transfer], vec![TxPlan::Call]];
    let first = builder.next_block(&plan);
    let second = builder.next_block(&plan);
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let mut validator = Validator::new(ValidatorConfig::json());
    let mut overlay = Overlay::new(OverlayConfig::default());
    let mut feed = |fb: Flashblock, overlay: &mut Overlay| {
        let token = validator.validate_with(fb, &mut check).unwrap().into_accepted().unwrap();
        overlay.apply(&token, 1_000).unwrap();
        for report in check.take_reports() {
            if let ExecutionReport::Mismatch { mismatch, .. } = report {
                assert_eq!(mismatch.fact, ExecutedFact::GasUsed);
                assert!(overlay.void_executed(token.flashblock().payload_id()));
            }
        }
    };
    for built in &first {
        feed(built.json_stripped(), &mut overlay);
    }
    // Block 2: index 0 executes and proves; index 1 claims one gas too many.
    feed(second[0].json_stripped(), &mut overlay);
    let deposit_sender = second[0].executed.receipts[1].transaction_hash;
    let view_before = overlay.snapshot();
    assert!(matches!(view_before.at(1_000).receipt(deposit_sender), Lookup::Found(_)));
    let mut json = second[1].json.clone();
    json.metadata.receipts = None;
    json.metadata.new_account_balances = None;
    json.diff.gas_used += 1;
    feed(Flashblock::from_json(json), &mut overlay);

    let snapshot = overlay.snapshot();
    let view = snapshot.at(1_000);
    // Block 2's executed facts (its index 0 too) no longer serve ...
    assert!(matches!(view.receipt(deposit_sender), Lookup::NotHere(NotHere::NotCarried)));
    for account in second.iter().flat_map(|b| &b.executed.accounts) {
        let set_in_first = first.iter().any(|b| b.executed.account(&account.address).is_some());
        if !set_in_first {
            assert!(matches!(view.transaction_count(account.address), Lookup::NotHere(_)));
        }
    }
    // ... its transactions still do, and block 1's executed facts too.
    assert_eq!(snapshot.id().map(|id| (id.block_number, id.flashblock_index)), Some((2, 1)));
    let deployment = first[1].executed.receipts[0].transaction_hash;
    assert!(matches!(view.receipt(deployment), Lookup::Found(_)));
}
