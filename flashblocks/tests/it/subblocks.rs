//! An OP Subblocks stream (zero `state_root`, `block_hash` and `withdrawals_root`, a
//! heartbeat subblock with no transactions) through a receiver that executes it: every
//! frame accepted with the block-hash outcome `unavailable`, block N+1 executed on N,
//! `BLOCKHASH` of the parent the hash learned from the next block's `base.parent_hash`,
//! the pending block's hash null until then, lookups by hash only for known hashes, the
//! payload's zero roots unavailable, and the canonical block confirming the
//! preconfirmed one by its transactions, `gasUsed` and `receiptsRoot`.

use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{Bytes, B256};
use flashblocks::{
    assemble::{AssembleError, BlockHashOutcome},
    execute::{
        builder::{subblocks, BuiltFlashblock, ExecutingBuilder, TxPlan},
        CallRequest, ExecutionCheck, Executor, PendingSnapshots,
    },
    overlay::{CanonicalBlock, CanonicalHead, Lookup, NotHere, OverlayEvent},
    types::{Dialect, DialectChoice, FlashblockJson},
    Receiver, ReceiverConfig,
};

const NOW: u64 = 1_000;

/// Initcode that reverts with `BLOCKHASH(NUMBER - 1)`: what a contract reads of the
/// parent of the block it runs in.
const PARENT_BLOCKHASH: [u8; 13] = [
    0x60, 0x01, 0x43, 0x03, 0x40, // blockhash(number - 1)
    0x60, 0x00, 0x52, // mstore(0, it)
    0x60, 0x20, 0x60, 0x00, 0xfd, // revert(0, 32)
];

struct Run {
    blocks: Vec<Vec<BuiltFlashblock>>,
    receiver: Receiver,
    snapshots: PendingSnapshots<flashblocks::execute::InMemoryState>,
}

/// Three blocks from the executing builder, and a receiver of the Subblocks dialect
/// executing over the builder's genesis, with the block-hash check on.
fn setup() -> Run {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Deploy, TxPlan::Transfer], vec![TxPlan::Call, TxPlan::Transfer]];
    let blocks = (0..3).map(|_| builder.next_block(&plan)).collect();
    let mut check =
        ExecutionCheck::new(Executor::new(builder.config().clone(), builder.genesis_states()));
    let snapshots = check.pending_snapshots();
    let config = ReceiverConfig::json()
        .with_dialect(DialectChoice::Fixed(Dialect::Subblocks))
        .with_block_hash_check(true);
    Run { blocks, receiver: Receiver::with_execution(config, check), snapshots }
}

fn frame(json: &FlashblockJson) -> Vec<u8> {
    serde_json::to_vec(json).unwrap()
}

/// Feeds one block's subblocks: each accepted, `unavailable`, executed without a report.
fn feed(receiver: &mut Receiver, block: &[BuiltFlashblock]) {
    let stream = subblocks(block);
    assert_eq!(stream.len(), block.len() + 1, "a heartbeat subblock");
    assert!(stream[1].diff.transactions.is_empty());
    for json in &stream {
        assert_eq!((json.diff.state_root, json.diff.block_hash), (B256::ZERO, B256::ZERO));
        let received = receiver.receive(&frame(json), NOW).unwrap();
        assert!(received.outcome.accepted().is_some(), "index {}", json.index);
        assert_eq!(received.block_hash, Some(Ok(BlockHashOutcome::Unavailable)));
        assert!(received.execution.is_empty(), "index {}: {:?}", json.index, received.execution);
        assert!(matches!(received.applied, Some(Ok(_))));
    }
}

/// The hash the builder sealed a block with: the next block's `base.parent_hash`.
fn sealed_hash(next: &[BuiltFlashblock]) -> B256 {
    next[0].json.base.as_ref().unwrap().parent_hash
}

fn blockhash_of_parent(snapshots: &PendingSnapshots<flashblocks::execute::InMemoryState>) -> B256 {
    let pending = snapshots.latest().expect("a block in progress");
    let request =
        CallRequest { input: Bytes::from_static(&PARENT_BLOCKHASH), ..Default::default() };
    let outcome = pending.call(&request, None).unwrap();
    assert!(!outcome.success && outcome.halt.is_none(), "{outcome:?}");
    B256::from_slice(&outcome.output)
}

#[test]
fn a_subblock_stream_executes_block_after_block_with_learned_hashes() {
    let Run { blocks, mut receiver, snapshots } = setup();
    feed(&mut receiver, &blocks[0]);
    {
        // The pending block's hash is unknown: null, and no hash finds it, 0x0 included.
        let snapshot = receiver.reader().snapshot();
        let view = snapshot.at(NOW);
        let pending = view.pending_block(false).into_value().expect("pending block 1");
        assert_eq!((pending.header.inner.number, pending.header.hash), (1, None));
        assert_eq!(pending.header.inner.state_root, B256::ZERO);
        let json = serde_json::to_value(&pending).unwrap();
        assert!(json["hash"].is_null(), "{}", json["hash"]);
        for hash in [B256::ZERO, sealed_hash(&blocks[1])] {
            assert_eq!(view.block_by_hash(hash, false).not_here(), Some(NotHere::Untouched));
        }
        // A transaction of it has no block hash yet either.
        let tx = blocks[0][1].executed.receipts[0].transaction_hash;
        assert_eq!(view.transaction(tx).into_value().map(|t| t.block_hash), Some(None));
    }
    feed(&mut receiver, &blocks[1]);
    feed(&mut receiver, &blocks[2]);

    // Blocks 2 and 3 executed on the block before them (no report above), and the
    // hashes of blocks 1 and 2 were learned from the next blocks' parent hashes.
    assert_eq!(receiver.assembler().map(|a| a.base().block_number), Some(3));
    let (hash1, hash2) = (sealed_hash(&blocks[1]), sealed_hash(&blocks[2]));
    let snapshot = receiver.reader().snapshot();
    let view = snapshot.at(NOW);
    for (number, hash) in [(1, hash1), (2, hash2)] {
        let by_number = view.block_by_number(number, false).into_value().expect("held");
        assert_eq!(by_number.header.hash, Some(hash), "block {number}");
        let by_hash = view.block_by_hash(hash, false).into_value().expect("found by hash");
        assert_eq!(by_hash.header.inner.number, number);
    }
    assert_eq!(view.pending_block(false).into_value().unwrap().header.hash, None);
    assert_eq!(view.block_by_hash(B256::ZERO, false).not_here(), Some(NotHere::Untouched));
    // BLOCKHASH of the parent of the pending block 3 reads block 2's learned hash.
    assert_eq!(blockhash_of_parent(&snapshots), hash2);

    // The assembled payloads carry no zero root as real.
    let payloads = receiver.payloads();
    assert_eq!(payloads.len(), 3);
    for payload in payloads {
        assert_eq!(payload.block_hash(), None);
        assert_eq!(payload.commitments.state_root, None);
        assert_eq!(payload.commitments.withdrawals_root, None);
        assert!(matches!(payload.try_into_parts(), Err(AssembleError::CommitmentsUnavailable(_))));
    }

    // The canonical block 1, with the transactions, gasUsed and receiptsRoot that were
    // preconfirmed (and the hash learned from block 2), confirms it: no broken
    // preconfirmation, blocks 2 and 3 stay.
    let canonical = canonical_block_1(&blocks, None);
    let events =
        receiver.canonical_head(CanonicalHead { number: 1, hash: hash1 }, Some(&canonical));
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 1, hash: hash1 }]);
    let snapshot = receiver.reader().snapshot();
    assert_eq!(snapshot.id().map(|id| id.block_number), Some(3));
    assert!(snapshot.at(NOW).block_by_number(2, false).into_value().is_some());
    assert_eq!(blockhash_of_parent(&snapshots), hash2);
}

/// What a node reads of the canonical block 1: its transactions, `gasUsed` and
/// `receiptsRoot` (here the builder's, or another receipts root).
fn canonical_block_1(
    blocks: &[Vec<BuiltFlashblock>],
    receipts_root: Option<B256>,
) -> CanonicalBlock {
    let last = blocks[0].last().unwrap();
    let transactions =
        blocks[0].iter().flat_map(|b| b.executed.receipts.iter().map(|r| r.transaction_hash));
    CanonicalBlock::new(transactions.collect())
        .with_gas_used(last.json.diff.gas_used)
        .with_receipts_root(receipts_root.unwrap_or(last.json.diff.receipts_root))
}

#[test]
fn an_unknown_hash_is_confirmed_by_transactions_gas_used_and_receipts_root() {
    // Block 1's hash is unknown (block 2 has not started).
    let Run { blocks, mut receiver, .. } = setup();
    feed(&mut receiver, &blocks[0]);
    let head = CanonicalHead { number: 1, hash: sealed_hash(&blocks[1]) };
    let events = receiver.canonical_head(head, Some(&canonical_block_1(&blocks, None)));
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 1, hash: head.hash }]);

    // The same block with another receipts root is a broken preconfirmation.
    let Run { blocks, mut receiver, .. } = setup();
    feed(&mut receiver, &blocks[0]);
    let other = canonical_block_1(&blocks, Some(B256::repeat_byte(0xee)));
    let events = receiver.canonical_head(head, Some(&other));
    match events.as_slice() {
        [OverlayEvent::BrokenPreconfirmation {
            number: 1, preconfirmed: None, canonical, ..
        }] => {
            assert_eq!(*canonical, head.hash);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(receiver.reader().snapshot().id(), None);
}

#[test]
fn a_learned_hash_other_than_the_canonical_one_breaks_the_preconfirmation() {
    let Run { blocks, mut receiver, .. } = setup();
    feed(&mut receiver, &blocks[0]);
    feed(&mut receiver, &blocks[1]);
    // Block 1's hash was learned from block 2's parent hash; the canonical block 1 has
    // another.
    let head = CanonicalHead { number: 1, hash: B256::repeat_byte(0xee) };
    let events = receiver.canonical_head(head, Some(&canonical_block_1(&blocks, None)));
    match events.as_slice() {
        [OverlayEvent::BrokenPreconfirmation { number: 1, preconfirmed, .. }] => {
            assert_eq!(*preconfirmed, Some(sealed_hash(&blocks[1])));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(receiver.reader().snapshot().id(), None);
}

#[test]
fn without_the_canonical_facts_an_unknown_hash_is_passed_unchecked() {
    let Run { blocks, mut receiver, .. } = setup();
    feed(&mut receiver, &blocks[0]);
    // Block 1's hash is unknown (block 2 has not started): the head alone cannot
    // confirm it, nor can a transaction list alone.
    let transactions = blocks[0]
        .iter()
        .flat_map(|b| b.executed.receipts.iter().map(|r| r.transaction_hash))
        .collect();
    let head = CanonicalHead { number: 1, hash: B256::repeat_byte(1) };
    let events = receiver.canonical_head(head, Some(&CanonicalBlock::new(transactions)));
    assert_eq!(events, vec![OverlayEvent::Passed { number: 1 }]);
    assert!(matches!(
        receiver.reader().snapshot().at(NOW).pending_block(false),
        Lookup::NotHere(NotHere::Empty)
    ));
}
