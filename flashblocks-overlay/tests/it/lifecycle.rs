//! The lifecycle: the block boundary (N complete, N+1 started, N not yet canonical),
//! catch-up, broken preconfirmations, reorgs, failover, gaps, staleness and the bounds;
//! what the overlay refuses itself (already canonical, not pending, too large) changes no
//! state, and what the validator rejects never reaches it.

use crate::common::{account, fake_deposit, fake_tx, BlockBuilder, Fed};
use alloy_primitives::{Address, B256, U256};
use flashblocks_overlay::{
    transaction_hash, CanonicalBlock, CanonicalHead, Lookup, NotHere, Overlay, OverlayConfig,
    OverlayError, OverlayEvent, SnapshotId,
};
use flashblocks_types::PayloadId;
use flashblocks_validate::{Validator, ValidatorConfig};

const A: Address = Address::with_last_byte(0xa);
const B: Address = Address::with_last_byte(0xb);

/// Block 10 (payload 1): A nonce 1, B nonce 7, slot 1 of A = 1; then block 11
/// (payload 2) at index 0: A nonce 2. Returns the builders.
fn boundary(overlay: &mut Fed) -> (BlockBuilder, BlockBuilder) {
    let mut b10 = BlockBuilder::new(10, B256::repeat_byte(9), 1);
    overlay
        .apply(
            b10.push(
                vec![(fake_deposit(10), 1, 50_000, None)],
                vec![account(A, Some(10), 1, None, &[(1, 1)]), account(B, Some(70), 7, None, &[])],
            ),
            0,
        )
        .expect("10/0");
    overlay.apply(b10.push(vec![(fake_tx(10), 1, 21_000, None)], vec![]), 0).expect("10/1");
    let mut b11 = BlockBuilder::new(11, b10.hash_at(1), 2);
    overlay
        .apply(
            b11.push(
                vec![(fake_deposit(11), 1, 50_000, None)],
                vec![account(A, None, 2, None, &[])],
            ),
            0,
        )
        .expect("11/0");
    (b10, b11)
}

#[test]
fn the_block_boundary_keeps_the_complete_block_under_the_new_one() {
    let mut overlay = Fed::default();
    boundary(&mut overlay);
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    assert_eq!(snapshot.pending_block_numbers().collect::<Vec<_>>(), vec![10, 11]);
    // N+1's nonce bump on top, N's changes underneath: nothing lost at the boundary.
    assert_eq!(view.transaction_count(A).into_value(), Some(2));
    assert_eq!(view.balance(A).into_value(), Some(U256::from(10)));
    assert_eq!(view.transaction_count(B).into_value(), Some(7));
    assert_eq!(
        view.storage_at(A, B256::with_last_byte(1)).into_value(),
        Some(B256::with_last_byte(1))
    );
    // N's transactions and receipts are still served.
    let found = view.receipt(transaction_hash(&fake_tx(10))).into_value().expect("N's receipt");
    assert_eq!((found.transaction.block_number, found.transaction.index), (10, 1));
    // The pending block is N+1.
    let block = view.pending_block(false).into_value().expect("pending");
    assert_eq!(block.header.inner.number, 11);
}

#[test]
fn catch_up_drops_each_block_as_the_canonical_chain_reaches_it() {
    let mut overlay = Fed::default();
    let (b10, b11) = boundary(&mut overlay);
    let events =
        overlay.advance_canonical(CanonicalHead { number: 10, hash: b10.hash_at(1) }, None);
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 10, hash: b10.hash_at(1) }]);
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    assert_eq!(snapshot.pending_block_numbers().collect::<Vec<_>>(), vec![11]);
    // What only block 10 set is now the canonical state's to answer.
    assert_eq!(view.transaction_count(B).not_here(), Some(NotHere::Untouched));
    assert_eq!(view.balance(A).not_here(), Some(NotHere::Untouched));
    assert_eq!(view.transaction_count(A).into_value(), Some(2));
    assert_eq!(
        view.transaction(transaction_hash(&fake_tx(10))).not_here(),
        Some(NotHere::Untouched)
    );
    // Index entries: A (nonce) and the deposit of block 11.
    assert_eq!(snapshot.indexed_entries(), 2);
    // The canonical chain passes block 11 as well: nothing is pending, nothing is held.
    let events =
        overlay.advance_canonical(CanonicalHead { number: 12, hash: B256::repeat_byte(1) }, None);
    assert_eq!(events, vec![OverlayEvent::Passed { number: 11 }]);
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.id(), None);
    assert_eq!(snapshot.indexed_entries(), 0);
    assert_eq!(snapshot.at(0).balance(A).not_here(), Some(NotHere::Empty));
    // Nothing held but the empty index.
    assert_eq!(snapshot.bytes_held(), Overlay::default().snapshot().bytes_held());
    assert!(snapshot.bytes_held() < 2_000, "{}", snapshot.bytes_held());
    let _ = b11;
}

#[test]
fn a_lagging_canonical_head_makes_state_wait_but_not_transactions() {
    let mut overlay = Fed::with_canonical_head(
        OverlayConfig::default(),
        CanonicalHead { number: 5, hash: B256::repeat_byte(5) },
    );
    let mut b10 = BlockBuilder::new(10, B256::repeat_byte(9), 1);
    overlay
        .apply(
            b10.push(
                vec![(fake_deposit(10), 1, 50_000, None)],
                vec![account(A, Some(1), 1, None, &[])],
            ),
            0,
        )
        .expect("10/0");
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    assert_eq!(
        view.balance(A).not_here(),
        Some(NotHere::Incomplete { canonical: Some(5), required: 9 })
    );
    assert!(matches!(view.state_override(), Lookup::NotHere(NotHere::Incomplete { .. })));
    assert!(view.transaction(transaction_hash(&fake_deposit(10))).value().is_some());
    // Once the canonical chain reaches 9, block 10 sits on it.
    overlay.advance_canonical(CanonicalHead { number: 9, hash: B256::repeat_byte(9) }, None);
    assert_eq!(overlay.snapshot().at(0).balance(A).into_value(), Some(U256::from(1)));
    // The canonical chain confirms block 10 while its flashblocks still come: the
    // validator takes the next one, the overlay refuses it (already canonical).
    let events =
        overlay.advance_canonical(CanonicalHead { number: 10, hash: b10.hash_at(0) }, None);
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 10, hash: b10.hash_at(0) }]);
    let err = overlay.apply(b10.push(vec![(fake_tx(1), 1, 1, None)], vec![]), 0).unwrap_err();
    assert_eq!(err, OverlayError::AlreadyCanonical { number: 10, canonical: 10 });
    // A fresh receiver above head 9 is handed block 9 (the validator has no block yet).
    let mut fresh = Fed::with_canonical_head(
        OverlayConfig::default(),
        CanonicalHead { number: 9, hash: B256::repeat_byte(9) },
    );
    let mut old = BlockBuilder::new(9, B256::ZERO, 3);
    let err = fresh.apply(old.push(vec![(fake_deposit(9), 1, 1, None)], vec![]), 0).unwrap_err();
    assert_eq!(err, OverlayError::AlreadyCanonical { number: 9, canonical: 9 });
    assert_eq!(fresh.snapshot().id(), None);
}

#[test]
fn a_canonical_block_other_than_preconfirmed_is_a_broken_preconfirmation() {
    let mut overlay = Fed::default();
    let (b10, _) = boundary(&mut overlay);
    let other = B256::repeat_byte(0xee);
    let canonical_txs = CanonicalBlock::new(vec![transaction_hash(&fake_deposit(10))]);
    let events =
        overlay.advance_canonical(CanonicalHead { number: 10, hash: other }, Some(&canonical_txs));
    assert_eq!(
        events,
        vec![OverlayEvent::BrokenPreconfirmation {
            number: 10,
            preconfirmed: Some(b10.hash_at(1)),
            canonical: other,
            dropped_transactions: vec![transaction_hash(&fake_tx(10))],
        }]
    );
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.id(), None, "the state above it is dropped too");
    assert_eq!(snapshot.indexed_entries(), 0);
    // Same hash but other transactions (the caller's list) is broken as well.
    let mut overlay = Fed::default();
    let (b10, _) = boundary(&mut overlay);
    let events = overlay.advance_canonical(
        CanonicalHead { number: 10, hash: b10.hash_at(1) },
        Some(&canonical_txs),
    );
    assert!(matches!(events.as_slice(), [OverlayEvent::BrokenPreconfirmation { .. }]));
}

#[test]
fn reorgs_drop_the_pending_chain() {
    // The canonical head moves back.
    let mut overlay = Fed::with_canonical_head(
        OverlayConfig::default(),
        CanonicalHead { number: 9, hash: B256::repeat_byte(9) },
    );
    boundary(&mut overlay);
    let head = CanonicalHead { number: 8, hash: B256::repeat_byte(8) };
    let events = overlay.advance_canonical(head, None);
    assert_eq!(events, vec![OverlayEvent::Reorg { canonical: head, dropped_from: Some(10) }]);
    assert_eq!(overlay.snapshot().id(), None);
    // The same height with another hash: the pending chain no longer sits on it.
    let mut overlay = Fed::with_canonical_head(
        OverlayConfig::default(),
        CanonicalHead { number: 9, hash: B256::repeat_byte(9) },
    );
    boundary(&mut overlay);
    let head = CanonicalHead { number: 9, hash: B256::repeat_byte(0x99) };
    let events = overlay.advance_canonical(head, None);
    assert_eq!(events, vec![OverlayEvent::Reorg { canonical: head, dropped_from: Some(10) }]);
    // First report of a head whose hash is not the pending chain's parent.
    let mut overlay = Fed::default();
    boundary(&mut overlay);
    let head = CanonicalHead { number: 9, hash: B256::repeat_byte(0x99) };
    let events = overlay.advance_canonical(head, None);
    assert_eq!(events, vec![OverlayEvent::Reorg { canonical: head, dropped_from: Some(10) }]);
    assert_eq!(overlay.snapshot().indexed_entries(), 0);
}

#[test]
fn failover_replaces_the_newest_block_and_restores_what_it_overrode() {
    let mut overlay = Fed::default();
    let (b10, _) = boundary(&mut overlay);
    // Another builder starts block 11 again: A's nonce from block 11 (2) is undone,
    // block 10's value (1) shows again, and the new block's changes apply.
    let mut other = BlockBuilder::new(11, b10.hash_at(1), 3);
    let applied = overlay
        .apply(
            other.push(
                vec![(fake_deposit(111), 1, 50_000, None)],
                vec![account(B, None, 8, None, &[])],
            ),
            0,
        )
        .expect("failover");
    assert_eq!(
        applied.events,
        vec![OverlayEvent::Failover {
            number: 11,
            replaced: PayloadId::new([2; 8]),
            payload_id: PayloadId::new([3; 8]),
            dropped_transactions: vec![transaction_hash(&fake_deposit(11))],
        }]
    );
    let snapshot = overlay.snapshot();
    let view = snapshot.at(0);
    assert_eq!(view.transaction_count(A).into_value(), Some(1));
    assert_eq!(view.transaction_count(B).into_value(), Some(8));
    assert_eq!(
        view.transaction(transaction_hash(&fake_deposit(11))).not_here(),
        Some(NotHere::Untouched)
    );
    assert!(view.transaction(transaction_hash(&fake_deposit(111))).value().is_some());
    assert_eq!(snapshot.payload_id(), Some(PayloadId::new([3; 8])));
    // The old payload's later flashblocks are the validator's to refuse now.
    let mut old = BlockBuilder::new(11, b10.hash_at(1), 2);
    let _index0 = old.push(vec![], vec![]);
    let err = overlay.validate(old.push(vec![], vec![])).unwrap_err();
    assert_eq!(err.rule_id(), "payload_id_mismatch");
}

#[test]
fn a_gap_in_the_stream_drops_the_pending_blocks_and_waits_for_canonical() {
    let mut overlay = Fed::default();
    boundary(&mut overlay);
    let mut b13 = BlockBuilder::new(13, B256::ZERO, 4);
    let applied = overlay
        .apply(
            b13.push(
                vec![(fake_deposit(13), 1, 50_000, None)],
                vec![account(A, Some(3), 3, None, &[])],
            ),
            0,
        )
        .expect("13/0");
    assert_eq!(applied.events, vec![OverlayEvent::Gap { expected: 12, got: 13 }]);
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.pending_block_numbers().collect::<Vec<_>>(), vec![13]);
    assert_eq!(
        snapshot.at(0).balance(A).not_here(),
        Some(NotHere::Incomplete { canonical: None, required: 12 })
    );
    overlay.advance_canonical(CanonicalHead { number: 12, hash: B256::ZERO }, None);
    assert_eq!(overlay.snapshot().at(0).balance(A).into_value(), Some(U256::from(3)));
}

#[test]
fn staleness_bound_on_the_callers_clock() {
    let mut overlay = Fed::new(OverlayConfig { max_age_ms: Some(500), ..Default::default() });
    let mut b = BlockBuilder::new(10, B256::ZERO, 1);
    overlay
        .apply(
            b.push(vec![(fake_deposit(1), 1, 1, None)], vec![account(A, Some(1), 1, None, &[])]),
            1_000,
        )
        .expect("accepted");
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.received_at_ms(), Some(1_000));
    assert_eq!(snapshot.age_ms(1_300), Some(300));
    assert_eq!(snapshot.at(1_500).balance(A).into_value(), Some(U256::from(1)));
    assert_eq!(
        snapshot.at(1_501).balance(A).not_here(),
        Some(NotHere::Stale { age_ms: 501, max_age_ms: 500 })
    );
    assert_eq!(
        snapshot.at(1_501).transaction(transaction_hash(&fake_deposit(1))).not_here(),
        Some(NotHere::Stale { age_ms: 501, max_age_ms: 500 })
    );
    // A new flashblock makes it fresh again.
    overlay.apply(b.push(vec![], vec![]), 2_000).expect("accepted");
    assert!(overlay.snapshot().at(2_400).balance(A).value().is_some());
    // The block confirmed, nothing is pending: the newest flashblock and its age stay
    // (the stream is as fresh as it was), the pending id goes.
    let events = overlay.advance_canonical(CanonicalHead { number: 10, hash: b.hash_at(1) }, None);
    assert_eq!(events, vec![OverlayEvent::Confirmed { number: 10, hash: b.hash_at(1) }]);
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.id(), None);
    assert_eq!(
        snapshot.newest_received(),
        Some(SnapshotId { block_number: 10, flashblock_index: 1 })
    );
    assert_eq!((snapshot.received_at_ms(), snapshot.age_ms(2_300)), (Some(2_000), Some(300)));
}

#[test]
fn the_pending_block_bound_evicts_the_oldest() {
    let mut overlay = Fed::new(OverlayConfig { max_pending_blocks: 2, ..Default::default() });
    let mut parent = B256::ZERO;
    let mut hashes = Vec::new();
    for n in 10..13u64 {
        let mut b = BlockBuilder::new(n, parent, n as u8);
        let applied = overlay
            .apply(
                b.push(
                    vec![(fake_deposit(n as u8), 1, 1, None)],
                    vec![account(A, Some(n), n, None, &[])],
                ),
                0,
            )
            .expect("accepted");
        parent = b.hash_at(0);
        hashes.push(parent);
        if n == 12 {
            assert_eq!(applied.events, vec![OverlayEvent::Evicted { number: 10 }]);
        }
    }
    let snapshot = overlay.snapshot();
    assert_eq!(snapshot.pending_block_numbers().collect::<Vec<_>>(), vec![11, 12]);
    assert_eq!(
        snapshot.at(0).balance(A).not_here(),
        Some(NotHere::Incomplete { canonical: None, required: 10 })
    );
    assert_eq!(
        snapshot.at(0).transaction(transaction_hash(&fake_deposit(10))).not_here(),
        Some(NotHere::Untouched)
    );
    let events = overlay.advance_canonical(CanonicalHead { number: 10, hash: hashes[0] }, None);
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(overlay.snapshot().at(0).balance(A).into_value(), Some(U256::from(12)));
}

#[test]
fn the_byte_bound_evicts_and_refuses_a_block_too_large() {
    let tx = alloy_primitives::Bytes::from(vec![0x02; 10_000]);
    // What one block of that transaction holds, as counted.
    let one = {
        let mut probe = Fed::new(OverlayConfig::default());
        let mut b10 = BlockBuilder::new(10, B256::ZERO, 1);
        probe.apply(b10.push(vec![(tx.clone(), 1, 1, None)], vec![]), 0).expect("probe");
        probe.snapshot().bytes_held()
    };
    assert!(one > 10_000, "{one}");
    let max = one * 9 / 5;
    let mut overlay = Fed::new(OverlayConfig { max_bytes: max, ..Default::default() });
    let mut b10 = BlockBuilder::new(10, B256::ZERO, 1);
    overlay.apply(b10.push(vec![(tx.clone(), 1, 1, None)], vec![]), 0).expect("10/0");
    let mut b11 = BlockBuilder::new(11, b10.hash_at(0), 2);
    overlay.apply(b11.push(vec![(fake_deposit(1), 1, 1, None)], vec![]), 0).expect("11/0");
    let held = overlay.snapshot().bytes_held();
    assert!(held > one && held < max, "{held}");
    let applied = overlay.apply(b11.push(vec![(tx.clone(), 1, 1, None)], vec![]), 0).expect("11/1");
    assert_eq!(applied.events, vec![OverlayEvent::Evicted { number: 10 }]);
    assert!(overlay.snapshot().bytes_held() <= max);
    let before = overlay.snapshot();
    let err = overlay.apply(b11.push(vec![(tx.clone(), 1, 1, None)], vec![]), 0).unwrap_err();
    assert!(
        matches!(err, OverlayError::BlockTooLarge { number: 11, max: m, .. } if m == max),
        "{err:?}"
    );
    assert_eq!(overlay.snapshot().sequence(), before.sequence(), "refused: no new snapshot");
    // The validator took 11/2, so the overlay cannot place 11/3 on its block.
    let err = overlay.apply(b11.push(vec![(fake_tx(3), 1, 1, None)], vec![]), 0).unwrap_err();
    assert_eq!(err, OverlayError::NotPending { payload_id: PayloadId::new([2; 8]), index: 3 });
    assert_eq!(overlay.snapshot().sequence(), before.sequence(), "refused: no new snapshot");
}

#[test]
fn what_the_validator_rejects_never_reaches_the_overlay() {
    // The sequence is the validator's to check: a gap, another payload's flashblock, an
    // older block, the newest block's index 0 again and an index over the bound are its
    // rejections, and the overlay is not touched.
    let mut overlay = Fed::default();
    let (_, mut b11) = boundary(&mut overlay);
    let before = overlay.snapshot();
    let rejected = |overlay: &mut Fed, fb| {
        let err = overlay.validate(fb).expect_err("rejected");
        let now = overlay.snapshot();
        assert_eq!(now.sequence(), before.sequence());
        assert_eq!(now.id(), before.id());
        assert_eq!(now.at(0).transaction_count(A).into_value(), Some(2));
        err.rule_id()
    };
    let _skipped = b11.push(vec![(fake_tx(50), 1, 1, None)], vec![]);
    let gap = b11.push(vec![(fake_tx(51), 1, 1, None)], vec![account(A, None, 9, None, &[])]);
    assert_eq!(rejected(&mut overlay, gap), "index_gap");
    let mut stray = BlockBuilder::new(11, B256::ZERO, 9);
    let _ = stray.push(vec![], vec![]);
    assert_eq!(rejected(&mut overlay, stray.push(vec![], vec![])), "payload_id_mismatch");
    let old = BlockBuilder::new(9, B256::ZERO, 8).push(vec![], vec![]);
    assert_eq!(rejected(&mut overlay, old), "stale_block");
    // The newest block's index 0 again, changed: an equivocation.
    let again = BlockBuilder::new(11, B256::ZERO, 2).push(vec![], vec![]);
    assert_eq!(rejected(&mut overlay, again), "equivocation");
    // Over the bound.
    let mut small = Fed {
        validator: Validator::new(
            ValidatorConfig::v1().with_op_rules(false).with_max_flashblocks_per_block(1),
        ),
        overlay: Overlay::default(),
    };
    small.validator = Validator::new(
        ValidatorConfig::v1().with_op_rules(false).with_max_flashblocks_per_block(1),
    );
    let mut b = BlockBuilder::new(10, B256::ZERO, 1);
    small.apply(b.push(vec![], vec![]), 0).expect("index 0");
    let err = small.validate(b.push(vec![], vec![])).unwrap_err();
    assert_eq!(err.rule_id(), "too_many_flashblocks");
    assert_eq!(small.snapshot().id().map(|id| id.flashblock_index), Some(0));
}

/// Rule 4's trap in the overlay: one far-off block start must never keep a later real
/// block from being served. A restart drops the pending chain and what it waits for; a
/// caller that reset only its validator gets a gap below the far block, which waits for
/// the block before the real one, not for the far block's.
#[test]
fn one_far_off_block_never_keeps_a_later_real_block_from_being_served() {
    use flashblocks_validate::{fixture, BlockStart};
    use std::sync::Arc;
    let state = |fed: &Fed| fed.snapshot().at(0).balance(fixture::ACCOUNT);
    let mut fed = Fed::new(OverlayConfig::default());
    for (number, index) in [(1000, 0), (1000, 1), (1001, 0), (1_000_000, 0)] {
        fed.apply(Arc::new(fixture::flashblock(number, 0, index)), 0).expect("applies");
    }
    assert!(matches!(state(&fed), Lookup::NotHere(NotHere::Incomplete { required: 999_999, .. })));
    // The real stream: far below the newest block seen, a restart.
    let token = fed.validate(Arc::new(fixture::flashblock(1002, 0, 0))).expect("a restart");
    assert_eq!(token.block_start(), Some(BlockStart::Restart { newest: 1_000_000 }));
    let applied = fed.overlay.apply(&token, 0).expect("applies");
    assert_eq!(
        applied.events,
        vec![OverlayEvent::Restart { number: 1002, dropped_from: Some(1_000_000) }]
    );
    assert_eq!(fed.snapshot().pending_block_numbers().collect::<Vec<_>>(), [1002]);
    assert_eq!(state(&fed).into_value(), Some(U256::from(100_200)));

    // A caller that reset the validator alone: the real block is a gap below the far
    // one, and state reads wait for its own parent only.
    let mut fed = Fed::new(OverlayConfig::default());
    for number in [1000, 1_000_000] {
        fed.apply(Arc::new(fixture::flashblock(number, 0, 0)), 0).expect("applies");
    }
    fed.validator.reset();
    let applied = fed.apply(Arc::new(fixture::flashblock(1001, 0, 0)), 0).expect("applies");
    assert_eq!(applied.events, vec![OverlayEvent::Gap { expected: 1_000_001, got: 1001 }]);
    assert!(matches!(state(&fed), Lookup::NotHere(NotHere::Incomplete { required: 1000, .. })));
    fed.overlay
        .advance_canonical(CanonicalHead { number: 1000, hash: fixture::block_hash(1000) }, None);
    assert_eq!(state(&fed).into_value(), Some(U256::from(100_100)));

    // A reorg that drops the pending chain drops what it waited for.
    let mut fed = Fed::new(OverlayConfig::default());
    fed.overlay
        .advance_canonical(CanonicalHead { number: 998, hash: fixture::block_hash(998) }, None);
    fed.apply(Arc::new(fixture::flashblock(1_000_000, 0, 0)), 0).expect("applies");
    let reorged = CanonicalHead { number: 997, hash: fixture::block_hash(997) };
    fed.overlay.advance_canonical(reorged, None);
    fed.validator.reset();
    fed.apply(Arc::new(fixture::flashblock(998, 0, 0)), 0).expect("applies");
    assert_eq!(state(&fed).into_value(), Some(U256::from(99_800)));
}
