//! The main job's executed part: every flashblock of the stripped JSON stream proves and
//! gives exactly the builder's facts, and the table has a row per flashblock.

use flashblocks_examples::executed::{executed_replay, subblock_replay};

#[test]
fn executed_replay_proves_every_flashblock() {
    let mut lines: Vec<String> = Vec::new();
    let summary = executed_replay(&mut lines).unwrap();
    assert_eq!(summary.executed, 9);
    assert_eq!((summary.proved, summary.mismatched, summary.builder_facts), (9, 0, 9));
    assert_eq!(lines.iter().filter(|l| l.contains(" ok ")).count(), 9);
    assert!(lines.iter().any(|l| l.contains("eth_call(pending)") && l.contains("success true")));
}

/// The main job's subblock part: every subblock accepted with the block-hash outcome
/// `unavailable` (printed in the table), executed block after block with the builder's
/// balances, the pending block's hash null, `BLOCKHASH` of its parent the hash learned
/// from it, the canonical block 1 (ending with its post-exec transaction) confirming the
/// preconfirmed one, and a refunded receipt answered with `gasUsed` and `opGasRefund`.
#[test]
fn subblock_replay_learns_each_blocks_hash_and_executes_on_it() {
    let mut lines: Vec<String> = Vec::new();
    let summary = subblock_replay(&mut lines).unwrap();
    let replay = &summary.replay;
    // Three blocks of three flashblocks, each with a heartbeat subblock.
    assert_eq!((replay.frames, replay.accepted, replay.rejected.len()), (12, 12, 0));
    assert_eq!((replay.block_hash_unavailable, replay.block_hash_ok), (12, 0));
    let rows = lines.iter().filter(|l| l.contains(" accept ") && l.contains(" unavailable "));
    assert_eq!(rows.count(), 12, "{lines:#?}");
    assert!(summary.executed_cleanly, "{lines:#?}");
    assert!(summary.pending_hash_null);
    assert_eq!(summary.blockhash_of_parent, Some(summary.parent_hash));
    assert!(matches!(
        summary.canonical_events.as_slice(),
        [flashblocks_overlay::OverlayEvent::Confirmed { number: 1, .. }]
    ));
    assert!(lines.iter().any(|l| l.contains("block 1: hash 0x") && l.contains("learned")));
    // Lagoon: the pending block's first refunded transaction is block index 3 (after
    // the two deposits and the deploy), refunded 2 000 gas (1 000 x (1 + 3 / 2)); the
    // node answers its canonical gas and `opGasRefund` as the builder settled them.
    let refunded = summary.refunded_receipt.expect("a refunded receipt in the pending block");
    assert_eq!(refunded.op_gas_refund, Some(2_000));
    assert_eq!(
        (refunded.gas_used, refunded.op_gas_refund),
        (refunded.builder.0, Some(refunded.builder.1))
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("refunded receipt 0x") && l.contains("opGasRefund 2000")));
}
