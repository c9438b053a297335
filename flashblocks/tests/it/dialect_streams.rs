//! Synthetic OP Subblocks and Base streams from the executing builder (its blocks
//! reshaped as each sequencer sends them): `auto` decides each, a heartbeat subblock
//! (no transactions) is valid, the subblock stream executes, and Base's link is checked
//! both ways.

use alloy_op_hardforks::OpHardfork;
use flashblocks::{
    assemble::BlockHashOutcome,
    execute::{
        builder::{BuiltFlashblock, ExecutingBuilder, TxPlan},
        ExecuteError, ExecutionCheck, ExecutionReport, Executor,
    },
    overlay::{Lookup, NotHere, OverlayEvent},
    types::{Dialect, DialectChoice, FlashblockId, FlashblockJson},
    validate::PrevBlockLink,
    Receiver, ReceiverConfig,
};

/// Two blocks of three flashblocks; the middle one of each carries no transaction (a
/// heartbeat).
fn built() -> (ExecutingBuilder, Vec<Vec<BuiltFlashblock>>) {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Transfer], vec![], vec![TxPlan::Transfer, TxPlan::Transfer]];
    let blocks = vec![builder.next_block(&plan), builder.next_block(&plan)];
    (builder, blocks)
}

fn auto() -> ReceiverConfig {
    ReceiverConfig::json().with_dialect(DialectChoice::Auto)
}

/// Base's frames of `blocks`, each naming the one before.
fn base_frames(blocks: &[Vec<BuiltFlashblock>]) -> Vec<Vec<FlashblockJson>> {
    let mut prev = FlashblockId::NONE;
    blocks
        .iter()
        .map(|block| {
            block
                .iter()
                .map(|built| {
                    let json = built.json_base(prev);
                    prev = FlashblockId {
                        block_number: json.metadata.block_number.expect("number"),
                        index: json.index,
                    };
                    json
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_subblock_stream_is_decided_accepted_and_executed() {
    let (builder, blocks) = built();
    let heartbeat = blocks[0]
        .iter()
        .map(BuiltFlashblock::json_subblock)
        .find(|json| json.index > 0 && json.diff.transactions.is_empty())
        .expect("the builder made a heartbeat");
    assert!(heartbeat.diff.block_hash.is_zero() && heartbeat.diff.state_root.is_zero());
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    // `auto` decides at the first index 0, and the decision reaches the block-hash check
    // and the executor at that same frame: nothing is checked against a zero hash, and
    // the second block executes on the first, found by number with its learned hash.
    let mut receiver = Receiver::with_execution(auto(), check);
    for (i, built) in blocks.iter().flatten().enumerate() {
        let received = receiver.receive(&built.json_subblock().to_vec(), 0).expect("accepted");
        assert!(received.outcome.is_accepted());
        assert_eq!(received.dialect_decided, (i == 0).then_some(Dialect::Subblocks));
        assert_eq!(received.block_hash, Some(Ok(BlockHashOutcome::Unavailable)), "at {i}");
        assert!(received.execution.is_empty(), "executed as claimed: {:?}", received.execution);
    }
    assert_eq!(receiver.dialect(), Some(Dialect::Subblocks));
    assert_eq!(Dialect::Subblocks.block_hash(), flashblocks::types::DiffBlockHash::Unavailable);
    // With the block-hash check enforced, `auto`'s decision keeps it from reading the
    // zero hashes as mismatches, from the first frame on.
    let mut receiver = Receiver::new(auto().with_block_hash_check(true));
    for built in blocks.iter().flatten() {
        let received = receiver.receive(&built.json_subblock().to_vec(), 0).expect("accepted");
        assert_eq!(received.block_hash, Some(Ok(BlockHashOutcome::Unavailable)));
    }
    // And a rollup-boost stream under the same configuration is still checked: `auto`
    // decides per receiver, the check follows.
    let mut receiver = Receiver::new(auto().with_block_hash_check(true));
    let mut wrong = blocks[0][0].json.clone();
    wrong.diff.block_hash.0[0] ^= 1;
    let err = receiver.receive(&wrong.to_vec(), 0).expect_err("a wrong header hash");
    assert_eq!(err.rule_id(), "block_hash_mismatch");
    assert_eq!(receiver.dialect(), None, "a rejected frame decides nothing");
    let first = receiver.receive(&blocks[0][0].json.to_vec(), 0).expect("accepted");
    assert_eq!(first.dialect_decided, Some(Dialect::RollupBoost));
    assert!(matches!(first.block_hash, Some(Ok(BlockHashOutcome::Ok(_)))));
}

#[test]
fn a_base_stream_is_decided_and_its_link_checked_both_ways() {
    let (_, blocks) = built();
    let frames = base_frames(&blocks);
    let mut receiver = Receiver::new(auto());
    let first = receiver.receive(&frames[0][0].to_vec(), 0).expect("accepted");
    assert_eq!(first.dialect_decided, Some(Dialect::Base));
    assert_eq!(Dialect::Base.block_hash(), flashblocks::types::DiffBlockHash::NotAHeaderHash);
    // The right link is accepted ...
    receiver.receive(&frames[0][1].to_vec(), 0).expect("accepted");
    // ... a wrong one refused, nothing changed ...
    let mut wrong = frames[0][2].clone();
    wrong.metadata.prev_flashblock_id = Some(FlashblockId::NONE);
    let before = receiver.validator().current_block().cloned();
    let err = receiver.receive(&wrong.to_vec(), 0).expect_err("refused");
    assert_eq!(err.rule_id(), "prev_flash_id_mismatch");
    assert_eq!(receiver.validator().current_block().cloned(), before);
    // ... and the right one still taken. The next block's link names the last frame
    // held: nothing to report.
    for json in &frames[0][2..] {
        receiver.receive(&json.to_vec(), 0).expect("accepted");
    }
    let next = receiver.receive(&frames[1][0].to_vec(), 0).expect("accepted");
    assert_eq!(next.outcome.accepted().and_then(|a| a.prev_block_link()), None);
    // A receiver that missed the first block's last frame hears of it at the next
    // index 0: the block was incomplete (reported, never a rejection).
    let mut missed = Receiver::new(auto());
    let held = frames[0].len() as u64 - 1;
    for json in &frames[0][..held as usize] {
        missed.receive(&json.to_vec(), 0).expect("accepted");
    }
    let next = missed.receive(&frames[1][0].to_vec(), 0).expect("accepted");
    let number = frames[0][0].metadata.block_number.expect("number");
    assert_eq!(
        next.outcome.accepted().and_then(|a| a.prev_block_link()),
        Some(PrevBlockLink::Incomplete { block_number: number, held, named: held + 1 })
    );
}

#[test]
fn a_base_block_found_incomplete_stops_serving_and_is_no_parent() {
    let (builder, blocks) = built();
    let frames = base_frames(&blocks);
    let check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let mut receiver = Receiver::with_execution(auto(), check);
    // The first block's last frame never arrives.
    let held = frames[0].len() - 1;
    for json in &frames[0][..held] {
        let received = receiver.receive(&json.to_vec(), 0).expect("accepted");
        assert!(received.execution.is_empty(), "executed as claimed: {:?}", received.execution);
    }
    let sender = builder.dev_accounts()[0];
    let number = frames[0][0].metadata.block_number.expect("number");
    let next = receiver.receive(&frames[1][0].to_vec(), 0).expect("never a rejection");
    // The overlay drops the incomplete block and state reads wait for the canonical
    // chain to reach it ...
    let events = next.applied.expect("applied").expect("placed").events;
    assert!(
        events.contains(&OverlayEvent::Incomplete {
            number,
            held: held as u64,
            named: held as u64 + 1
        }),
        "{events:?}"
    );
    let snapshot = receiver.reader().snapshot();
    assert!(
        matches!(
            snapshot.at(0).balance(sender),
            Lookup::NotHere(NotHere::Incomplete { required, .. }) if required == number
        ),
        "{:?}",
        snapshot.at(0).balance(sender)
    );
    // ... and the executor does not take it as the next block's parent: its state is
    // not held elsewhere, so the next block is not executed (never executed on a block
    // that lacks frames).
    assert!(
        matches!(
            next.execution.as_slice(),
            [ExecutionReport::NotExecuted {
                error: ExecuteError::ParentStateUnavailable { parent_number, .. },
                ..
            }] if *parent_number == number
        ),
        "{:?}",
        next.execution
    );
}
