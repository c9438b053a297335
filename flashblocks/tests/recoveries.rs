//! One sender recovery per transaction received, whatever reads it: the validator's
//! preparation is the only one, shared by the execution check, the assembler, the
//! overlay (nonces at apply, lookups by hash, full pending blocks) and the executor.
//!
//! A binary of its own: the count (`flashblocks_types::recoveries`, feature
//! `test-utils`) is one per process, which the other tests' recoveries would move.

use alloy_op_hardforks::OpHardfork;
use flashblocks::{
    execute::{
        builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
        ExecutionCheck, Executor,
    },
    overlay::Lookup,
    Receiver, ReceiverConfig,
};
use flashblocks_types::{recoveries, PreparedTransaction, PARALLEL_FROM};

const NOW: u64 = 1_000;

/// The JSON frame with neither balances nor receipts (so the overlay needs the senders
/// for nonces, and execution for the rest).
fn frame(built: &BuiltFlashblock) -> Vec<u8> {
    let mut json = built.json.clone();
    json.metadata.new_account_balances = None;
    json.metadata.receipts = None;
    serde_json::to_vec(&json).expect("JSON")
}

#[test]
fn each_transaction_is_recovered_once() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus).with_gas_limit(300_000_000);
    // One flashblock above the parallel threshold (recovered on rayon's threads), one
    // below, each with every kind of transaction the builder makes.
    let many = vec![TxPlan::Transfer; PARALLEL_FROM + 8];
    let few = vec![TxPlan::Deploy, TxPlan::Call, TxPlan::LegacyTransfer, TxPlan::Delegate];
    let blocks =
        [builder.next_block(&[many.clone(), few.clone()]), builder.next_block(&[few, many])];
    let frames: Vec<Vec<u8>> = blocks.iter().flatten().map(frame).collect();
    let signed: u64 = blocks
        .iter()
        .flatten()
        .flat_map(|built| built.flashblock.transactions())
        .filter(|raw| raw.first() != Some(&0x7e))
        .count() as u64;
    assert!(signed > 2 * PARALLEL_FROM as u64);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let mut receiver = Receiver::with_execution(ReceiverConfig::json(), check);

    let before = recoveries();
    for frame in &frames {
        let received = receiver.receive(frame, NOW).expect("valid");
        assert!(received.outcome.is_accepted());
        assert!(received.execution.is_empty(), "{:?}", received.execution);
        assert!(matches!(received.applied, Some(Ok(_))));
    }
    assert_eq!(recoveries() - before, signed, "one recovery per signed transaction");

    // Resends and rejected frames pay nothing.
    assert!(receiver
        .receive(&frames[frames.len() - 1], NOW)
        .expect("a resend")
        .outcome
        .is_duplicate());
    assert!(receiver.receive(&frames[1], NOW).is_err(), "an old index 1 of another block");
    assert_eq!(recoveries() - before, signed);

    // Every read of the pending state is served from the preparation.
    let snapshot = receiver.reader().snapshot();
    let view = snapshot.at(NOW);
    let mut found = 0;
    let signed_of_last = blocks[1]
        .iter()
        .flat_map(|built| built.flashblock.transactions())
        .filter(|raw| raw.first() != Some(&0x7e));
    for raw in signed_of_last {
        let hash = alloy_primitives::keccak256(raw);
        if let Lookup::Found(tx) = view.rpc_transaction(hash) {
            found += 1;
            // The sender served is the one recovered (counted here, outside the path).
            let expected = PreparedTransaction::prepare(raw).sender().expect("signed");
            assert_eq!(tx.value.inner.inner.signer(), expected);
        }
    }
    assert!(found >= PARALLEL_FROM, "{found} transactions served");
    assert!(matches!(view.pending_block(true), Lookup::Found(_)));
    let checked = found as u64;
    assert_eq!(recoveries() - before, signed + checked, "no recovery in the lookups");
}
